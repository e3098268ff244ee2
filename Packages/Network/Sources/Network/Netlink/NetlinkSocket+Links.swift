/// Links: create, change, move, delete, list.
extension NetlinkSocket {
    /// Creates a bridge (`ip link add NAME type bridge`).
    public func createBridge(named name: String) throws {
        try perform(RouteRequest.createBridge(named: name), "create bridge \(name)")
    }

    /// Creates a veth pair: two interfaces joined like the ends of a cable. What goes in
    /// one comes out of the other, even once the ends are in different namespaces.
    public func createVethPair(named name: String, peer: String, mtu: UInt32? = nil) throws {
        try perform(RouteRequest.createVethPair(named: name, peer: peer, mtu: mtu), "create veth \(name) peer \(peer)")
    }

    /// All links in this socket's namespace.
    public func links() throws -> [Link] {
        try dump(RouteRequest.dumpLinks(), "dump links").filter { $0.type == RouteNetlink.newLink }.map { try Link($0) }
    }

    /// The link called `name`, or nil.
    public func link(named name: String) throws -> Link? {
        try links().first { $0.name == name }
    }

    /// The index of the link called `name`; throws `noSuchLink` if there is none.
    public func index(of name: String) throws -> Int32 {
        guard let link = try link(named: name) else { throw NetworkError.noSuchLink(name) }
        return link.index
    }

    /// Brings the link up or down (`ip link set NAME up|down`).
    public func setUp(_ name: String, _ up: Bool = true) throws {
        try perform(RouteRequest.setLink(index: try index(of: name), up: up), "set \(name) \(up ? "up" : "down")")
    }

    public func rename(_ name: String, to newName: String) throws {
        try perform(RouteRequest.setLink(index: try index(of: name), name: newName), "rename \(name) to \(newName)")
    }

    public func setMTU(_ name: String, _ mtu: UInt32) throws {
        try perform(RouteRequest.setLink(index: try index(of: name), mtu: mtu), "set \(name) mtu \(mtu)")
    }

    public func setMAC(_ name: String, _ mac: MACAddress) throws {
        try perform(RouteRequest.setLink(index: try index(of: name), mac: mac), "set \(name) address \(mac)")
    }

    /// Makes `name` a port of the bridge `bridge` (`ip link set NAME master BRIDGE`).
    public func attach(_ name: String, toBridge bridge: String) throws {
        let master = try index(of: bridge)
        try perform(RouteRequest.setLink(index: try index(of: name), master: master), "set \(name) master \(bridge)")
    }

    /// Lets the bridge port `name` send frames back out of itself (hairpin mode).
    public func setHairpin(_ name: String, _ on: Bool = true) throws {
        try perform(RouteRequest.setHairpin(index: try index(of: name), on: on), "set \(name) hairpin \(on ? "on" : "off")")
    }

    /// Moves the link into the network namespace that `namespace` (an open
    /// /proc/PID/ns/net) names. From then on it is invisible here.
    public func move(_ name: String, toNamespace namespace: NetworkNamespace) throws {
        let fd = try namespace.open()
        defer { try? fd.close() }
        try perform(RouteRequest.setLink(index: try index(of: name), namespaceFD: fd.rawValue),
                    "move \(name) to \(namespace.path ?? "this namespace")")
    }

    /// Deletes the link (both ends, for a veth).
    public func deleteLink(_ name: String) throws {
        try perform(RouteRequest.deleteLink(index: try index(of: name)), "delete link \(name)")
    }
}
