import Cgroups
import FoundationEssentials
import Glibc
import Namespaces
import Syscalls

extension Container {
    /// How to run a further process in a live container.
    public struct ExecOptions: Sendable {
        public var process: Spec.Process
        public var detach = false
        public var pidFile: String?
        public var consoleSocket: String?
        public var stdio: [CInt: FileDescriptor] = [0: .standardInput, 1: .standardOutput, 2: .standardError]
        public var helperExecutable = "/proc/self/exe"
        public var helperArguments = ["exec-init"]

        public init(process: Spec.Process) {
            self.process = process
        }
    }

    /// A process started by `exec`: the helper (its parent) to wait for, and the terminal's
    /// controller end when it has one and no console socket took it.
    public struct Executed {
        public let pid: Int32
        public let helper: SpawnedProcess
        public let terminal: FileDescriptor?
    }

    /// `exec`: starts `options.process` inside the container, with its namespaces, cgroup,
    /// capabilities, no_new_privs and seccomp filter.
    public func exec(_ options: ExecOptions) throws -> Executed {
        let status = status
        try require(.exec, status)
        guard let initProcess = record.process, initProcess.isAlive else {
            throw RuntimeError.state(id: id, status: .stopped, operation: "exec")
        }
        guard let args = options.process.args, !args.isEmpty else { throw RuntimeError.failed("exec \(id): no command") }

        // Every namespace of the container's init that differs from ours.
        var namespaces: [IsolatedProcess.JoinedNamespace] = []
        for kind in Syscalls.Namespace.allCases {
            let theirs = try? kind.identity(of: initProcess.pid)
            if let theirs, theirs != (try? kind.identity(of: getpid())) {
                namespaces.append(.init(kind: kind, path: kind.path(of: initProcess.pid)))
            }
        }
        let process = options.process
        let request = ExecRequest(
            namespaces: namespaces, args: args, env: process.env ?? record.spec.process?.env ?? [], cwd: process.cwd,
            uid: process.user.uid, gid: process.user.gid, groups: process.user.additionalGids ?? [], umask: process.user.umask,
            terminal: process.terminal ?? false, detach: options.detach, capabilities: process.capabilities,
            noNewPrivileges: process.noNewPrivileges ?? false, rlimits: process.rlimits ?? [],
            seccomp: try record.spec.linux?.seccomp.map { BPFProgram(try SeccompCompiler.compile($0).program) })

        var controller: FileDescriptor?
        let (ours, theirs) = try FileDescriptor.socketPair()
        defer { try? ours.close() }
        var spawn = Spawn(options.helperExecutable, arguments: options.helperArguments, environment: [])
        spawn.fileDescriptors = options.stdio.merging([3: theirs]) { _, new in new }
        let helper: SpawnedProcess
        do {
            defer { try? theirs.close() }
            // In the cgroup before it runs: the process it forks is born there.
            helper = try cgroup.spawn(spawn)
        }
        do {
            try ours.sendMessage(Array(try JSONEncoder().encode(request)))
            if request.terminal {
                let pty = try ours.receiveDescriptor()
                if let socketPath = options.consoleSocket {
                    defer { try? pty.close() }
                    try Container.sendConsole(pty, to: socketPath)
                } else {
                    controller = pty
                }
            }
            let answer = try ours.read(upTo: 1 << 16)
            guard !answer.isEmpty else {
                throw RuntimeError.failed("exec \(id): the helper \(try helper.wait()) without an answer")
            }
            switch try JSONDecoder().decode(ExecReply.self, from: Data(answer)) {
            case .started(let pid):
                if let pidFile = options.pidFile { try Container.writePIDFile(pidFile, pid) }
                return Executed(pid: pid, helper: helper, terminal: controller)
            case .failed(let message, let code):
                _ = try? helper.wait()
                throw ExecError(message: message, exitCode: code)
            }
        } catch {
            try? controller?.close()
            if (try? helper.pid.waitIfEnded()) == nil {
                try? helper.pid.send(.kill)
                _ = try? helper.wait()
            }
            throw error
        }
    }
}

/// A process that could not be started by exec, with the exit code a shell would give
/// (127: not found, 126: not executable).
public struct ExecError: Error, CustomStringConvertible {
    public let message: String
    public let exitCode: CInt
    public var description: String { message }
}
