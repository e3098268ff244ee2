import FoundationEssentials
import Glibc
import Syscalls

/// Creating, listing and removing networks (`network create`, `ls`, `inspect`, `rm`).
extension NetworkStore {
    /// Creates a network: its state, its bridge with the gateway address, its NAT rules.
    /// Without `subnet`, the first subnet of the pool that nothing on the host routes yet.
    @discardableResult
    public func create(name: String, subnet: Subnet? = nil, gateway: IPv4Address? = nil) throws -> BridgeNetwork {
        try NetworkStore.validate(name: name)
        return try locked {
            _ = try recoverLocked()
            return try createLocked(name: name, subnet: subnet, gateway: gateway, isDefault: false)
        }
    }

    /// Docker's default network `bridge` (bridge `dosirak0`), created on first use.
    public func defaultNetwork() throws -> BridgeNetwork {
        try locked {
            if let existing = try? network(BridgeNetwork.defaultName) {
                try ensureBridge(existing)
                return existing
            }
            return try createLocked(name: BridgeNetwork.defaultName, subnet: nil, gateway: nil, isDefault: true)
        }
    }

    func createLocked(name: String, subnet requested: Subnet?, gateway requestedGateway: IPv4Address?, isDefault: Bool) throws -> BridgeNetwork {
        if FileManager.default.fileExists(atPath: networkFile(name)) { throw NetworkError.networkExists(name) }
        let existing = try networks()
        let hostSubnets = try subnetsInUseOnHost(excluding: existing.map(\.bridge))
        let subnet: Subnet
        if let requested {
            guard requested.prefixLength <= 30 else { throw NetworkError.invalid("subnet \(requested): too small (at most /30)") }
            if let other = existing.first(where: { $0.subnet.overlaps(requested) }) {
                throw NetworkError.subnetOverlaps(requested, "network \(other.name) (\(other.subnet))")
            }
            if let route = hostSubnets.first(where: { $0.overlaps(requested) }) {
                throw NetworkError.subnetOverlaps(requested, "a route on the host (\(route))")
            }
            subnet = requested
        } else {
            // The pool's first subnet is kept for the default network, as Docker keeps 172.17.0.0/16.
            let candidates = isDefault ? pool : Array(pool.dropFirst())
            guard let free = SubnetPool.first(in: candidates, avoiding: existing.map(\.subnet) + hostSubnets) else {
                throw NetworkError.noFreeSubnet
            }
            subnet = free
        }
        let gateway = requestedGateway ?? subnet.firstHost
        guard subnet.contains(gateway), gateway != subnet.network, gateway != subnet.broadcast else {
            throw NetworkError.invalid("gateway \(gateway) is not a host address of \(subnet)")
        }
        let id = NetworkStore.randomID()
        let network = BridgeNetwork(
            name: name, id: id, bridge: isDefault ? BridgeNetwork.defaultBridge : "dsk-" + id.prefix(8),
            subnet: subnet, gateway: gateway, isDefault: isDefault, created: NetworkStore.timestamp())
        do {
            try StateFile.makeDirectory(endpointsDirectory(name))
            try StateFile.write(network, to: networkFile(name))
            try ensureBridge(network)
            try firewall.apply(networks: existing + [network], endpoints: try allEndpoints())
        } catch {
            try? hostNetlink().deleteLink(network.bridge)
            try? FileManager.default.removeItem(atPath: directory(of: name))
            throw error
        }
        return network
    }

    /// Makes sure the bridge exists, has the gateway address and is up (after a reboot,
    /// the state is on disk but the kernel has forgotten everything).
    func ensureBridge(_ network: BridgeNetwork) throws {
        let netlink = try hostNetlink()
        if try netlink.link(named: network.bridge) == nil {
            try netlink.createBridge(named: network.bridge)
        }
        let index = try netlink.index(of: network.bridge)
        if try !netlink.addresses().contains(where: { $0.interfaceIndex == index && $0.address == network.gateway }) {
            try netlink.addAddress(network.gateway, prefixLength: network.subnet.prefixLength, to: network.bridge)
        }
        try netlink.setUp(network.bridge)
    }

    /// Subnets the host already routes (and so cannot be given to a new network): every
    /// route but the default, and every address's subnet. Docker checks the same.
    func subnetsInUseOnHost(excluding bridges: [String]) throws -> [Subnet] {
        let netlink = try hostNetlink()
        let ours = Set(try netlink.links().filter { bridges.contains($0.name) }.map(\.index))
        let routed = try netlink.routes().filter { route in !(route.outputInterface.map(ours.contains) ?? false) }
            .compactMap(\.destination).filter { $0.prefixLength > 0 }
        let addressed = try netlink.addresses().filter { !ours.contains($0.interfaceIndex) && !$0.address.description.hasPrefix("127.") }
            .compactMap { Subnet($0.address, prefixLength: $0.prefixLength) }
        return routed + addressed
    }

    /// The networks (`network ls`).
    public func list() throws -> [BridgeNetwork] {
        try networks()
    }

    /// A network and its containers (`network inspect`).
    public func inspect(_ name: String) throws -> (network: BridgeNetwork, endpoints: [Endpoint]) {
        try locked { (try network(name), try endpoints(of: name)) }
    }

    /// Removes a network: DNS responder, rules, bridge, state. Refused while containers use it.
    public func remove(_ name: String) throws {
        try locked {
            let network = try network(name)
            _ = try recoverLocked()
            let users = try endpoints(of: name)
            guard users.isEmpty else { throw NetworkError.networkInUse(name, containers: users.map(\.containerName)) }
            try dnsService(for: network).stop()
            let remaining = try networks().filter { $0.name != name }
            try firewall.apply(networks: remaining, endpoints: try allEndpoints())
            do {
                try hostNetlink().deleteLink(network.bridge)
            } catch NetworkError.noSuchLink(_) {}
            try? FileManager.default.removeItem(atPath: directory(of: name))
        }
    }

    /// Docker's rule for names: a letter or digit, then letters, digits, `_`, `.`, `-`.
    static func validate(name: String) throws {
        let allowed = name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "_.-".unicodeScalars.contains($0))
        }
        guard !name.isEmpty, name.count <= 64, allowed, name.first!.isLetter || name.first!.isNumber else {
            throw NetworkError.invalid("network name \"\(name)\": use letters, digits, _ . - (starting with a letter or digit)")
        }
    }

    static func randomID() -> String {
        (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }

    static func timestamp() -> String {
        Timestamp.rfc3339Seconds(Date())
    }
}

extension NetworkStore {
    /// A new container ID: 64 hexadecimal digits, as Docker's.
    public static func newContainerID() -> String { randomID() }
}
