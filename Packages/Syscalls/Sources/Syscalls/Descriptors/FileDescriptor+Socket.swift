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

extension FileDescriptor {
    /// A Unix stream socket connected to the listener at `path`, close-on-exec.
    ///
    /// The corresponding system calls are `socket(2)` and `connect(2)`.
    public static func connect(unixSocket path: String) throws -> FileDescriptor {
        let fd = FileDescriptor(rawValue: try valueOrErrno { socket(AF_UNIX, CInt(SOCK_STREAM.rawValue) | dsk_SOCK_CLOEXEC, 0) })
        do {
            var address = try UnixAddress(path)
            try nothingOrErrno { address.withSockaddr { Glibc.connect(fd.rawValue, $0, $1) } }
            return fd
        } catch {
            try? fd.close()
            throw error
        }
    }

    /// A Unix stream socket listening at `path` (which must not exist), close-on-exec.
    ///
    /// The corresponding system calls are `socket(2)`, `bind(2)` and `listen(2)`.
    public static func listen(unixSocket path: String, backlog: CInt = 16) throws -> FileDescriptor {
        let fd = FileDescriptor(rawValue: try valueOrErrno { socket(AF_UNIX, CInt(SOCK_STREAM.rawValue) | dsk_SOCK_CLOEXEC, 0) })
        do {
            var address = try UnixAddress(path)
            try nothingOrErrno { address.withSockaddr { Glibc.bind(fd.rawValue, $0, $1) } }
            try nothingOrErrno { Glibc.listen(fd.rawValue, backlog) }
            return fd
        } catch {
            try? fd.close()
            throw error
        }
    }

    /// The next connection on a listening socket, close-on-exec.
    ///
    /// The corresponding system call is `accept4(2)`.
    public func accept() throws -> FileDescriptor {
        FileDescriptor(rawValue: try valueOrErrno { dsk_accept4(rawValue, dsk_SOCK_CLOEXEC) })
    }
}

/// A `sockaddr_un` for a path (at most 107 bytes).
struct UnixAddress {
    var storage = sockaddr_un()

    init(_ path: String) throws {
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: storage.sun_path) else { throw Errno.nameTooLong }
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { $0.copyBytes(from: bytes) }
    }

    mutating func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
