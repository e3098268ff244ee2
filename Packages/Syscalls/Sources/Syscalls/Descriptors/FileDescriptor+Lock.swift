import Glibc

extension FileDescriptor {
    /// Takes an advisory lock on the open file: exclusive for writers, shared for readers.
    /// Blocks until the lock is free. The lock belongs to the open file description and is
    /// released by `unlock`, by closing the descriptor, or when the process dies, so a
    /// crashed command never leaves a lock behind.
    ///
    ///     let lock = try FileDescriptor.open(root + "/lock", .readWrite, options: [.create])
    ///     try lock.lock()
    ///     defer { try? lock.close() }
    ///
    /// The corresponding system call is `flock(2)`.
    public func lock(exclusive: Bool = true) throws {
        try nothingOrErrno { flock(rawValue, exclusive ? LOCK_EX : LOCK_SH) }
    }

    /// Takes the lock only if it is free; false if someone else holds it.
    ///
    /// The corresponding system call is `flock(2)` with `LOCK_NB`.
    public func tryLock(exclusive: Bool = true) throws -> Bool {
        do {
            try nothingOrErrno { flock(rawValue, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) }
            return true
        } catch Errno.wouldBlock {
            return false
        }
    }

    /// Releases the lock.
    ///
    /// The corresponding system call is `flock(2)` with `LOCK_UN`.
    public func unlock() throws {
        try nothingOrErrno { flock(rawValue, LOCK_UN) }
    }
}
