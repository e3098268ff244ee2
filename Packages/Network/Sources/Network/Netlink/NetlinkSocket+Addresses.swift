/// Addresses and routes.
extension NetlinkSocket {
    /// `ip addr add ADDRESS/PREFIX dev NAME`.
    public func addAddress(_ address: IPv4Address, prefixLength: Int, to name: String) throws {
        try perform(RouteRequest.addAddress(address, prefixLength: prefixLength, index: try index(of: name)),
                    "add address \(address)/\(prefixLength) to \(name)")
    }

    public func deleteAddress(_ address: IPv4Address, prefixLength: Int, from name: String) throws {
        try perform(RouteRequest.deleteAddress(address, prefixLength: prefixLength, index: try index(of: name)),
                    "delete address \(address)/\(prefixLength) from \(name)")
    }

    /// Every IPv4 address in this namespace.
    public func addresses() throws -> [InterfaceAddress] {
        try dump(RouteRequest.dumpAddresses(), "dump addresses")
            .filter { $0.type == RouteNetlink.newAddress }.compactMap { try InterfaceAddress($0) }
    }

    /// Adds a route; `to: nil` is the default route (`ip route add default via GATEWAY`).
    public func addRoute(to destination: Subnet?, via gateway: IPv4Address?, device: String? = nil) throws {
        let interface = try device.map { try index(of: $0) }
        try perform(RouteRequest.addRoute(to: destination, via: gateway, interface: interface),
                    "add route \(destination?.description ?? "default")" + (gateway.map { " via \($0)" } ?? ""))
    }

    /// Every IPv4 route of the main table.
    public func routes() throws -> [Route] {
        try dump(RouteRequest.dumpRoutes(), "dump routes")
            .filter { $0.type == RouteNetlink.newRoute }.compactMap { try Route($0) }
            .filter { $0.table == RouteAttribute.mainTable }
    }
}
