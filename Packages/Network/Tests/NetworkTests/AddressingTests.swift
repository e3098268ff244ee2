import Foundation
import Syscalls
import Testing
@testable import Network

@Suite("Addresses, subnets, port mappings and generated files")
struct AddressingTests {
    @Test("subnets: containment, overlap, first and last hosts")
    func subnets() throws {
        let subnet = try #require(Subnet("172.18.5.9/16"))
        #expect(subnet.description == "172.18.0.0/16")
        #expect(subnet.firstHost == IPv4Address("172.18.0.1") && subnet.lastHost == IPv4Address("172.18.255.254"))
        #expect(subnet.contains(IPv4Address("172.18.200.1")!) && !subnet.contains(IPv4Address("172.19.0.1")!))
        #expect(subnet.overlaps(Subnet("172.0.0.0/8")!) && !subnet.overlaps(Subnet("172.19.0.0/16")!))
        #expect(Subnet("10.0.0.0/33") == nil && IPv4Address("1.2.3") == nil && IPv4Address("1.2.3.256") == nil)
    }

    @Test("the pool skips subnets in use", arguments: [
        ([], "172.17.0.0/16"),
        (["172.17.0.0/16"], "172.18.0.0/16"),
        (["172.16.0.0/12"], "192.168.0.0/20"),
        (["172.16.0.0/12", "192.168.0.0/24"], "192.168.16.0/20"),
    ])
    func pool(used: [String], expected: String) {
        #expect(SubnetPool.first(in: SubnetPool.docker, avoiding: used.map { Subnet($0)! }) == Subnet(expected))
    }

    @Test("port mappings parse as docker run -p does", arguments: [
        ("8080:80", nil, 8080, 80, PortMapping.Transport.tcp),
        ("127.0.0.1:8080:80", "127.0.0.1", 8080, 80, .tcp),
        ("5353:53/udp", nil, 5353, 53, .udp),
        ("0.0.0.0:443:8443/tcp", nil, 443, 8443, .tcp),
        ("80", nil, 0, 80, .tcp),
        ("127.0.0.1::53/udp", "127.0.0.1", 0, 53, .udp),
    ] as [(String, String?, UInt16, UInt16, PortMapping.Transport)])
    func ports(text: String, address: String?, host: UInt16, container: UInt16, transport: PortMapping.Transport) throws {
        let port = try PortMapping(parsing: text)
        #expect(port == PortMapping(hostAddress: address.flatMap(IPv4Address.init), hostPort: host, containerPort: container, transport: transport))
    }

    @Test("bad port mappings are one-line errors naming the input", arguments: ["a:80", "1:2:3:4", "8080:80/sctp", "0:80", "x.y:1:2", "80:0"])
    func badPorts(text: String) {
        #expect(throws: NetworkError.self) { try PortMapping(parsing: text) }
        do { _ = try PortMapping(parsing: text) } catch { #expect("\(error)".contains(text)) }
    }

    @Test("a container's /etc files: its name, its address, the gateway as its resolver")
    func files() {
        let files = ContainerFiles(hostname: "db", address: IPv4Address("172.18.0.2"), nameserver: IPv4Address("172.18.0.1"),
                                   hostResolvConf: "nameserver 127.0.0.53\nsearch corp.example\noptions edns0\n")
        #expect(files.hostname == "db\n")
        #expect(files.hosts.contains("127.0.0.1\tlocalhost") && files.hosts.hasSuffix("172.18.0.2\tdb\n"))
        #expect(files.resolvConf == "nameserver 172.18.0.1\nsearch corp.example\noptions edns0\n")
        // On the default network there is no responder: the host's resolvers, minus loopback.
        let plain = ContainerFiles(hostname: "x", address: IPv4Address("172.17.0.2"), nameserver: nil,
                                   hostResolvConf: "nameserver 127.0.0.53\nnameserver 10.0.0.2\n")
        #expect(plain.resolvConf == "nameserver 10.0.0.2\n")
    }

    @Test("veth names are ours, 14 characters, stable per container and network")
    func interfaceNames() {
        let tag = NetworkStore.interfaceTag(container: "abc", network: "def")
        #expect(tag.count == 12 && tag == NetworkStore.interfaceTag(container: "abc", network: "def"))
        #expect(tag != NetworkStore.interfaceTag(container: "abc", network: "deg"))
        #expect(NetworkStore.isOurs("dv" + tag) && !NetworkStore.isOurs("eth0") && !NetworkStore.isOurs("dvxyz"))
    }
}

@Suite("IPAM")
struct AddressAllocatorTests {
    @Test("addresses survive a restart, are released, and a full subnet is a clear error")
    func lifecycle() throws {
        try withTemporaryDirectory { directory in
            let subnet = Subnet("10.9.0.0/29")!  // hosts .1 to .6, .1 the gateway
            let ipam = AddressAllocator(directory: directory, subnet: subnet, gateway: subnet.firstHost)
            let first = try ipam.allocate(for: "a")
            #expect(first == IPv4Address("10.9.0.2"))
            #expect(try ipam.allocate(for: "a") == first)
            // Another allocator over the same directory (a later command) sees the same table.
            let again = AddressAllocator(directory: directory, subnet: subnet, gateway: subnet.firstHost)
            #expect(try again.allocate(for: "b") == IPv4Address("10.9.0.3"))
            for owner in ["c", "d", "e"] { _ = try again.allocate(for: owner) }
            #expect(throws: NetworkError.subnetFull(network: "n", subnet: subnet)) { try again.allocate(for: "f", network: "n") }
            #expect("\(NetworkError.subnetFull(network: "n", subnet: subnet))" == "network n: subnet 10.9.0.0/29 is full")
            try ipam.release("b")
            #expect(try again.allocate(for: "f") == IPv4Address("10.9.0.3"))
            #expect(try ipam.allocations().count == 5)
        }
    }

    @Test("30 processes allocating at once get 30 different addresses", .timeLimit(.minutes(2)))
    func concurrent() throws {
        try withTemporaryDirectory { directory in
            let children = try (0..<30).map { i -> (SpawnedProcess, FileDescriptor) in
                let (read, write) = try FileDescriptor.pipe()
                var spawn = Spawn(helper, arguments: ["allocate", directory, "10.30.0.0/24", "container-\(i)"])
                spawn.fileDescriptors[1] = write
                let child = try spawn.start()
                try write.close()
                return (child, read)
            }
            var addresses: [String] = []
            for (child, read) in children {
                addresses.append(String(decoding: try read.readAll(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
                try read.close()
                #expect(try child.wait() == .exited(0))
            }
            #expect(Set(addresses).count == 30)
            let table = try AddressAllocator(directory: directory, subnet: Subnet("10.30.0.0/24")!,
                                             gateway: IPv4Address("10.30.0.1")!).allocations()
            #expect(Set(table.keys.map(\.description)) == Set(addresses))
            #expect(table.keys.allSatisfy { $0 >= IPv4Address("10.30.0.2")! && $0 <= IPv4Address("10.30.0.31")! })
        }
    }
}

@Suite("--network none and host")
struct NetworkModeTests {
    @Test("--network values parse as Docker's", arguments: [
        ("none", NetworkMode.none), ("host", .host), ("bridge", .bridge("bridge")), ("default", .bridge("bridge")),
        ("web", .bridge("web")),
    ])
    func parse(text: String, mode: NetworkMode) throws {
        #expect(try NetworkMode(parsing: text) == mode)
    }

    @Test("an unusable network name is an error")
    func badName() {
        #expect(throws: NetworkError.self) { try NetworkMode(parsing: "no/slash") }
    }

    @Test("none: only lo, and it is up; host: the host's resolv.conf as it is", .enabled(if: isRoot, "needs root"))
    func loopbackOnly() throws {
        let container = try TestNamespace()
        defer { container.close() }
        // TestNamespace brings lo up itself; take it down to see configureLoopbackOnly do it.
        try container.namespace.socket().setUp("lo", false)
        try NetworkMode.configureLoopbackOnly(container.namespace)
        let links = try container.namespace.socket().links()
        #expect(links.map(\.name) == ["lo"] && links[0].isUp)
        let host = ContainerFiles(hostname: "h", mode: .host, hostResolvConf: "nameserver 127.0.0.53\n")
        #expect(host.resolvConf == "nameserver 127.0.0.53\n")
        #expect(ContainerFiles(hostname: "n", mode: .none, hostResolvConf: "nameserver 10.0.0.1\n").resolvConf == "")
    }
}

@Suite("Bad input to the store")
struct StoreInputTests {
    @Test("a container id that could name another path is refused before anything is written")
    func badContainerID() throws {
        try withTemporaryDirectory { root in
            let store = NetworkStore(root: root + "/networks")
            let request = AttachRequest(containerID: "../../etc", containerName: "x", network: "bridge", namespace: .current)
            #expect(throws: NetworkError.invalid("container id \"../../etc\": letters and digits only")) { try store.attach(request) }
            #expect(!FileManager.default.fileExists(atPath: root + "/networks"))
        }
    }

    @Test("a network that does not exist is named in the error")
    func noSuchNetwork() throws {
        try withTemporaryDirectory { root in
            let store = NetworkStore(root: root + "/networks")
            #expect(throws: NetworkError.noSuchNetwork("nope")) { try store.remove("nope") }
            #expect("\(NetworkError.noSuchNetwork("nope"))" == "network nope: no such network")
        }
    }
}
