/// The numbers of the rtnetlink protocol, as linux/netlink.h, linux/rtnetlink.h and
/// linux/if_link.h define them. Glibc's Swift module does not import those headers, and a
/// reader is better served by seeing every number the messages carry in one place.
enum RouteNetlink {
    /// `NETLINK_ROUTE`: the protocol family of links, addresses and routes.
    static let protocolRoute: Int32 = 0
    /// `SOL_NETLINK` and the options Dosirak sets on its sockets.
    static let solNetlink: Int32 = 270
    /// `NETLINK_CAP_ACK`: errors quote only the header of the failed request.
    static let capAck: Int32 = 10
    /// `NETLINK_EXT_ACK`: errors carry the kernel's own sentence (`NLMSGERR_ATTR_MSG`).
    static let extendedAck: Int32 = 11

    // Message types (nlmsghdr.nlmsg_type).
    static let noop: UInt16 = 1            // NLMSG_NOOP
    static let error: UInt16 = 2           // NLMSG_ERROR: an error, or with error 0 an ack
    static let done: UInt16 = 3            // NLMSG_DONE: the end of a dump
    static let newLink: UInt16 = 16        // RTM_NEWLINK
    static let deleteLink: UInt16 = 17     // RTM_DELLINK
    static let getLink: UInt16 = 18        // RTM_GETLINK
    static let setLink: UInt16 = 19        // RTM_SETLINK
    static let newAddress: UInt16 = 20     // RTM_NEWADDR
    static let deleteAddress: UInt16 = 21  // RTM_DELADDR
    static let getAddress: UInt16 = 22     // RTM_GETADDR
    static let newRoute: UInt16 = 24       // RTM_NEWROUTE
    static let deleteRoute: UInt16 = 25    // RTM_DELROUTE
    static let getRoute: UInt16 = 26       // RTM_GETROUTE

    // Flags (nlmsghdr.nlmsg_flags).
    static let request: UInt16 = 0x1       // NLM_F_REQUEST
    static let multi: UInt16 = 0x2         // NLM_F_MULTI: part of a multipart answer
    static let ack: UInt16 = 0x4           // NLM_F_ACK: answer even on success
    static let dump: UInt16 = 0x300        // NLM_F_ROOT | NLM_F_MATCH
    static let replace: UInt16 = 0x100     // NLM_F_REPLACE
    static let exclusive: UInt16 = 0x200   // NLM_F_EXCL: fail if it exists
    static let create: UInt16 = 0x400      // NLM_F_CREATE
    static let ackTLVs: UInt16 = 0x200     // NLM_F_ACK_TLVS, on an error message: attributes follow
    static let capped: UInt16 = 0x100      // NLM_F_CAPPED, on an error message: request payload left out

    /// `NLMSGERR_ATTR_MSG`: the extended ack's text.
    static let errorAttributeMessage: UInt16 = 1
}

/// Attribute types of links (`IFLA_*`), and the nested ones inside them.
enum LinkAttribute {
    static let address: UInt16 = 1         // IFLA_ADDRESS: the MAC address
    static let broadcast: UInt16 = 2       // IFLA_BROADCAST
    static let name: UInt16 = 3            // IFLA_IFNAME
    static let mtu: UInt16 = 4             // IFLA_MTU
    static let link: UInt16 = 5            // IFLA_LINK: a veth's peer index
    static let master: UInt16 = 10         // IFLA_MASTER: the bridge a port belongs to
    static let operationalState: UInt16 = 16 // IFLA_OPERSTATE
    static let linkInfo: UInt16 = 18       // IFLA_LINKINFO (nested)
    static let alias: UInt16 = 20          // IFLA_IFALIAS
    static let namespaceFD: UInt16 = 28    // IFLA_NET_NS_FD: move the link to this namespace
    static let linkNamespaceID: UInt16 = 37 // IFLA_LINK_NETNSID: the peer lives in another namespace

    // Inside IFLA_LINKINFO.
    static let infoKind: UInt16 = 1        // IFLA_INFO_KIND: "bridge", "veth", ...
    static let infoData: UInt16 = 2        // IFLA_INFO_DATA (nested, kind-specific)
    static let infoSlaveKind: UInt16 = 4   // IFLA_INFO_SLAVE_KIND: "bridge" on a bridge port
    static let infoSlaveData: UInt16 = 5   // IFLA_INFO_SLAVE_DATA (nested): the port's settings

    // Inside IFLA_INFO_SLAVE_DATA of a bridge port.
    static let bridgePortMode: UInt16 = 4  // IFLA_BRPORT_MODE: 1 = hairpin

    // Inside IFLA_INFO_DATA of a veth.
    static let vethPeer: UInt16 = 1        // VETH_INFO_PEER: an ifinfomsg and the peer's attributes
}

/// Attribute types of addresses (`IFA_*`).
enum AddressAttribute {
    static let address: UInt16 = 1         // IFA_ADDRESS
    static let local: UInt16 = 2           // IFA_LOCAL
    static let label: UInt16 = 3           // IFA_LABEL
    static let broadcast: UInt16 = 4       // IFA_BROADCAST
}

/// Attribute types and header values of routes (`RTA_*`, `RT_*`, `RTN_*`, `RTPROT_*`).
enum RouteAttribute {
    static let destination: UInt16 = 1     // RTA_DST
    static let outputInterface: UInt16 = 4 // RTA_OIF
    static let gateway: UInt16 = 5         // RTA_GATEWAY
    static let priority: UInt16 = 6        // RTA_PRIORITY: the metric
    static let preferredSource: UInt16 = 7 // RTA_PREFSRC
    static let table: UInt16 = 15          // RTA_TABLE

    static let mainTable: UInt8 = 254      // RT_TABLE_MAIN
    static let localTable: UInt8 = 255     // RT_TABLE_LOCAL
    static let protocolBoot: UInt8 = 3     // RTPROT_BOOT: added by a tool, like `ip route add`
    static let protocolKernel: UInt8 = 2   // RTPROT_KERNEL: implied by an address
    static let scopeUniverse: UInt8 = 0    // RT_SCOPE_UNIVERSE: via a gateway
    static let scopeLink: UInt8 = 253      // RT_SCOPE_LINK: directly on the link
    static let scopeHost: UInt8 = 254      // RT_SCOPE_HOST
    static let typeUnicast: UInt8 = 1      // RTN_UNICAST
}

/// Values of the address family and interface flags the messages use.
enum InterfaceFlags {
    static let inet: UInt8 = 2             // AF_INET
    static let unspecified: UInt8 = 0      // AF_UNSPEC
    static let up: UInt32 = 0x1            // IFF_UP
    static let loopback: UInt32 = 0x8      // IFF_LOOPBACK
    static let lowerUp: UInt32 = 0x10000   // IFF_LOWER_UP: the carrier is there
    static let etherHardware: UInt16 = 1   // ARPHRD_ETHER
}
