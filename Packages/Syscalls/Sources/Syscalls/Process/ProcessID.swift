import CSyscalls
import Glibc

/// A process ID, with the calls that act on a process by its number.
///
/// A PID can be reused once the process is reaped: prefer `ProcessDescriptor` (a pidfd)
/// for a process that may already be gone.
public struct ProcessID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: pid_t
    public init(rawValue: pid_t) { self.rawValue = rawValue }

    public var description: String { String(rawValue) }

    /// This process.
    public static var current: ProcessID { ProcessID(rawValue: getpid()) }

    /// Sends `signal` to the process (signal 0 only checks that it exists).
    ///
    /// The corresponding system call is `kill(2)`.
    public func send(_ signal: Signal) throws {
        try nothingOrErrno { kill(rawValue, signal.rawValue) }
    }

    /// Whether a process with this ID exists (it may be a zombie).
    ///
    /// The corresponding system call is `kill(2)` with signal 0.
    public var exists: Bool {
        kill(rawValue, 0) == 0 || errno == EPERM
    }

    /// Waits for this child to end and reaps it.
    ///
    /// The corresponding system call is `waitpid(2)`.
    public func wait() throws -> WaitStatus {
        var status: CInt = 0
        try nothingOrErrno { waitpid(rawValue, &status, 0) }
        return WaitStatus(waitStatus: status)
    }

    /// Reaps this child if it has ended; nil while it is still running.
    ///
    /// The corresponding system call is `waitpid(2)` with `WNOHANG`.
    public func waitIfEnded() throws -> WaitStatus? {
        var status: CInt = 0
        let pid = try valueOrErrno { waitpid(rawValue, &status, WNOHANG) }
        return pid == 0 ? nil : WaitStatus(waitStatus: status)
    }

    /// The PID of an ended child, without reaping it (a subreaper uses this to reap every
    /// child but one it waits for elsewhere); nil when none has ended.
    ///
    /// The corresponding system call is `waitid(2)` with `P_ALL`, `WNOHANG` and `WNOWAIT`.
    public static func endedChild() throws -> ProcessID? {
        var info = dsk_wait_info()
        do {
            try nothingOrErrno { dsk_waitid(CInt(P_ALL.rawValue), 0, WEXITED | WNOHANG | WNOWAIT, &info) }
        } catch Errno.noChildProcess {
            return nil
        }
        return info.pid == 0 ? nil : ProcessID(rawValue: info.pid)
    }

    /// Reaps any ended child of this process, without blocking: the pid and its status,
    /// or nil when none has ended. A subreaper calls this until nil after each SIGCHLD.
    ///
    /// The corresponding system call is `waitpid(2)` with `-1` and `WNOHANG`.
    public static func reapAnyChild() throws -> (ProcessID, WaitStatus)? {
        var status: CInt = 0
        let pid: pid_t
        do {
            pid = try valueOrErrno { waitpid(-1, &status, WNOHANG) }
        } catch Errno.noChildProcess {
            return nil
        }
        return pid == 0 ? nil : (ProcessID(rawValue: pid), WaitStatus(waitStatus: status))
    }
}
