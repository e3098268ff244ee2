import CSyscalls
import Glibc

/// An open file descriptor: a small integer naming an open file in this process.
///
/// Descriptors Dosirak opens are close-on-exec from the moment they exist (`O_CLOEXEC`,
/// `pipe2`, `SOCK_CLOEXEC`, `dup3`), so a program started by another thread can never
/// inherit one by accident. A descriptor reaches a child only through `Spawn`'s map.
///
///     let fd = try FileDescriptor.open("/etc/hostname")
///     defer { try? fd.close() }
///     print(try fd.readAll())
public struct FileDescriptor: RawRepresentable, Hashable, Sendable {
    public let rawValue: CInt

    public init(rawValue: CInt) { self.rawValue = rawValue }

    public static let standardInput = FileDescriptor(rawValue: 0)
    public static let standardOutput = FileDescriptor(rawValue: 1)
    public static let standardError = FileDescriptor(rawValue: 2)
    /// `AT_FDCWD`: paths relative to it resolve against the current directory.
    public static let currentWorkingDirectory = FileDescriptor(rawValue: AT_FDCWD)

    /// Opening flags beyond the access mode; `closeOnExec` is always added.
    public struct Options: OptionSet, Sendable {
        public let rawValue: CInt
        public init(rawValue: CInt) { self.rawValue = rawValue }

        public static let create = Options(rawValue: O_CREAT)
        public static let exclusive = Options(rawValue: O_EXCL)
        public static let truncate = Options(rawValue: O_TRUNC)
        public static let append = Options(rawValue: O_APPEND)
        public static let directory = Options(rawValue: O_DIRECTORY)
        public static let noFollow = Options(rawValue: O_NOFOLLOW)
        public static let nonBlocking = Options(rawValue: O_NONBLOCK)
        public static let noControllingTerminal = Options(rawValue: O_NOCTTY)
        /// `O_PATH`: a handle on the path itself, not opened for reading or writing.
        public static let path = Options(rawValue: dsk_O_PATH)
    }

    public enum AccessMode: CInt, Sendable {
        case readOnly = 0      // O_RDONLY
        case writeOnly = 1     // O_WRONLY
        case readWrite = 2     // O_RDWR
    }

    /// Opens `path` (relative paths resolve against `directory`), close-on-exec.
    ///
    /// The corresponding system call is `openat(2)`.
    public static func open(
        _ path: String, _ mode: AccessMode = .readOnly, options: Options = [],
        permissions: mode_t = 0o644, in directory: FileDescriptor = .currentWorkingDirectory
    ) throws -> FileDescriptor {
        let flags = mode.rawValue | options.rawValue | O_CLOEXEC
        let fd = try valueOrErrno { openat(directory.rawValue, path, flags, permissions) }
        return FileDescriptor(rawValue: fd)
    }

    /// Closes the descriptor. Never retried on `EINTR`: the number is already released.
    ///
    /// The corresponding system call is `close(2)`.
    public func close() throws {
        try nothingOrErrno(retryOnInterrupt: false) { Glibc.close(rawValue) }
    }

    /// Reads up to `count` bytes; an empty result means end of file.
    ///
    /// The corresponding system call is `read(2)`.
    public func read(upTo count: Int) throws -> [UInt8] {
        // Not zeroed first: only the pages the kernel writes get touched, which matters for a
        // large `count` (a 1 MiB limit on a message that is usually a few hundred bytes).
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = try valueOrErrno { Glibc.read(rawValue, buffer.baseAddress, count) }
        }
    }

    /// Reads into `buffer`, returning how many bytes arrived (0 at end of file).
    ///
    /// The corresponding system call is `read(2)`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try valueOrErrno { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Reads until end of file.
    ///
    /// The corresponding system call is `read(2)`, repeated.
    public func readAll() throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
        }
    }

    /// Writes all of `bytes`, continuing after short writes.
    ///
    /// The corresponding system call is `write(2)`.
    public func writeAll(_ bytes: some Sequence<UInt8>) throws {
        let bytes = Array(bytes)
        var offset = 0
        try bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                offset += try valueOrErrno {
                    Glibc.write(rawValue, raw.baseAddress! + offset, raw.count - offset)
                }
            }
        }
    }

    /// Writes the UTF-8 bytes of `text`.
    ///
    /// The corresponding system call is `write(2)`.
    public func writeAll(_ text: String) throws {
        try writeAll(Array(text.utf8))
    }

    /// A copy of this descriptor, close-on-exec: the lowest free number, or `target` exactly.
    ///
    /// The corresponding system calls are `fcntl(2)` with `F_DUPFD_CLOEXEC` and `dup3(2)`.
    public func duplicate(as target: FileDescriptor? = nil) throws -> FileDescriptor {
        if let target {
            try nothingOrErrno { dsk_dup3(rawValue, target.rawValue, O_CLOEXEC) }
            return target
        }
        return FileDescriptor(rawValue: try valueOrErrno { dsk_fcntl_int(rawValue, dsk_F_DUPFD_CLOEXEC, 0) })
    }

    /// Whether the descriptor closes itself when this process execs.
    ///
    /// The corresponding system call is `fcntl(2)` with `F_GETFD`.
    public var isCloseOnExec: Bool {
        get throws {
            let flags = try valueOrErrno { dsk_fcntl_int(rawValue, F_GETFD, 0) }
            return flags & FD_CLOEXEC != 0
        }
    }

    /// Keeps the descriptor open across `execve` (`false`) or closes it there (`true`):
    /// how a program hands descriptors to the program it becomes.
    ///
    /// The corresponding system call is `fcntl(2)` with `F_SETFD`.
    public func setCloseOnExec(_ closes: Bool) throws {
        _ = try valueOrErrno { dsk_fcntl_int(rawValue, F_SETFD, closes ? FD_CLOEXEC : 0) }
    }

    /// Runs `body`, then closes the descriptor whatever happened.
    public func closeAfter<Result>(_ body: () throws -> Result) throws -> Result {
        defer { try? close() }
        return try body()
    }
}
