import FoundationEssentials
import Glibc
import Syscalls

/// Dosirak's networks: their state on disk, and the links, rules and DNS responders that
/// state stands for. Every command that changes anything takes one lock (`flock` on
/// `ROOT/lock`), so two `dosirak` commands never interleave their changes.
///
///     ROOT/lock
///     ROOT/NAME/network.json          the network: subnet, gateway, bridge
///     ROOT/NAME/addresses.json        IPAM: address -> container (AddressAllocator)
///     ROOT/NAME/endpoints/ID.json     one attached container
///     ROOT/NAME/dns/records.json      names for the DNS responder, and its pid file
///
///     let store = NetworkStore(root: "/var/lib/dosirak/networks")
///     let web = try store.create(name: "web")          // 172.18.0.0/16, bridge dsk-1a2b3c4d
///     let attachment = try store.attach(AttachRequest(containerID: id, containerName: "db",
///                                        network: "web", namespace: .of(pid: pid)))
public struct NetworkStore: Sendable {
    public static let defaultRoot = "/var/lib/dosirak/networks"

    public let root: String
    /// The namespace that plays the host: the current one, except in tests and the demo.
    public let host: NetworkNamespace
    public var firewall: Firewall
    /// The program that runs a DNS responder, and the arguments before the responder's
    /// own (`["/usr/bin/dosirak", "dns"]`); nil: no DNS responders.
    public var dnsCommand: [String]?
    /// Where the host's resolvers are listed.
    public var hostResolvConf = "/etc/resolv.conf"
    /// Subnets handed to new networks, in order, skipping any in use on the host.
    public var pool = SubnetPool.docker

    public init(root: String = NetworkStore.defaultRoot, host: NetworkNamespace = .current, dnsCommand: [String]? = nil) {
        self.root = root
        self.host = host
        self.firewall = Firewall(host: host)
        firewall.appliedFile = root + "/firewall.applied"
        self.dnsCommand = dnsCommand
    }

    func directory(of network: String) -> String { root + "/" + network }
    func networkFile(_ network: String) -> String { directory(of: network) + "/network.json" }
    func endpointsDirectory(_ network: String) -> String { directory(of: network) + "/endpoints" }
    func endpointFile(_ network: String, _ container: String) -> String { endpointsDirectory(network) + "/\(container).json" }

    func allocator(for network: BridgeNetwork) -> AddressAllocator {
        AddressAllocator(directory: directory(of: network.name), subnet: network.subnet, gateway: network.gateway)
    }

    /// Runs `body` holding the store's lock.
    func locked<T>(_ body: () throws -> T) throws -> T {
        try StateFile.makeDirectory(root)
        let lock: FileLock
        do {
            lock = try FileLock.acquire(root + "/lock")
        } catch let error as Errno {
            throw NetworkError.system("lock \(root)/lock", error)
        }
        defer { lock.release() }
        return try body()
    }

    // MARK: - Reading state

    /// Every network, by name.
    public func networks() throws -> [BridgeNetwork] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        return try names.sorted().compactMap { name in
            FileManager.default.fileExists(atPath: networkFile(name)) ? try network(name) : nil
        }
    }

    /// The network called `name`.
    public func network(_ name: String) throws -> BridgeNetwork {
        guard FileManager.default.fileExists(atPath: networkFile(name)) else { throw NetworkError.noSuchNetwork(name) }
        return try StateFile.read(BridgeNetwork.self, from: networkFile(name))
    }

    /// The containers attached to `network`.
    public func endpoints(of network: String) throws -> [Endpoint] {
        let directory = endpointsDirectory(network)
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return try files.filter { $0.hasSuffix(".json") }.sorted().map {
            try StateFile.read(Endpoint.self, from: directory + "/" + $0)
        }
    }

    func allEndpoints() throws -> [Endpoint] {
        try networks().flatMap { try endpoints(of: $0.name) }
    }

    /// The order `allEndpoints` reads them in: by network, then by container.
    static func inDiskOrder(_ endpoints: [Endpoint]) -> [Endpoint] {
        endpoints.sorted { ($0.network, $0.containerID) < ($1.network, $1.containerID) }
    }

    /// A netlink socket in the host's namespace.
    func hostNetlink() throws -> NetlinkSocket { try host.socket() }
}
