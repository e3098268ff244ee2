import Glibc

/// An exclusive advisory lock on a lock file: `FileDescriptor.lock` on a file of its own.
///
/// Two commands that change the same state on disk (say, two `dosirak run` commands
/// picking addresses from one network) each take the lock on a lock file first; the second
/// waits until the first releases it. The lock belongs to the open file description, so two
/// separate `open` calls on the same file conflict even inside one process, and the kernel
/// drops the lock when the last descriptor closes, including when the holder is killed.
///
///     let lock = try FileLock.acquire("/var/lib/dosirak/networks/lock")
///     defer { lock.release() }
///
/// The corresponding system call is `flock(2)`.
public struct FileLock: Sendable {
    /// The open lock file; closing it releases the lock.
    public let descriptor: FileDescriptor

    /// Opens (creating it if needed) `path` and waits for an exclusive lock on it.
    ///
    /// The corresponding system call is `flock(2)` with `LOCK_EX`.
    public static func acquire(_ path: String) throws -> FileLock {
        let fd = try FileDescriptor.open(path, .readWrite, options: [.create], permissions: 0o600)
        do {
            try fd.lock(.exclusive)
        } catch {
            try? fd.close()
            throw error
        }
        return FileLock(descriptor: fd)
    }

    /// Like `acquire`, but returns nil at once if another holder has the lock.
    ///
    /// The corresponding system call is `flock(2)` with `LOCK_EX | LOCK_NB`.
    public static func tryAcquire(_ path: String) throws -> FileLock? {
        let fd = try FileDescriptor.open(path, .readWrite, options: [.create], permissions: 0o600)
        do {
            try fd.lock(.exclusive, wait: false)
        } catch Errno.wouldBlock {
            try? fd.close()
            return nil
        } catch {
            try? fd.close()
            throw error
        }
        return FileLock(descriptor: fd)
    }

    /// Releases the lock by closing the lock file.
    ///
    /// The corresponding system call is `close(2)`.
    public func release() {
        try? descriptor.close()
    }
}
