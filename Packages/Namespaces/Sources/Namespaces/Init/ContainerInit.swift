import FoundationEssentials
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

    /// Runs init to the exec of the command. Never returns. A later stage passes an
    /// `extension` to add its own steps (chapter 06: hooks, capabilities, seccomp).
    public static func run(extension initExtension: (any InitExtension)? = nil) -> Never {
        let socket = SyncSocket(fd: inheritedCloseOnExec(socketDescriptor))
        do {
            try step("check threads") { try CurrentProcess.requireSingleThreaded() }
            try? CurrentProcess.setName("dosirak:[init]")
            // If the parent has died, the socket is at end of file: nothing to do but leave.
            guard case .configuration(let configuration)? = try socket.receive(ParentMessage.self) else { exit(1) }
            for tasks in configuration.cgroupTasks {
                try step("write", "0 to \(tasks)") {
                    let fd = try FileDescriptor.open(tasks, .writeOnly)
                    try fd.closeAfter { try fd.writeAll("0") }
                }
            }
            try join(configuration.joinedNamespaces)
            let startFIFO = try configuration.startFIFO.map { fifo in
                try step("open", fifo) { try FileDescriptor.open(fifo, options: [.path]) }
            }
            guard case .go? = try socket.receive(ParentMessage.self) else { exit(1) }
            // Now in its cgroup, init makes it the root of a new cgroup namespace.
            if configuration.namespaces.contains(.cgroup) {
                try step("unshare", "cgroup namespace") { try Namespace.unshare([.cgroup]) }
            }
            try setUpFileTree(configuration, extension: initExtension)
            if let hostname = configuration.hostname {
                try step("sethostname", hostname) { try Hostname.set(hostname) }
            }
            if configuration.namespaces.contains(.network) {
                try step("bring up", "lo") { try NetworkInterface.bringUp("lo") }
            }
            if configuration.terminal {
                let controller = try openTerminal(size: configuration.terminalSize)
                try socket.send(ChildMessage.terminal)
                try step("send terminal") { try socket.fd.sendDescriptor(controller) }
                try? controller.close()
            }
            if let initExtension {
                try initExtension.dropPrivileges(configuration)
            } else {
                try switchUser(uid: configuration.uid, gid: configuration.gid, groups: configuration.additionalGroups)
            }
            try enterWorkingDirectory(configuration.workingDirectory)
            let environment = withDefaultPath(configuration.environment)
            let program = try findCommand(configuration.command[0], path: CurrentProcess.path(in: environment))

            try socket.send(ChildMessage.ready)
            switch try socket.receive(ParentMessage.self) {
            case .start?:
                break
            case .handOff? where startFIFO != nil:
                try step("prctl", "PR_SET_PDEATHSIG 0") { try CurrentProcess.setParentDeathSignal(nil) }
                try socket.send(ChildMessage.waiting)  // the parent may exit now
                try waitForStart(fifo: startFIFO!)
            default:
                exit(1)
            }
            try initExtension?.beforeExec(configuration)
            if let mask = configuration.umask { umask(mode_t(mask)) }
            do {
                if let initExtension {
                    try initExtension.execute(configuration, program: program, environment: environment) {
                        try? socket.fd.close()
                    }
                }
                try CurrentProcess.exec(program, arguments: configuration.command, environment: environment)
            } catch let errno as Errno {
                throw Failure(.failed(stage: "exec", errno: errno.rawValue, detail: program))
            }
        } catch let failure as Failure {
            report(failure.message, on: socket)
            exit(failure.message.error?.exitCode ?? 125)
        } catch {
            report(ChildMessage.failed(stage: "init", errno: nil, detail: "\(error)"), on: socket)
            exit(125)
        }
    }

    /// A descriptor we inherited as a plain number (dup2 in the spawn cleared its
    /// close-on-exec flag), moved to a close-on-exec copy: the command must not inherit it,
    /// and the parent learns of a successful exec from its closing.
    public static func inheritedCloseOnExec(_ fd: FileDescriptor) -> FileDescriptor {
        guard let copy = try? fd.duplicate() else { return fd }
        try? fd.close()
        return copy
    }

    /// Sends a failure to the parent; after a hand-off nobody listens, so it goes to stderr.
    static func report(_ message: ChildMessage, on socket: SyncSocket) {
        if (try? socket.send(message)) == nil, let error = message.error {
            try? FileDescriptor.standardError.writeAll("\(error)\n")
        }
    }

    /// The OCI way to start: the creating process has exited, and `start` is a separate
    /// command. Init opens the FIFO for writing, which blocks until `start` opens it for
    /// reading; one byte says we are going. The FIFO is outside the container, so it is
    /// reopened through the handle taken before pivot_root (/proc/self/fd/N, as runc does).
    static func waitForStart(fifo handle: FileDescriptor) throws {
        let path = "/proc/self/fd/\(handle.rawValue)"
        let fd = try step("open", "start fifo \(path)") { try FileDescriptor.open(path, .writeOnly) }
        try step("write", "start fifo") { try fd.closeAfter { try fd.writeAll("0") } }
        try? handle.close()
    }

    /// A terminal for the command, from the container's own /dev/pts (so `tty` inside names
    /// a device that exists there): a new session, the peer end as stdin, stdout, stderr and
    /// controlling terminal, and /dev/console bound to it. Returns the controller end.
    static func openTerminal(size: Terminal.WindowSize?) throws -> FileDescriptor {
        _ = setsid()  // a session of our own, without a controlling terminal yet
        let controller = try step("open", "/dev/ptmx") { try FileDescriptor.open("/dev/ptmx", .readWrite, options: [.noControllingTerminal]) }
        let peer = try step("open", "terminal peer") { try Terminal.openPeer(of: controller) }
        defer { try? peer.close() }
        if let size { try step("set window size") { try Terminal.setWindowSize(size, of: controller) } }
        for fd in [CInt(0), 1, 2] {
            try step("dup3", "terminal to \(fd)") { try Terminal.install(peer, as: FileDescriptor(rawValue: fd)) }
        }
        try step("ioctl", "TIOCSCTTY") { try Terminal.makeControlling(.standardInput) }
        let name = try step("readlink", "terminal") { try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/0") }
        try step("bind mount", "\(name) on /dev/console") {
            if access("/dev/console", F_OK) != 0 {
                let file = try FileDescriptor.open("/dev/console", .writeOnly, options: [.create], permissions: 0o600)
                try file.close()
            }
            try Mount.bind(name, on: "/dev/console", recursive: false)
        }
        return controller
    }

    /// chdir into the working directory, and make sure it really is inside the container:
    /// a directory reached through a descriptor leaked from the host would show as
    /// "(unreachable)/..." (the lesson of CVE-2024-21626).
    static func enterWorkingDirectory(_ directory: String) throws {
        try step("chdir", directory) { try FileSystem.changeDirectory(to: directory) }
        let current = try step("getcwd", directory) { try FileSystem.currentDirectory() }
        guard current.hasPrefix("/") else {
            throw Failure(.failed(stage: "chdir", errno: nil, detail: "\(directory) is outside the container (\(current))"))
        }
    }

    // MARK: - Steps

    /// Enters namespaces by path: the user namespace first (its capabilities are what allow
    /// joining the others; inside it we then become its root), the mount namespace last (the
    /// other paths are host paths, unreachable once we are in it). A joined PID namespace
    /// holds only the children forked afterwards (chapter 06's exec does that).
    public static func join(_ namespaces: [IsolatedProcess.JoinedNamespace]) throws {
        let order: [Namespace] = [.user, .ipc, .uts, .network, .pid, .cgroup, .time, .mount]
        for kind in order {
            for joined in namespaces where joined.kind == kind {
                let fd = try step("open namespace", joined.path) { try FileDescriptor.open(joined.path) }
                defer { try? fd.close() }
                try step("setns", joined.path) { try Namespace.join(fd, kind: kind) }
                if kind == .user { try becomeRoot() }
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
    public static func switchUser(uid: UInt32, gid: UInt32, groups: [UInt32]) throws {
        guard uid != 0 || gid != 0 || !groups.isEmpty else { return }
        try step("setgroups", "\(groups)") { try Credentials.setSupplementaryGroups(groups) }
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
    public static func step<T>(_ stage: String, _ detail: String = "", _ body: () throws -> T) throws -> T {
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
