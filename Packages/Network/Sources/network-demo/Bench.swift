import Foundation
import Glibc
import Network
import Syscalls

/// `network-demo bench` (`make bench`): the cost of a published port. The same busybox
/// httpd serves the same files twice, once in a container behind `-p 127.0.0.1:8080:80`
/// and once directly on the (demo's) host, and one client on the host fetches from both,
/// in alternation, in the same run: a 100 MiB file for throughput, a small one for
/// requests per second. Everything runs inside a network namespace of the bench's own.
enum Bench {
    static let bigSize = 100 << 20
    static let rounds = 9
    static let requests = 300

    static func run(docker withDocker: Bool = true) throws {
        try Namespace.unshare([.network])
        try NetlinkSocket().setUp("lo")
        let state = "/tmp/dosirak-network-bench-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let www = state + "/www"
        try FileManager.default.createDirectory(atPath: www, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: www + "/big", contents: Data(repeating: 0x61, count: bigSize))
        try "ok\n".write(toFile: www + "/small", atomically: true, encoding: .utf8)

        let store = NetworkStore(root: state + "/networks", dnsCommand: nil)
        try store.create(name: "bench")
        let server = [busybox, "sh", "-c", "echo ready; exec \(busybox) httpd -f -p 80 -h \(www)"]
        let container = try Container.start("server", network: "bench", ports: [try PortMapping(parsing: "127.0.0.1:8080:80")],
                                            store: store, state: state, command: server)
        defer { container.stop(store); try? store.remove("bench") }
        _ = try container.read(until: "ready")
        // The same program with the same environment as in the container, so that only the path differs.
        var hostServer = Spawn(busybox, arguments: ["httpd", "-f", "-p", "127.0.0.1:9090", "-h", www],
                               environment: ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"])
        hostServer.parentDeathSignal = .kill
        let host = try hostServer.start()
        defer { try? host.pid.send(.kill); _ = try? host.wait() }

        let docker = withDocker ? DockerReference.start(state: state, www: www) : .failure(DemoError("--no-docker"))
        defer { if case .success(let engine) = docker { engine.stop() } }

        print("network bench: busybox httpd, one client, in the bench's own network namespace")
        print("  (\(rounds) rounds, alternating: a GET of a \(bigSize >> 20) MiB file; \(requests) GETs of a 3-byte file; medians)")
        var throughput: [String: [Double]] = [:], rates: [String: [Double]] = [:]
        var targets = [("host", UInt16(9090)), ("published", UInt16(8080))]
        if case .success = docker { targets.append(("docker", DockerReference.port)) }
        // Wait until each server answers, warm up every path (page cache, conntrack), then alternate.
        for (_, port) in targets {
            for _ in 0..<100 {
                if let bytes = try? get(port: port, path: "/small"), bytes > 0 { break }
                usleep(100_000)
            }
            _ = try get(port: port, path: "/big")
        }
        for _ in 0..<rounds {
            for (name, port) in targets {
                let start = Date()
                let bytes = try get(port: port, path: "/big")
                guard bytes >= bigSize else { throw DemoError("short read from port \(port): \(bytes) bytes") }
                throughput[name, default: []].append(Double(bytes) / 1_048_576 / Date().timeIntervalSince(start))
            }
        }
        for _ in 0..<rounds {
            for (name, port) in targets {
                let start = Date()
                for _ in 0..<requests { _ = try get(port: port, path: "/small") }
                rates[name, default: []].append(Double(requests) / Date().timeIntervalSince(start))
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        func row(_ label: String, _ a: String, _ b: String) {
            print("  " + label.padding(toLength: 38, withPad: " ", startingAt: 0) + pad(a, 8) + pad(b, 13))
        }
        let hostMB = median(throughput["host"]!), hostRate = median(rates["host"]!)
        row("", "MiB/s", "requests/s")
        row("host, 127.0.0.1:9090 (no container)", String(format: "%.0f", hostMB), String(format: "%.0f", hostRate))
        let labels = ["published": "dosirak, published 127.0.0.1:8080", "docker": "docker, published 127.0.0.1:8081"]
        for (name, _) in targets.dropFirst() {
            row(labels[name]!, String(format: "%.0f", median(throughput[name]!)), String(format: "%.0f", median(rates[name]!)))
        }
        for (name, _) in targets.dropFirst() {
            row("\(name == "docker" ? "docker" : "dosirak") / host", String(format: "%.2fx", median(throughput[name]!) / hostMB),
                String(format: "%.2fx", median(rates[name]!) / hostRate))
        }
        if case .failure(let reason) = docker {
            print("  docker: not measured: \(reason)")
        } else {
            print("  docker: a private dockerd in the bench's namespaces; 127.0.0.1 goes through its docker-proxy")
        }
    }

    static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// One HTTP/1.0 GET to 127.0.0.1:`port`; the number of bytes that came back.
    static func get(port: UInt16, path: String) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DemoError("socket: \(Errno.current)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = IPv4Address.loopback.value.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw DemoError("connect 127.0.0.1:\(port): \(Errno.current)") }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: bench\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 18)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            total += n
        }
        return total
    }
}
