import CSyscalls
import Glibc

/// Calls that act on the calling process itself.
public enum CurrentProcess {
    /// How many threads this process has, as the kernel counts them (/proc/self/status).
    public static func threadCount() throws -> Int {
        let fd = try FileDescriptor.open("/proc/self/status")
        let text = try fd.closeAfter { String(decoding: try fd.readAll(), as: UTF8.self) }
        for line in text.split(separator: "\n") where line.hasPrefix("Threads:") {
            if let count = Int(line.dropFirst("Threads:".count).trimmingWhitespace()) { return count }
        }
        throw Errno.invalidArgument
    }

    /// Throws unless this process has exactly one thread. Joining a user or mount namespace
    /// (`setns`, `unshare`) needs that, and so does running Swift safely around a fork;
    /// so Dosirak does such work in a freshly exec'd helper that checks first.
    public static func requireSingleThreaded() throws {
        let count = try threadCount()
        if count != 1 { throw NotSingleThreaded(threads: count) }
    }

    /// The error `requireSingleThreaded` throws.
    public struct NotSingleThreaded: Error, CustomStringConvertible {
        public let threads: Int
        public var description: String { "process has \(threads) threads; this step needs exactly one" }
    }


    /// The name `ps` and /proc/PID/comm show for this process (16 bytes at most).
    ///
    /// The corresponding system call is `prctl(2)` with `PR_SET_NAME`.
    public static func setName(_ name: String) throws {
        try nothingOrErrno { dsk_set_name(name) }
    }

    /// Forbids gaining privileges through exec (set-user-ID bits, file capabilities),
    /// for this process and every descendant, forever. Seccomp without `CAP_SYS_ADMIN`
    /// requires it.
    ///
    /// The corresponding system call is `prctl(2)` with `PR_SET_NO_NEW_PRIVS`.
    public static func setNoNewPrivileges() throws {
        try nothingOrErrno { dsk_set_no_new_privs() }
    }

    /// Whether `no_new_privs` is set.
    ///
    /// The corresponding system call is `prctl(2)` with `PR_GET_NO_NEW_PRIVS`.
    public static func noNewPrivileges() throws -> Bool {
        try valueOrErrno { dsk_get_no_new_privs() } == 1
    }

    /// Asks the kernel to send `signal` to this process when the thread that created it
    /// exits. Note "thread": a parent whose spawning thread ends kills the child too. Set
    /// it, then check the parent is still the one you expect: it may already have died.
    ///
    /// The corresponding system call is `prctl(2)` with `PR_SET_PDEATHSIG`.
    public static func setParentDeathSignal(_ signal: Signal?) throws {
        try nothingOrErrno { dsk_set_pdeathsig(signal?.rawValue ?? 0) }
    }

    /// The parent-death signal, or nil when none is set.
    ///
    /// The corresponding system call is `prctl(2)` with `PR_GET_PDEATHSIG`.
    public static func parentDeathSignal() throws -> Signal? {
        var signal: CInt = 0
        try nothingOrErrno { dsk_get_pdeathsig(&signal) }
        return signal == 0 ? nil : Signal(rawValue: signal)
    }

    /// Makes this process a subreaper: orphaned descendants are reparented to it instead
    /// of to PID 1, so it can wait for them (what a container monitor does).
    ///
    /// The corresponding system call is `prctl(2)` with `PR_SET_CHILD_SUBREAPER`.
    public static func setChildSubreaper(_ on: Bool = true) throws {
        try nothingOrErrno { dsk_set_child_subreaper(on ? 1 : 0) }
    }

    /// Whether this process is a subreaper.
    ///
    /// The corresponding system call is `prctl(2)` with `PR_GET_CHILD_SUBREAPER`.
    public static func isChildSubreaper() throws -> Bool {
        var on: CInt = 0
        try nothingOrErrno { dsk_get_child_subreaper(&on) }
        return on != 0
    }

    /// Keeps permitted capabilities across a change of all user IDs away from 0.
    ///
    /// The corresponding system call is `prctl(2)` with `PR_SET_KEEPCAPS`.
    public static func setKeepCapabilities(_ on: Bool) throws {
        try nothingOrErrno { dsk_set_keepcaps(on ? 1 : 0) }
    }

    /// Whether capabilities survive the change away from user ID 0.
    ///
    /// The corresponding system call is `prctl(2)` with `PR_GET_KEEPCAPS`.
    public static func keepCapabilities() throws -> Bool {
        try valueOrErrno { dsk_get_keepcaps() } == 1
    }

    /// The seccomp mode: 0 off, 1 strict, 2 filter (as /proc/self/status `Seccomp:` shows).
    ///
    /// The corresponding system call is `prctl(2)` with `PR_GET_SECCOMP`.
    public static func seccompMode() throws -> Int {
        Int(try valueOrErrno { dsk_get_seccomp() })
    }
}

extension CurrentProcess {
    /// This process's environment as `NAME=value` strings.
    public static func environment() -> [String] {
        var result: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            result.append(String(cString: entry))
            pointer += 1
        }
        return result
    }
}
