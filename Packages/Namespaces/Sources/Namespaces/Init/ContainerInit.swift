import Glibc
import Syscalls

/// The container's first process, from its first instruction to the exec of the command.
///
/// It runs in a freshly exec'd copy of the Dosirak binary (`/proc/self/exe init`), already
/// inside the new namespaces. It has one thread, so joining namespaces is allowed and Swift
/// is safe to run. It talks to the parent over descriptor 3 and reports any failure as one
/// message naming the step, then exits.
public enum ContainerInit {
    /// The descriptor the parent hands init its end of the socket pair on.
    public static let socketDescriptor = FileDescriptor(rawValue: 3)

    /// Runs init to the exec of the command. Never returns.
    public static func run() -> Never {
        let socket = SyncSocket(fd: socketDescriptor)
        do {
            try step("check threads") { try CurrentProcess.requireSingleThreaded() }
            try? CurrentProcess.setName("dosirak:[init]")
            // If the parent has died, the socket is at end of file: nothing to do but leave.
            guard case .configuration(let configuration)? = try socket.receive(ParentMessage.self) else { exit(1) }
            try join(configuration.joinedNamespaces)
            guard case .go? = try socket.receive(ParentMessage.self) else { exit(1) }

            // A new user namespace was entered as root before exec (see Spawn.credentials);
            // a joined one still has to be.
            if configuration.joinedNamespaces.contains(where: { $0.kind == .user }) { try becomeRoot() }
            try setUpFileTree(configuration)
            if let hostname = configuration.hostname {
                try step("sethostname", hostname) { try Hostname.set(hostname) }
            }
            if configuration.namespaces.contains(.network) {
                try step("bring up", "lo") { try NetworkInterface.bringUp("lo") }
            }
            try switchUser(uid: configuration.uid, gid: configuration.gid)
            try step("chdir", configuration.workingDirectory) {
                try FileSystem.changeDirectory(to: configuration.workingDirectory)
            }
            let environment = withDefaultPath(configuration.environment)
            let program = try findCommand(configuration.command[0], path: CurrentProcess.path(in: environment))

            try socket.send(ChildMessage.ready)
            guard case .start? = try socket.receive(ParentMessage.self) else { exit(1) }
            do {
                try CurrentProcess.exec(program, arguments: configuration.command, environment: environment)
            } catch let errno as Errno {
                throw Failure(.failed(stage: "exec", errno: errno.rawValue, detail: program))
            }
        } catch let failure as Failure {
            try? socket.send(failure.message)
            exit(failure.message.error?.exitCode ?? 125)
        } catch {
            try? socket.send(ChildMessage.failed(stage: "init", errno: nil, detail: "\(error)"))
            exit(125)
        }
    }

    // MARK: - Steps

    /// Enters namespaces by path, user namespace first: its capabilities are what allow
    /// joining the others.
    static func join(_ namespaces: [IsolatedProcess.JoinedNamespace]) throws {
        let order: [Namespace] = [.user, .ipc, .uts, .network, .cgroup, .time, .mount]
        for kind in order {
            for joined in namespaces where joined.kind == kind {
                let fd = try step("open namespace", joined.path) { try FileDescriptor.open(joined.path) }
                defer { try? fd.close() }
                try step("setns", joined.path) { try Namespace.join(fd, kind: kind) }
            }
        }
    }

    /// After joining a user namespace, become its root: uid 0 and gid 0 *inside*, which is
    /// the mapped identity (100000 outside, say), keeping every capability in the namespace.
    static func becomeRoot() throws {
        try step("setgroups", "[]") { try Credentials.setSupplementaryGroups([]) }
        try step("setresgid", "0") { try Credentials.setGroupID(0) }
        try step("setresuid", "0") { try Credentials.setUserID(0) }
        // Changing credentials clears the parent-death signal; set it again.
        try step("prctl", "PR_SET_PDEATHSIG") { try CurrentProcess.setParentDeathSignal(.kill) }
    }

    /// Runs as the configured user, if it is not root. Leaving uid 0 drops all capabilities,
    /// so this comes after every privileged step.
    static func switchUser(uid: UInt32, gid: UInt32) throws {
        guard uid != 0 || gid != 0 else { return }
        try step("setgroups", "[]") { try Credentials.setSupplementaryGroups([]) }
        try step("setresgid", "\(gid)") { try Credentials.setGroupID(gid) }
        try step("setresuid", "\(uid)") { try Credentials.setUserID(uid) }
        try step("prctl", "PR_SET_PDEATHSIG") { try CurrentProcess.setParentDeathSignal(.kill) }
    }

    /// Looks the command up in the container's PATH, in the container's file tree.
    static func findCommand(_ command: String, path: String) throws -> String {
        guard let program = CurrentProcess.lookUp(command, path: path) else {
            throw Failure(.commandNotFound(command))
        }
        if access(program, X_OK) != 0 {
            let errno = Errno.current
            if errno == .noSuchFileOrDirectory { throw Failure(.commandNotFound(command)) }
            throw Failure(.commandNotExecutable(command, errno: errno.rawValue))
        }
        return program
    }

    static func withDefaultPath(_ environment: [String]) -> [String] {
        environment.contains { $0.hasPrefix("PATH=") } ? environment : ["PATH=" + CurrentProcess.defaultPath] + environment
    }

    // MARK: - Failures

    /// A step that failed, carried to the parent as a message.
    struct Failure: Error {
        let message: ChildMessage
        init(_ message: ChildMessage) { self.message = message }
    }

    /// Runs one step; a failing system call becomes `init: STAGE DETAIL: ERRNO`.
    @discardableResult
    static func step<T>(_ stage: String, _ detail: String = "", _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let errno as Errno {
            throw Failure(.failed(stage: stage, errno: errno.rawValue, detail: detail))
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(.failed(stage: stage, errno: nil, detail: "\(error)"))
        }
    }
}
