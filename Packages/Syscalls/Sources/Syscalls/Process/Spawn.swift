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

    /// A spawn of `executable` with `arguments` (default: just its path as argv[0]) and
    /// `environment` (default: ours).
    public init(_ executable: String, arguments: [String]? = nil, environment: [String]? = nil) {
        self.executable = executable
        self.arguments = arguments.map { [executable] + $0 } ?? [executable]
        self.environment = environment ?? CurrentProcess.environment()
    }

    /// Forks and execs, returning once the child runs the new program.
    ///
    /// The corresponding system calls are `clone3(2)` and `execve(2)`.
    public func start() throws -> SpawnedProcess {
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
                                    controlling_terminal: controllingTerminal ?? -1)
                                return dsk_spawn(&attr, &result)
                            }
                        }
                    }
                }
            }
        }
        guard rc == 0 else {
            throw SpawnError(
                executable: executable, workingDirectory: workingDirectory,
                stage: SpawnError.Stage(rawValue: result.stage) ?? .clone,
                errno: Errno(rawValue: result.error))
        }
        let descriptor = result.pidfd >= 0
            ? ProcessDescriptor(FileDescriptor(rawValue: result.pidfd)) : nil
        return SpawnedProcess(pid: ProcessID(rawValue: result.pid), descriptor: descriptor)
    }
}

/// A child started by `Spawn`.
public struct SpawnedProcess: Sendable {
    public let pid: ProcessID
    /// A pidfd for the child (nil on kernels without `clone3`). `wait()` closes it.
    public let descriptor: ProcessDescriptor?

    /// Waits for the child to end, reaps it and closes its pidfd.
    ///
    /// The corresponding system call is `waitid(2)` (or `waitpid(2)`).
    public func wait() throws -> ExitStatus {
        guard let descriptor else { return try pid.wait() }
        defer { try? descriptor.close() }
        return try descriptor.wait()
    }
}

/// Why a spawn failed, and where: `spawn /bin/nope: exec: ENOENT`.
public struct SpawnError: Error, CustomStringConvertible, Equatable {
    /// The step that failed, in the order the child runs them.
    public enum Stage: CInt, Sendable, CustomStringConvertible {
        case clone = 1, parentDeathSignal, signals, session, fileDescriptors
        case controllingTerminal, workingDirectory, exec

        public var description: String {
            switch self {
            case .clone: "clone3"
            case .parentDeathSignal: "prctl PR_SET_PDEATHSIG"
            case .signals: "sigprocmask"
            case .session: "setsid"
            case .fileDescriptors: "arrange descriptors"
            case .controllingTerminal: "ioctl TIOCSCTTY"
            case .workingDirectory: "chdir"
            case .exec: "exec"
            }
        }
    }

    public let executable: String
    public let workingDirectory: String?
    public let stage: Stage
    public let errno: Errno

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
