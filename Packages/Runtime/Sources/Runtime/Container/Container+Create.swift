import Cgroups
import FoundationEssentials
import Glibc
import Namespaces
import Syscalls

extension Container {
    /// How `create` starts the container's init.
    public struct CreateOptions: Sendable {
        /// The bundle: a directory holding config.json (and, usually, the rootfs).
        public var bundle: String
        /// Where to write the init process's PID (the caller, e.g. containerd, reads it).
        public var pidFile: String?
        /// A Unix socket to send the terminal's controller end to, for `process.terminal`.
        public var consoleSocket: String?
        /// The container's stdin, stdout and stderr when it has no terminal (default: ours).
        public var stdio: [CInt: FileDescriptor] = [0: .standardInput, 1: .standardOutput, 2: .standardError]
        /// The program that runs init: this one, as `init`.
        public var initExecutable = "/proc/self/exe"
        public var initArguments = ["init"]
        /// Hand init over (OCI `create`: a later `start` runs it), or keep it (`run`).
        public var handOff = true
        /// config.json, when the caller has it already (the monitor has); nil: read here.
        public var specFile: SpecFile?
        /// Runs while init builds the container's file tree, with init's PID: its namespaces
        /// exist (the monitor connects the network here, so that the two overlap).
        public var whileInitPrepares: (@Sendable (ProcessID) throws -> Void)?

        public init(bundle: String, pidFile: String? = nil, consoleSocket: String? = nil) {
            self.bundle = bundle
            self.pidFile = pidFile
            self.consoleSocket = consoleSocket
        }
    }

    /// A container created for `run`: still our child, with the terminal's controller end
    /// when config.json asks for a terminal and no console socket was given.
    public struct Attached {
        public var container: Container
        public let process: IsolatedProcess
        public let terminal: FileDescriptor?
    }

    /// `create`: namespaces, cgroup and file tree ready; the user's program not yet run.
    /// Anything that fails undoes what was done: no state, cgroup or process is left.
    @discardableResult
    public static func create(id: String, options: CreateOptions, store: ContainerStore = ContainerStore()) throws -> Attached {
        try ContainerStore.validate(id: id)
        let bundle = options.bundle.hasPrefix("/") ? options.bundle : FileManager.default.currentDirectoryPath + "/" + options.bundle
        let specFile = try options.specFile ?? Spec.loadWithText(bundle: bundle)
        let spec = specFile.spec
        try spec.validate()
        try store.prepare()

        // Claim the id under the store's lock, so two creates cannot both get it.
        let storeLock = try store.lock()
        do {
            try FileSystem.makeDirectory(store.directory(id), permissions: 0o711)
        } catch Errno.fileExists {
            storeLock.release()
            throw RuntimeError.exists(id)
        }
        var undo: [() -> Void] = [{ try? store.remove(id) }]
        defer { storeLock.release() }
        do {
            let lock = try store.lock(id)
            defer { lock.release() }
            let attached = try build(id: id, bundle: bundle, specFile: specFile, options: options, store: store,
                                     undo: &undo)
            return attached
        } catch {
            for step in undo.reversed() { step() }
            throw error
        }
    }

    private static func build(id: String, bundle: String, specFile: SpecFile, options: CreateOptions,
                              store: ContainerStore, undo: inout [() -> Void]) throws -> Attached {
        let spec = specFile.spec
        // A first record, so that a crash from here on leaves something the next command can
        // find, report as stopped, and delete.
        let cgroupName = Container.cgroupName(spec.linux?.cgroupsPath, id: id)
        var record = ContainerRecord(
            id: id, bundle: bundle, rootfs: try spec.rootfs(bundle: bundle), status: .creating, process: nil,
            creator: ProcessIdentity.of(getpid()), cgroup: cgroupName, created: Date(), owner: getuid(),
            annotations: spec.annotations, spec: spec)
        try store.saveSpec(record, text: specFile.text)
        try store.save(record)

        // The cgroup first: limits are in place before the first process exists.
        let cgroup = try CgroupLayout.current().cgroup(cgroupName)
        if let resources = spec.linux?.resources { try resources.validate(onlineCPUs: Resources.onlineCPUs()) }
        try cgroup.create()
        undo.append { try? cgroup.remove() }
        if let resources = spec.linux?.resources { try cgroup.apply(resources) }

        let directory = store.directory(id)
        if options.handOff && mkfifo(directory + "/exec.fifo", 0o600) != 0 {
            throw RuntimeError.failed("mkfifo \(directory)/exec.fifo: \(Errno.current)")
        }

        var state = State(id: id, status: .creating, pid: 0, bundle: bundle, annotations: spec.annotations)
        var configuration = try spec.isolation(bundle: bundle, cgroup: cgroup,
                                               startFIFO: options.handOff ? directory + "/exec.fifo" : nil, state: state)
        // Init is born in the v2 cgroup and moves itself into the v1 ones, which spares us
        // the kernel's wait for moving another process. We move it ourselves (the slow way)
        // when it may not write the host's cgroup files (a new user namespace), or when hooks
        // that run before it gets the configuration may look for it in its cgroup.
        let earlyHooks = (spec.hooks?.prestart ?? []) + (spec.hooks?.createRuntime ?? [])
        let parentMoves = configuration.namespaces.contains(.user) || !earlyHooks.isEmpty
        if !parentMoves {
            configuration.cgroupDirectory = cgroup.birthDirectory
            configuration.cgroupTasks = cgroup.tasksFiles
        }
        let process = try IsolatedProcess.create(
            configuration, initExecutable: options.initExecutable, initArguments: options.initArguments, stdio: options.stdio
        ) { process, configuration in
            // Init waits for "go": put it in its cgroup, then run the runtime's hooks.
            if parentMoves { try cgroup.add(process.pid) }
            state.pid = process.pid.rawValue
            // Only the hooks that run inside the container read the State there.
            if !(spec.hooks?.createContainer ?? []).isEmpty || !(spec.hooks?.startContainer ?? []).isEmpty {
                try Container.setHookState(state, in: &configuration)
            }
            try Hooks.run(earlyHooks, state: state)
        } whilePreparing: { process in
            try options.whileInitPrepares?(process.pid)
        }
        undo.append { try? process.send(.kill); _ = try? process.wait() }

        // With a terminal, init opened it inside the container and sent us the controller end:
        // it goes to the caller's console socket, or stays with us (for `run`).
        var controller = process.takeTerminal()
        if let socketPath = options.consoleSocket, let pty = controller {
            defer { try? pty.close() }
            try sendConsole(pty, to: socketPath)
            controller = nil
        }

        record.status = .created
        record.process = ProcessIdentity.of(process.pid.rawValue)
        record.creator = nil
        try store.save(record)
        if let pidFile = options.pidFile { try writePIDFile(pidFile, process.pid.rawValue) }
        if options.handOff { try process.handOff() }
        return Attached(container: Container(store: store, record: record), process: process, terminal: controller)
    }

    /// Puts the State (now with init's PID) where init's hooks will find it.
    static func setHookState(_ state: State, in configuration: inout IsolatedProcess.Configuration) throws {
        guard let text = configuration.extensionData else { return }
        var hardening = try JSONDecoder().decode(Hardening.self, from: Data(text.utf8))
        hardening.state = state
        configuration.extensionData = try hardening.encoded()
    }

    /// Connects to the caller's console socket and sends it the terminal.
    static func sendConsole(_ terminal: FileDescriptor, to path: String) throws {
        do {
            let socket = try FileDescriptor.connect(unixSocket: path)
            defer { try? socket.close() }
            try socket.sendDescriptor(terminal)
        } catch let errno as Errno {
            throw RuntimeError.failed("console socket \(path): \(errno)")
        }
    }

    /// Writes a PID file atomically (a temporary file renamed into place), as callers poll it.
    static func writePIDFile(_ path: String, _ pid: Int32) throws {
        let temporary = path + ".tmp-\(getpid())"
        do {
            let fd = try FileDescriptor.open(temporary, .writeOnly, options: [.create, .truncate], permissions: 0o644)
            try fd.closeAfter { try fd.writeAll(String(pid)) }
            if rename(temporary, path) != 0 { throw Errno.current }
        } catch let errno as Errno {
            throw RuntimeError.failed("write pid file \(path): \(errno)")
        }
    }
}
