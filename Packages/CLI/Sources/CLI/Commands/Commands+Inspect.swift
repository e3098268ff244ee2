import FoundationEssentials
import Layers
import Syscalls

extension Commands {
    static let inspect = Command(
        "inspect", usage: "inspect [OPTIONS] NAME|ID [NAME|ID...]", summary: "Return low-level information on Dosirak objects",
        flags: [Flag("format", short: "f", .value(placeholder: "string"), help: "Format output using a custom template"),
                Flag("type", .value(placeholder: "string"), help: "Return JSON for specified type (container, image, network, volume)"),
                Flag("size", short: "s", help: "Display total file sizes if the type is container")]
    ) { context, arguments in
        guard !arguments.positional.isEmpty else { throw CommandError.usage("\"inspect\" requires at least 1 argument.") }
        let kind = arguments.value("type")
        if let kind, !["container", "image", "network", "volume"].contains(kind) {
            throw CommandError.failed("\"\(kind)\" is not a valid value for --type")
        }
        var documents: [JSONValue] = []
        var failed = false
        for name in arguments.positional {
            var found: JSONValue?
            if kind == nil || kind == "container", let entry = try? context.containers.find(name) {
                found = context.inspect(context.reconcile(entry))
            } else if kind == nil || kind == "image", let image = try? context.inspectImage(name) {
                found = image
            } else if kind == nil || kind == "network", let network = try? context.inspectNetwork(name) {
                found = network
            } else if kind == nil || kind == "volume", let volume = try? context.inspectVolume(name) {
                found = volume
            }
            if let found {
                documents.append(found)
            } else {
                context.errors.say("Error: No such \(kind ?? "object"): \(name)")
                failed = true
            }
        }
        if let format = arguments.value("format") {
            let template = try Template(format)
            for document in documents {
                guard let object = document.templateValue as? [String: Any] else { continue }
                context.say(try template.render(object))
            }
        } else {
            context.say(JSONValue.array(documents).text())
        }
        if failed { throw CommandError.exit(1) }
        return 0
    }
}

extension Commands {
    /// `network inspect` and `volume inspect`: `inspect --type TYPE`, with the same `--format`.
    static func inspect(_ context: Context, _ arguments: ParsedArguments, type: String) throws -> Int32 {
        var forwarded = ["--type", type] + arguments.positional
        if let format = arguments.value("format") { forwarded = ["--format", format] + forwarded }
        return try inspect.run(context, try ParsedArguments(forwarded, flags: inspect.flags, stopAtFirstPositional: false))
    }
}

extension Context {
    /// `inspect` of a container, with the fields Docker's has, in its order.
    func inspect(_ entry: ContainerEntry) -> JSONValue {
        let state = entry.state
        let options = entry.options
        let files = containers.filesDirectory(entry.id)
        let layer = containers.layerDirectory(entry.id)
        let lower = (try? image(of: entry))?.lowerDirectories ?? []
        var portBindings: [(String, JSONValue)] = []
        for text in options.publish {
            for port in (try? RunOptions.portMappings(text)) ?? [] {
                portBindings.append(("\(port.containerPort)/\(port.transport.rawValue)", .array([.object([
                    ("HostIp", .string(port.hostAddress?.description ?? "")),
                    ("HostPort", .string(port.hostPort == 0 ? "" : String(port.hostPort)))])])))
            }
        }
        let ports: [(String, JSONValue)] = (entry.network?.ports ?? []).map { port in
            ("\(port.containerPort)/\(port.transport)", .array([.object([
                ("HostIp", .string(port.hostAddress)), ("HostPort", .string(String(port.hostPort)))])]))
        }
        let restart: (String, Int) = switch options.restart {
        case .no: ("no", 0)
        case .always: ("always", 0)
        case .unlessStopped: ("unless-stopped", 0)
        case .onFailure(let limit): ("on-failure", limit)
        }
        let mounts: [JSONValue] = entry.volumes.map { volume in
            .object([
                ("Type", .string(volume.kind.rawValue)),
                ("Name", volume.kind == .volume ? .string(volume.source ?? "") : .null),
                ("Source", .string(volume.kind == .volume ? volumes.dataPath(volume.source ?? "") : volume.source ?? "")),
                ("Destination", .string(volume.destination)),
                ("Driver", .string(volume.kind == .volume ? "local" : "")),
                ("Mode", .string(volume.readOnly ? "ro" : "")),
                ("RW", .bool(!volume.readOnly)),
                ("Propagation", .string(volume.kind == .bind ? "rprivate" : "")),
            ])
        }
        let network = entry.network
        let networkName = network?.network ?? (options.network == "bridge" ? "bridge" : options.network)
        let endpoint: JSONValue = .object([
            ("IPAMConfig", .null), ("Links", .null), ("Aliases", .strings(options.networkAliases.isEmpty ? nil : options.networkAliases)),
            ("NetworkID", .string((try? networks.network(networkName))?.id ?? "")),
            ("EndpointID", .string(network == nil ? "" : entry.id)),
            ("Gateway", .string(network?.gateway ?? "")), ("IPAddress", .string(network?.address ?? "")),
            ("IPPrefixLen", .int(network?.prefixLength ?? 0)), ("MacAddress", .string(network?.macAddress ?? "")),
        ])
        return .object([
            ("Id", .string(entry.id)),
            ("Created", .string(Timestamp.rfc3339(entry.created))),
            ("Path", .string(entry.path)),
            ("Args", .strings(entry.args)),
            ("State", .object([
                ("Status", .string(state.status.rawValue)),
                ("Running", .bool(state.status == .running || state.status == .paused)),
                ("Paused", .bool(state.status == .paused)),
                ("Restarting", .bool(state.status == .restarting)),
                ("OOMKilled", .bool(state.oomKilled)),
                ("Dead", .bool(state.status == .dead)),
                ("Pid", .int(state.isLive ? state.process?.pid ?? 0 : 0)),
                ("ExitCode", .int(state.exitCode)),
                ("Error", .string(state.error ?? "")),
                ("StartedAt", .string(state.startedAt.map(Timestamp.rfc3339) ?? "0001-01-01T00:00:00Z")),
                ("FinishedAt", .string(state.finishedAt.map(Timestamp.rfc3339) ?? "0001-01-01T00:00:00Z")),
            ])),
            ("Image", .string(entry.imageID)),
            ("ResolvConfPath", .string(files + "/resolv.conf")),
            ("HostnamePath", .string(files + "/hostname")),
            ("HostsPath", .string(files + "/hosts")),
            ("LogPath", .string(containers.logPath(entry.id))),
            ("Name", .string("/" + entry.name)),
            ("RestartCount", .int(state.restartCount)),
            ("Driver", .string("overlay")),
            ("Platform", .string("linux")),
            ("HostConfig", .object([
                ("Binds", .strings(entry.options.volumes.isEmpty ? nil : entry.options.volumes)),
                ("NetworkMode", .string(options.network)),
                ("PortBindings", .object(portBindings)),
                ("RestartPolicy", .object([("Name", .string(restart.0)), ("MaximumRetryCount", .int(restart.1))])),
                ("AutoRemove", .bool(options.remove)),
                ("CapAdd", .strings(options.capAdd.isEmpty ? nil : options.capAdd)),
                ("CapDrop", .strings(options.capDrop.isEmpty ? nil : options.capDrop)),
                ("Dns", .strings(options.dns)),
                ("ExtraHosts", .strings(options.addHosts.isEmpty ? nil : options.addHosts)),
                ("Privileged", .bool(options.privileged)),
                ("PublishAllPorts", .bool(options.publishAll)),
                ("ReadonlyRootfs", .bool(options.readOnly)),
                ("SecurityOpt", .strings(securityOptions(options))),
                ("Tmpfs", options.tmpfs.isEmpty ? .null : .object(options.tmpfs.map { ($0, .string("")) })),
                ("Memory", .int(options.memory ?? 0)),
                ("MemorySwap", .int(options.memorySwap ?? 0)),
                ("NanoCpus", .int((options.cpuQuota ?? 0) * 10_000)),
                ("CpusetCpus", .string(options.cpusetCPUs ?? "")),
                ("PidsLimit", options.pidsLimit.map { .int($0) } ?? .null),
                ("Init", .bool(options.initProcess)),
            ])),
            ("GraphDriver", .object([
                ("Data", .object([
                    ("LowerDir", .string(lower.joined(separator: ":"))), ("MergedDir", .string(layer + "/merged")),
                    ("UpperDir", .string(layer + "/upper")), ("WorkDir", .string(layer + "/work")),
                ])),
                ("Name", .string("overlay")),
            ])),
            ("Mounts", .array(mounts)),
            ("Config", .object([
                ("Hostname", .string(entry.hostname)),
                ("Domainname", .string("")),
                ("User", .string(options.user ?? "")),
                ("AttachStdin", .bool(options.interactive && !options.detach)),
                ("AttachStdout", .bool(!options.detach)),
                ("AttachStderr", .bool(!options.detach)),
                ("Tty", .bool(options.tty)),
                ("OpenStdin", .bool(options.interactive)),
                ("StdinOnce", .bool(options.interactive && !options.detach)),
                ("Env", .strings(options.environment)),
                ("Cmd", .strings(entry.args.isEmpty && options.entrypoint != nil ? nil : [entry.path] + entry.args)),
                ("Image", .string(entry.image)),
                ("Volumes", entry.volumes.isEmpty ? .null : .object(entry.volumes.map { ($0.destination, .object([])) })),
                ("WorkingDir", .string(options.workingDirectory ?? "")),
                ("Entrypoint", .strings(options.entrypoint)),
                ("Labels", .map(options.labels)),
                ("StopSignal", options.stopSignal.map(JSONValue.string) ?? .null),
                ("StopTimeout", options.stopTimeout.map { .int($0) } ?? .null),
            ])),
            ("NetworkSettings", .object([
                ("Bridge", .string("")),
                ("SandboxID", .string(state.isLive ? entry.id : "")),
                ("Ports", .object(ports)),
                ("SandboxKey", .string(state.isLive && state.process != nil ? "/proc/\(state.process!.pid)/ns/net" : "")),
                ("Gateway", .string(network?.gateway ?? "")),
                ("IPAddress", .string(network?.address ?? "")),
                ("IPPrefixLen", .int(network?.prefixLength ?? 0)),
                ("MacAddress", .string(network?.macAddress ?? "")),
                ("Networks", options.network == "host" || options.network == "none"
                    ? .object([(options.network, endpoint)]) : .object([(networkName, endpoint)])),
            ])),
        ])
    }

    func securityOptions(_ options: RunOptions) -> [String]? {
        var list: [String] = []
        if options.seccompUnconfined { list.append("seccomp=unconfined") }
        if options.noNewPrivileges { list.append("no-new-privileges") }
        return list.isEmpty ? nil : list
    }
}
