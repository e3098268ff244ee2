import Foundation
import Glibc
import Syscalls
import Testing
@testable import Network

let helper = builtExecutable("network-test-helper")

/// A pretend host for one test: a network namespace of its own (with, optionally, a second
/// namespace playing "the outside world" on a veth at 203.0.113.1 <-> 203.0.113.2), a
/// temporary state root, and a NetworkStore working on both. Nothing touches the machine's
/// own network or state.
final class TestHost: @unchecked Sendable {
    let namespace: TestNamespace
    let outside: TestNamespace?
    let root: String
    let resolvConf: String
    var store: NetworkStore

    static let hostAddress = IPv4Address("203.0.113.1")!
    static let outsideAddress = IPv4Address("203.0.113.2")!

    init(withOutside: Bool = false, upstreamResolver: IPv4Address? = nil) throws {
        namespace = try TestNamespace()
        root = NSTemporaryDirectory() + "dosirak-net-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        resolvConf = root + "/host-resolv.conf"
        try "nameserver \(upstreamResolver?.description ?? "127.0.0.1")\nsearch example.test\n"
            .write(toFile: resolvConf, atomically: true, encoding: .utf8)
        store = NetworkStore(root: root + "/networks", host: namespace.namespace, dnsCommand: [helper, "dns"])
        store.hostResolvConf = resolvConf
        if withOutside {
            let world: TestNamespace
            do { world = try TestNamespace() } catch { namespace.close(); throw error }
            outside = world
            let netlink = try namespace.namespace.socket()
            try netlink.createVethPair(named: "uplink0", peer: "uplink1")
            try netlink.move("uplink1", toNamespace: world.namespace)
            try netlink.addAddress(TestHost.hostAddress, prefixLength: 24, to: "uplink0")
            try netlink.setUp("uplink0")
            let far = try world.namespace.socket()
            try far.addAddress(TestHost.outsideAddress, prefixLength: 24, to: "uplink1")
            try far.setUp("uplink1")
        } else {
            outside = nil
        }
    }

    /// Removes every network (detaching what is left), stops what runs, deletes the state.
    func close() {
        for network in (try? store.networks()) ?? [] {
            for endpoint in (try? store.endpoints(of: network.name)) ?? [] {
                try? store.detach(containerID: endpoint.containerID, network: network.name)
            }
            try? store.remove(network.name)
        }
        for pid in processes(mentioning: root) { kill(pid, SIGKILL); var s: CInt = 0; waitpid(pid, &s, 0) }
        outside?.close()
        namespace.close()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Runs the helper in the host's namespace (a client on "the host").
    func helperOnHost(_ arguments: String...) throws -> (status: WaitStatus, output: String) {
        try namespace.run(helper, arguments)
    }

    func nftTable() throws -> String {
        try namespace.run("/usr/sbin/nft", ["list", "table", "ip", "dosirak"]).output
    }
}

/// Processes whose command line mentions `text` (a test's state root, say).
func processes(mentioning text: String) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(pid_t.init).filter { pid in
        guard pid != getpid(), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
    }
}

/// A container for the tests: the helper in new network, UTS, PID and mount namespaces,
/// held until its network is attached and its /etc files written, then running `command`
/// (a helper subcommand) with those files bind-mounted.
final class TestContainer: @unchecked Sendable {
    let id: String
    let name: String
    let network: String
    let process: SpawnedProcess
    let output: FileDescriptor
    let host: TestHost
    var attachment: Network.Attachment?
    private var buffered = ""

    init(_ host: TestHost, name: String, network: String, ports: [PortMapping] = [], aliases: [String] = [],
         command: [String]) throws {
        self.host = host
        self.name = name
        self.network = network
        id = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let files = host.root + "/containers/\(id)"
        let (read, write) = try FileDescriptor.pipe()
        output = read
        var spawn = Spawn(helper, arguments: ["container", files, name, "--", helper] + command)
        spawn.namespaces = [.network, .uts, .pid, .mount]
        spawn.holdUntilReleased = true
        spawn.fileDescriptors = [0: .standardInput, 1: write, 2: write]
        process = try spawn.start()
        try? write.close()
        do {
            var request = AttachRequest(containerID: id, containerName: name, hostname: name, network: network,
                                        namespace: .of(pid: process.pid.rawValue), process: ProcessIdentity.of(process.pid.rawValue))
            request.ports = ports
            request.aliases = aliases
            request.filesDirectory = files
            attachment = try host.store.attach(request)
            try process.release()
        } catch {
            process.abandon()
            try? output.close()
            throw error
        }
    }

    var address: IPv4Address { attachment!.endpoint.address }

    /// Reads the container's output until a line equal to `line` (a server's "ready").
    func wait(for line: String) throws {
        while !buffered.split(separator: "\n").contains(Substring(line)) {
            let chunk = try output.read(upTo: 4096)
            if chunk.isEmpty { throw NetworkError.invalid("container \(name) ended before \(line): \(buffered)") }
            buffered += String(decoding: chunk, as: UTF8.self)
        }
    }

    /// Waits for a one-shot container to end; returns its output.
    func finish() throws -> (WaitStatus, String) {
        stopped = true
        let rest = String(decoding: try output.readAll(), as: UTF8.self)
        let status = try process.wait()
        try? output.close()
        detach()
        return (status, (buffered + rest).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Detaches the container; a failure is recorded, not swallowed (a test that detached it
    /// already is fine). A failed detach leaves the DNS names and rules as they were, and the
    /// test's next expectation would fail without saying why.
    private func detach() {
        do {
            try host.store.detach(containerID: id, network: network)
        } catch NetworkError.notAttached(_, _) {
        } catch {
            Issue.record("detaching \(name) from \(network): \(error)")
        }
    }

    private var stopped = false

    /// Kills the container and detaches it; a second call does nothing (closing its pidfd
    /// twice could close a descriptor another test has since been given).
    func stop() {
        guard !stopped else { return }
        stopped = true
        try? process.pid.send(.kill)
        _ = try? process.wait()
        try? output.close()
        detach()
    }
}

/// Starts the helper's server in `namespace` and returns once it says "ready".
func startServer(in namespace: TestNamespace, _ arguments: [String]) throws -> SpawnedProcess {
    let (read, write) = try FileDescriptor.pipe()
    defer { try? read.close() }
    let server = try namespace.namespace.perform {
        var spawn = Spawn(helper, arguments: arguments)
        spawn.fileDescriptors[1] = write
        return try spawn.start()
    }
    try write.close()
    let first = try read.read(upTo: 6)
    guard String(decoding: first, as: UTF8.self) == "ready\n" else {
        try? server.pid.send(.kill)
        _ = try? server.wait()
        throw NetworkError.invalid("server \(arguments) did not start")
    }
    return server
}
