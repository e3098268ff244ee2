import Glibc

/// Runs a system call that returns -1 on failure, and returns its result.
///
/// On failure it reads `errno` at once and throws it. An interrupted call (`EINTR`) is
/// retried, unless `retryOnInterrupt` is false: `close(2)` must never be retried, because
/// the descriptor is already released and its number may belong to someone else.
@inline(__always)
func valueOrErrno<Result: FixedWidthInteger>(
    retryOnInterrupt: Bool = true, _ call: () -> Result
) throws -> Result {
    while true {
        let result = call()
        if result != -1 { return result }
        let error = Errno.current
        if retryOnInterrupt && error == .interrupted { continue }
        throw error
    }
}

/// Like `valueOrErrno`, for calls whose only useful result is success.
@inline(__always)
func nothingOrErrno<Result: FixedWidthInteger>(
    retryOnInterrupt: Bool = true, _ call: () -> Result
) throws {
    _ = try valueOrErrno(retryOnInterrupt: retryOnInterrupt, call)
}
