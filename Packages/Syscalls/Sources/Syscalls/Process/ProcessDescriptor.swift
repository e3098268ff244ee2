import CSyscalls
import Glibc

/// A pidfd: a file descriptor that refers to one process and never to a later process
/// that happens to receive the same PID.
///
///     let child = try spawn.start()
///     try child.descriptor?.send(.terminate)
///     let status = try child.descriptor?.wait()
public struct ProcessDescriptor: Hashable, Sendable {
    public let fileDescriptor: FileDescriptor

    public init(_ fileDescriptor: FileDescriptor) { self.fileDescriptor = fileDescriptor }

    /// Opens a pidfd for process `pid` (close-on-exec).
    ///
    /// The corresponding system call is `pidfd_open(2)`.
    public static func open(_ pid: ProcessID) throws -> ProcessDescriptor {
        let fd = try valueOrErrno { dsk_pidfd_open(pid.rawValue, 0) }
        return ProcessDescriptor(FileDescriptor(rawValue: fd))
    }

    /// Sends `signal` to exactly this process, even if its PID was reused.
    ///
    /// The corresponding system call is `pidfd_send_signal(2)`.
    public func send(_ signal: Signal) throws {
        try nothingOrErrno { dsk_pidfd_send_signal(fileDescriptor.rawValue, signal.rawValue, 0) }
    }

    /// Waits for the process (a child of ours) to end, and reaps it.
    ///
    /// The corresponding system call is `waitid(2)` with `P_PIDFD`.
    public func wait() throws -> WaitStatus {
        var info = dsk_wait_info()
        try nothingOrErrno { dsk_waitid(dsk_P_PIDFD, fileDescriptor.rawValue, WEXITED, &info) }
        return WaitStatus(waitInfo: info)
    }

    /// Reaps the process if it has ended; nil while it runs.
    ///
    /// The corresponding system call is `waitid(2)` with `P_PIDFD` and `WNOHANG`.
    public func waitIfEnded() throws -> WaitStatus? {
        var info = dsk_wait_info()
        try nothingOrErrno { dsk_waitid(dsk_P_PIDFD, fileDescriptor.rawValue, WEXITED | WNOHANG, &info) }
        return info.pid == 0 ? nil : WaitStatus(waitInfo: info)
    }

    /// Closes the pidfd; the process itself is not affected.
    ///
    /// The corresponding system call is `close(2)`.
    public func close() throws { try fileDescriptor.close() }
}

extension WaitStatus {
    /// Decodes what `waitid(2)` reports: `si_code` says how, `si_status` says with what.
    init(waitInfo info: dsk_wait_info) {
        switch info.code {
        case CInt(CLD_EXITED): self = .exited(info.status)
        case CInt(CLD_DUMPED): self = .signaled(Signal(rawValue: info.status), coreDumped: true)
        default: self = .signaled(Signal(rawValue: info.status), coreDumped: false)
        }
    }
}
