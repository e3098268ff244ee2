import CSyscalls
import Glibc

/// A kind of Linux namespace: one thing the kernel can show a process privately.
public enum Namespace: String, CaseIterable, Codable, Sendable {
    /// Mount points: the file tree (`CLONE_NEWNS`).
    case mount = "mnt"
    /// Hostname and NIS domain name (`CLONE_NEWUTS`).
    case uts
    /// System V IPC objects and POSIX message queues (`CLONE_NEWIPC`).
    case ipc
    /// Process IDs: the first process inside is PID 1 (`CLONE_NEWPID`).
    case pid
    /// Network devices, addresses, routes, ports, firewall (`CLONE_NEWNET`).
    case network = "net"
    /// User and group IDs and capabilities (`CLONE_NEWUSER`).
    case user
    /// The view of /proc/self/cgroup (`CLONE_NEWCGROUP`).
    case cgroup
    /// The boot and monotonic clocks (`CLONE_NEWTIME`).
    case time

    /// The `CLONE_NEW*` flag that creates this namespace.
    public var cloneFlag: UInt64 {
        switch self {
        case .mount: UInt64(CLONE_NEWNS)
        case .uts: UInt64(CLONE_NEWUTS)
        case .ipc: UInt64(CLONE_NEWIPC)
        case .pid: UInt64(CLONE_NEWPID)
        case .network: UInt64(CLONE_NEWNET)
        case .user: UInt64(CLONE_NEWUSER)
        case .cgroup: UInt64(CLONE_NEWCGROUP)
        case .time: UInt64(CLONE_NEWTIME)
        }
    }

    /// The name of its file in /proc/PID/ns (`mnt`, `uts`, `net`, ...).
    public var procName: String { rawValue }

    /// The file that names process `pid`'s namespace of this kind.
    public func path(of pid: pid_t) -> String { "/proc/\(pid)/ns/\(procName)" }

    /// The `CLONE_NEW*` flags for a set of namespaces, or-ed together.
    public static func cloneFlags(_ namespaces: some Sequence<Namespace>) -> UInt64 {
        namespaces.reduce(0) { $0 | $1.cloneFlag }
    }

    /// An identity for process `pid`'s namespace: `uts:[4026531838]`. Two processes share
    /// the namespace exactly when these are equal.
    ///
    /// The corresponding system call is `readlink(2)` on /proc/PID/ns/NAME.
    public func identity(of pid: pid_t) throws -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let n = try valueOrErrno { readlink(path(of: pid), &buffer, buffer.count - 1) }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Moves the calling thread into new namespaces of the given kinds. For `user` (and
    /// `mount` under shared file-system state) the process must be single-threaded.
    ///
    /// The corresponding system call is `unshare(2)`.
    public static func unshare(_ namespaces: some Sequence<Namespace>) throws {
        let flags = CInt(truncatingIfNeeded: cloneFlags(namespaces))
        try nothingOrErrno { dsk_unshare(flags) }
    }

    /// Moves the calling thread into the namespace that `file` (an open /proc/PID/ns/NAME
    /// or a bind mount of it) refers to. `kind` makes the kernel check the file's kind.
    ///
    /// The corresponding system call is `setns(2)`.
    public static func join(_ file: FileDescriptor, kind: Namespace? = nil) throws {
        let flags = CInt(truncatingIfNeeded: kind?.cloneFlag ?? 0)
        try nothingOrErrno { dsk_setns(file.rawValue, flags) }
    }
}
