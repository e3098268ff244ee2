import FoundationEssentials
import Syscalls

/// `dosirak-runtime exec [--process FILE | options] ID [COMMAND ARGS...]`.
enum ExecCommand {
    static let spec = Arguments.Spec(
        values: ["--process": "-p", "--pid-file": "", "--console-socket": "", "--cwd": "", "--env": "-e", "--user": "-u",
                 "--cap": "-c", "--additional-gids": "-g", "--preserve-fds": "", "--process-label": "", "--apparmor": ""],
        switches: ["--detach": "-d", "--tty": "-t", "--no-new-privs": ""],
        usage: "dosirak-runtime exec [--process FILE] [--detach] [--pid-file FILE] [--console-socket SOCKET] [--tty] [--env K=V] [--user UID[:GID]] [--cwd DIR] ID [COMMAND [ARGS...]]")

    static func run(_ arguments: ArraySlice<String>, store: ContainerStore) throws -> CInt {
        let options = try Arguments(arguments, spec: spec, stopAtFirstPositional: true)
        guard let id = options.positional.first else { throw CommandLineError.usage("exec takes an ID", spec.usage) }
        let container = try Container.load(id, store: store)
        var process: Spec.Process
        if let file = options.values["--process"] {
            guard let data = FileManager.default.contents(atPath: file) else { throw RuntimeError.failed("exec: read \(file): ENOENT") }
            do {
                process = try JSONDecoder().decode(Spec.Process.self, from: data)
            } catch {
                throw RuntimeError.failed("exec: \(file) is not a valid process.json")
            }
        } else {
            let command = Array(options.positional.dropFirst())
            guard !command.isEmpty else { throw CommandLineError.usage("exec needs --process or a command", spec.usage) }
            // The container's own process settings, with this command.
            process = container.record.spec.process ?? Spec.Process(args: command)
            process.args = command
            process.terminal = options.switches.contains("--tty")
            process.env = (process.env ?? []) + (options.all["--env"] ?? [])
            if let cwd = options.values["--cwd"] { process.cwd = cwd }
            if let user = options.values["--user"] {
                let parts = user.split(separator: ":")
                guard let uid = parts.first.flatMap({ UInt32($0) }) else { throw RuntimeError.failed("exec: invalid --user \(user)") }
                process.user = Spec.User(uid: uid, gid: parts.count > 1 ? UInt32(parts[1]) ?? 0 : 0)
            }
            if options.switches.contains("--no-new-privs") { process.noNewPrivileges = true }
        }
        var exec = Container.ExecOptions(process: process)
        exec.detach = options.switches.contains("--detach")
        exec.pidFile = options.values["--pid-file"]
        exec.consoleSocket = options.values["--console-socket"]
        let executed: Container.Executed
        do {
            executed = try container.exec(exec)
        } catch let error as ExecError {
            try? FileDescriptor.standardError.writeAll("dosirak-runtime: \(error)\n")
            return error.exitCode
        }
        if exec.detach {
            // The helper exits as soon as it has reported; the process is left to our
            // caller (a shim is a subreaper and inherits it).
            _ = try? executed.helper.wait()
            return 0
        }
        if let terminal = executed.terminal {
            return try TerminalRelay(controller: terminal).run(until: executed.helper).shellCode
        }
        // The helper exits with the process's status.
        switch try executed.helper.wait() {
        case .exited(let code): return code
        case .signaled(let signal, _): return 128 + signal.rawValue
        }
    }
}
