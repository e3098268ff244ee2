import FoundationEssentials
import Glibc
import Namespaces
import Syscalls

/// What `exec` asks of its helper: which namespaces to enter, and the process to start there.
struct ExecRequest: Codable {
    /// Namespace files of the container's init, user namespace first.
    var namespaces: [IsolatedProcess.JoinedNamespace]
    var args: [String]
    var env: [String]
    var cwd: String
    var uid: UInt32
    var gid: UInt32
    var groups: [UInt32]
    var umask: UInt32?
    var terminal: Bool
    var detach: Bool
    var capabilities: Spec.Capabilities?
    var noNewPrivileges: Bool
    var rlimits: [Spec.Rlimit]
    var seccomp: BPFProgram?
}

/// The helper's answer: the new process's PID (as the host sees it), or what failed.
enum ExecReply: Codable {
    case started(Int32)
    case failed(String, exitCode: CInt)
}

/// `exec` into a running container, done by a freshly exec'd, single-threaded helper
/// (`dosirak-runtime exec-init`): joining a mount or user namespace needs one thread, and
/// joining a PID namespace takes effect only for children, so the helper enters every
/// namespace of the container, gives up privileges as the container's init did, and then
/// forks the process, which is born inside the PID namespace (and, because the helper was
/// put in the container's cgroup before it ran, inside the cgroup too).
public enum ExecInit {
    /// The entry point of `exec-init`.
    public static func main() -> Never { run() }

    static func run() -> Never {
        let socket = ContainerInit.inheritedCloseOnExec(FileDescriptor(rawValue: 3))
        func reply(_ message: ExecReply) {
            if let data = try? JSONEncoder().encode(message) { try? socket.sendMessage(Array(data)) }
        }
        do {
            try CurrentProcess.requireSingleThreaded()
            let bytes = try socket.read(upTo: 1 << 20)
            let request = try JSONDecoder().decode(ExecRequest.self, from: Data(bytes))
            try ContainerInit.join(request.namespaces)
            try ContainerInit.step("chdir", request.cwd) { try FileSystem.changeDirectory(to: request.cwd) }
            for limit in request.rlimits {
                try ContainerInit.step("setrlimit", limit.type) {
                    try ResourceLimit.set(ResourceLimit.resources[limit.type] ?? -1, ResourceLimit(soft: limit.soft, hard: limit.hard))
                }
            }
            // As in init: without no_new_privs the filter needs CAP_SYS_ADMIN, so it goes in
            // before the capabilities are dropped (and is then inherited by the child).
            if let filter = request.seccomp, !request.noNewPrivileges {
                try ContainerInit.step("seccomp") { try Seccomp.install(filter.kernelInstructions) }
            }
            if let capabilities = request.capabilities {
                try CapabilityDance.apply(capabilities, uid: request.uid, gid: request.gid, groups: request.groups)
            } else {
                try ContainerInit.switchUser(uid: request.uid, gid: request.gid, groups: request.groups)
            }
            let path = CurrentProcess.path(in: request.env)
            guard let program = CurrentProcess.lookUp(request.args[0], path: path), access(program, X_OK) == 0 else {
                reply(.failed("exec: \"\(request.args[0])\": executable file not found in $PATH", exitCode: 127))
                exit(127)
            }
            if let mask = request.umask { umask(mode_t(mask)) }
            var peer: FileDescriptor?
            if request.terminal {
                // A terminal from the container's own devpts; the controller goes to the caller.
                let controller = try ContainerInit.step("open", "/dev/ptmx") {
                    try FileDescriptor.open("/dev/ptmx", .readWrite, options: [.noControllingTerminal])
                }
                peer = try ContainerInit.step("open", "terminal peer") { try Terminal.openPeer(of: controller) }
                try socket.sendDescriptor(controller)
                try? controller.close()
            }
            var spawn = Spawn(program, environment: request.env)
            spawn.arguments = request.args
            spawn.noNewPrivileges = request.noNewPrivileges
            spawn.seccompFilter = request.noNewPrivileges ? request.seccomp?.kernelInstructions : nil
            if let peer {
                spawn.fileDescriptors = [0: peer, 1: peer, 2: peer]
                spawn.newSession = true
                spawn.controllingTerminal = 0
            }
            let child = try spawn.start()
            reply(.started(child.pid.rawValue))
            if request.detach { exit(0) }  // the caller (a shim, a subreaper) inherits it
            exit(try child.wait().shellCode)
        } catch let error as SpawnError {
            let code: CInt = error.errno == .permissionDenied ? 126 : 127
            reply(.failed("exec: \(error)", exitCode: code))
            exit(code)
        } catch {
            reply(.failed("exec: \(error)", exitCode: 125))
            exit(125)
        }
    }
}
