import Glibc
import Syscalls

/// A process that believes it is alone on the machine.
///
/// Creating one follows the sequence runc and youki use:
///
/// 1. The parent spawns init (a fresh exec of this program, `init` as its argument) in new
///    namespaces, with one end of a socket pair as its descriptor 3.
/// 2. With a new user namespace, the child waits right after the fork while the parent
///    writes its uid/gid maps, then becomes root inside and execs.
/// 3. The parent does its own set-up (`prepare`: later, the cgroup and the network, which
///    may still add to the configuration), sends the configuration, then says `go`.
/// 4. Init builds the container (mounts, pivot_root, hostname, ...) and answers `ready`,
///    or a failure naming its stage.
/// 5. `start()` says `start`; init execs the command, which becomes PID 1 of the container.
///
///     var configuration = IsolatedProcess.Configuration(command: ["/bin/sh"], rootfs: "/tmp/rootfs",
///                                                       namespaces: [.uts, .pid, .mount])
///     configuration.hostname = "dosirak"
///     let process = try IsolatedProcess.create(configuration)
///     try process.start()
///     print(try process.wait())
public final class IsolatedProcess {
    /// The process: init until `start()`, then the command itself.
    public let pid: ProcessID
    /// The controller end of the command's terminal, when the configuration asks for one.
    public private(set) var terminal: FileDescriptor?
    private let descriptor: ProcessDescriptor?
    private var socket: SyncSocket?
    private var status: WaitStatus?

    private init(pid: ProcessID, descriptor: ProcessDescriptor?, socket: SyncSocket) {
        self.pid = pid
        self.descriptor = descriptor
        self.socket = socket
    }

    deinit {
        try? socket?.fd.close()
        try? descriptor?.close()
    }

    /// The pidfd of the process, for poll(2): readable once it has exited (nil on kernels
    /// without pidfds).
    public var handle: FileDescriptor? { descriptor?.fileDescriptor }

    /// Takes the terminal's controller end: the caller now owns (and closes) it.
    public func takeTerminal() -> FileDescriptor? {
        defer { terminal = nil }
        return terminal
    }

    /// Spawns init and has it build the container; returns once it is ready to start.
    ///
    /// - Parameters:
    ///   - initExecutable: the program that runs `init` (default: this program).
    ///   - initArguments: its arguments; it must end up calling `ContainerInit.run()`.
    ///   - stdio: the container's descriptors 0, 1 and 2 (default: ours).
    ///   - prepare: parent-side set-up, run while init waits; it may complete the configuration
    ///     now that the process (and its PID) exists.
    public static func create(
        _ configuration: Configuration,
        initExecutable: String = "/proc/self/exe",
        initArguments: [String] = ["init"],
        stdio: [CInt: FileDescriptor] = [0: .standardInput, 1: .standardOutput, 2: .standardError],
        prepare: (IsolatedProcess, inout Configuration) throws -> Void = { _, _ in },
        whilePreparing: (IsolatedProcess) throws -> Void = { _ in }
    ) throws -> IsolatedProcess {
        try configuration.validate()
        var configuration = configuration
        configuration.mounts = configuration.standardMounts() + configuration.mounts
        if configuration.rootfs == nil || !configuration.isolatedKinds.contains(.mount) {
            configuration.devices = []
            configuration.deviceLinks = []
        }

        let (parentEnd, childEnd) = try FileDescriptor.socketPair()
        var spawn = Spawn(initExecutable, arguments: initArguments, environment: [])
        spawn.fileDescriptors = stdio.merging([3: childEnd]) { _, new in new }
        // The cgroup namespace comes later, from init itself: a cgroup namespace's root is the
        // cgroup its creator is in, and at the fork init is not yet in its own.
        spawn.namespaces = configuration.namespaces.subtracting([.cgroup])
        spawn.parentDeathSignal = .kill
        let newUser = configuration.namespaces.contains(.user)
        if newUser {
            // A process in a new user namespace has no identity there until its maps are
            // written, and exec would strip its capabilities. So the child waits right after
            // the fork; we write the maps; it becomes root inside (0/0), and only then execs.
            spawn.holdUntilReleased = true
            spawn.credentials = (uid: 0, gid: 0)
        }
        let child: SpawnedProcess
        do {
            child = try configuration.cgroupDirectory.map { try spawn.start(inCgroup: $0) } ?? spawn.start()
        } catch {
            try? parentEnd.close()
            try? childEnd.close()
            if let error = error as? SpawnError { throw IsolationError.spawn(error) }
            if let errno = error as? Errno { throw IsolationError.configuration("cgroup \(configuration.cgroupDirectory ?? ""): \(errno)") }
            throw error
        }
        try? childEnd.close()  // init has its copy; ours would keep the socket open forever
        if newUser {
            do {
                try writeMap("uid_map", configuration.uidMappings, pid: child.pid)
                try writeMap("gid_map", configuration.gidMappings, pid: child.pid)
                try child.release()
            } catch {
                child.abandon()  // a no-op if release() already reaped it
                try? parentEnd.close()
                if let error = error as? SpawnError { throw IsolationError.spawn(error) }
                throw error
            }
        }

        let process = IsolatedProcess(pid: child.pid, descriptor: child.descriptor, socket: SyncSocket(fd: parentEnd))
        do {
            try prepare(process, &configuration)
            try process.send(.configuration(configuration))
            try process.send(.go)
            // Init now builds its file tree; work that needs only its namespaces (a network
            // interface, say) can be done meanwhile.
            try whilePreparing(process)
            try process.expectReady()
        } catch {
            process.abandon()
            throw error
        }
        return process
    }

    /// Runs the command: init execs it. Returns once the exec has succeeded.
    public func start() throws {
        do {
            try send(.start)
            // A successful exec closes init's close-on-exec socket: end of file.
            if let reply = try socket?.receive(ChildMessage.self) {
                throw reply.error ?? IsolationError.protocolError("unexpected \(reply) after start")
            }
        } catch {
            abandon()
            throw error
        }
        try? socket?.fd.close()
        socket = nil
    }

    /// Hands the process over: init will wait for a reader on the configuration's
    /// `startFIFO` (a separate `start` command, after this process has exited) instead of
    /// our word.
    public func handOff() throws {
        do {
            try send(.handOff)
            // Init drops its parent-death signal and says so; only then may we exit.
            switch try socket?.receive(ChildMessage.self) {
            case .waiting?: break
            case let reply?: throw reply.error ?? IsolationError.protocolError("unexpected \(reply) after hand-off")
            case nil: throw IsolationError.protocolError("init \(endedStatus()) during the hand-off")
            }
        } catch {
            abandon()
            throw error
        }
        try? socket?.fd.close()
        socket = nil
    }

    /// Creates, starts and waits: the whole life of the process.
    public static func run(_ configuration: Configuration, initExecutable: String = "/proc/self/exe",
                           initArguments: [String] = ["init"],
                           stdio: [CInt: FileDescriptor] = [0: .standardInput, 1: .standardOutput, 2: .standardError])
        throws -> WaitStatus {
        let process = try create(configuration, initExecutable: initExecutable, initArguments: initArguments, stdio: stdio)
        try process.start()
        return try process.wait()
    }

    /// Waits for the process to end and reaps it. Ending PID 1 of a PID namespace ends
    /// every other process in it; the kernel sees to that.
    public func wait() throws -> WaitStatus {
        if let status { return status }
        let result = try descriptor?.wait() ?? pid.wait()
        status = result
        return result
    }

    /// Sends a signal to the process (to init before `start()`).
    public func send(_ signal: Signal) throws {
        if let descriptor { try descriptor.send(signal) } else { try pid.send(signal) }
    }

    // MARK: - The parent's side of the conversation

    private func send(_ message: ParentMessage) throws {
        guard let socket else { throw IsolationError.protocolError("already started") }
        do {
            try socket.send(message)
        } catch Errno.brokenPipe, Errno(rawValue: ECONNRESET) {
            throw IsolationError.protocolError("init \(endedStatus()) before set-up finished")
        }
    }

    private func expectReady() throws {
        switch try socket?.receive(ChildMessage.self) {
        case .ready?: return
        case .terminal?:
            // The controller end of the terminal init opened for the command, then ready.
            guard let socket else { throw IsolationError.protocolError("no socket") }
            terminal = try socket.fd.receiveDescriptor()
            try expectReady()
        case let reply?: throw reply.error ?? IsolationError.protocolError("unexpected \(reply)")
        case nil: throw IsolationError.protocolError("init \(endedStatus()) before it was ready")
        }
    }

    /// Writes a user namespace map: one "inside outside count" line per mapping, in one
    /// write (the kernel accepts a map file's contents only once).
    private static func writeMap(_ file: String, _ mappings: [IDMapping], pid: ProcessID) throws {
        let text = mappings.map { "\($0)\n" }.joined()
        do {
            let fd = try FileDescriptor.open("/proc/\(pid)/\(file)", .writeOnly)
            try fd.closeAfter { try fd.writeAll(text) }
        } catch let errno as Errno {
            let kind = file == "uid_map" ? "uid map" : "gid map"
            throw IsolationError.idMap(kind, mappings.map(\.description).joined(separator: ", "), errno.name)
        }
    }

    /// Describes how init ended, reaping it (for an error message).
    private func endedStatus() -> String {
        (try? wait()).map { "\($0)" } ?? "ended"
    }

    /// After a failure: kill init (if it still runs) and reap it, so nothing is left behind.
    private func abandon() {
        if status == nil {
            try? send(.kill)
            _ = try? wait()
        }
        try? socket?.fd.close()
        socket = nil
    }
}
