import Glibc
import Syscalls

/// What a seccomp filter tells the kernel to do with a system call: the value of its `ret`.
/// The high 16 bits choose the action (`SECCOMP_RET_ALLOW`, `SECCOMP_RET_ERRNO`, ...), the
/// low 16 bits carry its data (the errno to fail with, the message for a tracer).
///
///     try SeccompAction(name: "SCMP_ACT_ERRNO", errnoRet: nil)   // .errno(EPERM)
///     SeccompAction.errno(1).returnValue                         // 0x00050001
public enum SeccompAction: Hashable, Sendable, CustomStringConvertible {
    /// The call runs.
    case allow
    /// The call does not run and returns -1 with this errno.
    case errno(UInt16)
    /// The calling thread is killed as if by SIGSYS (`SCMP_ACT_KILL`, `SCMP_ACT_KILL_THREAD`).
    case killThread
    /// The whole process is killed as if by SIGSYS, dumping core.
    case killProcess
    /// The call does not run; the thread gets SIGSYS, which a handler may catch.
    case trap
    /// The call runs and is logged to the audit log.
    case log
    /// A ptrace tracer is told (`PTRACE_EVENT_SECCOMP` with this message); without one the
    /// call fails with ENOSYS.
    case trace(UInt16)

    /// The largest errno the kernel passes on; it clamps bigger values to this.
    static let maximumErrno: UInt32 = 4095

    /// The action a profile names (`SCMP_ACT_ERRNO`), with its `errnoRet` (EPERM when absent,
    /// as runc does). `SCMP_ACT_NOTIFY` needs a supervisor listening on a descriptor, which
    /// Dosirak does not have, so it is refused.
    public init(name: String, errnoRet: UInt32?) throws {
        let data = errnoRet ?? UInt32(EPERM)
        guard data <= SeccompAction.maximumErrno else {
            throw RuntimeError.bundle("linux.seccomp: errnoRet \(data) for \(name) is out of range (0-\(SeccompAction.maximumErrno))")
        }
        switch name {
        case "SCMP_ACT_ALLOW": self = .allow
        case "SCMP_ACT_ERRNO": self = .errno(UInt16(data))
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": self = .killThread
        case "SCMP_ACT_KILL_PROCESS": self = .killProcess
        case "SCMP_ACT_TRAP": self = .trap
        case "SCMP_ACT_LOG": self = .log
        case "SCMP_ACT_TRACE": self = .trace(UInt16(data))
        case "SCMP_ACT_NOTIFY":
            throw RuntimeError.unsupported("linux.seccomp: SCMP_ACT_NOTIFY needs a seccomp agent, which Dosirak does not run")
        default:
            throw RuntimeError.bundle("linux.seccomp: unknown action \"\(name)\"")
        }
        if errnoRet != nil, !(self.carriesData) {
            throw RuntimeError.bundle("linux.seccomp: errnoRet is only meaningful with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not \(name)")
        }
    }

    /// The action a filter's `ret` value stands for, or nil for a value no action uses.
    init?(returnValue: UInt32) {
        let data = UInt16(returnValue & 0xffff)
        switch returnValue & 0xffff_0000 {
        case 0x7fff_0000: self = .allow
        case 0x0005_0000: self = .errno(data)
        case 0x0000_0000: self = .killThread
        case 0x8000_0000: self = .killProcess
        case 0x0003_0000: self = .trap
        case 0x7ffc_0000: self = .log
        case 0x7ff0_0000: self = .trace(data)
        default: return nil
        }
    }

    private var carriesData: Bool {
        switch self {
        case .errno, .trace: true
        default: false
        }
    }

    /// The `SECCOMP_RET_*` value a filter returns for this action, data included.
    public var returnValue: UInt32 {
        switch self {
        case .allow: 0x7fff_0000                         // SECCOMP_RET_ALLOW
        case .errno(let errno): 0x0005_0000 | UInt32(errno)  // SECCOMP_RET_ERRNO
        case .killThread: 0x0000_0000                    // SECCOMP_RET_KILL_THREAD
        case .killProcess: 0x8000_0000                   // SECCOMP_RET_KILL_PROCESS
        case .trap: 0x0003_0000                          // SECCOMP_RET_TRAP
        case .log: 0x7ffc_0000                           // SECCOMP_RET_LOG
        case .trace(let message): 0x7ff0_0000 | UInt32(message)  // SECCOMP_RET_TRACE
        }
    }

    /// Whether the call goes ahead under this action.
    var letsCallRun: Bool { self == .allow || self == .log }

    public var description: String {
        switch self {
        case .allow: "ALLOW"
        case .errno(let errno): "ERRNO(\(Errno(rawValue: CInt(errno)).name))"
        case .killThread: "KILL_THREAD"
        case .killProcess: "KILL_PROCESS"
        case .trap: "TRAP"
        case .log: "LOG"
        case .trace(let message): "TRACE(\(message))"
        }
    }
}
