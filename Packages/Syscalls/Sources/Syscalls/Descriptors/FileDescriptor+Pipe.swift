import CSyscalls
import Glibc

extension FileDescriptor {
    /// A new pipe: bytes written to `write` come out of `read`. Both ends are close-on-exec.
    ///
    ///     let (read, write) = try FileDescriptor.pipe()
    ///
    /// The corresponding system call is `pipe2(2)`.
    public static func pipe() throws -> (read: FileDescriptor, write: FileDescriptor) {
        var fds: [CInt] = [-1, -1]
        try nothingOrErrno { dsk_pipe2(&fds, O_CLOEXEC) }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }

    /// A connected pair of Unix sockets, close-on-exec. `SOCK_SEQPACKET` (the default) keeps
    /// message boundaries, which is what a typed parent/child protocol wants.
    ///
    /// The corresponding system call is `socketpair(2)`.
    public static func socketPair(
        type: CInt = CInt(SOCK_SEQPACKET.rawValue)
    ) throws -> (FileDescriptor, FileDescriptor) {
        var fds: [CInt] = [-1, -1]
        try nothingOrErrno { socketpair(AF_UNIX, type | dsk_SOCK_CLOEXEC, 0, &fds) }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }
}
