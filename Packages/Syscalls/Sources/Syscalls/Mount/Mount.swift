import CSyscalls
import Glibc

/// Attaching file systems to the tree, and detaching them.
public enum Mount {
    /// `MS_*` flags for `mount(2)`.
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt
        public init(rawValue: UInt) { self.rawValue = rawValue }

        public static let readOnly = Flags(rawValue: UInt(MS_RDONLY))
        public static let noSetUID = Flags(rawValue: UInt(MS_NOSUID))
        public static let noDevices = Flags(rawValue: UInt(MS_NODEV))
        public static let noExec = Flags(rawValue: UInt(MS_NOEXEC))
        public static let remount = Flags(rawValue: UInt(MS_REMOUNT))
        public static let bind = Flags(rawValue: UInt(MS_BIND))
        public static let move = Flags(rawValue: UInt(MS_MOVE))
        public static let recursive = Flags(rawValue: UInt(MS_REC))
        public static let relativeAccessTime = Flags(rawValue: UInt(MS_RELATIME))
        public static let strictAccessTime = Flags(rawValue: UInt(MS_STRICTATIME))
        public static let private_ = Flags(rawValue: UInt(MS_PRIVATE))
        public static let slave = Flags(rawValue: UInt(MS_SLAVE))
        public static let shared = Flags(rawValue: UInt(MS_SHARED))
        public static let unbindable = Flags(rawValue: UInt(MS_UNBINDABLE))
    }

    /// `MNT_*` / `UMOUNT_*` flags for `umount2(2)`.
    public struct UnmountFlags: OptionSet, Sendable {
        public let rawValue: CInt
        public init(rawValue: CInt) { self.rawValue = rawValue }

        public static let force = UnmountFlags(rawValue: CInt(MNT_FORCE))
        /// Detach now, clean up when the last user is gone (a "lazy" unmount).
        public static let detach = UnmountFlags(rawValue: CInt(MNT_DETACH))
        public static let noFollow = UnmountFlags(rawValue: CInt(UMOUNT_NOFOLLOW))
    }

    /// Mounts a file system of `type` from `source` on `target`.
    ///
    ///     try Mount.mount("proc", on: "/proc", type: "proc", flags: [.noSetUID, .noExec, .noDevices])
    ///
    /// The corresponding system call is `mount(2)`.
    public static func mount(
        _ source: String, on target: String, type: String? = nil,
        flags: Flags = [], data: String? = nil
    ) throws {
        try nothingOrErrno { Glibc.mount(source, target, type, flags.rawValue, data) }
    }

    /// Makes the tree at `source` visible at `target` as well (`recursive` takes its submounts).
    /// A bind mount ignores `readOnly` at first; pass it and this remounts read-only afterwards.
    ///
    /// The corresponding system call is `mount(2)` with `MS_BIND`.
    public static func bind(
        _ source: String, on target: String, recursive: Bool = true, flags: Flags = []
    ) throws {
        var bindFlags: Flags = [.bind]
        if recursive { bindFlags.insert(.recursive) }
        try mount(source, on: target, flags: bindFlags)
        let perMount = flags.intersection([.readOnly, .noSetUID, .noDevices, .noExec])
        if !perMount.isEmpty {
            try mount(source, on: target, flags: Flags([.bind, .remount]).union(perMount))
        }
    }

    /// Detaches the file system mounted on `target`.
    ///
    /// The corresponding system call is `umount2(2)`.
    public static func unmount(_ target: String, flags: UnmountFlags = []) throws {
        try nothingOrErrno { umount2(target, flags.rawValue) }
    }

    /// Makes `newRoot` the root of this mount namespace and moves the old root to `putOld`
    /// (a directory under `newRoot`). Unlike `chroot`, the old root is then unmounted and
    /// gone: nothing is left to walk back to. `newRoot` must be a mount point, and neither
    /// it nor its parent may have shared propagation, or the kernel answers `EINVAL`.
    ///
    /// The corresponding system call is `pivot_root(2)`.
    public static func pivotRoot(_ newRoot: String, putOld: String) throws {
        try nothingOrErrno { dsk_pivot_root(newRoot, putOld) }
    }
}
