/// One netlink message: a 16-byte header (`struct nlmsghdr`) and a payload.
///
/// For rtnetlink the payload is a fixed header for the kind of object (`ifinfomsg` for
/// links, `ifaddrmsg` for addresses, `rtmsg` for routes) followed by attributes.
///
///     offset  size  field
///     0       4     nlmsg_len    the whole message, header included
///     4       2     nlmsg_type   RTM_NEWLINK, RTM_GETADDR, NLMSG_ERROR, ...
///     6       2     nlmsg_flags  NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | ...
///     8       4     nlmsg_seq    ours, echoed in the answer
///     12      4     nlmsg_pid    the sender's port (0: the kernel)
public struct NetlinkMessage: Equatable, Sendable {
    static let headerSize = 16

    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var portID: UInt32
    public var payload: [UInt8]

    public init(type: UInt16, flags: UInt16, sequence: UInt32 = 0, portID: UInt32 = 0, payload: [UInt8]) {
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.portID = portID
        self.payload = payload
    }

    /// A request: a fixed header's bytes, then attributes.
    init(type: UInt16, flags: UInt16, header: [UInt8], attributes: [NetlinkAttribute]) {
        var payload = header
        payload.padToAlignment()
        payload.append(contentsOf: attributes.encoded())
        self.init(type: type, flags: flags, payload: payload)
    }

    /// The message as it goes on the socket.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        bytes.append(integer: UInt32(NetlinkMessage.headerSize + payload.count))
        bytes.append(integer: type)
        bytes.append(integer: flags)
        bytes.append(integer: sequence)
        bytes.append(integer: portID)
        bytes.append(contentsOf: payload)
        bytes.padToAlignment()
        return bytes
    }

    /// Splits one datagram from the kernel into its messages.
    public static func parse(_ bytes: [UInt8]) throws -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        var offset = 0
        let all = bytes[...]
        while offset + headerSize <= bytes.count {
            guard let length: UInt32 = all.integer(at: offset), let type: UInt16 = all.integer(at: offset + 4),
                  let flags: UInt16 = all.integer(at: offset + 6), let sequence: UInt32 = all.integer(at: offset + 8),
                  let port: UInt32 = all.integer(at: offset + 12),
                  Int(length) >= headerSize, offset + Int(length) <= bytes.count
            else { throw NetworkError.malformedNetlink("message at offset \(offset) overruns the datagram") }
            let payload = Array(bytes[(offset + headerSize)..<(offset + Int(length))])
            messages.append(NetlinkMessage(type: type, flags: flags, sequence: sequence, portID: port, payload: payload))
            offset += netlinkAligned(Int(length))
        }
        return messages
    }

    /// For an `NLMSG_ERROR` message: the error (0 for an ack) and the kernel's explanation,
    /// when extended acks are on.
    ///
    ///     struct nlmsgerr { int error; struct nlmsghdr msg; }   then, with NLM_F_ACK_TLVS,
    ///     attributes such as NLMSGERR_ATTR_MSG ("Invalid prefix for given prefix length")
    var errorReport: (errno: Int32, message: String?)? {
        guard type == RouteNetlink.error, let code: Int32 = payload[...].integer(at: 0) else { return nil }
        var message: String?
        if flags & RouteNetlink.ackTLVs != 0 {
            // The quoted request: its header only when capped, else all of it.
            var quoted = NetlinkMessage.headerSize
            if flags & RouteNetlink.capped == 0, let length: UInt32 = payload[...].integer(at: 4) { quoted = Int(length) }
            let start = 4 + netlinkAligned(quoted)
            if start <= payload.count, let attributes = try? NetlinkAttribute.parse(payload[start...]) {
                message = attributes[type: RouteNetlink.errorAttributeMessage]?.string
            }
        }
        return (-code, message)
    }
}
