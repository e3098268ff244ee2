import Foundation
import Glibc
import Network
import Syscalls

/// `network-demo bench` (`make bench`): the cost of a published port. The same busybox
/// httpd serves the same files in a container behind `-p 127.0.0.1:8080:80` and directly
/// on the (demo's) host, and one client on the host fetches from both in the same run: a
/// 100 MiB file for throughput, a small one for requests per second. Everything runs
/// inside a network namespace of the bench's own.
///
/// Two more targets take the published path apart and check the bench itself: the
/// container's own address (the veth pair and the bridge, without NAT), and a second
/// server on the host, which should come out at 1.00x the first: what it shows instead is
/// the noise of the run.
enum Bench {
    static let bigSize = 100 << 20
    /// GETs of the big file per target and round: one takes about 25 ms, short enough for a
    /// timer or a kernel thread to move a single figure by a tenth.
    static let bigGets = 3
    static let rounds = 31
    static let requests = 300
    /// A pause before each measurement, in microseconds, for the kernel's deferred work
    /// (closing connections, freeing buffers) of the one before.
    static let settle: UInt32 = 10_000

    struct Target {
        let name: String
        let label: String
        let address: IPv4Address
        let port: UInt16
    }

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
        // The path without NAT goes to a second, identical container. Sent to the first one, its
        // connections (from the gateway's address, like the published port's once rewritten) would
        // share port numbers with the published port's within TIME_WAIT, and clash in conntrack and
        // in the container's TCP: a refused SYN costs a retry a second later.
        let direct = try Container.start("direct", network: "bench", store: store, state: state, command: server)
        defer { direct.stop(store) }
        _ = try direct.read(until: "ready")
        // The same program with the same environment and the same kind of listening socket as in
        // the container (`-p PORT`: every address, IPv6 and IPv4 on one socket; this namespace is
        // the bench's own), so that only the path differs.
        var hosts: [SpawnedProcess] = []
        defer {
            for host in hosts {
                try? host.pid.send(.kill)
                _ = try? host.wait()
            }
        }
        for port in ["9090", "9091"] {
            var spawn = Spawn(busybox, arguments: ["httpd", "-f", "-p", port, "-h", www],
                              environment: ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"])
            spawn.parentDeathSignal = .kill
            hosts.append(try spawn.start())
        }

        let docker = withDocker ? DockerReference.start(state: state, www: www) : .failure(DemoError("--no-docker"))
        defer { if case .success(let engine) = docker { engine.stop() } }

        let inside = direct.attachment.endpoint.address
        var targets = [
            Target(name: "host", label: "host, 127.0.0.1:9090 (no container)", address: .loopback, port: 9090),
            Target(name: "host again", label: "host again, 127.0.0.1:9091 (same server)", address: .loopback, port: 9091),
            Target(name: "no NAT", label: "a container's own address, \(inside):80", address: inside, port: 80),
            Target(name: "dosirak", label: "dosirak, published 127.0.0.1:8080", address: .loopback, port: 8080),
        ]
        if case .success = docker {
            targets.append(Target(name: "docker", label: "docker, published 127.0.0.1:\(DockerReference.port)",
                                  address: .loopback, port: DockerReference.port))
        }
        // Wait until each server answers, and warm up every path (page cache, conntrack).
        for target in targets {
            for _ in 0..<100 {
                if let bytes = try? get(target, path: "/small"), bytes > 0 { break }
                usleep(100_000)
            }
            _ = try get(target, path: "/big")
        }

        // The client on one CPU, the servers on another, all ahead of other work (Scheduling).
        var servers = [container.process.pid.rawValue, direct.process.pid.rawValue] + hosts.map(\.pid.rawValue), proxies: [pid_t] = []
        if case .success(let engine) = docker { (servers, proxies) = (servers + [engine.server].compactMap { $0 }, engine.proxies) }
        let scheduling = Scheduling.measure(client: getpid(), servers: servers, others: proxies)
        defer { scheduling.end() }

        print("network bench: busybox httpd, one client, in the bench's own network namespace")
        print("  (\(rounds) rounds; in each, every target in turn, in a new order: \(bigGets) GETs of a \(bigSize >> 20) MiB file,")
        print("  then \(requests) GETs of a 3-byte file; \(scheduling.summary))")
        var throughput: [String: [Double]] = [:], rates: [String: [Double]] = [:]
        for _ in 0..<rounds {
            // A new order every round: a target that always came right after Docker's (whose
            // proxy and connections take a moment to wind down) would always start a little late.
            let order = targets.shuffled()
            for target in order {
                usleep(settle)
                let start = now()
                var bytes = 0
                for _ in 0..<bigGets {
                    let got = try get(target, path: "/big")
                    guard got >= bigSize else { throw DemoError("short read from \(target.label): \(got) bytes") }
                    bytes += got
                }
                throughput[target.name, default: []].append(Double(bytes) / 1_048_576 / (now() - start))
            }
            for target in order {
                usleep(settle)
                let start = now()
                for _ in 0..<requests { _ = try get(target, path: "/small") }
                rates[target.name, default: []].append(Double(requests) / (now() - start))
            }
        }

        func row(_ label: String, _ a: String, _ b: String) {
            print("  " + label.padding(toLength: 42, withPad: " ", startingAt: 0) + pad(a, 8) + pad(b, 19))
        }
        row("", "MiB/s", "requests/s")
        for target in targets {
            row(target.label, String(format: "%.0f", median(throughput[target.name]!)),
                String(format: "%.0f", median(rates[target.name]!)))
        }
        print("  against the host in the same round: median (middle half of the rounds)")
        for target in targets.dropFirst() {
            row("\(target.name) / host", ratio(throughput[target.name]!, throughput["host"]!),
                ratio(rates[target.name]!, rates["host"]!))
        }
        if case .failure(let reason) = docker {
            print("  docker: not measured: \(reason)")
        } else {
            print("  docker: a private dockerd in the bench's namespaces; 127.0.0.1 goes through its docker-proxy")
        }
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// "0.98x (0.97-1.00)": the median of the rounds' ratios, and their middle half.
    static func ratio(_ values: [Double], _ host: [Double]) -> String {
        let ratios = zip(values, host).map { $0 / $1 }.sorted()
        let n = ratios.count
        return String(format: "%.2fx (%.2f-%.2f)", ratios[n / 2], ratios[n / 4], ratios[(3 * n) / 4])
    }

    static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// Seconds on the monotonic clock.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// One receive buffer for every request, so that the client's own cost per request is
    /// a system call, not an allocation that would dilute the difference between targets.
    nonisolated(unsafe) static var buffer = [UInt8](repeating: 0, count: 1 << 18)

    /// One HTTP/1.0 GET to the target; the number of bytes that came back.
    static func get(_ target: Target, path: String) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DemoError("socket: \(Errno.current)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = target.port.bigEndian
        address.sin_addr.s_addr = target.address.value.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw DemoError("connect \(target.address):\(target.port): \(Errno.current)") }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: bench\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var total = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            total += n
        }
        return total
    }
}
