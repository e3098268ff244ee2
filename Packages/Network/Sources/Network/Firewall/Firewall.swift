import FoundationEssentials
import Glibc
import Syscalls

/// NAT and published ports, in an nftables table of Dosirak's own (`ip dosirak`), written
/// with the `nft` tool and never touching anybody else's tables.
///
/// The table is derived from the state on disk, whole: every change (a network created, a
/// container attached or gone) regenerates it and replaces the old one in one nftables
/// transaction (`delete table` and the new `table` in one `nft -f` script). There is no
/// rule to forget: after a crash, the next change writes the table the state describes,
/// and the rules of containers that no longer exist are simply not in it. Each rule
/// carries a comment naming its network and container, for a human reading `nft list`.
public struct Firewall: Sendable {
    public static let table = "dosirak"

    /// The namespace whose tables these are (the host's).
    public let host: NetworkNamespace
    public var nft: String
    /// Where the last table written is remembered (with the boot and the namespace it went
    /// into): a change that leaves the table as it was, such as a container without
    /// published ports coming or going, then runs no `nft` at all. Nil: always write.
    public var appliedFile: String?
    /// Whether the host's own connections to published TCP ports skip NAT (`PortShortcut`).
    public var shortcuts = true

    public init(host: NetworkNamespace = .current, nft: String = "/usr/sbin/nft") {
        self.host = host
        self.nft = nft
    }

    /// Makes the kernel's rules match `networks` and their `endpoints`, and turns on what
    /// NAT needs: IPv4 forwarding, and `route_localnet` on each bridge, so that a connection
    /// to 127.0.0.1 may be rewritten to a container and leave through the bridge.
    public func apply(networks: [BridgeNetwork], endpoints: [Endpoint]) throws {
        if networks.isEmpty {
            try remove()
            return
        }
        try host.perform {
            try Sysctl.write("net/ipv4/ip_forward", "1")
            // A bridge the kernel does not hold yet (after a reboot) gets it when it is made again.
            for network in networks where access("/proc/sys/net/ipv4/conf/\(network.bridge)", F_OK) == 0 {
                try Sysctl.write("net/ipv4/conf/\(network.bridge)/route_localnet", "1")
            }
        }
        let script = Firewall.ruleset(networks: networks, endpoints: endpoints)
        let stamp = (try? host.perform { Firewall.namespaceStamp() }).map { $0 + (shortcuts ? "" : " no-shortcuts") + "\n" + script }
        if let appliedFile, let stamp, (try? String(contentsOfFile: appliedFile, encoding: .utf8)) == stamp { return }
        try run(script)
        installShortcuts(shortcuts ? PortShortcut.shortcuts(networks: networks, endpoints: endpoints) : [])
        if let appliedFile, let stamp { try? stamp.write(toFile: appliedFile, atomically: true, encoding: .utf8) }
    }

    /// This boot and this network namespace: a table remembered from another boot (gone
    /// with the reboot) or another namespace is written again.
    static func namespaceStamp() -> String {
        let boot = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? ""
        var info = stat()
        stat("/proc/self/ns/net", &info)
        return "boot \(boot.trimmingWhitespace()) netns \(info.st_dev):\(info.st_ino)"
    }

    /// Deletes the table, if it is there, and the shortcuts (and forgets it was written).
    public func remove() throws {
        try run(Firewall.removal)
        installShortcuts([])
        if let appliedFile { unlink(appliedFile) }
    }

    /// The shortcuts are an optimisation: where the kernel will not have them (no cgroup v2,
    /// no eBPF), the rules carry these connections as they carry all the others. If the new
    /// programs cannot be installed, the old ones go too: they may send a port to a container
    /// that no longer has it.
    func installShortcuts(_ shortcuts: [PortShortcut]) {
        do {
            try host.perform { try PortShortcut.install(shortcuts) }
        } catch {
            try? host.perform { try PortShortcut.install([]) }
        }
    }

    /// The name of the host's shortcut programs and the cgroup they are attached to, if they are.
    public func shortcutProgram() -> (name: String, cgroup: String)? {
        guard let cgroup = PortShortcut.cgroupRoot(),
              let name = try? host.perform({ PortShortcut.programName(try PortShortcut.namespaceCookie()) }),
              PortShortcut.attachedNames().contains(name) else { return nil }
        return (name, cgroup)
    }

    /// The names of the shortcut programs attached now (the host's, and any other namespace's),
    /// on `connect()`, on `getpeername()` and on a socket's release.
    static func shortcutPrograms() -> [String] {
        [.ipv4Connect, .ipv4GetPeerName, .socketRelease].flatMap { PortShortcut.attachedNames(at: $0) }
    }

    /// `table` first, so that `delete` never fails on a missing table.
    static let removal = "table ip \(table)\ndelete table ip \(table)\n"

    /// The whole table for this state, as an nft script.
    static func ruleset(networks: [BridgeNetwork], endpoints: [Endpoint]) -> String {
        let byName = Dictionary(networks.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var publish: [String] = []
        for endpoint in endpoints.sorted(by: { $0.containerID < $1.containerID }) {
            guard byName[endpoint.network] != nil else { continue }
            for port in endpoint.ports {
                var match = port.hostAddress.map { "ip daddr \($0) " } ?? ""
                match += "\(port.transport.rawValue) dport \(port.hostPort)"
                publish.append("\(match) dnat to \(endpoint.address):\(port.containerPort) " +
                               comment(network: endpoint.network, container: endpoint.containerID))
            }
        }
        var postrouting: [String] = []
        var forward: [String] = []
        var isolate: [String] = []
        for network in networks {
            let tag = comment(network: network.name)
            let bridge = quoted(network.bridge)
            // Leaving for anywhere but its own bridge: take the host's address.
            postrouting.append("ip saddr \(network.subnet) oifname != \(bridge) masquerade \(tag)")
            // From the host's loopback to a published port: the source 127.0.0.1 cannot
            // leave through the bridge as it is; give it the gateway's address.
            postrouting.append("ip saddr 127.0.0.0/8 oifname \(bridge) masquerade \(tag)")
            // A container reaching a port published on the host (its own, or a neighbour's)
            // through the gateway: the answer must come back through the host, so the
            // rewritten connection takes the gateway's address too.
            postrouting.append("ip saddr \(network.subnet) oifname \(bridge) ct status dnat masquerade \(tag)")
            // Docker's isolation: from one network's bridge to another network's bridge, drop.
            forward.append("iifname \(bridge) oifname != \(bridge) jump isolate \(tag)")
            isolate.append("oifname \(bridge) drop \(tag)")
        }

        func chain(_ name: String, _ hook: String?, _ rules: [String]) -> String {
            var lines = ["\tchain \(name) {"]
            if let hook { lines.append("\t\t\(hook)") }
            lines += rules.map { "\t\t" + $0 }
            lines.append("\t}")
            return lines.joined(separator: "\n")
        }
        // A published port is open to every network: rewritten traffic passes isolation.
        forward.insert("ct status dnat accept", at: 0)
        return removal + """
            table ip \(table) {
            \(chain("prerouting", "type nat hook prerouting priority dstnat; policy accept;", ["fib daddr type local jump publish"]))
            \(chain("output", "type nat hook output priority -100; policy accept;", ["fib daddr type local jump publish"]))
            \(chain("publish", nil, publish))
            \(chain("postrouting", "type nat hook postrouting priority srcnat; policy accept;", postrouting))
            \(chain("forward", "type filter hook forward priority filter; policy accept;", forward))
            \(chain("isolate", nil, isolate))
            }

            """
    }

    static func comment(network: String, container: String? = nil) -> String {
        "comment " + quoted("dosirak network=\(network)" + (container.map { " container=\($0.prefix(12))" } ?? ""))
    }

    static func quoted(_ s: String) -> String { "\"" + s + "\"" }

    /// Runs `nft -f -` with `script` on its standard input, in the host's namespace.
    func run(_ script: String) throws {
        let (status, output) = try host.perform { try Firewall.feed(nft, script) }
        guard status == .exited(0) else {
            let firstLines = output.split(separator: "\n").prefix(3).joined(separator: "; ")
            throw NetworkError.tool("nft -f -", firstLines.isEmpty ? "\(status)" : firstLines)
        }
    }

    /// The rules as nftables holds them now (`nft list table ip dosirak`), or nil.
    public func listing() throws -> String? {
        let (status, output) = try host.perform {
            try Spawn(nft, arguments: ["list", "table", "ip", Firewall.table]).output(includeErrors: true)
        }
        return status == .exited(0) ? output : nil
    }

    static func feed(_ nft: String, _ script: String) throws -> (WaitStatus, String) {
        let input = try FileDescriptor.pipe()
        let output = try FileDescriptor.pipe()
        var spawn = Spawn(nft, arguments: ["-f", "-"])
        spawn.fileDescriptors = [0: input.read, 1: output.write, 2: output.write]
        let child: SpawnedProcess
        do {
            child = try spawn.start()
        } catch {
            for fd in [input.read, input.write, output.read, output.write] { try? fd.close() }
            throw NetworkError.tool(nft, "\(error)")
        }
        try? input.read.close()
        try? output.write.close()
        // nft reads its whole script before it says anything, so this order cannot block.
        try? input.write.writeAll(script)
        try? input.write.close()
        let text = String(decoding: (try? output.read.readAll()) ?? [], as: UTF8.self)
        try? output.read.close()
        return (try child.wait(), text)
    }
}
