import Glibc

extension CurrentProcess {
    /// Docker's PATH for an image whose configuration sets none.
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Replaces this process's program with `path`. Returns only by throwing.
    ///
    /// The corresponding system call is `execve(2)`.
    public static func exec(_ path: String, arguments: [String], environment: [String]) throws -> Never {
        let argv = CStringArray(arguments)
        let envp = CStringArray(environment)
        Glibc.execve(path, argv.pointers, envp.pointers)
        throw Errno.current
    }

    /// Where `command` would run from: itself if it contains a `/`, otherwise the first
    /// executable file of that name in the directories of `path`. Call it after `chroot` or
    /// `pivot_root`, so the search happens in the container's file tree, not the host's.
    public static func lookUp(_ command: String, path: String = defaultPath) -> String? {
        if command.contains("/") { return command }
        for directory in path.split(separator: ":") {
            let candidate = directory + "/" + command
            var info = stat()
            if stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    /// The value of PATH in a `NAME=value` environment, or Docker's default.
    public static func path(in environment: [String]) -> String {
        environment.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? defaultPath
    }
}
