import Foundation
import Glibc
import Syscalls
import Testing
@testable import Network

/// Containers on networks, end to end, each test in a pretend host of its own.
@Suite("Containers on networks", .enabled(if: isRoot && hasNft, "needs root and nft"), .timeLimit(.minutes(3)))
struct ContainerNetworkTests {
    @Test("networks: create picks a free subnet, skipping what the host routes; ls, inspect, rm")
    func networkLifecycle() throws {
        let host = try TestHost()
        defer { host.close() }
        // The host already routes 172.17.0.0/16 (Docker's own default, say).
        let netlink = try host.namespace.namespace.socket()
        try netlink.createBridge(named: "docker0")
        try netlink.addAddress(IPv4Address("172.17.0.1")!, prefixLength: 16, to: "docker0")
        try netlink.setUp("docker0")

        let web = try host.store.create(name: "web")
        #expect(web.subnet == Subnet("172.18.0.0/16") && web.gateway == IPv4Address("172.18.0.1"))
        // 172.18 is taken now, and 172.19 is routed by the host: the next one is 172.20.
        try netlink.addRoute(to: Subnet("172.19.0.0/16"), via: nil, device: "docker0")
        #expect(try host.store.create(name: "next").subnet == Subnet("172.20.0.0/16"))
        let given = try host.store.create(name: "given", subnet: Subnet("10.77.0.0/24"))
        #expect(given.gateway == IPv4Address("10.77.0.1"))
        #expect(throws: NetworkError.networkExists("web")) { try host.store.create(name: "web") }
        #expect(throws: NetworkError.self) { try host.store.create(name: "clash", subnet: Subnet("10.77.0.128/25")) }
        #expect(throws: NetworkError.self) { try host.store.create(name: "bad name!") }
        #expect(try host.store.list().map(\.name) == ["given", "next", "web"])

        // The kernel holds the bridge with the gateway address, up.
        #expect(try host.namespace.ip("-o addr show dev \(web.bridge)").contains("172.18.0.1/16"))
        #expect(try netlink.link(named: web.bridge)?.isUp == true)
        #expect(try host.nftTable().contains("ip saddr 172.18.0.0/16 oifname != \"\(web.bridge)\" masquerade"))

        try host.store.remove("web")
        #expect(try netlink.link(named: web.bridge) == nil)
        #expect(try !host.nftTable().contains("172.18.0.0/16"))
        #expect(throws: NetworkError.noSuchNetwork("web")) { try host.store.remove("web") }
    }

    @Test("two containers on one network talk by IP and by name, and by alias")
    func talkByIPAndName() throws {
        let host = try TestHost()
        defer { host.close() }
        try host.store.create(name: "app")
        let server = try TestContainer(host, name: "db", network: "app", aliases: ["mysql"], command: ["serve", "tcp", "3306", "db"])
        defer { server.stop() }
        try server.wait(for: "ready")

        for target in [server.address.description, "db", "mysql", "DB"] {
            let client = try TestContainer(host, name: "wp-\(UUID().uuidString.prefix(4))", network: "app",
                                           command: ["request", "tcp", target, "3306"])
            let (status, output) = try client.finish()
            #expect(status == .exited(0), "\(target): \(output)")
            #expect(output.hasPrefix("db to 172.18.0."), "\(target): \(output)")
            #expect(!output.hasSuffix(" to 172.18.0.1"), "no NAT inside a network")
        }
        let inspected = try host.store.inspect("app")
        #expect(inspected.network.name == "app" && inspected.endpoints.map(\.containerName) == ["db"])
        #expect(inspected.endpoints.first?.aliases == ["mysql"])
        // The files the container sees are the generated ones.
        let files = try #require(server.attachment?.files)
        #expect(files.resolvConf.hasPrefix("nameserver 172.18.0.1\n"))
    }

    @Test("containers on two user networks cannot reach each other")
    func isolation() throws {
        let host = try TestHost()
        defer { host.close() }
        try host.store.create(name: "red")
        try host.store.create(name: "blue")
        let server = try TestContainer(host, name: "redserver", network: "red", command: ["serve", "tcp", "80", "red"])
        defer { server.stop() }
        try server.wait(for: "ready")
        let same = try TestContainer(host, name: "redclient", network: "red", command: ["request", "tcp", server.address.description, "80"])
        #expect(try same.finish().1.hasPrefix("red to "))
        let other = try TestContainer(host, name: "blueclient", network: "blue", command: ["request", "tcp", server.address.description, "80"])
        let (status, output) = try other.finish()
        #expect(status != .exited(0), "blue reached red: \(output)")
        // And blue cannot find red's names: they are not on its responder.
        let byName = try TestContainer(host, name: "bluename", network: "blue", command: ["request", "tcp", "redserver", "80"])
        #expect(try byName.finish().0 != .exited(0))
    }

    @Test("published TCP and UDP ports answer on the host's address, on 127.0.0.1, and from outside",
          arguments: [PortMapping.Transport.tcp, .udp])
    func publishedPorts(transport: PortMapping.Transport) throws {
        let host = try TestHost(withOutside: true)
        defer { host.close() }
        try host.store.create(name: "pub")
        let proto = transport.rawValue
        let server = try TestContainer(host, name: "web", network: "pub",
                                       ports: [PortMapping(hostPort: 8080, containerPort: 80, transport: transport)],
                                       command: ["serve", proto, "80", "web"])
        defer { server.stop() }
        try server.wait(for: "ready")
        for target in ["127.0.0.1", TestHost.hostAddress.description] {
            let (status, output) = try host.helperOnHost("request", proto, target, "8080")
            #expect(status == .exited(0) && output.hasPrefix("web to "), "from the host to \(target): \(output)")
        }
        let (status, output) = try host.outside!.run(helper, ["request", proto, TestHost.hostAddress.description, "8080"])
        #expect(status == .exited(0), "from outside: \(output)")
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "web to \(TestHost.outsideAddress)", "the container sees the client's own address")
        #expect(try host.nftTable().contains("\(proto) dport 8080 dnat to \(server.address):80"))

        // The same port again is a clear error, and leaves nothing behind.
        #expect(throws: NetworkError.self) {
            try TestContainer(host, name: "again", network: "pub",
                              ports: [PortMapping(hostPort: 8080, containerPort: 80, transport: transport)], command: ["serve", proto, "80", "x"])
        }
        #expect(try host.store.endpoints(of: "pub").count == 1)

        // Stopping the container takes its rule away.
        server.stop()
        #expect(try !host.nftTable().contains("dport 8080"))
    }

    @Test("containers reach published ports through a gateway: a neighbour's, their own, another network's")
    func throughTheGateway() throws {
        let host = try TestHost()
        defer { host.close() }
        let app = try host.store.create(name: "app")
        try host.store.create(name: "other")
        let db = try TestContainer(host, name: "db", network: "app", ports: [try PortMapping(parsing: "3306:3306")],
                                   command: ["serve", "tcp", "3306", "db"])
        defer { db.stop() }
        try db.wait(for: "ready")
        let gateway = app.gateway.description
        for (name, network) in [("wp", "app"), ("far", "other")] {
            let client = try TestContainer(host, name: name, network: network, command: ["request", "tcp", gateway, "3306"])
            let (status, output) = try client.finish()
            #expect(status == .exited(0) && output.hasPrefix("db to "), "\(name) on \(network): \(output)")
        }
        // The container itself, through the host and back by the same bridge port (hairpin).
        let itself = try TestContainer(host, name: "self", network: "app", ports: [try PortMapping(parsing: "3307:3307")],
                                       command: ["serve", "tcp", "3307", "self"])
        defer { itself.stop() }
        try itself.wait(for: "ready")
        let ns = NetworkNamespace.of(pid: itself.process.pid.rawValue)
        let (status, output) = try ns.perform { try Spawn(helper, arguments: ["request", "tcp", gateway, "3307"]).output(includeErrors: true) }
        #expect(status == .exited(0) && output.hasPrefix("self to \(gateway)"), "hairpin: \(output)")
    }

    @Test("-p with only a container port gets a free host port, which answers")
    func anyHostPort() throws {
        let host = try TestHost()
        defer { host.close() }
        try host.store.create(name: "any")
        let server = try TestContainer(host, name: "s", network: "any", ports: [try PortMapping(parsing: "80")],
                                       command: ["serve", "tcp", "80", "s"])
        defer { server.stop() }
        try server.wait(for: "ready")
        let port = try #require(server.attachment?.endpoint.ports.first?.hostPort)
        #expect(port >= 1024)
        let (status, output) = try host.helperOnHost("request", "tcp", "127.0.0.1", "\(port)")
        #expect(status == .exited(0) && output.hasPrefix("s to "), "\(output)")
    }

    @Test("a port a host program listens on cannot be published")
    func portInUseOnHost() throws {
        let host = try TestHost()
        defer { host.close() }
        try host.store.create(name: "busy")
        let listener = try startServer(in: host.namespace, ["serve", "tcp", "9090", "host"])
        defer { try? listener.pid.send(.kill); _ = try? listener.wait() }
        do {
            _ = try TestContainer(host, name: "c", network: "busy", ports: [try PortMapping(parsing: "9090:80")], command: ["serve", "tcp", "80", "c"])
            Issue.record("a port in use was published")
        } catch {
            #expect("\(error)" == "publish 0.0.0.0:9090->80/tcp: port is already allocated (a program on the host is bound to it)")
        }
        #expect(try host.store.endpoints(of: "busy").isEmpty)
        #expect(try host.namespace.namespace.socket().links().filter { $0.kind == "veth" }.isEmpty)
    }

    @Test("outbound traffic is masqueraded: the outside sees the host's address")
    func masquerade() throws {
        let host = try TestHost(withOutside: true)
        defer { host.close() }
        let outsideServer = try startServer(in: host.outside!, ["serve", "tcp", "9000", "outside"])
        defer { try? outsideServer.pid.send(.kill); _ = try? outsideServer.wait() }
        // The default network, as `docker run` without --network would use.
        let network = try host.store.defaultNetwork()
        #expect(network.bridge == "dosirak0" && network.subnet == Subnet("172.17.0.0/16"))
        let client = try TestContainer(host, name: "c", network: "bridge",
                                       command: ["request", "tcp", TestHost.outsideAddress.description, "9000"])
        let (status, output) = try client.finish()
        #expect(status == .exited(0) && output == "outside to \(TestHost.hostAddress)", "\(output)")
        #expect(try host.namespace.run("/bin/cat", ["/proc/sys/net/ipv4/ip_forward"]).output == "1\n")
    }

    @Test("the DNS responder starts with the first container, follows the records and stops with the last")
    func responderLifecycle() throws {
        let host = try TestHost()
        defer { host.close() }
        let network = try host.store.create(name: "names")
        let service = host.store.dnsService(for: network)
        #expect(!service.isRunning)
        let a = try TestContainer(host, name: "alpha", network: "names", command: ["serve", "tcp", "1", "a"])
        try a.wait(for: "ready")
        let responder = try #require(service.process)
        let b = try TestContainer(host, name: "beta", network: "names", command: ["serve", "tcp", "1", "b"])
        try b.wait(for: "ready")
        #expect(service.process == responder, "one responder per network")
        let answer = try host.namespace.namespace.perform { try DNSClient.resolve("beta", server: network.gateway) }
        #expect(answer == [b.address])
        a.stop()
        #expect(try host.namespace.namespace.perform { try DNSClient.resolve("beta", server: network.gateway) } == [b.address])
        #expect(throws: (any Error).self) { try host.namespace.namespace.perform { try DNSClient.resolve("alpha", server: network.gateway, timeout: 2500) } }
        b.stop()
        #expect(!responder.isAlive && !service.isRunning)
        #expect(throws: NetworkError.networkInUse("names", containers: ["gamma"])) {
            let c = try TestContainer(host, name: "gamma", network: "names", command: ["serve", "tcp", "1", "c"])
            defer { c.stop() }
            try c.wait(for: "ready")
            try host.store.remove("names")
        }
    }

    @Test("after a command is killed mid-setup, the next one removes what it left")
    func crashRecovery() throws {
        let host = try TestHost()
        defer { host.close() }
        try host.store.create(name: "crash")
        var sleeper = Spawn("/bin/sleep", arguments: ["60"])
        sleeper.namespaces = [.network]
        let container = try sleeper.start()
        // wait() closes the child's pidfd: a second one would close whatever descriptor another
        // test has been given that number since (a netlink socket failed with EBADF that way).
        var waited = false
        defer { if !waited { try? container.pid.send(.kill); _ = try? container.wait() } }

        // The attaching command dies (SIGKILL) right after creating the veth pair.
        let (status, _) = try host.namespace.namespace.perform {
            var spawn = Spawn(helper, arguments: ["attach", host.store.root, "crash", "deadbeef", "victim", "\(container.pid)", "-p", "7070:80"])
            spawn.environment.append("DOSIRAK_FAILPOINT=attach-veth")
            return try spawn.output(includeErrors: true)
        }
        #expect(status == .signaled(.kill, coreDumped: false))
        let netlink = try host.namespace.namespace.socket()
        #expect(try netlink.links().contains { $0.kind == "veth" && $0.name.hasPrefix("dv") }, "the crash left a veth")
        #expect(try host.store.endpoints(of: "crash").count == 1, "and a half-done endpoint")

        let report = try host.store.recover()
        #expect(report == ["endpoint victim on crash: setup was interrupted"])
        #expect(try !netlink.links().contains { $0.kind == "veth" })
        #expect(try host.store.endpoints(of: "crash").isEmpty)
        #expect(try AddressAllocator(directory: host.store.root + "/crash", subnet: Subnet("172.17.0.0/16")!,
                                     gateway: IPv4Address("172.17.0.1")!).allocations().isEmpty)

        // A container that died without being detached: its rules go with the next command.
        let (attached, _) = try host.namespace.namespace.perform {
            try Spawn(helper, arguments: ["attach", host.store.root, "crash", "cafe", "gone", "\(container.pid)", "-p", "7071:80"]).output()
        }
        #expect(attached == .exited(0))
        #expect(try host.nftTable().contains("dport 7071"))
        try container.pid.send(.kill)
        waited = true
        _ = try container.wait()
        try host.store.create(name: "later")
        #expect(try host.store.endpoints(of: "crash").isEmpty)
        #expect(try !host.nftTable().contains("dport 7071"))
    }

    @Test("detaching an exited container waits for its namespace to take the veth, or deletes it if it stays",
          arguments: [false, true])
    func detachExited(namespaceHeld: Bool) throws {
        let host = try TestHost()
        defer { host.close() }
        let netlink = try host.namespace.namespace.socket()
        try host.store.create(name: "gone")
        let container = try TestContainer(host, name: "g", network: "gone", command: ["serve", "tcp", "80", "g"])
        try container.wait(for: "ready")
        let veth = container.attachment!.endpoint.hostInterface
        // An open descriptor of its network namespace keeps it (and the veth) alive.
        let held = namespaceHeld ? try FileDescriptor.open("/proc/\(container.process.pid)/ns/net") : nil
        defer { try? held?.close() }
        try container.process.pid.send(.kill)
        _ = try container.process.wait()
        try host.store.detach(containerID: container.id, network: "gone", exited: true)
        #expect(try netlink.link(named: veth) == nil)
        #expect(try host.store.endpoints(of: "gone").isEmpty)
        try? container.output.close()
        try host.store.remove("gone")
    }

    @Test("cleanup leaves no link, rule, responder or state behind")
    func cleanup() throws {
        let host = try TestHost()
        let netlink = try host.namespace.namespace.socket()
        try host.store.create(name: "tidy")
        let server = try TestContainer(host, name: "s", network: "tidy", ports: [try PortMapping(parsing: "8081:80")],
                                       command: ["serve", "tcp", "80", "s"])
        try server.wait(for: "ready")
        #expect(!processes(mentioning: host.root + "/networks/tidy/dns").isEmpty, "a responder runs")
        server.stop()
        try host.store.remove("tidy")
        #expect(try netlink.links().map(\.name) == ["lo"])
        #expect(try host.namespace.run("/usr/sbin/nft", ["list", "tables"]).output.isEmpty)
        #expect(processes(mentioning: host.root).isEmpty)
        #expect(try host.store.list().isEmpty)
        host.close()
    }
}

@Suite("Many containers at once", .enabled(if: isRoot && hasNft, "needs root and nft"), .timeLimit(.minutes(3)))
struct ConcurrentAttachTests {
    @Test("30 containers attached by 30 commands at once get 30 addresses, each really on its eth0")
    func thirtyAtOnce() throws {
        let host = try TestHost()
        defer { host.close() }
        try host.store.create(name: "crowd", subnet: Subnet("10.40.0.0/24"))
        var sleepers: [SpawnedProcess] = []
        defer { for s in sleepers { try? s.pid.send(.kill); _ = try? s.wait() } }
        for _ in 0..<30 {
            var spawn = Spawn("/bin/sleep", arguments: ["120"])
            spawn.namespaces = [.network]
            sleepers.append(try spawn.start())
        }
        // Thirty `attach` commands, as thirty `dosirak run` would be, all started before any ends.
        let commands = try sleepers.enumerated().map { i, sleeper -> (SpawnedProcess, FileDescriptor) in
            let (read, write) = try FileDescriptor.pipe()
            let child = try host.namespace.namespace.perform {
                var spawn = Spawn(helper, arguments: ["attach", host.store.root, "crowd", "c\(i)", "c\(i)", "\(sleeper.pid)"])
                spawn.fileDescriptors[1] = write
                return try spawn.start()
            }
            try write.close()
            return (child, read)
        }
        var addresses: [Int: IPv4Address] = [:]
        for (i, (child, read)) in commands.enumerated() {
            let text = String(decoding: try read.readAll(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            try read.close()
            #expect(try child.wait() == .exited(0), "attach c\(i): \(text)")
            addresses[i] = IPv4Address(text)
        }
        #expect(Set(addresses.values).count == 30)
        // What each container's namespace really holds.
        for (i, sleeper) in sleepers.enumerated() {
            let inside = try NetworkNamespace.of(pid: sleeper.pid.rawValue).socket()
            let held = try inside.addresses().filter { $0.label == "eth0" }.map(\.address)
            #expect(held == [addresses[i]].compactMap { $0 }, "container c\(i)")
        }
        #expect(try host.store.endpoints(of: "crowd").count == 30)
    }
}

@Suite("State across restarts", .enabled(if: isRoot && hasNft, "needs root and nft"), .timeLimit(.minutes(2)))
struct RestartTests {
    @Test("after a reboot (the kernel forgot bridges and rules), the next container brings them back")
    func reboot() throws {
        let host = try TestHost()
        defer { host.close() }
        let first = try host.store.create(name: "one")
        let second = try host.store.create(name: "two")
        let old = try TestContainer(host, name: "old", network: "one", command: ["serve", "tcp", "80", "old"])
        defer { old.stop() }
        try old.wait(for: "ready")
        // The "reboot": links and rules gone, the state on disk still there.
        let netlink = try host.namespace.namespace.socket()
        try netlink.deleteLink(first.bridge)
        try netlink.deleteLink(second.bridge)
        try host.store.firewall.remove()
        // A fresh store over the same root, as a new `dosirak` process would have.
        var store = NetworkStore(root: host.store.root, host: host.store.host, dnsCommand: host.store.dnsCommand)
        store.hostResolvConf = host.resolvConf
        host.store = store
        let server = try TestContainer(host, name: "back", network: "one", command: ["serve", "tcp", "80", "back"])
        defer { server.stop() }
        try server.wait(for: "ready")
        #expect(try netlink.link(named: first.bridge)?.isUp == true)
        #expect(old.address == IPv4Address("172.18.0.2") && server.address == IPv4Address("172.18.0.3"),
                "the IPAM table on disk still holds the address of the container that lived on")
        let client = try TestContainer(host, name: "client", network: "one", command: ["request", "tcp", "back", "80"])
        #expect(try client.finish().1.hasPrefix("back to "))
        #expect(try host.nftTable().contains("masquerade"))
    }
}
