import FoundationEssentials
import Glibc
import Network
import Runtime
import Syscalls

/// The `dosirak` program: global options, then a command.
///
///     dosirak [--root DIR] COMMAND [OPTIONS] [ARGUMENTS]
///
/// The same binary is four programs. Called as `dosirak-runtime` it is chapter 06's OCI
/// runtime; and `dosirak` starts itself again, with hidden commands, for the pieces that
/// must be processes of their own: a container's init (`init`), an exec helper
/// (`exec-init`), a container's monitor (`monitor`), a network's DNS responder (`dns`).
public enum Dosirak {
    public static let version = "0.7.0"

    public static func main(_ arguments: [String]) -> Never {
        let program = (arguments.first ?? "dosirak").split(separator: "/").last.map(String.init) ?? "dosirak"
        if program == "dosirak-runtime" { RuntimeCommand.main(arguments) }
        // Writing to a closed pipe (`dosirak ps | head -1`) is an error we handle, not death.
        signal(SIGPIPE, SIG_IGN)
        var rest = ArraySlice(arguments.dropFirst())
        var root: String?
        while let word = rest.first, word.hasPrefix("-") {
            rest = rest.dropFirst()
            switch word {
            case "--root":
                guard let value = rest.first else { usageError("flag needs an argument: --root", usage: "dosirak [--root DIR] COMMAND") }
                root = value
                rest = rest.dropFirst()
            case _ where word.hasPrefix("--root="): root = String(word.dropFirst("--root=".count))
            case "-v", "--version": print("Dosirak version \(version)"); exit(0)
            case "-h", "--help": print(Commands.overview); exit(0)
            case "-D", "--debug": break
            default: usageError("unknown flag: \(word)", usage: "dosirak [--root DIR] COMMAND")
            }
        }
        guard let name = rest.first else {
            print(Commands.overview)
            exit(0)
        }
        let context = Context(root: root)
        switch name {
        case "init": RuntimeInit.main()
        case "exec-init": ExecInit.main()
        case "monitor": ContainerMonitor.main(context, Array(rest.dropFirst()))
        case "dns": DNSMain.main(Array(rest.dropFirst()))
        case "fetch": exit(fetchMain(context, Array(rest.dropFirst())))
        default: break
        }
        guard let command = Commands.find(Array(rest)) else {
            FileDescriptor.standardError.say("dosirak: '\(name)' is not a dosirak command.\nSee 'dosirak --help'")
            exit(1)
        }
        exit(run(command.command, Array(rest.dropFirst(command.words)), context: context))
    }

    /// `fetch NAME`, the hidden command `run` uses to pull a missing image in
    /// `dosirak-registry`: the progress on stdout, the error as one line on stderr.
    static func fetchMain(_ context: Context, _ arguments: [String]) -> Int32 {
        guard arguments.count == 1 else {
            FileDescriptor.standardError.say("dosirak: Error: usage: fetch NAME")
            return 125
        }
        do {
            // Not the registry program: become it.
            guard let work = RegistryHelper.inProcess else { try context.becomeRegistryHelper("fetch") }
            _ = try work.fetch(arguments[0], context: context, progress: .standardOutput)
            return 0
        } catch {
            FileDescriptor.standardError.say("dosirak: Error: " + "\(error)".split(separator: "\n").joined(separator: "; "))
            return 125
        }
    }

    /// Runs one command; returns the exit code, having printed any error as one line.
    public static func run(_ command: Command, _ arguments: [String], context: Context) -> Int32 {
        do {
            let parsed = try ParsedArguments(arguments, flags: command.flags, stopAtFirstPositional: command.stopAtFirstPositional)
            if parsed.bool("help") {
                context.say(command.help)
                return 0
            }
            return try command.run(context, parsed)
        } catch CommandError.usage(let message) {
            context.errors.say("dosirak \(command.name): \(message)\nUsage:  dosirak \(command.usage)\nSee 'dosirak \(command.name) --help'.")
            // Docker's exit code for a command line it cannot parse.
            return 125
        } catch CommandError.exit(let code) {
            return code
        } catch {
            context.errors.say(Dosirak.errorLine(error, command: command))
            return command.failureCode
        }
    }

    /// `Error: No such container: web`, on one line, as Docker prints it.
    static func errorLine(_ error: Error, command: Command) -> String {
        let message = "\(error)".split(separator: "\n").joined(separator: "; ")
        return command.failureCode == 125 ? "dosirak: Error: \(message)" : "Error: \(message)"
    }

    static func usageError(_ message: String, usage: String) -> Never {
        FileDescriptor.standardError.say("dosirak: \(message)\nUsage:  \(usage)\nSee 'dosirak --help'.")
        exit(125)
    }
}

extension FileDescriptor {
    /// Writes a line (errors ignored: there is nowhere left to report them).
    package func say(_ text: String) {
        try? writeAll(text + "\n")
    }
}
