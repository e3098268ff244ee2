import Syscalls

/// Why a cgroup operation failed, in one line naming the file or value.
public enum CgroupError: Error, CustomStringConvertible, Equatable {
    /// A limit the kernel (or Docker's rules) would not accept.
    case invalid(String)
    /// The kernel has no such control file (an old kernel, or a controller not mounted).
    case unsupported(String)
    /// Reading or writing a control file failed.
    case file(String, String, Errno)
    /// The cgroup could not be removed.
    case busy(String)
    /// A control file held something we could not read.
    case unreadable(String, String)

    public var description: String {
        switch self {
        case .invalid(let message): "cgroup: \(message)"
        case .unsupported(let what): "cgroup: \(what) is not supported by this kernel"
        case .file(let action, let path, let errno): "cgroup: \(action) \(path): \(errno)"
        case .busy(let path): "cgroup: \(path) still has processes after they were killed"
        case .unreadable(let path, let text): "cgroup: unexpected contents in \(path): \(text)"
        }
    }
}
