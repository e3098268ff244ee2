import FoundationEssentials
import Glibc
import Syscalls

/// Published ports reached from the host itself without NAT.
///
/// A program on the host that connects to `127.0.0.1:8080` goes through the `output` chain's
/// DNAT, and every packet of that connection is translated twice. This eBPF program runs
/// instead at the moment of `connect()`, before there is any packet: it gives the socket
/// the container's address and port, `172.18.0.2:80`, and the connection then goes
/// straight to the container, as if the program had asked for it. Cilium calls this
/// socket-level load balancing.
///
/// It is attached to the root of the cgroup v2 hierarchy, so it runs for every TCP socket
/// of every process, and it changes only those of the host's network namespace (the one
/// whose cookie it holds: every namespace has a 64-bit cookie, never reused) whose
/// destination is one of the published ports. UDP, and everything that arrives from
/// outside, keeps going through the nftables rules, which stay complete either way.
///
/// Like the table, the program is derived whole from the state: every change loads a new
/// one, attaches it, and detaches the one before. Its name carries the namespace's cookie
/// (`dosirak` and 8 hex digits), so the one before is found among the attached programs
/// without a state file. (`bpftool cgroup show /sys/fs/cgroup` lists them.)
struct PortShortcut: Hashable, Sendable {
    /// Where the host's programs connect to.
    var published: IPv4Address
    var publishedPort: UInt16
    /// Where the connection goes instead.
    var container: IPv4Address
    var containerPort: UInt16

    /// The shortcuts for these endpoints' TCP ports: a port published on all of the host's
    /// addresses is taken at 127.0.0.1, one published on an address at that address.
    static func shortcuts(networks: [BridgeNetwork], endpoints: [Endpoint]) -> [PortShortcut] {
        let names = Set(networks.map(\.name))
        return endpoints.filter { names.contains($0.network) }.flatMap { endpoint in
            endpoint.ports.filter { $0.transport == .tcp && $0.hostPort != 0 }.map { port in
                PortShortcut(published: port.hostAddress ?? IPv4Address(0x7f00_0001), publishedPort: port.hostPort,
                             container: endpoint.address, containerPort: port.containerPort)
            }
        }.sorted { ($0.published, $0.publishedPort) < ($1.published, $1.publishedPort) }
    }

    // The fields of `struct bpf_sock_addr` (the program's context) that it reads and writes.
    static let userIP4: Int16 = 4, userPort: Int16 = 24, socketProtocol: Int16 = 36
    static let getNetnsCookie: Int32 = 122  // BPF_FUNC_get_netns_cookie

    /// The program: if the socket is TCP, of the namespace `cookie`, and connecting to one
    /// of `shortcuts`, rewrite its destination; let the connection go on in every case.
    ///
    ///     r6 = r1                        keep the context
    ///     w2 = protocol; if w2 != 6 goto done
    ///     r0 = get_netns_cookie(r1); if r0 != COOKIE goto done
    ///     w2 = user_ip4; w3 = user_port
    ///     if w2 != ADDRESS goto next; if w3 != PORT goto next   one block per shortcut
    ///     user_ip4 = CONTAINER; user_port = CONTAINER_PORT; goto done
    ///     done: r0 = 1; exit             1: allow the connect
    ///
    /// Addresses and ports are compared and stored as they are in memory: in network byte
    /// order, which a 32-bit load on this little-endian machine reads byte-swapped.
    static func program(_ shortcuts: [PortShortcut], namespaceCookie cookie: UInt64) -> [EBPFInstruction] {
        typealias I = EBPFInstruction
        let tcp: UInt32 = 6
        // Jumps count instructions from the next one: nine before the first shortcut's block,
        // five in each block, and "done" right after the last block.
        let blocks = 5 * shortcuts.count
        var code: [I] = [.move(6, 1),
                         .load32(into: 2, from: 6, offset: socketProtocol),
                         .jumpIfNotEqual32(2, tcp, by: Int16(6 + blocks)),
                         .call(getNetnsCookie)]
        code += I.load64(1, cookie)
        code += [.jumpIfNotEqual(0, 1, by: Int16(2 + blocks)),
                 .load32(into: 2, from: 6, offset: userIP4),
                 .load32(into: 3, from: 6, offset: userPort)]
        for (index, shortcut) in shortcuts.enumerated() {
            code += [.jumpIfNotEqual32(2, shortcut.published.value.bigEndian, by: 4),
                     .jumpIfNotEqual32(3, UInt32(shortcut.publishedPort.bigEndian), by: 3),
                     .store32(shortcut.container.value.bigEndian, into: 6, offset: userIP4),
                     .store32(UInt32(shortcut.containerPort.bigEndian), into: 6, offset: userPort),
                     .jump(by: Int16(5 * (shortcuts.count - index - 1)))]
        }
        code += [.move(0, value: 1), .exit]
        return code
    }

    /// Makes the shortcuts of this network namespace (the calling thread's) be `shortcuts`:
    /// loads and attaches a new program, then detaches the namespace's old one. No program
    /// at all when there is nothing to shortcut, or no cgroup v2 hierarchy to attach to
    /// (NAT then does all the work, as it does for every connection the program leaves alone).
    static func install(_ shortcuts: [PortShortcut]) throws {
        guard let root = cgroupRoot() else { return }
        let cgroup = try FileDescriptor.open(root, options: .directory)
        defer { try? cgroup.close() }
        let cookie = try namespaceCookie()
        let name = programName(cookie)
        var current: UInt32?
        if !shortcuts.isEmpty {
            let code = program(shortcuts, namespaceCookie: cookie).map(\.encoded)
            let program = try BPFProgram.load(code, kind: .socketAddress, hook: .ipv4Connect, name: name)
            defer { try? program.close() }
            try BPFProgram.attach(program, to: cgroup, at: .ipv4Connect)
            current = try BPFProgram.identity(of: program).id
        }
        // For a moment both are attached, which is harmless: they send a port to the same
        // place or, for a port the new one no longer has, the old one still does what NAT would.
        for id in try BPFProgram.attached(to: cgroup, at: .ipv4Connect) where id != current {
            guard let old = try? BPFProgram.open(id: id) else { continue }  // detached meanwhile
            defer { try? old.close() }
            if try BPFProgram.identity(of: old).name == name {
                try BPFProgram.detach(old, from: cgroup, at: .ipv4Connect)
            }
        }
    }

    /// The names of every namespace's shortcut programs attached now.
    static func attachedNames() -> [String] {
        guard let root = cgroupRoot(), let cgroup = try? FileDescriptor.open(root, options: .directory) else { return [] }
        defer { try? cgroup.close() }
        let ids = (try? BPFProgram.attached(to: cgroup, at: .ipv4Connect)) ?? []
        return ids.compactMap { id in
            guard let program = try? BPFProgram.open(id: id) else { return nil }
            defer { try? program.close() }
            return (try? BPFProgram.identity(of: program).name).flatMap { $0.hasPrefix("dosirak") ? $0 : nil }
        }
    }

    /// The program of the namespace `cookie`: `dosirak` and the cookie's low 32 bits in hex.
    static func programName(_ cookie: UInt64) -> String {
        let hex = String(cookie & 0xffff_ffff, radix: 16)
        return "dosirak" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// The calling thread's network namespace's cookie (`SO_NETNS_COOKIE` on a socket made in it).
    static func namespaceCookie() throws -> UInt64 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Errno.current }
        defer { Glibc.close(fd) }
        var cookie: UInt64 = 0
        var size = socklen_t(MemoryLayout<UInt64>.size)
        let netnsCookie: Int32 = 71  // SO_NETNS_COOKIE
        guard getsockopt(fd, SOL_SOCKET, netnsCookie, &cookie, &size) == 0 else { throw Errno.current }
        return cookie
    }

    /// Where the cgroup v2 hierarchy's root is mounted (`/sys/fs/cgroup` on a pure v2 host,
    /// `/sys/fs/cgroup/unified` on a hybrid one), or nil.
    static func cgroupRoot() -> String? {
        guard let mounts = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        for line in mounts.split(separator: "\n") {
            // ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS... - TYPE SOURCE OPTIONS
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count, fields.count > 4 else { continue }
            if fields[dash + 1] == "cgroup2" && fields[3] == "/" { return String(fields[4]) }
        }
        return nil
    }
}
