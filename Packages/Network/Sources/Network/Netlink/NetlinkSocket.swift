import Glibc
import Syscalls

/// A `NETLINK_ROUTE` socket: how a program asks the kernel to create links, add addresses
/// and routes, and tell what it holds. This is what `ip` does underneath, spoken from Swift.
///
/// A netlink socket belongs to the network namespace of the thread that created it, for
/// its whole life: every request on it acts on that namespace. `NetworkNamespace.socket()`
/// opens one in another namespace without moving the calling thread (see there).
///
///     let netlink = try NetlinkSocket()
///     try netlink.createBridge(named: "dsk0")
///     print(try netlink.links().map(\.name))
public final class NetlinkSocket {
    public let descriptor: FileDescriptor
    private var sequence: UInt32 = 0
    /// Called with every request just before it is sent (the demo prints them dissected).
    public var onRequest: ((NetlinkMessage) -> Void)?

    /// Opens a route netlink socket, close-on-exec, in the calling thread's namespace.
    /// Errors come back with the kernel's explanation (`NETLINK_EXT_ACK`) and without a
    /// copy of our request (`NETLINK_CAP_ACK`).
    ///
    /// The corresponding system call is `socket(2)` with `AF_NETLINK`, `NETLINK_ROUTE`.
    public init() throws {
        let type = Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(AF_NETLINK, type, RouteNetlink.protocolRoute)
        if fd == -1 { throw NetworkError.system("socket AF_NETLINK", Errno.current) }
        descriptor = FileDescriptor(rawValue: fd)
        var on: Int32 = 1
        for option in [RouteNetlink.extendedAck, RouteNetlink.capAck] {
            // Both are best-effort: older kernels answer ENOPROTOOPT and still work.
            _ = setsockopt(fd, RouteNetlink.solNetlink, option, &on, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    deinit { try? descriptor.close() }

    /// Sends a request that changes something and waits for the kernel's ack.
    /// A refusal is thrown as `NetworkError.netlink` with the errno and the kernel's text.
    func perform(_ message: NetlinkMessage, _ what: @autoclosure () -> String) throws {
        var message = message
        message.flags |= RouteNetlink.request | RouteNetlink.ack
        let reply = try exchange(message)
        for answer in reply {
            if let (code, text) = answer.errorReport {
                if code == 0 { return }
                throw NetworkError.netlink(what(), Errno(rawValue: code), text)
            }
        }
        throw NetworkError.malformedNetlink("\(what()): no ack")
    }

    /// Asks for one object; returns the kernel's answer, or nil if it says there is no such
    /// device (ENODEV).
    func fetch(_ message: NetlinkMessage, _ what: @autoclosure () -> String) throws -> NetlinkMessage? {
        var message = message
        message.flags |= RouteNetlink.request | RouteNetlink.ack
        var found: NetlinkMessage?
        for answer in try exchange(message) {
            if let (code, text) = answer.errorReport {
                if code == 0 { break }
                if code == ENODEV { return nil }
                throw NetworkError.netlink(what(), Errno(rawValue: code), text)
            }
            found = answer
        }
        return found
    }

    /// Sends a dump request and collects every message of the answer up to `NLMSG_DONE`.
    func dump(_ message: NetlinkMessage, _ what: String) throws -> [NetlinkMessage] {
        var message = message
        message.flags |= RouteNetlink.request | RouteNetlink.dump
        return try exchange(message, what)
    }

    /// Sends one request and reads answers until the one that ends it.
    private func exchange(_ request: NetlinkMessage, _ what: String = "") throws -> [NetlinkMessage] {
        var request = request
        sequence &+= 1
        request.sequence = sequence
        onRequest?(request)
        let bytes = request.encoded
        let sent = bytes.withUnsafeBytes { send(descriptor.rawValue, $0.baseAddress, $0.count, 0) }
        if sent == -1 { throw NetworkError.system("send netlink", Errno.current) }

        var collected: [NetlinkMessage] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(descriptor.rawValue, $0.baseAddress, $0.count, 0) }
            if n == -1 {
                let error = Errno.current
                if error == .interrupted { continue }
                throw NetworkError.system("recv netlink", error)
            }
            for message in try NetlinkMessage.parse(Array(buffer[0..<n])) where message.sequence == sequence {
                switch message.type {
                case RouteNetlink.done:
                    return collected
                case RouteNetlink.error:
                    if let (code, text) = message.errorReport, code != 0, request.flags & RouteNetlink.dump == RouteNetlink.dump {
                        throw NetworkError.netlink(what, Errno(rawValue: code), text)
                    }
                    return collected + [message]
                default:
                    collected.append(message)
                }
            }
        }
    }
}
