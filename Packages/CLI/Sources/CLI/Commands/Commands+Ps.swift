import FoundationEssentials
import Syscalls

extension ContainerEntry {
    /// `Up 3 minutes`, `Exited (0) 5 seconds ago`, `Created`: the STATUS column.
    func statusText(now: Date = Date()) -> String {
        switch state.status {
        case .created: return "Created"
        case .running, .paused:
            let up = "Up " + Timestamp.humanDuration(now.timeIntervalSince(state.startedAt ?? created))
            return state.status == .paused ? up + " (Paused)" : up
        case .restarting:
            return "Restarting (\(state.exitCode)) " + Timestamp.ago(state.finishedAt ?? now, now: now)
        case .removing: return "Removal In Progress"
        case .exited: return "Exited (\(state.exitCode)) " + Timestamp.ago(state.finishedAt ?? now, now: now)
        case .dead: return "Dead"
        }
    }

    /// `0.0.0.0:8080->80/tcp, 0.0.0.0:8443->443/tcp`: the PORTS column.
    var portsText: String { (network?.ports ?? []).map(\.description).joined(separator: ", ") }

    /// The COMMAND column: quoted, and cut to 20 characters unless `--no-trunc`.
    func commandText(truncate: Bool) -> String {
        var command = commandLine
        if truncate && command.count > 20 { command = String(command.prefix(19)) + "…" }
        return "\"" + command.replacing("\"", with: "\\\"") + "\""
    }

    /// The fields `--format` can use, named as Docker names them.
    func formatFields(truncate: Bool) -> [String: Any] {
        [
            "ID": truncate ? shortID : id, "Image": image, "Command": commandText(truncate: truncate),
            "CreatedAt": Timestamp.goFormat(created), "RunningFor": Timestamp.ago(created), "Ports": portsText,
            "State": state.status.rawValue, "Status": statusText(), "Size": "0B", "Names": name,
            "Labels": options.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
            "Mounts": volumes.map { $0.source ?? $0.destination }.joined(separator: ","),
            "Networks": networks.isEmpty ? options.network : networks.map(\.network).joined(separator: ","), "LocalVolumes": String(volumes.filter { $0.kind == .volume }.count),
        ]
    }
}

extension Commands {
    static let psHeaders = ["ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
                            "RunningFor": "CREATED", "Ports": "PORTS", "State": "STATE", "Status": "STATUS", "Size": "SIZE",
                            "Names": "NAMES", "Labels": "LABELS", "Mounts": "MOUNTS", "Networks": "NETWORKS",
                            "LocalVolumes": "LOCAL VOLUMES"]

    static let ps = Command(
        "ps", usage: "ps [OPTIONS]", summary: "List containers",
        flags: [Flag("all", short: "a", help: "Show all containers (default shows just running)"),
                Flag("quiet", short: "q", help: "Only display container IDs"),
                Flag("last", short: "n", .value(placeholder: "int"), help: "Show n last created containers (includes all states)"),
                Flag("latest", short: "l", help: "Show the latest created container (includes all states)"),
                Flag("no-trunc", help: "Don't truncate output"),
                Flag("size", short: "s", help: "Display total file sizes"),
                Flag("filter", short: "f", .list(placeholder: "filter"), help: "Filter output based on conditions provided"),
                Flag("format", .value(placeholder: "string"), help: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'")]
    ) { context, arguments in
        var entries = context.containers.all().map { context.reconcile($0) }
        var limit: Int? = arguments.bool("latest") ? 1 : nil
        if let text = arguments.value("last") {
            guard let count = Int(text) else { throw CommandError.usage("invalid argument \"\(text)\" for \"-n, --last\" flag") }
            if count >= 0 { limit = count }
        }
        if !arguments.bool("all") && limit == nil { entries = entries.filter { $0.state.isLive } }
        for filter in arguments.list("filter") {
            let parts = filter.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw CommandError.failed("bad format of filter (expected name=value)") }
            let (key, value) = (parts[0], parts[1])
            switch key {
            case "status":
                let known = ["created", "restarting", "running", "removing", "paused", "exited", "dead"]
                guard known.contains(value) else { throw CommandError.failed("invalid filter 'status=\(value)'") }
                entries = entries.filter { $0.state.status.rawValue == value }
            case "name": entries = entries.filter { $0.name.contains(value) }
            case "id": entries = entries.filter { $0.id.hasPrefix(value) }
            case "ancestor": entries = entries.filter { $0.image == value || $0.imageID.contains(value) }
            case "exited": entries = entries.filter { $0.state.status == .exited && String($0.state.exitCode) == value }
            case "network": entries = entries.filter { ($0.network?.network ?? $0.options.network) == value }
            case "label":
                let pair = value.split(separator: "=", maxSplits: 1).map(String.init)
                entries = entries.filter { entry in
                    guard let found = entry.options.labels[pair[0]] else { return false }
                    return pair.count == 1 || found == pair[1]
                }
            default: throw CommandError.failed("invalid filter '\(key)'")
            }
        }
        if let limit { entries = Array(entries.prefix(limit)) }
        let truncate = !arguments.bool("no-trunc")
        if arguments.bool("quiet") {
            for entry in entries { context.say(truncate ? entry.shortID : entry.id) }
            return 0
        }
        if let format = arguments.value("format"), format != "table" {
            let text = try Template(format).render(entries.map { $0.formatFields(truncate: truncate) }, names: psHeaders)
            if !text.isEmpty { context.say(text) }
            return 0
        }
        var columns = ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
        if arguments.bool("size") { columns.append("SIZE") }
        var table = Table(columns)
        for entry in entries {
            var row = [truncate ? entry.shortID : entry.id, entry.image, entry.commandText(truncate: truncate),
                       Timestamp.ago(entry.created), entry.statusText(), entry.portsText, entry.name]
            if arguments.bool("size") {
                row.append(Timestamp.bytes(DiskUsage.bytes(under: context.containers.layerDirectory(entry.id) + "/upper")))
            }
            table.add(row)
        }
        context.say(table.text)
        return 0
    }
}
