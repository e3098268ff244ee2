import FoundationEssentials
import Glibc
import Network
import Relay
import Runtime
import Syscalls

/// `dosirak monitor ID`: chapter 06's monitor for one container, with what `dosirak` adds
/// around each life of it: the network while it is created, the record after start,
/// and after the exit the clean-up, `--rm`, and the restart policy.
enum ContainerMonitor {
    static func main(_ context: Context, _ arguments: [String]) -> Never {
        guard let id = arguments.first, let entry = try? context.containers.load(id: id) else {
            context.errors.say("dosirak monitor: no such container: \(arguments.first ?? "")")
            exit(1)
        }
        try? FileManager.default.createDirectory(atPath: context.socketsRoot, withIntermediateDirectories: true)
        var options = MonitorOptions(id: id, bundle: context.containers.bundle(id), runtimeRoot: context.runtime.root,
                                     logPath: context.containers.logPath(id), attachSocket: context.attachSocket(id),
                                     interactive: entry.options.interactive)
        // Once the container runs, the monitor becomes dosirak-relay (installed next to
        // dosirak), which runs this command again, with its report, when the container ends.
        let relay = context.executableDirectory + "/dosirak-relay"
        if access(relay, X_OK) == 0 { options.relayExecutable = relay }
        options.exitCommand = [context.executable, "--root", context.root, "monitor", id]
        let report = Relay.Report(arguments: Array(arguments.dropFirst()))
        // Started by `start` before the file system is ready: wait until it is (reading the
        // image meanwhile), then write config.json. Anything but `prepared` (the launcher failed
        // to prepare, and closed the socket) means there is nothing to do.
        if report == nil {
            let control = FileDescriptor(rawValue: 3)
            let image = Result { try context.image(of: entry) }
            guard let bytes = try? control.read(upTo: 4096), !bytes.isEmpty,
                  case .prepared = try? JSONDecoder().decode(MonitorMessage.self, from: Data(bytes)) else { exit(0) }
            do {
                options.specFile = try context.writeBundle(entry, image: try image.get())
            } catch {
                // As a failed create: reported to the launcher, recorded, and cleaned up.
                let failure = MonitorMessage.failed("\(error)", exitCode: 125)
                if let data = try? JSONEncoder().encode(failure) { try? control.sendMessage(Array(data)) }
                _ = afterExit(context, id: id, outcome: .failed("\(error)", exitCode: 125))
                exit(1)
            }
        }
        let callbacks = Monitor.Callbacks(
            whileCreating: { pid in try connect(context, id: id, initProcess: pid) },
            afterStart: { container in recordStart(context, id: id, container: container) },
            afterExit: { outcome in afterExit(context, id: id, outcome: outcome) })
        Monitor.run(options, control: report == nil ? FileDescriptor(rawValue: 3) : nil, callbacks: callbacks, relayed: report)
    }

    /// During create: the container's network namespace exists (init builds its file tree
    /// meanwhile, and waits for the start afterwards), so its interfaces can be made there,
    /// as a CNI plugin or libnetwork does between create and start.
    static func connect(_ context: Context, id: String, initProcess: ProcessID) throws {
        let entry = try context.containers.load(id: id)
        guard let process = ProcessIdentity.of(initProcess.rawValue) else {
            throw CommandError.failed("the container's init (PID \(initProcess)) is gone")
        }
        let namespace = NetworkNamespace.of(pid: process.pid)
        var joined: [NetworkSettings] = []
        do {
            switch try NetworkMode(parsing: entry.options.network) {
            case .host:
                return
            case .none:
                try NetworkMode.configureLoopbackOnly(namespace)
            case .bridge(let name):
                let ports = try context.publishedPorts(entry)
                let (settings, files, gateway) = try context.attach(entry, to: name, aliases: entry.options.networkAliases,
                                                                    ports: ports, namespace: namespace, process: process)
                joined.append(settings)
                try context.writeFiles(files, for: entry, gateway: gateway)
            }
            for connection in entry.connected where connection.name != entry.options.network {
                let (settings, _, _) = try context.attach(entry, to: connection.name, aliases: connection.aliases,
                                                          ports: [], namespace: namespace, process: process)
                joined.append(settings)
            }
            // With --network none and nothing connected (nor recorded before), there is nothing to write.
            if !joined.isEmpty || !entry.networks.isEmpty {
                try context.containers.update(id, durable: false) { $0.networks = joined }
            }
        } catch {
            try? context.networks.detachEverywhere(containerID: id)
            throw error
        }
    }

    static func recordStart(_ context: Context, id: String, container: Runtime.Container) {
        _ = try? context.containers.update(id, durable: false) { entry in
            entry.state.status = .running
            entry.state.process = container.record.process
            entry.state.monitor = ProcessIdentity.current
            entry.state.startedAt = Date()
            entry.state.finishedAt = nil
            entry.state.exitCode = 0
            entry.state.oomKilled = false
            entry.state.error = nil
        }
    }

    /// After each life: release the network, record how it ended, then restart it, or
    /// unmount its file system (and remove it all for `--rm`).
    static func afterExit(_ context: Context, id: String, outcome: Monitor.Outcome) -> Monitor.Next {
        // Releasing the network waits for the kernel to remove the dead namespace's end of
        // each veth pair (some 7 ms); the record and the file system are done meanwhile.
        let networks = context.networks
        let detach: @Sendable () -> Void = { try? networks.detachEverywhere(containerID: id, exited: true) }
        let detaching = try? PosixThread.start(detach)
        if detaching == nil { detach() }
        defer { detaching?.join() }
        guard var entry = try? context.containers.load(id: id) else { return .finish }
        var restart = false
        if case .exited(let record) = outcome {
            restart = entry.options.restart.restarts(exitCode: record.exitCode, restarts: entry.state.restartCount,
                                                     stoppedByUser: entry.state.stoppedByUser)
        }
        if !restart && entry.options.remove {
            // `--rm`: the record goes with everything else; it is written only if that fails.
            context.releaseFileSystem(entry)
            detaching?.join()
            if (try? context.removeContainer(entry, volumes: true)) != nil { return .finish }
        }
        let updated = try? context.containers.update(id) { entry in
            switch outcome {
            case .exited(let record):
                entry.state.exitCode = record.exitCode
                entry.state.oomKilled = record.oomKilled
                entry.state.startedAt = record.startedAt
                entry.state.finishedAt = record.finishedAt
            case .failed(let message, let code):
                entry.state.exitCode = code
                entry.state.error = message
                entry.state.finishedAt = Date()
            }
            entry.state.process = nil
            entry.networks = []
            if restart {
                entry.state.status = .restarting
                entry.state.restartCount += 1
            } else {
                entry.state.status = entry.state.startedAt == nil && entry.state.error != nil ? .created : .exited
                entry.state.monitor = nil
            }
        }
        if let updated { entry = updated }
        if restart {
            // Docker waits 100 ms before the first restart, doubling each time (up to a minute).
            let delay = min(60.0, 0.1 * pow(2.0, Double(min(entry.state.restartCount - 1, 10))))
            usleep(useconds_t(delay * 1_000_000))
            // A `stop` during the wait wins.
            if (try? context.containers.load(id: id))?.state.stoppedByUser == true {
                _ = try? context.containers.update(id) { entry in
                    entry.state.status = .exited
                    entry.state.monitor = nil
                }
                context.releaseFileSystem(entry)
                return .finish
            }
            return .restart
        }
        // (A --rm container gets here only when its removal failed: its record now says how it
        // ended, and its file system was released already.)
        context.releaseFileSystem(entry)
        return .finish
    }
}
