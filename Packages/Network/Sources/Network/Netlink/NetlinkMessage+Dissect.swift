/// A netlink message taken apart for a human: the header, the fixed part, and every
/// attribute by name, nested ones indented, as the chapter shows them.
///
///     RTM_NEWLINK  flags REQUEST|ACK|EXCL|CREATE  seq 1  92 bytes
///       ifinfomsg  family 0  index 0  flags 0x0  change 0x0
///       IFLA_IFNAME  "dskdemo0"
///       IFLA_LINKINFO
///         IFLA_INFO_KIND  "veth"
///         ...
extension NetlinkMessage {
    public func dissected() -> [String] {
        var lines = ["\(NetlinkMessage.typeName(type))  flags \(flagNames)  seq \(sequence)  \(encoded.count) bytes"]
        let body = payload[...]
        switch type {
        case RouteNetlink.newLink, RouteNetlink.deleteLink, RouteNetlink.getLink, RouteNetlink.setLink:
            guard let header = try? InterfaceInfoHeader(parsing: body) else { return lines }
            lines.append("  ifinfomsg  family \(header.family)  index \(header.index)  flags 0x\(String(header.flags, radix: 16))  change 0x\(String(header.change, radix: 16))")
            lines += NetlinkMessage.dissect(body.dropFirst(InterfaceInfoHeader.size), names: NetlinkMessage.linkNames, depth: 1)
        case RouteNetlink.newAddress, RouteNetlink.deleteAddress:
            guard let header = try? InterfaceAddressHeader(parsing: body) else { return lines }
            lines.append("  ifaddrmsg  family \(header.family)  prefixlen \(header.prefixLength)  index \(header.index)")
            lines += NetlinkMessage.dissect(body.dropFirst(InterfaceAddressHeader.size), names: NetlinkMessage.addressNames, depth: 1)
        case RouteNetlink.newRoute, RouteNetlink.deleteRoute:
            guard let header = try? RouteHeader(parsing: body) else { return lines }
            lines.append("  rtmsg  family \(header.family)  dst_len \(header.destinationLength)  table \(header.table)  protocol \(header.routingProtocol)  scope \(header.scope)  type \(header.type)")
            lines += NetlinkMessage.dissect(body.dropFirst(RouteHeader.size), names: NetlinkMessage.routeNames, depth: 1)
        default:
            break
        }
        return lines
    }

    /// The message's bytes in rows of 16, as `strace -e write=` prints them.
    public func hexDump() -> [String] {
        let bytes = encoded
        return stride(from: 0, to: bytes.count, by: 16).map { start in
            bytes[start..<min(start + 16, bytes.count)].map { byte in
                (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }.joined(separator: " ")
        }
    }

    var flagNames: String {
        let known: [(UInt16, String)] = [
            (RouteNetlink.request, "REQUEST"), (RouteNetlink.ack, "ACK"), (RouteNetlink.exclusive, "EXCL"),
            (RouteNetlink.create, "CREATE"),
        ]
        if flags & RouteNetlink.dump == RouteNetlink.dump { return "REQUEST|DUMP" }
        let names = known.filter { flags & $0.0 != 0 }.map(\.1)
        return names.isEmpty ? "0" : names.joined(separator: "|")
    }

    static func typeName(_ type: UInt16) -> String {
        [16: "RTM_NEWLINK", 17: "RTM_DELLINK", 18: "RTM_GETLINK", 19: "RTM_SETLINK", 20: "RTM_NEWADDR",
         21: "RTM_DELADDR", 22: "RTM_GETADDR", 24: "RTM_NEWROUTE", 25: "RTM_DELROUTE", 26: "RTM_GETROUTE",
         2: "NLMSG_ERROR", 3: "NLMSG_DONE"][type] ?? "type \(type)"
    }

    /// Attribute names, and how to show each value: `s` string, `u` number, `a` IPv4
    /// address, `m` MAC address, `n` nested, `k` kind (a string without its NUL), `p` veth peer.
    static let linkNames: [UInt16: (String, Character)] = [
        LinkAttribute.address: ("IFLA_ADDRESS", "m"), LinkAttribute.name: ("IFLA_IFNAME", "s"),
        LinkAttribute.mtu: ("IFLA_MTU", "u"), LinkAttribute.master: ("IFLA_MASTER", "u"),
        LinkAttribute.linkInfo: ("IFLA_LINKINFO", "n"), LinkAttribute.namespaceFD: ("IFLA_NET_NS_FD", "u"),
    ]
    static let linkInfoNames: [UInt16: (String, Character)] = [
        LinkAttribute.infoKind: ("IFLA_INFO_KIND", "k"), LinkAttribute.infoData: ("IFLA_INFO_DATA", "n"),
    ]
    static let vethNames: [UInt16: (String, Character)] = [LinkAttribute.vethPeer: ("VETH_INFO_PEER", "p")]
    static let addressNames: [UInt16: (String, Character)] = [
        AddressAttribute.address: ("IFA_ADDRESS", "a"), AddressAttribute.local: ("IFA_LOCAL", "a"),
        AddressAttribute.label: ("IFA_LABEL", "s"), AddressAttribute.broadcast: ("IFA_BROADCAST", "a"),
    ]
    static let routeNames: [UInt16: (String, Character)] = [
        RouteAttribute.destination: ("RTA_DST", "a"), RouteAttribute.gateway: ("RTA_GATEWAY", "a"),
        RouteAttribute.outputInterface: ("RTA_OIF", "u"), RouteAttribute.priority: ("RTA_PRIORITY", "u"),
    ]

    static func dissect(_ bytes: ArraySlice<UInt8>, names: [UInt16: (String, Character)], depth: Int) -> [String] {
        guard let attributes = try? NetlinkAttribute.parse(bytes) else { return [] }
        let indent = String(repeating: "  ", count: depth)
        var lines: [String] = []
        for attribute in attributes {
            let (name, style) = names[attribute.type] ?? ("attribute \(attribute.type)", "x")
            switch style {
            case "s": lines.append("\(indent)\(name)  \"\(attribute.string)\"")
            case "k": lines.append("\(indent)\(name)  \"\(String(decoding: attribute.value, as: UTF8.self))\"")
            case "u": lines.append("\(indent)\(name)  \(attribute.uint32 ?? 0)")
            case "a": lines.append("\(indent)\(name)  \(IPv4Address(bytes: attribute.value)?.description ?? "?")")
            case "m": lines.append("\(indent)\(name)  \(MACAddress(bytes: attribute.value)?.description ?? "?")")
            case "n":
                lines.append("\(indent)\(name)")
                let inner = name == "IFLA_LINKINFO" ? linkInfoNames : name == "IFLA_INFO_DATA" ? vethNames : [:]
                lines += dissect(attribute.value[...], names: inner, depth: depth + 1)
            case "p":
                lines.append("\(indent)\(name)  (an ifinfomsg, then the peer's own attributes)")
                lines += dissect(attribute.value.dropFirst(InterfaceInfoHeader.size), names: linkNames, depth: depth + 1)
            default: lines.append("\(indent)\(name)  \(attribute.value.count) bytes")
            }
        }
        return lines
    }
}
