import Glibc

extension FileDescriptor {
    /// An advisory lock on a whole open file, as `flock(2)` takes it.
    public enum LockKind: Sendable {
        /// Many holders at once, none while an exclusive lock is held (readers).
        case shared
        /// One holder, no shared holders (writers).
        case exclusive
    }

    /// Takes a lock on the open file, waiting for it unless `wait` is false (then a held
    /// lock is reported as `EWOULDBLOCK`). The lock belongs to the open file description:
    /// it is released by `unlock()`, or when the last descriptor on it is closed, so a
    /// process that dies never leaves it held.
    ///
    ///     let fd = try FileDescriptor.open("/var/lib/dosirak/index.lock", .readWrite, options: .create)
    ///     try fd.lock(.exclusive)
    ///     defer { try? fd.close() }
    ///
    /// The corresponding system call is `flock(2)`.
    public func lock(_ kind: LockKind, wait: Bool = true) throws {
        var operation = kind == .shared ? LOCK_SH : LOCK_EX
        if !wait { operation |= LOCK_NB }
        try nothingOrErrno { flock(rawValue, operation) }
    }

    /// Releases a lock taken with `lock(_:)`.
    ///
    /// The corresponding system call is `flock(2)` with `LOCK_UN`.
    public func unlock() throws {
        try nothingOrErrno { flock(rawValue, LOCK_UN) }
    }
}
