import FoundationEssentials
import Glibc
import Runtime
import Syscalls

extension Commands {
    static let exec = Command(
        "exec", usage: "exec [OPTIONS] CONTAINER COMMAND [ARG...]", summary: "Execute a command in a running container",
        flags: [Flag("detach", short: "d", help: "Detached mode: run command in the background"),
                Flag("interactive", short: "i", help: "Keep STDIN open even if not attached"),
                Flag("tty", short: "t", help: "Allocate a pseudo-TTY"),
                Flag("env", short: "e", .list(placeholder: "list"), help: "Set environment variables"),
                Flag("env-file", .list(placeholder: "list"), help: "Read in a file of environment variables"),
                Flag("user", short: "u", .value(placeholder: "string"), help: "Username or UID (format: \"<name|uid>[:<group|gid>]\")"),
                Flag("workdir", short: "w", .value(placeholder: "string"), help: "Working directory inside the container"),
                Flag("privileged", help: "Give extended privileges to the command")],
        stopAtFirstPositional: true
    ) { context, arguments in
        guard arguments.positional.count >= 2 else { throw CommandError.usage("\"exec\" requires at least 2 arguments.") }
        let entry = context.reconcile(try context.containers.find(arguments.positional[0]))
        if entry.state.status == .paused {
            throw CommandError.failed("container \(entry.id) is paused, unpause the container before exec")
        }
        guard entry.state.status == .running, let container = context.runtimeContainer(entry, withSpec: true) else {
            throw CommandError.failed("container \(entry.id) is not running")
        }
        let tty = arguments.bool("tty")
        if tty && arguments.bool("interactive") && isatty(0) != 1 { throw CommandError.failed("the input device is not a TTY") }
        var process = container.record.spec.process ?? Spec.Process(args: [])
        process.args = Array(arguments.positional.dropFirst())
        process.terminal = tty
        var environment: [String] = []
        for file in arguments.list("env-file") { environment += try RunOptions.readEnvironmentFile(file) }
        environment += arguments.list("env").map { item in
            item.contains("=") ? item : item + "=" + (ProcessInfo.processInfo.environment[item] ?? "")
        }
        process.env = ContainerEnvironment.merge(image: process.env ?? [], hostname: entry.hostname, tty: tty, flags: environment)
        if let directory = arguments.value("workdir") { process.cwd = directory }
        if let user = arguments.value("user") {
            process.user = try UserDatabase(rootfs: context.containers.rootfs(entry.id)).resolve(user)
        }
        if arguments.bool("privileged") {
            let all = Context.allCapabilities
            process.capabilities = Spec.Capabilities(bounding: all, effective: all, permitted: all)
        }
        var options = Container.ExecOptions(process: process)
        options.helperExecutable = context.executable
        options.helperArguments = ["exec-init"]
        let null = try FileDescriptor.open("/dev/null", .readWrite)
        defer { try? null.close() }
        if arguments.bool("detach") {
            // The helper stays as the process's parent and reaps it: a zombie whose parent is
            // outside the container would keep the container's init from ever finishing.
            options.stdio = [0: null, 1: null, 2: null]
        } else if !arguments.bool("interactive") && !tty {
            options.stdio = [0: null, 1: context.output, 2: context.errors]
        } else {
            options.stdio = [0: .standardInput, 1: context.output, 2: context.errors]
        }
        let executed: Container.Executed
        do {
            executed = try container.exec(options)
        } catch let error as ExecError {
            context.errors.say("Error: \(error.message)")
            throw CommandError.exit(error.exitCode)
        }
        if arguments.bool("detach") {
            return 0
        }
        let status: WaitStatus
        if let terminal = executed.terminal {
            let input = arguments.bool("interactive") ? FileDescriptor.standardInput : null
            status = try TerminalRelay(controller: terminal, input: input, output: context.output).run(until: executed.helper)
        } else {
            status = try executed.helper.wait()
        }
        return status.shellCode
    }

    static let attach = Command(
        "attach", usage: "attach [OPTIONS] CONTAINER", summary: "Attach local standard input, output, and error streams to a running container",
        flags: [Flag("no-stdin", help: "Do not attach STDIN"),
                Flag("sig-proxy", help: "Proxy all received signals to the process (default true)")]
    ) { context, arguments in
        guard arguments.positional.count == 1 else { throw CommandError.usage("\"attach\" requires exactly 1 argument.") }
        let entry = context.reconcile(try context.containers.find(arguments.positional[0]))
        guard entry.state.isLive else { throw CommandError.failed("You cannot attach to a stopped container, start it first") }
        let socket = try FileDescriptor.connect(unixSocket: context.attachSocket(entry.id))
        defer { try? socket.close() }
        let stdin = entry.options.interactive && !arguments.bool("no-stdin")
        guard let code = try AttachClient.relay(socket, stdin: stdin, tty: entry.options.tty,
                                                output: context.output, errors: context.errors) else { return 0 }
        return code
    }
}
