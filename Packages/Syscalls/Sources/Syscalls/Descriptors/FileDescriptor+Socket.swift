import Glibc

extension FileDescriptor {
    /// Sends `bytes` as one message on a socket. A peer that has gone away is reported as
    /// `EPIPE` instead of killing this process with SIGPIPE (`MSG_NOSIGNAL`).
    ///
    /// The corresponding system call is `send(2)`.
    public func sendMessage(_ bytes: [UInt8]) throws {
        let sent = try bytes.withUnsafeBytes { raw in
            try valueOrErrno { send(rawValue, raw.baseAddress, raw.count, CInt(MSG_NOSIGNAL)) }
        }
        // A SOCK_SEQPACKET or SOCK_DGRAM message goes whole or not at all.
        if sent != bytes.count { throw Errno(rawValue: EMSGSIZE) }
    }
}
