import CSyscalls
import Glibc

/// Starts a program in a child process: the one fork/exec path in Dosirak.
///
/// Everything is prepared here, in Swift, before the fork; the child then runs a few
/// system calls written in C (`dsk_spawn`) and execs. If anything fails in the child, the
/// stage and errno come back over a close-on-exec pipe and `start()` throws them.
///
///     var spawn = Spawn("/bin/busybox", arguments: ["hostname"])
///     spawn.namespaces = [.uts]                      // clone3(CLONE_NEWUTS)
///     let child = try spawn.start()
///     print(try child.wait())                        // exited with code 0
///
/// Only the descriptors in `fileDescriptors` reach the child; by default its 0, 1 and 2
/// are ours. Nothing else does, even a descriptor another thread opened without O_CLOEXEC.
public struct Spawn: Sendable {
    /// The program to run: a path, never searched for in PATH.
    public var executable: String
    /// The program's argv, `argv[0]` included.
    public var arguments: [String]
    /// `NAME=value` strings.
    public var environment: [String]
    /// Child descriptor number to the parent's descriptor that becomes it.
    public var fileDescriptors: [CInt: FileDescriptor] = [
        0: .standardInput, 1: .standardOutput, 2: .standardError,
    ]
    /// The child's working directory; nil keeps ours.
    public var workingDirectory: String?
    /// New namespaces the child starts in (`clone3` with `CLONE_NEW*`).
    public var namespaces: Set<Namespace> = []
    /// A cgroup v2 directory the child starts in (`CLONE_INTO_CGROUP`): no moment passes in
    /// which the child runs outside it.
    public var cgroup: FileDescriptor?
    /// Sent to the child when the thread that spawned it exits.
    public var parentDeathSignal: Signal?
    /// Start a new session (`setsid`), so the child has no controlling terminal of ours.
    public var newSession = false
    /// A child descriptor (after mapping) to make the session's controlling terminal.
    public var controllingTerminal: CInt?
    /// Stop the child right after the fork, until `SpawnedProcess.release()`. The parent
    /// uses the pause to write a new user namespace's uid and gid maps.
    public var holdUntilReleased = false
    /// User and group IDs the child takes just before exec, dropping supplementary groups.
    /// (0, 0) in a new user namespace makes it root there, which exec needs in order to
    /// keep the namespace's capabilities.
    public var credentials: (uid: uid_t, gid: gid_t)?
    /// Set no_new_privs in the child just before exec.
    public var noNewPrivileges = false
    /// A seccomp filter the child installs just before exec (it must allow `execve`).
    /// Without no_new_privs this needs CAP_SYS_ADMIN.
    public var seccompFilter: [Seccomp.Instruction]?

    /// A spawn of `executable` with `arguments` (default: just its path as argv[0]) and
    /// `environment` (default: ours).
    public init(_ executable: String, arguments: [String]? = nil, environment: [String]? = nil) {
        self.executable = executable
        self.arguments = arguments.map { [executable] + $0 } ?? [executable]
        self.environment = environment ?? CurrentProcess.environment()
    }

    /// Forks and execs, returning once the child runs the new program (or, with
    /// `holdUntilReleased`, once it is forked and waiting for `release()`).
    ///
    /// The corresponding system calls are `clone3(2)` and `execve(2)`.
    public func start() throws -> SpawnedProcess {
        let hold = holdUntilReleased ? try FileDescriptor.pipe() : nil
        defer { try? hold?.read.close() }
        let argv = CStringArray(arguments)
        let envp = CStringArray(environment)
        let mappings = fileDescriptors.sorted { $0.key < $1.key }
            .map { dsk_fd_mapping(from: $0.value.rawValue, to: $0.key) }
        var scratch = [CInt](repeating: -1, count: max(mappings.count, 1))
        var result = dsk_spawn_result()

        let rc = mappings.withUnsafeBufferPointer { fds in
            scratch.withUnsafeMutableBufferPointer { scratch in
                workingDirectory.withOptionalCString { cwd in
                    executable.withCString { path in
                        argv.pointers.withUnsafeBufferPointer { argvBuffer in
                            envp.pointers.withUnsafeBufferPointer { envpBuffer in
                                var attr = dsk_spawn_attr(
                                    path: path,
                                    argv: argvBuffer.baseAddress,
                                    envp: envpBuffer.baseAddress,
                                    fds: fds.baseAddress,
                                    fd_count: CInt(fds.count),
                                    scratch: scratch.baseAddress,
                                    cwd: cwd,
                                    clone_flags: Namespace.cloneFlags(namespaces),
                                    cgroup_fd: cgroup?.rawValue ?? -1,
                                    pdeath_signal: parentDeathSignal?.rawValue ?? 0,
                                    new_session: newSession ? 1 : 0,
                                    controlling_terminal: controllingTerminal ?? -1,
                                    hold_fd: hold?.read.rawValue ?? -1,
                                    hold_parent_fd: hold?.write.rawValue ?? -1,
                                    set_credentials: credentials == nil ? 0 : 1,
                                    uid: credentials?.uid ?? 0,
                                    gid: credentials?.gid ?? 0,
                                    no_new_privs: noNewPrivileges ? 1 : 0,
                                    seccomp: nil,
                                    seccomp_length: 0)
                                return startWithFilter(&attr, &result)
                            }
                        }
                    }
                }
            }
        }
        guard rc == 0 else {
            try? hold?.write.close()
            throw SpawnError(self, result)
        }
        let pending = SpawnedProcess.Pending(spawn: self, result: result, hold: hold?.write)
        let child = SpawnedProcess(
            pid: ProcessID(rawValue: result.pid),
            descriptor: result.pidfd >= 0 ? ProcessDescriptor(FileDescriptor(rawValue: result.pidfd)) : nil,
            pending: pending)
        if !holdUntilReleased { try child.release() }
        return child
    }
}

extension Spawn {
    /// dsk_spawn_start with the seccomp filter's buffer pinned for the duration of the fork.
    fileprivate func startWithFilter(_ attr: inout dsk_spawn_attr, _ result: inout dsk_spawn_result) -> CInt {
        guard let seccompFilter else { return dsk_spawn_start(&attr, &result) }
        return seccompFilter.withUnsafeBufferPointer { filter in
            attr.seccomp = filter.baseAddress
            attr.seccomp_length = UInt16(truncatingIfNeeded: filter.count)
            return dsk_spawn_start(&attr, &result)
        }
    }
}

/// A child started by `Spawn`.
public struct SpawnedProcess: Sendable {
    public let pid: ProcessID
    /// A pidfd for the child (nil on kernels without `clone3`). `wait()` closes it.
    public let descriptor: ProcessDescriptor?
    let pending: Pending

    /// Lets a held child go on to exec, and waits until it has. If it fails instead, it is
    /// reaped, its pidfd closed, and the error thrown. Without `holdUntilReleased`,
    /// `start()` has already done this.
    public func release() throws {
        try pending.finish()
    }

    /// Gives up on a held child: it exits without exec'ing, and is reaped here.
    public func abandon() {
        pending.abandon()
    }

    /// The parent's ends of the hold and report pipes, until the child has exec'd.
    final class Pending: @unchecked Sendable {
        private let spawn: Spawn
        private var result: dsk_spawn_result
        private var hold: FileDescriptor?
        private var finished = false

        init(spawn: Spawn, result: dsk_spawn_result, hold: FileDescriptor?) {
            self.spawn = spawn
            self.result = result
            self.hold = hold
        }

        func finish() throws {
            guard !finished else { return }
            finished = true
            if let hold {
                try? hold.writeAll([1])
                try? hold.close()
                self.hold = nil
            }
            if dsk_spawn_finish(&result) != 0 { throw SpawnError(spawn, result) }
        }

        func abandon() {
            guard !finished else { return }
            finished = true
            try? hold?.close()  // the child reads end of file and _exits
            hold = nil
            _ = dsk_spawn_finish(&result)
            var status: CInt = 0
            while waitpid(result.pid, &status, 0) == -1 && errno == EINTR {}
            if result.pidfd >= 0 { Glibc.close(result.pidfd) }
        }
    }

    /// Waits for the child to end, reaps it and closes its pidfd.
    ///
    /// The corresponding system call is `waitid(2)` (or `waitpid(2)`).
    public func wait() throws -> WaitStatus {
        guard let descriptor else { return try pid.wait() }
        defer { try? descriptor.close() }
        return try descriptor.wait()
    }
}

/// Why a spawn failed, and where: `spawn /bin/nope: exec: ENOENT`.
public struct SpawnError: Error, CustomStringConvertible, Equatable {
    /// The step that failed, in the order the child runs them.
    public enum Stage: CInt, Sendable, CustomStringConvertible {
        case clone = 1, parentDeathSignal, signals, hold, credentials, session, fileDescriptors
        case controllingTerminal, workingDirectory, exec, seccomp

        public var description: String {
            switch self {
            case .clone: "clone3"
            case .parentDeathSignal: "prctl PR_SET_PDEATHSIG"
            case .signals: "sigprocmask"
            case .hold: "wait for the parent"
            case .credentials: "setresuid"
            case .session: "setsid"
            case .fileDescriptors: "arrange descriptors"
            case .controllingTerminal: "ioctl TIOCSCTTY"
            case .workingDirectory: "chdir"
            case .exec: "exec"
            case .seccomp: "seccomp"
            }
        }
    }

    public let executable: String
    public let workingDirectory: String?
    public let stage: Stage
    public let errno: Errno

    public init(executable: String, workingDirectory: String?, stage: Stage, errno: Errno) {
        self.executable = executable
        self.workingDirectory = workingDirectory
        self.stage = stage
        self.errno = errno
    }

    init(_ spawn: Spawn, _ result: dsk_spawn_result) {
        self.init(executable: spawn.executable, workingDirectory: spawn.workingDirectory,
                  stage: Stage(rawValue: result.stage) ?? .clone, errno: Errno(rawValue: result.error))
    }

    public var description: String {
        let subject = stage == .workingDirectory ? " \(workingDirectory ?? "")" : ""
        return "spawn \(executable): \(stage)\(subject): \(errno)"
    }
}

extension Optional where Wrapped == String {
    func withOptionalCString<Result>(_ body: (UnsafePointer<CChar>?) -> Result) -> Result {
        switch self {
        case .some(let string): string.withCString(body)
        case .none: body(nil)
        }
    }
}
