import Cgroups
import FoundationEssentials
import Glibc
import Namespaces
import Syscalls

/// `dosirak-runtime`: the runc command line, as containerd's shim, Docker and podman call
/// it. `dosirak-runtime --root /run/x create --bundle B --pid-file P ID`, then `start ID`,
/// `state ID`, `kill ID SIGTERM`, `delete ID`, and the rest of runc's verbs.
public enum RuntimeCommand {
    /// Global options, before the verb.
    struct Globals {
        var root = ContainerStore.defaultRoot
        var log: String?
        var logFormat = "text"
    }

    static let version = "0.1.0"

    public static func main(_ arguments: [String]) -> Never {
        // A hook or console peer that goes away must be an EPIPE we report, not a signal
        // that kills us half-way through a create. (Children get default dispositions back.)
        signal(SIGPIPE, SIG_IGN)
        var globals = Globals()
        var rest = ArraySlice(arguments.dropFirst())
        // Global options come first: --root, --log, --log-format, and flags we accept and
        // ignore because callers pass them (--debug, --systemd-cgroup, --rootless, --criu).
        while let word = rest.first, word.hasPrefix("-") {
            rest = rest.dropFirst()
            let (name, inline) = word.contains("=") ? (String(word.prefix { $0 != "=" }), String(word.drop { $0 != "=" }.dropFirst())) : (word, nil)
            func value() -> String? {
                if let inline { return inline }
                guard let next = rest.first else { return nil }
                rest = rest.dropFirst()
                return next
            }
            switch name {
            case "--root": globals.root = value() ?? globals.root
            case "--log": globals.log = value()
            case "--log-format": globals.logFormat = value() ?? "text"
            case "--criu", "--rootless": _ = value()
            case "--debug", "--systemd-cgroup": break
            case "--version", "-v": print("dosirak-runtime version \(version)\nspec: \(Spec.version)"); exit(0)
            case "--help", "-h": print(usage); exit(0)
            default: fail(globals, "unknown global flag \(name)\nusage: dosirak-runtime [--root DIR] [--log FILE] [--log-format text|json] COMMAND")
            }
        }
        guard let verb = rest.first else {
            print(usage)
            exit(1)
        }
        let store = ContainerStore(root: globals.root)
        do {
            let code = try run(verb, rest.dropFirst(), store: store, globals: globals)
            exit(code)
        } catch let error as CommandLineError {
            fail(globals, "\(error)")
        } catch {
            fail(globals, "\(error)")
        }
    }

    static let usage = """
        usage: dosirak-runtime [--root DIR] [--log FILE] [--log-format text|json] COMMAND [OPTIONS] ID
        commands: create, start, run, state, kill, delete, exec, ps, pause, resume, update, list, spec, features
        """

    /// Writes the error to stderr, and to the log file as runc does (JSON lines with
    /// --log-format json: containerd reads the last one), then exits 1.
    static func fail(_ globals: Globals, _ message: String) -> Never {
        try? FileDescriptor.standardError.writeAll("dosirak-runtime: \(message)\n")
        if let log = globals.log, let fd = try? FileDescriptor.open(log, .writeOnly, options: [.create, .append]) {
            let time = Timestamp.rfc3339Seconds(Date())
            let firstLine = message.split(separator: "\n").first.map(String.init) ?? message
            if globals.logFormat == "json" {
                let entry = ["level": "error", "msg": firstLine, "time": time]
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                if let data = try? encoder.encode(entry) {
                    try? fd.writeAll(Array(data) + [10])
                }
            } else {
                try? fd.writeAll("time=\"\(time)\" level=error msg=\"\(firstLine)\"\n")
            }
            try? fd.close()
        }
        exit(1)
    }

    static func run(_ verb: String, _ arguments: ArraySlice<String>, store: ContainerStore, globals: Globals) throws -> CInt {
        switch verb {
        case "init":
            RuntimeInit.main()
        case "exec-init":
            ExecInit.run()
        case "create":
            let spec = Arguments.Spec(values: ["--bundle": "-b", "--pid-file": "", "--console-socket": "", "--preserve-fds": ""],
                                      switches: ["--no-pivot": "", "--no-new-keyring": ""],
                                      usage: "dosirak-runtime create [--bundle DIR] [--pid-file FILE] [--console-socket SOCKET] ID")
            let options = try Arguments(arguments, spec: spec)
            let id = try single(options, spec)
            var create = Container.CreateOptions(bundle: options.values["--bundle"] ?? FileManager.default.currentDirectoryPath,
                                                 pidFile: options.values["--pid-file"], consoleSocket: options.values["--console-socket"])
            create.handOff = true
            try Container.create(id: id, options: create, store: store)
            return 0
        case "start":
            let spec = Arguments.Spec(usage: "dosirak-runtime start ID")
            var container = try Container.load(try single(try Arguments(arguments, spec: spec), spec), store: store)
            try container.start()
            return 0
        case "state":
            let spec = Arguments.Spec(usage: "dosirak-runtime state ID")
            let container = try Container.load(try single(try Arguments(arguments, spec: spec), spec), store: store, withSpec: false)
            try printJSON(container.state)
            return 0
        case "kill":
            let spec = Arguments.Spec(switches: ["--all": "-a"], usage: "dosirak-runtime kill [--all] ID [SIGNAL]")
            let options = try Arguments(arguments, spec: spec)
            guard (1...2).contains(options.positional.count) else { throw CommandLineError.usage("kill takes an ID and a signal", spec.usage) }
            let name = options.positional.count == 2 ? options.positional[1] : "SIGTERM"
            guard let signal = Signal(parsing: name) else { throw RuntimeError.failed("unknown signal \"\(name)\"") }
            try Container.load(options.positional[0], store: store, withSpec: false).kill(signal, all: options.switches.contains("--all"))
            return 0
        case "delete", "rm":
            let spec = Arguments.Spec(switches: ["--force": "-f"], usage: "dosirak-runtime delete [--force] ID")
            let options = try Arguments(arguments, spec: spec)
            let id = try single(options, spec)
            do {
                // delete reads the record again (config.json too) under the container's lock.
                try Container.load(id, store: store, withSpec: false).delete(force: options.switches.contains("--force"))
            } catch RuntimeError.notFound(_) where options.switches.contains("--force") {
                // runc: deleting what is already gone, with --force, is not an error.
            }
            return 0
        case "run":
            let spec = Arguments.Spec(values: ["--bundle": "-b", "--pid-file": "", "--console-socket": "", "--preserve-fds": ""],
                                      switches: ["--detach": "-d", "--no-pivot": "", "--no-new-keyring": ""],
                                      usage: "dosirak-runtime run [--bundle DIR] [--detach] [--pid-file FILE] [--console-socket SOCKET] ID")
            let options = try Arguments(arguments, spec: spec)
            return try runContainer(id: try single(options, spec), options: options, store: store)
        case "exec":
            return try ExecCommand.run(arguments, store: store)
        case "ps":
            let spec = Arguments.Spec(values: ["--format": "-f"], usage: "dosirak-runtime ps [--format table|json] ID")
            let options = try Arguments(arguments, spec: spec, stopAtFirstPositional: true)
            guard let id = options.positional.first else { throw CommandLineError.usage("ps takes an ID", spec.usage) }
            let pids = try Container.load(id, store: store, withSpec: false).processes()
            if options.values["--format"] == "json" {
                try printJSON(pids)
            } else {
                print("PID\tCMD")
                for pid in pids { print("\(pid)\t\(commandLine(of: pid))") }
            }
            return 0
        case "pause", "resume":
            let spec = Arguments.Spec(usage: "dosirak-runtime \(verb) ID")
            var container = try Container.load(try single(try Arguments(arguments, spec: spec), spec), store: store, withSpec: false)
            if verb == "pause" { try container.pause() } else { try container.resume() }
            return 0
        case "update":
            let spec = Arguments.Spec(values: ["--resources": "-r"], usage: "dosirak-runtime update --resources FILE|- ID")
            let options = try Arguments(arguments, spec: spec)
            let id = try single(options, spec)
            guard let source = options.values["--resources"] else { throw CommandLineError.usage("update needs --resources", spec.usage) }
            let data: Data
            if source == "-" {
                data = Data(try FileDescriptor.standardInput.readAll())
            } else {
                guard let contents = FileManager.default.contents(atPath: source) else { throw RuntimeError.failed("read \(source): ENOENT") }
                data = contents
            }
            let resources: Resources
            do {
                resources = try JSONDecoder().decode(Resources.self, from: data)
            } catch {
                throw RuntimeError.failed("update \(id): the resources are not valid JSON of linux.resources")
            }
            var container = try Container.load(id, store: store)
            try container.update(resources)
            return 0
        case "list", "ls":
            let spec = Arguments.Spec(values: ["--format": "-f"], switches: ["--quiet": "-q"], usage: "dosirak-runtime list [--format table|json] [--quiet]")
            let options = try Arguments(arguments, spec: spec)
            let containers = store.ids().compactMap { try? Container.load($0, store: store, withSpec: false) }
            if options.switches.contains("--quiet") {
                containers.forEach { print($0.id) }
            } else if options.values["--format"] == "json" {
                try printJSON(containers.map(ListEntry.init))
            } else {
                print("ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER")
                for container in containers {
                    let state = container.state
                    print("\(state.id)\t\(state.pid)\t\(state.status.rawValue)\t\(state.bundle)\t\(Timestamp.rfc3339(container.record.created))\t\(container.record.owner == 0 ? "root" : String(container.record.owner))")
                }
            }
            return 0
        case "spec":
            let spec = Arguments.Spec(values: ["--bundle": "-b"], switches: ["--rootless": ""], usage: "dosirak-runtime spec [--bundle DIR]")
            let options = try Arguments(arguments, spec: spec)
            let bundle = options.values["--bundle"] ?? FileManager.default.currentDirectoryPath
            let path = bundle + "/config.json"
            guard !FileManager.default.fileExists(atPath: path) else { throw RuntimeError.failed("spec: \(path) already exists") }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(Spec.default()).write(to: URL(fileURLWithPath: path))
            return 0
        case "features":
            try printJSON(Features())
            return 0
        case "version":
            print("dosirak-runtime version \(version)\nspec: \(Spec.version)")
            return 0
        case "help":
            print(usage)
            return 0
        default:
            throw CommandLineError.usage("unknown command \"\(verb)\"", usage)
        }
    }

    /// `run`: create and start in one, staying the container's parent to wait for it and
    /// exit with its status (or, with --detach, leaving it running).
    static func runContainer(id: String, options: Arguments, store: ContainerStore) throws -> CInt {
        var create = Container.CreateOptions(bundle: options.values["--bundle"] ?? FileManager.default.currentDirectoryPath,
                                             pidFile: options.values["--pid-file"], consoleSocket: options.values["--console-socket"])
        let detach = options.switches.contains("--detach")
        create.handOff = detach
        let attached = try Container.create(id: id, options: create, store: store)
        var container = attached.container
        if detach {
            try container.start()
            return 0
        }
        let relay = attached.terminal.map { TerminalRelay(controller: $0) }
        do {
            try attached.process.start()
        } catch {
            try? container.delete(force: true)
            throw error
        }
        try? container.didStart()
        let status: WaitStatus
        if let relay {
            status = try relay.run(until: attached.process)
        } else {
            status = try attached.process.wait()
        }
        try container.delete(force: true)
        return status.shellCode
    }

    static func single(_ options: Arguments, _ spec: Arguments.Spec) throws -> String {
        guard options.positional.count == 1 else { throw CommandLineError.usage("expected exactly one container ID", spec.usage) }
        return options.positional[0]
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    static func commandLine(of pid: Int32) -> String {
        guard let fd = try? FileDescriptor.open("/proc/\(pid)/cmdline"), let bytes = try? fd.closeAfter({ try fd.readAll() }) else { return "" }
        return bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    /// A line of `list --format json`, in runc's shape.
    struct ListEntry: Encodable {
        var ociVersion: String, id: String, pid: Int32, status: String, bundle: String, rootfs: String
        var created: String, owner: String, annotations: [String: String]?
        init(_ container: Container) {
            let state = container.state
            ociVersion = state.ociVersion
            id = state.id
            pid = state.pid
            status = state.status.rawValue
            bundle = state.bundle
            rootfs = container.record.rootfs
            created = Timestamp.rfc3339(container.record.created)
            owner = container.record.owner == 0 ? "root" : String(container.record.owner)
            annotations = container.record.annotations
        }
    }

    /// `features`: what this runtime supports, in the shape of runc's `features` output.
    struct Features: Encodable {
        var ociVersionMin = "1.0.0"
        var ociVersionMax = Spec.version
        var hooks = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
        var mountOptions = MountPoint.flagOptions.keys.sorted()
        var linux = LinuxFeatures()
        struct LinuxFeatures: Encodable {
            var namespaces = Spec.namespaceKinds.keys.sorted()
            var capabilities = Capability.all().map(\.name)
            var cgroup = ["v1": true, "v2": true]
            var seccomp = ["enabled": true]
        }
    }
}
