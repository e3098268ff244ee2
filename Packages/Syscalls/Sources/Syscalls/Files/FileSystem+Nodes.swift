import Glibc

extension FileSystem {
    /// A device number from its major and minor halves, laid out as glibc's `makedev` does.
    public static func deviceNumber(major: UInt32, minor: UInt32) -> dev_t {
        let major = UInt64(major), minor = UInt64(minor)
        return dev_t((major & 0xffff_f000) << 32 | (major & 0xfff) << 8 | (minor & 0xffff_ff00) << 12 | (minor & 0xff))
    }

    /// Creates a device node: a character device (`S_IFCHR`) or block device (`S_IFBLK`)
    /// with the given numbers, or a FIFO (`S_IFIFO`). Needs `CAP_MKNOD` for devices.
    ///
    /// The corresponding system call is `mknodat(2)`.
    public static func makeNode(
        _ path: String, type: mode_t, permissions: mode_t, major: UInt32 = 0, minor: UInt32 = 0,
        in directory: FileDescriptor = .currentWorkingDirectory
    ) throws {
        let device = deviceNumber(major: major, minor: minor)
        try nothingOrErrno { mknodat(directory.rawValue, path, type | permissions, device) }
    }

    /// Creates a symbolic link at `path` whose contents are `target`.
    ///
    /// The corresponding system call is `symlinkat(2)`.
    public static func makeSymbolicLink(
        _ path: String, to target: String, in directory: FileDescriptor = .currentWorkingDirectory
    ) throws {
        try nothingOrErrno { symlinkat(target, directory.rawValue, path) }
    }

    /// Removes an empty directory (`directory: true`) or a file name.
    ///
    /// The corresponding system call is `unlinkat(2)`.
    public static func remove(
        _ path: String, directory isDirectory: Bool = false, in directory: FileDescriptor = .currentWorkingDirectory
    ) throws {
        try nothingOrErrno { unlinkat(directory.rawValue, path, isDirectory ? AT_REMOVEDIR : 0) }
    }
}
