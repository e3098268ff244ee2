import Glibc

/// A signal number, such as `SIGTERM`, with its name.
public struct Signal: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: CInt
    public init(rawValue: CInt) { self.rawValue = rawValue }

    public static let hangup = Signal(rawValue: SIGHUP)
    public static let interrupt = Signal(rawValue: SIGINT)
    public static let quit = Signal(rawValue: SIGQUIT)
    public static let abort = Signal(rawValue: SIGABRT)
    public static let kill = Signal(rawValue: SIGKILL)
    public static let user1 = Signal(rawValue: SIGUSR1)
    public static let user2 = Signal(rawValue: SIGUSR2)
    public static let segmentationFault = Signal(rawValue: SIGSEGV)
    public static let pipe = Signal(rawValue: SIGPIPE)
    public static let alarm = Signal(rawValue: SIGALRM)
    public static let terminate = Signal(rawValue: SIGTERM)
    public static let child = Signal(rawValue: SIGCHLD)
    public static let `continue` = Signal(rawValue: SIGCONT)
    public static let stop = Signal(rawValue: SIGSTOP)
    public static let terminalStop = Signal(rawValue: SIGTSTP)
    public static let windowChange = Signal(rawValue: SIGWINCH)

    private static let names: [(String, CInt)] = [
        ("HUP", SIGHUP), ("INT", SIGINT), ("QUIT", SIGQUIT), ("ILL", SIGILL), ("TRAP", SIGTRAP),
        ("ABRT", SIGABRT), ("BUS", SIGBUS), ("FPE", SIGFPE), ("KILL", SIGKILL), ("USR1", SIGUSR1),
        ("SEGV", SIGSEGV), ("USR2", SIGUSR2), ("PIPE", SIGPIPE), ("ALRM", SIGALRM),
        ("TERM", SIGTERM), ("STKFLT", SIGSTKFLT), ("CHLD", SIGCHLD), ("CONT", SIGCONT),
        ("STOP", SIGSTOP), ("TSTP", SIGTSTP), ("TTIN", SIGTTIN), ("TTOU", SIGTTOU),
        ("URG", SIGURG), ("XCPU", SIGXCPU), ("XFSZ", SIGXFSZ), ("VTALRM", SIGVTALRM),
        ("PROF", SIGPROF), ("WINCH", SIGWINCH), ("IO", SIGIO), ("PWR", SIGPWR), ("SYS", SIGSYS),
    ]

    /// Parses a signal as `kill` accepts it: `SIGTERM`, `TERM`, `term`, `15`, `RTMIN+3`.
    public init?(parsing text: String) {
        var name = text.uppercased()
        if let number = CInt(name) {
            guard number > 0 && number < 65 else { return nil }  // 1...64 on Linux
            self.init(rawValue: number)
            return
        }
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if let match = Signal.names.first(where: { $0.0 == name }) {
            self.init(rawValue: match.1)
            return
        }
        if name.hasPrefix("RTMIN") || name.hasPrefix("RTMAX") {
            let base = name.hasPrefix("RTMIN") ? CInt(34) : CInt(64)  // SIGRTMIN, SIGRTMAX
            let rest = name.dropFirst(5)
            guard let offset = rest.isEmpty ? 0 : CInt(rest) else { return nil }
            let number = base + offset
            guard number >= 34 && number <= 64 else { return nil }
            self.init(rawValue: number)
            return
        }
        return nil
    }

    /// `SIGTERM`, or `SIG42` for a number without a name here.
    public var name: String {
        if let match = Signal.names.first(where: { $0.1 == rawValue }) { return "SIG" + match.0 }
        return "SIG\(rawValue)"
    }

    public var description: String { name }
}
