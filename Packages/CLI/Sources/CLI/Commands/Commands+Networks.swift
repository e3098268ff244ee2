import FoundationEssentials
import Network
import Syscalls

extension Commands {
    static var networkCommands: [Command] {
        [networkCreate, networkLs, networkRm, networkInspect, networkConnect, networkDisconnect]
    }

    static let networkCreate = Command(
        "network create", usage: "network create [OPTIONS] NETWORK", summary: "Create a network",
        flags: [Flag("driver", short: "d", .value(placeholder: "string"), help: "Driver to manage the Network (default \"bridge\")"),
                Flag("subnet", .value(placeholder: "string"), help: "Subnet in CIDR format that represents a network segment"),
                Flag("gateway", .value(placeholder: "string"), help: "IPv4 Gateway for the master subnet"),
                Flag("label", .list(placeholder: "list"), help: "Set metadata on a network")]
    ) { context, arguments in
        guard arguments.positional.count == 1 else { throw CommandError.usage("\"network create\" requires exactly 1 argument.") }
        let name = arguments.positional[0]
        if let driver = arguments.value("driver"), driver != "bridge" {
            throw CommandError.failed("plugin \"\(driver)\" not found: only the bridge driver is built in")
        }
        var subnet: Subnet?
        if let text = arguments.value("subnet") {
            guard let parsed = Subnet(text) else { throw CommandError.failed("invalid subnet \(text): expected CIDR notation, like 10.1.0.0/24") }
            subnet = parsed
        }
        var gateway: IPv4Address?
        if let text = arguments.value("gateway") {
            guard let parsed = IPv4Address(text) else { throw CommandError.failed("invalid gateway \(text): not an IPv4 address") }
            guard subnet != nil else { throw CommandError.failed("gateway \(text) given without a subnet") }
            gateway = parsed
        }
        if ["host", "none", "default"].contains(name) || name == BridgeNetwork.defaultName {
            throw CommandError.failed("network with name \(name) already exists")
        }
        do {
            let network = try context.networks.create(name: name, subnet: subnet, gateway: gateway)
            context.say(network.id)
        } catch NetworkError.networkExists(_) {
            throw CommandError.failed("network with name \(name) already exists")
        }
        return 0
    }

    /// What `network ls` lists: the bridge networks, and Docker's `host` and `none`.
    struct NetworkRow {
        var id: String
        var name: String
        var driver: String
        var created: String
    }

    static func networkRows(_ context: Context) throws -> [NetworkRow] {
        // The default network exists from the first container on; it is listed before that too.
        var rows = try context.networks.networks().map { NetworkRow(id: $0.id, name: $0.name, driver: "bridge", created: $0.created) }
        if !rows.contains(where: { $0.name == BridgeNetwork.defaultName }) {
            rows.append(NetworkRow(id: pseudoID(BridgeNetwork.defaultName), name: BridgeNetwork.defaultName, driver: "bridge", created: ""))
        }
        rows.append(NetworkRow(id: pseudoID("host"), name: "host", driver: "host", created: ""))
        rows.append(NetworkRow(id: pseudoID("none"), name: "none", driver: "null", created: ""))
        return rows.sorted { $0.name < $1.name }
    }

    /// A stable 64-digit ID for the networks that have no state of their own (FNV-1a, repeated).
    static func pseudoID(_ name: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var text = ""
        for round in 0..<4 {
            for byte in (name + String(round)).utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            let hex = String(hash, radix: 16)
            text += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return text
    }

    static let networkLs = Command(
        "network ls", usage: "network ls [OPTIONS]", summary: "List networks",
        flags: [Flag("quiet", short: "q", help: "Only display network IDs"),
                Flag("no-trunc", help: "Do not truncate the output"),
                Flag("filter", short: "f", .list(placeholder: "filter"), help: "Provide filter values (e.g. \"driver=bridge\")"),
                Flag("format", .value(placeholder: "string"), help: "Format output using a custom template")]
    ) { context, arguments in
        var rows = try networkRows(context)
        for filter in arguments.list("filter") {
            let parts = filter.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw CommandError.failed("bad format of filter (expected name=value)") }
            switch parts[0] {
            case "name": rows = rows.filter { $0.name.contains(parts[1]) }
            case "driver": rows = rows.filter { $0.driver == parts[1] }
            case "id": rows = rows.filter { $0.id.hasPrefix(parts[1]) }
            default: throw CommandError.failed("invalid filter '\(parts[0])'")
            }
        }
        let truncate = !arguments.bool("no-trunc")
        func id(_ row: NetworkRow) -> String { truncate ? String(row.id.prefix(12)) : row.id }
        if arguments.bool("quiet") && arguments.value("format") == nil {
            for row in rows { context.say(id(row)) }
            return 0
        }
        if let format = arguments.value("format"), format != "table" {
            let fields = rows.map { row -> [String: Any] in
                ["ID": id(row), "Name": row.name, "Driver": row.driver, "Scope": "local", "IPv6": "false",
                 "Internal": "false", "CreatedAt": row.created, "Labels": ""]
            }
            let text = try Template(format).render(fields, names: ["ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE"])
            if !text.isEmpty { context.say(text) }
            return 0
        }
        var table = Table(["NETWORK ID", "NAME", "DRIVER", "SCOPE"])
        for row in rows { table.add([id(row), row.name, row.driver, "local"]) }
        context.say(table.text)
        return 0
    }

    static let networkRm = Command(
        "network rm", usage: "network rm NETWORK [NETWORK...]", summary: "Remove one or more networks",
        flags: [Flag("force", short: "f", help: "Do not error if the network does not exist")]
    ) { context, arguments in
        guard !arguments.positional.isEmpty else { throw CommandError.usage("\"network rm\" requires at least 1 argument.") }
        var failed = false
        for name in arguments.positional {
            do {
                if ["host", "none"].contains(name) {
                    throw CommandError.failed("\(name) is a pre-defined network and cannot be removed")
                }
                let network = try context.networks.network(name)
                do {
                    try context.networks.remove(network.name)
                } catch NetworkError.networkInUse(_, _) {
                    throw CommandError.failed("error while removing network: network \(name) id \(network.id) has active endpoints")
                }
                context.say(name)
            } catch NetworkError.noSuchNetwork(_) where arguments.bool("force") {
                continue
            } catch NetworkError.noSuchNetwork(_) {
                context.errors.say("Error response from daemon: network \(name) not found")
                failed = true
            } catch {
                context.errors.say("Error response from daemon: \(error)")
                failed = true
            }
        }
        if failed { throw CommandError.exit(1) }
        return 0
    }

    static let networkInspect = Command(
        "network inspect", usage: "network inspect [OPTIONS] NETWORK [NETWORK...]", summary: "Display detailed information on one or more networks",
        flags: [Flag("format", short: "f", .value(placeholder: "string"), help: "Format output using a custom template")]
    ) { context, arguments in
        try inspect(context, arguments, type: "network")
    }

    static let networkConnect = Command(
        "network connect", usage: "network connect [OPTIONS] NETWORK CONTAINER", summary: "Connect a container to a network",
        flags: [Flag("alias", .list(placeholder: "strings"), help: "Add network-scoped alias for the container")]
    ) { context, arguments in
        guard arguments.positional.count == 2 else { throw CommandError.usage("\"network connect\" requires exactly 2 arguments.") }
        let name = arguments.positional[0]
        let network = try context.networks.network(name)
        let entry = context.reconcile(try context.containers.find(arguments.positional[1]))
        if entry.options.network == network.name || entry.connected.contains(where: { $0.name == network.name }) {
            throw CommandError.failed("endpoint with name \(entry.name) already exists in network \(network.name)")
        }
        if ["host", "none"].contains(entry.options.network) {
            throw CommandError.failed("container cannot be disconnected from host network or connected to host network")
        }
        let connection = NetworkConnection(name: network.name, aliases: arguments.list("alias"))
        if entry.state.status == .running, let process = entry.state.process {
            let (settings, _, _) = try context.attach(entry, to: network.name, aliases: connection.aliases, ports: [],
                                                      namespace: .of(pid: process.pid), process: process)
            try context.containers.update(entry.id) { $0.networks.append(settings) }
        }
        try context.containers.update(entry.id) { $0.connected.append(connection) }
        return 0
    }

    static let networkDisconnect = Command(
        "network disconnect", usage: "network disconnect [OPTIONS] NETWORK CONTAINER", summary: "Disconnect a container from a network",
        flags: [Flag("force", short: "f", help: "Force the container to disconnect from a network")]
    ) { context, arguments in
        guard arguments.positional.count == 2 else { throw CommandError.usage("\"network disconnect\" requires exactly 2 arguments.") }
        let network = try context.networks.network(arguments.positional[0])
        let entry = context.reconcile(try context.containers.find(arguments.positional[1]))
        guard entry.options.network == network.name || entry.connected.contains(where: { $0.name == network.name }) else {
            throw CommandError.failed("container \(entry.shortID) is not connected to network \(network.name)")
        }
        if entry.networks.contains(where: { $0.network == network.name }) {
            try context.networks.detach(containerID: entry.id, network: network.name)
        }
        try context.containers.update(entry.id) { entry in
            entry.networks.removeAll { $0.network == network.name }
            entry.connected.removeAll { $0.name == network.name }
            // Leaving its first network leaves the container with only its loopback.
            if entry.options.network == network.name { entry.options.network = "none" }
        }
        return 0
    }
}

extension Context {
    /// `inspect` of a network, with the fields Docker's has, in its order.
    func inspectNetwork(_ name: String) throws -> JSONValue {
        let (network, endpoints) = try networks.inspect(name)
        return .object([
            ("Name", .string(network.name)),
            ("Id", .string(network.id)),
            ("Created", .string(network.created)),
            ("Scope", .string("local")),
            ("Driver", .string("bridge")),
            ("EnableIPv6", .bool(false)),
            ("IPAM", .object([
                ("Driver", .string("default")),
                ("Options", .null),
                ("Config", .array([.object([("Subnet", .string(network.subnet.description)),
                                            ("Gateway", .string(network.gateway.description))])])),
            ])),
            ("Internal", .bool(false)),
            ("Attachable", .bool(false)),
            ("Containers", .object(endpoints.map { endpoint in
                (endpoint.containerID, .object([
                    ("Name", .string(endpoint.containerName)),
                    ("EndpointID", .string(endpoint.containerID)),
                    ("MacAddress", .string(endpoint.mac.description)),
                    ("IPv4Address", .string("\(endpoint.address)/\(network.subnet.prefixLength)")),
                    ("IPv6Address", .string("")),
                ]))
            })),
            ("Options", .object([("com.docker.network.bridge.name", .string(network.bridge))])),
            ("Labels", .object([])),
        ])
    }

    /// `inspect` of a volume.
    func inspectVolume(_ name: String) throws -> JSONValue {
        let volume = try volumes.load(name)
        return .object([
            ("CreatedAt", .string(Timestamp.rfc3339(volume.created))),
            ("Driver", .string("local")),
            ("Labels", .map(volume.labels)),
            ("Mountpoint", .string(volumes.dataPath(volume.name))),
            ("Name", .string(volume.name)),
            ("Options", .null),
            ("Scope", .string("local")),
        ])
    }
}
