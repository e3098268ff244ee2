import Glibc

extension FileSystem {
    /// Writes `bytes` as the file `path`, whole or not at all: into `temporary` (by default
    /// beside `path`, named after this process), then renamed over `path`, so a reader sees
    /// the old file or the new one, never half of one, even if we are killed in between.
    /// `durable`: flushed to the disk (fsync) before the rename, for what must outlive a power
    /// cut; without it a crash may leave the old file, or on some file systems an empty one.
    /// On failure the temporary file is removed and `path` is left as it was.
    ///
    /// The corresponding system calls are `openat(2)`, `write(2)`, `fsync(2)` and `rename(2)`.
    public static func replace(_ path: String, with bytes: some Sequence<UInt8>, permissions: mode_t = 0o644,
                               temporary: String? = nil, durable: Bool) throws {
        let temporary = temporary ?? path + ".tmp-\(getpid())"
        do {
            let file = try FileDescriptor.open(temporary, .writeOnly, options: [.create, .truncate], permissions: permissions)
            try file.closeAfter {
                try file.writeAll(bytes)
                if durable { try nothingOrErrno { fsync(file.rawValue) } }
            }
            try nothingOrErrno { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
