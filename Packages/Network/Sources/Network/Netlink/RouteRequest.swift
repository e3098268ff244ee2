/// The requests Dosirak sends, built as values so that tests can compare them with the
/// bytes `ip` sends for the same command (golden bytes), without a kernel.
///
///     RouteRequest.createBridge(named: "dsk0")
///     // = ip link add dsk0 type bridge
enum RouteRequest {
    static let createFlags = RouteNetlink.create | RouteNetlink.exclusive

    /// `ip link add NAME type bridge`: RTM_NEWLINK with IFLA_IFNAME and
    /// IFLA_LINKINFO { IFLA_INFO_KIND "bridge" }. Like iproute2, the kind goes without a
    /// terminating NUL and the name with one; the kernel takes either.
    static func createBridge(named name: String) -> NetlinkMessage {
        NetlinkMessage(type: RouteNetlink.newLink, flags: createFlags, header: InterfaceInfoHeader().encoded, attributes: [
            NetlinkAttribute(LinkAttribute.name, string: name),
            NetlinkAttribute(LinkAttribute.linkInfo, nested: [
                NetlinkAttribute(LinkAttribute.infoKind, bytes: Array("bridge".utf8)),
            ]),
        ])
    }

    /// `ip link add NAME type veth peer name PEER`: the peer travels nested three deep,
    /// IFLA_LINKINFO { IFLA_INFO_KIND "veth", IFLA_INFO_DATA { VETH_INFO_PEER { ifinfomsg,
    /// IFLA_IFNAME PEER } } }. With `peerNamespace`, the peer is born in that namespace.
    static func createVethPair(named name: String, peer: String, peerNamespace: Int32? = nil, mtu: UInt32? = nil) -> NetlinkMessage {
        var peerAttributes = [NetlinkAttribute(LinkAttribute.name, string: peer)]
        if let mtu { peerAttributes.append(NetlinkAttribute(LinkAttribute.mtu, uint32: mtu)) }
        if let peerNamespace { peerAttributes.append(NetlinkAttribute(LinkAttribute.namespaceFD, int32: peerNamespace)) }
        var attributes = [NetlinkAttribute(LinkAttribute.name, string: name)]
        if let mtu { attributes.append(NetlinkAttribute(LinkAttribute.mtu, uint32: mtu)) }
        attributes.append(NetlinkAttribute(LinkAttribute.linkInfo, nested: [
            NetlinkAttribute(LinkAttribute.infoKind, bytes: Array("veth".utf8)),
            NetlinkAttribute(LinkAttribute.infoData, nested: [
                NetlinkAttribute(LinkAttribute.vethPeer, bytes: InterfaceInfoHeader().encoded + peerAttributes.encoded()),
            ]),
        ]))
        return NetlinkMessage(type: RouteNetlink.newLink, flags: createFlags, header: InterfaceInfoHeader().encoded, attributes: attributes)
    }

    /// `ip link set` on link `index`: RTM_NEWLINK (without NLM_F_CREATE) carrying only what
    /// changes. `up` goes in the header's flags, with `change` saying which flag counts.
    static func setLink(index: Int32, up: Bool? = nil, name: String? = nil, mtu: UInt32? = nil, mac: MACAddress? = nil,
                        master: Int32? = nil, namespaceFD: Int32? = nil) -> NetlinkMessage {
        var header = InterfaceInfoHeader(index: index)
        if let up {
            header.flags = up ? InterfaceFlags.up : 0
            header.change = InterfaceFlags.up
        }
        var attributes: [NetlinkAttribute] = []
        if let name { attributes.append(NetlinkAttribute(LinkAttribute.name, string: name)) }
        if let mtu { attributes.append(NetlinkAttribute(LinkAttribute.mtu, uint32: mtu)) }
        if let mac { attributes.append(NetlinkAttribute(LinkAttribute.address, bytes: mac.bytes)) }
        if let master { attributes.append(NetlinkAttribute(LinkAttribute.master, int32: master)) }
        if let namespaceFD { attributes.append(NetlinkAttribute(LinkAttribute.namespaceFD, int32: namespaceFD)) }
        return NetlinkMessage(type: RouteNetlink.newLink, flags: 0, header: header.encoded, attributes: attributes)
    }

    /// `ip link set dev INDEX type bridge_slave hairpin on`: a bridge port that may send a
    /// frame back out of the port it came in on. A container that connects to its own
    /// published port through the host needs it: the rewritten packet returns to it by the
    /// same port. (iproute2 names the kind `bridge_slave`; the kernel reads the nested data.)
    static func setHairpin(index: Int32, on: Bool = true) -> NetlinkMessage {
        NetlinkMessage(type: RouteNetlink.newLink, flags: 0, header: InterfaceInfoHeader(index: index).encoded, attributes: [
            NetlinkAttribute(LinkAttribute.linkInfo, nested: [
                NetlinkAttribute(LinkAttribute.infoKind, bytes: Array("bridge_slave".utf8)),
                NetlinkAttribute(LinkAttribute.infoSlaveData, nested: [
                    NetlinkAttribute(LinkAttribute.bridgePortMode, uint8: on ? 1 : 0),
                ]),
            ]),
        ])
    }

    /// `ip link del` of link `index`.
    static func deleteLink(index: Int32) -> NetlinkMessage {
        NetlinkMessage(type: RouteNetlink.deleteLink, flags: 0, header: InterfaceInfoHeader(index: index).encoded, attributes: [])
    }

    /// `ip addr add ADDRESS/PREFIX dev INDEX`: RTM_NEWADDR with IFA_LOCAL and IFA_ADDRESS
    /// (the same address, for a link that is not point-to-point).
    static func addAddress(_ address: IPv4Address, prefixLength: Int, index: Int32) -> NetlinkMessage {
        let attributes = [
            NetlinkAttribute(AddressAttribute.local, bytes: address.bytes),
            NetlinkAttribute(AddressAttribute.address, bytes: address.bytes),
        ]
        let header = InterfaceAddressHeader(prefixLength: UInt8(prefixLength), index: UInt32(bitPattern: index))
        return NetlinkMessage(type: RouteNetlink.newAddress, flags: createFlags, header: header.encoded, attributes: attributes)
    }

    /// `ip addr del ADDRESS/PREFIX dev INDEX`.
    static func deleteAddress(_ address: IPv4Address, prefixLength: Int, index: Int32) -> NetlinkMessage {
        let header = InterfaceAddressHeader(prefixLength: UInt8(prefixLength), index: UInt32(bitPattern: index))
        return NetlinkMessage(type: RouteNetlink.deleteAddress, flags: 0, header: header.encoded, attributes: [
            NetlinkAttribute(AddressAttribute.local, bytes: address.bytes),
        ])
    }

    /// `ip route add DESTINATION via GATEWAY` (`default` when `destination` is nil).
    static func addRoute(to destination: Subnet?, via gateway: IPv4Address?, interface: Int32? = nil) -> NetlinkMessage {
        var header = RouteHeader()
        header.destinationLength = UInt8(destination?.prefixLength ?? 0)
        header.scope = gateway == nil ? RouteAttribute.scopeLink : RouteAttribute.scopeUniverse
        var attributes: [NetlinkAttribute] = []
        if let destination, destination.prefixLength > 0 {
            attributes.append(NetlinkAttribute(RouteAttribute.destination, bytes: destination.network.bytes))
        }
        if let gateway { attributes.append(NetlinkAttribute(RouteAttribute.gateway, bytes: gateway.bytes)) }
        if let interface { attributes.append(NetlinkAttribute(RouteAttribute.outputInterface, int32: interface)) }
        return NetlinkMessage(type: RouteNetlink.newRoute, flags: createFlags, header: header.encoded, attributes: attributes)
    }

    /// `ip link show NAME`: one link, asked for by name (no dump of all of them).
    static func getLink(named name: String) -> NetlinkMessage {
        NetlinkMessage(type: RouteNetlink.getLink, flags: 0, header: InterfaceInfoHeader().encoded,
                       attributes: [NetlinkAttribute(LinkAttribute.name, string: name)])
    }

    /// Dumps: every link, every IPv4 address, every IPv4 route.
    static func dumpLinks() -> NetlinkMessage {
        NetlinkMessage(type: RouteNetlink.getLink, flags: 0, header: InterfaceInfoHeader().encoded, attributes: [])
    }

    static func dumpAddresses() -> NetlinkMessage {
        NetlinkMessage(type: RouteNetlink.getAddress, flags: 0, header: InterfaceAddressHeader().encoded, attributes: [])
    }

    static func dumpRoutes() -> NetlinkMessage {
        var header = RouteHeader()
        header.table = 0
        header.routingProtocol = 0
        header.type = 0
        return NetlinkMessage(type: RouteNetlink.getRoute, flags: 0, header: header.encoded, attributes: [])
    }
}
