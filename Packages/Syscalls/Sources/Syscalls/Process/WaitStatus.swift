/// How a process ended, as `wait` reports it.
public enum WaitStatus: Hashable, Sendable, CustomStringConvertible {
    /// It called `exit(code)` (or returned from `main`).
    case exited(CInt)
    /// A signal ended it.
    case signaled(Signal, coreDumped: Bool)

    /// Decodes the status word of `waitpid(2)`. The low 7 bits hold the signal that ended
    /// the process (0 for a normal exit), bit 7 says a core was dumped, and bits 8–15 hold
    /// the exit code. (C reads these with the WIFEXITED/WEXITSTATUS macros.)
    public init(waitStatus status: CInt) {
        let signal = status & 0x7f
        if signal == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .signaled(Signal(rawValue: signal), coreDumped: status & 0x80 != 0)
        }
    }

    /// The shell's convention for one number: the exit code, or 128 plus the signal.
    public var shellCode: CInt {
        switch self {
        case .exited(let code): code
        case .signaled(let signal, _): 128 + signal.rawValue
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exited with code \(code)"
        case .signaled(let signal, let core): "killed by \(signal)\(core ? " (core dumped)" : "")"
        }
    }
}
