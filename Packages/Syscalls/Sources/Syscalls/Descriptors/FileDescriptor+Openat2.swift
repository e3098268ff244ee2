import CSyscalls
import Glibc

extension FileDescriptor {
    /// How `openat2(2)` may resolve a path.
    public struct Resolve: OptionSet, Sendable {
        public let rawValue: UInt64
        public init(rawValue: UInt64) { self.rawValue = rawValue }

        /// Treat the directory as `/`: `..` and absolute symlinks stop at it, so no path
        /// escapes. This is how a layer is unpacked safely into a root filesystem.
        public static let inRoot = Resolve(rawValue: UInt64(RESOLVE_IN_ROOT))
        /// Fail with `EXDEV` on any step outside the directory, instead of clamping.
        public static let beneath = Resolve(rawValue: UInt64(RESOLVE_BENEATH))
        /// Follow no symbolic link at all (`ELOOP`).
        public static let noSymlinks = Resolve(rawValue: UInt64(RESOLVE_NO_SYMLINKS))
        /// Follow no "magic link" such as /proc/self/exe.
        public static let noMagicLinks = Resolve(rawValue: UInt64(RESOLVE_NO_MAGICLINKS))
        /// Cross no mount point (`EXDEV`).
        public static let noCrossingMounts = Resolve(rawValue: UInt64(RESOLVE_NO_XDEV))
    }

    /// Opens `path` below `directory` under the rules in `resolve`, close-on-exec.
    ///
    ///     let root = try FileDescriptor.open("/var/lib/x/rootfs", options: [.directory, .path])
    ///     let f = try FileDescriptor.open("etc/../../passwd", in: root, resolve: .inRoot)
    ///     // opens /var/lib/x/rootfs/passwd, never the host's /etc/passwd
    ///
    /// The corresponding system call is `openat2(2)`.
    public static func open(
        _ path: String, _ mode: AccessMode = .readOnly, options: Options = [],
        permissions: mode_t = 0o644, in directory: FileDescriptor, resolve: Resolve
    ) throws -> FileDescriptor {
        let flags = UInt64(UInt32(bitPattern: mode.rawValue | options.rawValue | O_CLOEXEC))
        // openat2 rejects a mode without O_CREAT or O_TMPFILE.
        let creates = options.contains(.create)
        let fd = try valueOrErrno {
            dsk_openat2(directory.rawValue, path, flags, creates ? UInt64(permissions) : 0, resolve.rawValue)
        }
        return FileDescriptor(rawValue: fd)
    }
}
