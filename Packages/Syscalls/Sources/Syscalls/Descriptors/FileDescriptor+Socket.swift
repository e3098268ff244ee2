import CSyscalls
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

extension FileDescriptor {
    /// Passes `descriptor` to the process at the other end of this Unix socket: the kernel
    /// installs a copy in the receiver's table (SCM_RIGHTS). This is how a runtime hands a
    /// container's terminal to the caller's `--console-socket`.
    ///
    /// The corresponding system call is `sendmsg(2)`.
    public func sendDescriptor(_ descriptor: FileDescriptor) throws {
        try nothingOrErrno(retryOnInterrupt: false) { dsk_send_fd(rawValue, descriptor.rawValue) }
    }

    /// Receives a descriptor sent with `sendDescriptor`, close-on-exec.
    ///
    /// The corresponding system call is `recvmsg(2)`.
    public func receiveDescriptor() throws -> FileDescriptor {
        FileDescriptor(rawValue: try valueOrErrno(retryOnInterrupt: false) { dsk_receive_fd(rawValue) })
    }
}
