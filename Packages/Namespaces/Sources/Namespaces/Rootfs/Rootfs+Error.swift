import Syscalls

extension Rootfs {
    /// Why a root filesystem could not be built or removed.
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case busyboxNotFound(String?)
        case notStatic(String)
        case busyboxFailed(String, WaitStatus)
        case exists(String)
        case failed(String, String, Errno)

        public var description: String {
            switch self {
            case .busyboxNotFound(let path?):
                "rootfs: no busybox at \(path); install busybox-static"
            case .busyboxNotFound(nil):
                "rootfs: no busybox in \(Rootfs.busyboxCandidates.joined(separator: ", ")); install busybox-static"
            case .notStatic(let path):
                "rootfs: \(path) is not a static 64-bit ELF executable; install busybox-static"
            case .busyboxFailed(let path, let status):
                "rootfs: \(path) --list-full \(status)"
            case .exists(let path):
                "rootfs: \(path) already exists"
            case .failed(let call, let path, let errno):
                "rootfs: \(call) \(path): \(errno)"
            }
        }
    }
}
