import FoundationEssentials
import Glibc
import Runtime
import Syscalls

/// The container's init, for the signal handler of a foreground `run` (set before the
/// handler is installed; read only by it).
nonisolated(unsafe) private var forwardSignalsTo: pid_t = 0

extension Commands {
    static let run = Command(
        "run", usage: "run [OPTIONS] IMAGE [COMMAND] [ARG...]", summary: "Create and run a new container from an image",
        flags: RunOptions.flags, stopAtFirstPositional: true, failureCode: 125
    ) { context, arguments in
        guard let image = arguments.positional.first else { throw CommandError.usage("\"run\" requires at least 1 argument.") }
        let options = try RunOptions(parsing: arguments)
        if options.tty && options.interactive && isatty(0) != 1 {
            throw CommandError.failed("the input device is not a TTY")
        }
        let entry = try context.createContainer(image: image, command: Array(arguments.positional.dropFirst()),
                                                options: options, name: arguments.value("name"))
        let launched: LaunchedContainer
        do {
            launched = try context.start(entry.id, attach: !options.detach)
        } catch let error as StartError {
            context.errors.say("dosirak: Error: \(error.message)")
            throw CommandError.exit(error.exitCode)
        }
        if options.detach {
            context.say(entry.id)
            return 0
        }
        return try foreground(context, launched)
    }

    /// Relays the terminal (or stdin, stdout and stderr) of a container started in the
    /// foreground, and returns its exit code; with `--rm`, once it is removed.
    static func foreground(_ context: Context, _ launched: LaunchedContainer) throws -> Int32 {
        guard let socket = launched.attachment else { return 0 }
        defer { try? socket.close() }
        let options = launched.entry.options
        if !options.tty {
            // Ctrl-C and `kill` reach the container, as with `docker run` (--sig-proxy).
            forwardSignalsTo = launched.pid
            for number in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2] {
                Glibc.signal(number) { received in _ = Glibc.kill(forwardSignalsTo, received) }
            }
        }
        guard let code = try AttachClient.relay(socket, stdin: options.interactive, tty: options.tty,
                                                input: .standardInput, output: context.output, errors: context.errors) else {
            // Detached with Ctrl-P Ctrl-Q, or the monitor went away.
            return 0
        }
        // The monitor records the exit (and removes the container for --rm) before it ends.
        if options.restart == .no { _ = try? launched.monitor.wait() }
        return code
    }

    static let create = Command(
        "create", usage: "create [OPTIONS] IMAGE [COMMAND] [ARG...]", summary: "Create a new container",
        flags: RunOptions.flags, stopAtFirstPositional: true, failureCode: 125
    ) { context, arguments in
        guard let image = arguments.positional.first else { throw CommandError.usage("\"create\" requires at least 1 argument.") }
        let options = try RunOptions(parsing: arguments)
        let entry = try context.createContainer(image: image, command: Array(arguments.positional.dropFirst()),
                                                options: options, name: arguments.value("name"))
        context.say(entry.id)
        return 0
    }

    static let start = Command(
        "start", usage: "start [OPTIONS] CONTAINER [CONTAINER...]", summary: "Start one or more stopped containers",
        flags: [Flag("attach", short: "a", help: "Attach STDOUT/STDERR and forward signals"),
                Flag("interactive", short: "i", help: "Attach container's STDIN")]
    ) { context, arguments in
        guard !arguments.positional.isEmpty else { throw CommandError.usage("\"start\" requires at least 1 argument.") }
        let attach = arguments.bool("attach") || arguments.bool("interactive")
        if attach && arguments.positional.count > 1 { throw CommandError.failed("you cannot start and attach multiple containers at once") }
        var failed = false
        for reference in arguments.positional {
            do {
                let entry = context.reconcile(try context.containers.find(reference))
                if entry.state.isLive, entry.state.monitor?.isAlive == true {
                    if !attach { context.say(reference) }
                    continue
                }
                let launched = try context.start(entry.id, attach: attach)
                if attach { return try foreground(context, launched) }
                context.say(reference)
            } catch {
                context.errors.say("Error response from daemon: \(error)")
                failed = true
            }
        }
        if failed { throw CommandError.exit(1) }
        return 0
    }

    /// Runs `body` for each container named, as Docker's multi-container commands do: every
    /// one is tried, errors are printed as they come, and the exit code is 1 if any failed.
    static func eachContainer(_ context: Context, _ references: [String], verb: String,
                              _ body: (ContainerEntry) throws -> Void) throws -> Int32 {
        guard !references.isEmpty else { throw CommandError.usage("\"\(verb)\" requires at least 1 argument.") }
        var failed = false
        for reference in references {
            do {
                try body(try context.containers.find(reference))
                context.say(reference)
            } catch {
                context.errors.say("Error response from daemon: \(error)")
                failed = true
            }
        }
        if failed { throw CommandError.exit(1) }
        return 0
    }

    static let stop = Command(
        "stop", usage: "stop [OPTIONS] CONTAINER [CONTAINER...]", summary: "Stop one or more running containers",
        flags: [Flag("time", short: "t", .value(placeholder: "int"), help: "Seconds to wait before killing the container"),
                Flag("signal", short: "s", .value(placeholder: "string"), help: "Signal to send to the container")]
    ) { context, arguments in
        let timeout = try arguments.value("time").map { text in
            guard let seconds = Int(text) else { throw CommandError.usage("invalid argument \"\(text)\" for \"-t, --time\" flag") }
            return seconds
        }
        return try eachContainer(context, arguments.positional, verb: "stop") { entry in
            try context.stop(entry, timeout: timeout)
        }
    }

    static let restart = Command(
        "restart", usage: "restart [OPTIONS] CONTAINER [CONTAINER...]", summary: "Restart one or more containers",
        flags: [Flag("time", short: "t", .value(placeholder: "int"), help: "Seconds to wait before killing the container")]
    ) { context, arguments in
        let timeout = arguments.value("time").flatMap { Int($0) }
        return try eachContainer(context, arguments.positional, verb: "restart") { entry in
            try context.stop(entry, timeout: timeout)
            do {
                _ = try context.start(entry.id, attach: false)
            } catch let error as StartError {
                throw CommandError.failed(error.message)
            }
        }
    }

    static let kill = Command(
        "kill", usage: "kill [OPTIONS] CONTAINER [CONTAINER...]", summary: "Kill one or more running containers",
        flags: [Flag("signal", short: "s", .value(placeholder: "string"), help: "Signal to send to the container (default \"KILL\")")]
    ) { context, arguments in
        let name = arguments.value("signal") ?? "KILL"
        guard let signal = Signal(parsing: name) else { throw CommandError.failed("invalid signal: \(name)") }
        return try eachContainer(context, arguments.positional, verb: "kill") { entry in
            let entry = context.reconcile(entry)
            if signal == .kill || signal == .terminate || signal == .interrupt {
                try context.containers.update(entry.id) { $0.state.stoppedByUser = true }
            }
            try context.signal(entry, signal)
        }
    }

    static let rm = Command(
        "rm", usage: "rm [OPTIONS] CONTAINER [CONTAINER...]", summary: "Remove one or more containers",
        flags: [Flag("force", short: "f", help: "Force the removal of a running container (uses SIGKILL)"),
                Flag("volumes", short: "v", help: "Remove anonymous volumes associated with the container")]
    ) { context, arguments in
        let force = arguments.bool("force")
        return try eachContainer(context, arguments.positional, verb: "rm") { entry in
            var entry = context.reconcile(entry)
            if entry.state.isLive {
                guard force else {
                    throw CommandError.failed("cannot remove container \"/\(entry.name)\": container is running: stop the container before removing or force remove")
                }
                entry = try context.containers.update(entry.id) { $0.state.stoppedByUser = true }
                if let container = context.runtimeContainer(entry) { try? container.kill(.kill) }
                if !context.waitForMonitor(entry, timeout: 30) {
                    throw CommandError.failed("cannot remove container \"/\(entry.name)\": its monitor does not finish")
                }
                // The monitor may have removed it already (--rm).
                guard let fresh = try? context.containers.load(id: entry.id) else { return }
                entry = fresh
            }
            try context.removeContainer(entry, volumes: arguments.bool("volumes"))
        }
    }

    static let wait = Command(
        "wait", usage: "wait CONTAINER [CONTAINER...]", summary: "Block until one or more containers stop, then print their exit codes"
    ) { context, arguments in
        guard !arguments.positional.isEmpty else { throw CommandError.usage("\"wait\" requires at least 1 argument.") }
        for reference in arguments.positional {
            let entry = try context.containers.find(reference)
            while true {
                guard let current = try? context.containers.load(id: entry.id) else {
                    throw CommandError.failed("No such container: \(reference)")
                }
                let live = context.reconcile(current)
                if !live.state.isLive {
                    context.say(String(live.state.exitCode))
                    break
                }
                usleep(20_000)
            }
        }
        return 0
    }

    static let pause = Command("pause", usage: "pause CONTAINER [CONTAINER...]", summary: "Pause all processes within one or more containers") { context, arguments in
        try eachContainer(context, arguments.positional, verb: "pause") { entry in
            guard entry.state.status == .running, var container = context.runtimeContainer(entry) else {
                throw CommandError.failed("container \(entry.shortID) is not running")
            }
            try container.pause()
            try context.containers.update(entry.id) { $0.state.status = .paused }
        }
    }

    static let unpause = Command("unpause", usage: "unpause CONTAINER [CONTAINER...]", summary: "Unpause all processes within one or more containers") { context, arguments in
        try eachContainer(context, arguments.positional, verb: "unpause") { entry in
            guard entry.state.status == .paused, var container = context.runtimeContainer(entry) else {
                throw CommandError.failed("container \(entry.shortID) is not paused")
            }
            try container.resume()
            try context.containers.update(entry.id) { $0.state.status = .running }
        }
    }

    static let rename = Command("rename", usage: "rename CONTAINER NEW_NAME", summary: "Rename a container") { context, arguments in
        guard arguments.positional.count == 2 else { throw CommandError.usage("\"rename\" requires exactly 2 arguments.") }
        let newName = arguments.positional[1]
        guard NameGenerator.isValid(newName) else {
            throw CommandError.failed("Invalid container name (\(newName)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
        try context.containers.locked {
            let entry = try context.containers.find(arguments.positional[0])
            if let owner = context.containers.names().first(where: { $0.name == newName }) {
                throw CommandError.failed("Conflict. The container name \"/\(newName)\" is already in use by container \"\(owner.id)\". You have to remove (or rename) that container to be able to reuse that name.")
            }
            try context.containers.update(entry.id) { $0.name = newName }
        }
        return 0
    }

    static let port = Command("port", usage: "port CONTAINER [PRIVATE_PORT[/PROTO]]", summary: "List port mappings or a specific mapping for the container") { context, arguments in
        guard let reference = arguments.positional.first else { throw CommandError.usage("\"port\" requires at least 1 argument.") }
        let entry = context.reconcile(try context.containers.find(reference))
        var ports = entry.network?.ports ?? []
        if arguments.positional.count > 1 {
            let wanted = arguments.positional[1]
            ports = ports.filter { "\($0.containerPort)/\($0.transport)" == wanted || "\($0.containerPort)" == wanted }
            if ports.isEmpty { throw CommandError.failed("No public port '\(wanted)' published for \(reference)") }
            for port in ports { context.say("\(port.hostAddress):\(port.hostPort)") }
            return 0
        }
        for port in ports { context.say("\(port.containerPort)/\(port.transport) -> \(port.hostAddress):\(port.hostPort)") }
        return 0
    }
}
