import FoundationEssentials
import Glibc
import Namespaces
import Relay
import Syscalls

/// What a monitor supervises: one container, its bundle, and where its output goes.
public struct MonitorOptions: Codable, Sendable {
    public var id: String
    public var bundle: String
    /// The OCI runtime's state directory (`--root`).
    public var runtimeRoot: String
    /// The json-file log; nil: no log.
    public var logPath: String?
    /// The Unix socket clients attach to (`docker attach`, `run -it`).
    public var attachSocket: String
    /// Keep the container's stdin open for attached clients (`-i`).
    public var interactive: Bool
    /// The program that runs the container's init: this one, as `init`.
    public var initExecutable = "/proc/self/exe"
    public var initArguments = ["init"]
    /// `dosirak-relay`, to hand the running container over to (nil: relay in this process).
    public var relayExecutable: String?
    /// What the relay runs when the container has ended: this monitor again, told how
    /// (`ExitRecord(arguments:)` reads what the relay adds).
    public var exitCommand: [String] = []
    /// config.json, when the program that runs the monitor has just written it: created from
    /// this, the container's spec is not read and decoded again. nil: read from the bundle.
    public var specFile: SpecFile?

    public init(id: String, bundle: String, runtimeRoot: String, logPath: String?, attachSocket: String, interactive: Bool) {
        self.id = id
        self.bundle = bundle
        self.runtimeRoot = runtimeRoot
        self.logPath = logPath
        self.attachSocket = attachSocket
        self.interactive = interactive
    }
}

/// How a supervised run ended.
public struct ExitRecord: Codable, Sendable, Equatable {
    /// The shell's number: the exit code, or 128 + the signal that killed it.
    public var exitCode: Int32
    public var signal: Int32?
    public var startedAt: Date
    public var finishedAt: Date
    /// The kernel's OOM killer ended it.
    public var oomKilled: Bool
}

/// The conversation between the command that launches a monitor and the monitor.
public enum MonitorMessage: Codable, Sendable {
    /// From a launcher that starts the monitor before the bundle is ready (so that both
    /// get going at once), before anything else: config.json is written, go ahead.
    case prepared
    /// From the monitor: the container exists (the attach socket is listening).
    case created(pid: Int32)
    /// From the launcher: start it.
    case start
    /// From the monitor: it runs.
    case started(pid: Int32)
    /// From the monitor: it could not be created or started.
    case failed(String, exitCode: Int32)
}

/// A container's supervisor, one per container, like conmon or containerd-shim: it outlives
/// the command that started the container, holds the container's terminal or output
/// pipes, writes its log, relays attached clients, records how it ended, and cleans up.
///
/// It runs as `dosirak monitor ...`, started in a session of its own. It is a child
/// subreaper, so processes orphaned in the container come to it and are reaped.
public enum Monitor {
    /// What the launching program adds: work while the container is created (joining
    /// networks: init's namespaces exist, and init is busy building its file tree), after
    /// the start (recording the PID), and after the end (releasing the networks; `.restart`
    /// to run the container again).
    public struct Callbacks {
        public var whileCreating: @Sendable (ProcessID) throws -> Void
        public var afterStart: (Container) -> Void
        public var afterExit: (Outcome) -> Next
        public init(whileCreating: @escaping @Sendable (ProcessID) throws -> Void = { _ in },
                    afterStart: @escaping (Container) -> Void = { _ in },
                    afterExit: @escaping (Outcome) -> Next = { _ in .finish }) {
            self.whileCreating = whileCreating
            self.afterStart = afterStart
            self.afterExit = afterExit
        }
    }

    /// How one life of the container ended: it ran and exited, or it never ran.
    public enum Outcome {
        case exited(ExitRecord)
        /// Create or start failed (`exitCode` 126 or 127 for a command that cannot run).
        case failed(String, exitCode: Int32)
    }

    public enum Next { case finish, restart }

    /// Supervises the container until it is finished with. `control` is the launcher's
    /// socket (descriptor 3): created, then start, then started. `relayed`: this is the
    /// exit command of a relay, and the container has ended as it reports.
    public static func run(_ options: MonitorOptions, control: FileDescriptor?, callbacks: Callbacks,
                           relayed: Relay.Report? = nil) -> Never {
        try? CurrentProcess.setName("dosirak:[monitor]")
        try? CurrentProcess.setChildSubreaper()
        signal(SIGPIPE, SIG_IGN)
        var control = control
        var ended = relayed.map { report -> Outcome in
            guard let container = try? Container.load(options.id, store: ContainerStore(root: options.runtimeRoot), withSpec: false) else {
                return .failed("the runtime's record of \(options.id) is gone", exitCode: 125)
            }
            return .exited(afterRelay(container, status: report.status, startedAt: Date(timeIntervalSince1970: report.started),
                                      finishedAt: Date(timeIntervalSince1970: report.finished)))
        }
        while true {
            let outcome = ended ?? supervise(options, control: control, callbacks: callbacks)
            ended = nil
            // Only the first run reports to the launcher; a restart is on our own.
            if let fd = control { try? fd.close() }
            control = nil
            let next = callbacks.afterExit(outcome)
            if case .failed = outcome { exit(1) }
            if next != .restart { exit(0) }
        }
    }

    /// One life of the container: create, start, relay, wait, delete.
    static func supervise(_ options: MonitorOptions, control: FileDescriptor?, callbacks: Callbacks) -> Outcome {
        func say(_ message: MonitorMessage) {
            if let control, let data = try? JSONEncoder().encode(message) { try? control.sendMessage(Array(data)) }
        }
        func fail(_ error: Error) -> Outcome {
            let code = (error as? IsolationError)?.exitCode ?? 125
            say(.failed("\(error)", exitCode: code))
            return .failed("\(error)", exitCode: code)
        }
        let store = ContainerStore(root: options.runtimeRoot)
        let session: Session
        do {
            session = try Session(options, store: store, whileCreating: callbacks.whileCreating)
        } catch {
            return fail(error)
        }
        defer { session.close() }
        do {
            say(.created(pid: session.container.record.process?.pid ?? 0))
            if let control {
                // The launcher may attach first, so as to miss no output; then it says start.
                let reply = try control.read(upTo: 4096)
                guard !reply.isEmpty, case .start = try JSONDecoder().decode(MonitorMessage.self, from: Data(reply)) else {
                    try? session.container.delete(force: true)
                    return .failed("the launcher went away before the start", exitCode: 125)
                }
            }
            try session.start()
            callbacks.afterStart(session.container)
            say(.started(pid: session.container.record.process?.pid ?? 0))
        } catch {
            try? session.container.delete(force: true)
            return fail(error)
        }
        // A detached container is handed over to the relay. One with a client attached from
        // the start runs in the foreground: relayed here, its end is not delayed by two execs.
        if let relay = options.relayExecutable, !session.relay.hasWaitingClient {
            // The launcher's socket is done with; the relay must not inherit it. (Not closed
            // here: if the exec fails, `run` closes it, and only once.)
            try? control?.setCloseOnExec(true)
            try? session.handOver(to: relay, exitCommand: options.exitCommand)
            // Still here: the relay could not run; relay in this process instead.
        }
        return .exited(session.relayUntilExit())
    }

    /// After the init has ended: whether the OOM killer ended it (read from the cgroup,
    /// so before the delete), then the runtime's delete.
    static func afterRelay(_ container: Container, status: WaitStatus, startedAt: Date, finishedAt: Date) -> ExitRecord {
        let oomKilled = ((try? container.cgroup.stats().oomKills) ?? 0) > 0
        let signal: Int32? = if case .signaled(let signal, _) = status { signal.rawValue } else { nil }
        let record = ExitRecord(exitCode: status.shellCode, signal: signal, startedAt: startedAt, finishedAt: finishedAt,
                                oomKilled: oomKilled)
        try? container.delete(force: true)
        return record
    }
}
