import Glibc

/// The process's view of the file tree: its root and current directory, and directories.
public enum FileSystem {
    /// Makes `path` this process's root directory: paths starting with `/` now resolve
    /// inside it. The current directory does not move, and a root process can walk back
    /// out (chapter 01 shows how), which is why containers use `pivot_root` instead.
    ///
    /// The corresponding system call is `chroot(2)`.
    public static func changeRoot(to path: String) throws {
        try nothingOrErrno { chroot(path) }
    }

    /// Changes the current directory to `path`.
    ///
    /// The corresponding system call is `chdir(2)`.
    public static func changeDirectory(to path: String) throws {
        try nothingOrErrno { chdir(path) }
    }

    /// Changes the current directory to the directory `directory` is open on.
    ///
    /// The corresponding system call is `fchdir(2)`.
    public static func changeDirectory(to directory: FileDescriptor) throws {
        try nothingOrErrno { fchdir(directory.rawValue) }
    }

    /// Creates the directory `path` (relative to `directory`), with `permissions` less the umask.
    ///
    /// The corresponding system call is `mkdirat(2)`.
    public static func makeDirectory(
        _ path: String, permissions: mode_t = 0o755,
        in directory: FileDescriptor = .currentWorkingDirectory
    ) throws {
        try nothingOrErrno { mkdirat(directory.rawValue, path, permissions) }
    }

    /// The current directory, as the kernel names it.
    ///
    /// The corresponding system call is `getcwd(2)`.
    public static func currentDirectory() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { throw Errno.current }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
