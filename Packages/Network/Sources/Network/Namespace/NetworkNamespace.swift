import Glibc
import Syscalls

/// A network namespace, named by a file: /proc/PID/ns/net of a process in it, or a bind
/// mount of that file (`ip netns add` makes them under /run/netns). `current` is the one
/// the calling thread is in.
///
/// Dosirak's parent process has threads, and must still configure the inside of a
/// container's namespace: rename its end of the veth to `eth0`, give it an address, add a
/// default route. It cannot move itself there. But two facts make it easy:
///
/// 1. A socket belongs to the namespace of the thread that created it, for its whole life.
/// 2. `setns(CLONE_NEWNET)` is allowed for one thread of a multithreaded process (unlike
///    `setns` into a mount or user namespace, which needs a single-threaded caller).
///
/// So `socket()` starts a short-lived thread, moves only that thread into the namespace,
/// creates the netlink socket there, and ends the thread. The socket, used from any
/// thread afterwards, still speaks to the container's namespace. `perform` is the general
/// form, also used to run `nft` or bind a port "in" the namespace: a process spawned from
/// that thread starts in the thread's namespace.
///
///     let inside = NetworkNamespace.of(pid: container)
///     let netlink = try inside.socket()
///     try netlink.rename("dsp1a2b3c4d", to: "eth0")
public struct NetworkNamespace: Hashable, Sendable, CustomStringConvertible {
    /// The namespace file; nil for the calling thread's own namespace.
    public let path: String?

    public init(path: String?) { self.path = path }

    /// The namespace of the calling thread.
    public static let current = NetworkNamespace(path: nil)

    /// The namespace process `pid` is in.
    public static func of(pid: pid_t) -> NetworkNamespace { NetworkNamespace(path: "/proc/\(pid)/ns/net") }

    public var description: String { path ?? "the current namespace" }

    /// Opens the namespace file (for `current`, this thread's: /proc/thread-self/ns/net).
    public func open() throws -> FileDescriptor {
        let file = path ?? "/proc/thread-self/ns/net"
        do {
            return try FileDescriptor.open(file)
        } catch let error as Errno {
            throw NetworkError.system("open \(file)", error)
        }
    }

    /// A netlink socket that speaks to this namespace.
    public func socket() throws -> NetlinkSocket {
        try perform { try NetlinkSocket() }
    }

    /// Runs `body` on a thread that is in this namespace, and returns what it returned.
    /// For `current`, runs it right here.
    ///
    /// The corresponding system call is `setns(2)` with `CLONE_NEWNET`, on a new thread.
    public func perform<Value>(_ body: () throws -> Value) throws -> Value {
        guard path != nil else { return try body() }
        let namespace = try open()
        defer { try? namespace.close() }
        var result: Result<Value, any Error>?
        do {
            try PosixThread.runAndWait {
                result = Result {
                    try Namespace.join(namespace, kind: .network)
                    return try body()
                }
            }
        } catch let error as Errno {
            throw NetworkError.system("pthread_create", error)
        }
        return try result!.get()
    }
}
