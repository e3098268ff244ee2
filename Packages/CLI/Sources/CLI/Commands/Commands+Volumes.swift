import FoundationEssentials
import Syscalls

extension Commands {
    static var volumeCommands: [Command] { [volumeCreate, volumeLs, volumeRm, volumeInspect] }

    static let volumeCreate = Command(
        "volume create", usage: "volume create [OPTIONS] [VOLUME]", summary: "Create a volume",
        flags: [Flag("driver", short: "d", .value(placeholder: "string"), help: "Specify volume driver name (default \"local\")"),
                Flag("label", .list(placeholder: "list"), help: "Set metadata for a volume"),
                Flag("name", .value(placeholder: "string"), help: "Specify volume name")]
    ) { context, arguments in
        if let driver = arguments.value("driver"), driver != "local" {
            throw CommandError.failed("create: plugin \"\(driver)\" not found: only the local driver is built in")
        }
        var labels: [String: String] = [:]
        for label in arguments.list("label") {
            let parts = label.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            labels[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let volume = try context.volumes.create(arguments.value("name") ?? arguments.positional.first ?? "", labels: labels)
        context.say(volume.name)
        return 0
    }

    static let volumeLs = Command(
        "volume ls", usage: "volume ls [OPTIONS]", summary: "List volumes",
        flags: [Flag("quiet", short: "q", help: "Only display volume names"),
                Flag("filter", short: "f", .list(placeholder: "filter"), help: "Provide filter values (e.g. \"dangling=true\")"),
                Flag("format", .value(placeholder: "string"), help: "Format output using a custom template")]
    ) { context, arguments in
        var volumes = context.volumes.all()
        for filter in arguments.list("filter") {
            let parts = filter.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw CommandError.failed("bad format of filter (expected name=value)") }
            switch parts[0] {
            case "name": volumes = volumes.filter { $0.name.contains(parts[1]) }
            case "dangling":
                let dangling = parts[1] == "true" || parts[1] == "1"
                volumes = volumes.filter { context.volumeUsers($0.name).isEmpty == dangling }
            case "label": volumes = volumes.filter { $0.labels[String(parts[1].prefix { $0 != "=" })] != nil }
            default: throw CommandError.failed("invalid filter '\(parts[0])'")
            }
        }
        if arguments.bool("quiet") {
            for volume in volumes { context.say(volume.name) }
            return 0
        }
        if let format = arguments.value("format"), format != "table" {
            let fields = volumes.map { volume -> [String: Any] in
                ["Name": volume.name, "Driver": "local", "Scope": "local", "Mountpoint": context.volumes.dataPath(volume.name),
                 "CreatedAt": Timestamp.rfc3339(volume.created),
                 "Labels": volume.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")]
            }
            let text = try Template(format).render(fields, names: ["Name": "VOLUME NAME", "Driver": "DRIVER"])
            if !text.isEmpty { context.say(text) }
            return 0
        }
        var table = Table(["DRIVER", "VOLUME NAME"])
        for volume in volumes { table.add(["local", volume.name]) }
        context.say(table.text)
        return 0
    }

    static let volumeRm = Command(
        "volume rm", usage: "volume rm [OPTIONS] VOLUME [VOLUME...]", summary: "Remove one or more volumes",
        flags: [Flag("force", short: "f", help: "Force the removal of one or more volumes")]
    ) { context, arguments in
        guard !arguments.positional.isEmpty else { throw CommandError.usage("\"volume rm\" requires at least 1 argument.") }
        var failed = false
        for name in arguments.positional {
            do {
                try context.volumes.remove(name, users: context.volumeUsers(name))
                context.say(name)
            } catch {
                if arguments.bool("force") && (try? context.volumes.load(name)) == nil { continue }
                context.errors.say("Error response from daemon: \(error)")
                failed = true
            }
        }
        if failed { throw CommandError.exit(1) }
        return 0
    }

    static let volumeInspect = Command(
        "volume inspect", usage: "volume inspect [OPTIONS] VOLUME [VOLUME...]", summary: "Display detailed information on one or more volumes",
        flags: [Flag("format", short: "f", .value(placeholder: "string"), help: "Format output using a custom template")]
    ) { context, arguments in
        try inspect(context, arguments, type: "volume")
    }
}
