import FoundationEssentials
import Glibc
import Network
import Syscalls

extension RunOptions {
    /// The flags of `run` and `create`, as Docker spells them.
    static let flags: [Flag] = [
        Flag("detach", short: "d", help: "Run container in background and print container ID"),
        Flag("interactive", short: "i", help: "Keep STDIN open even if not attached"),
        Flag("tty", short: "t", help: "Allocate a pseudo-TTY"),
        Flag("rm", help: "Automatically remove the container when it exits"),
        Flag("name", .value(placeholder: "string"), help: "Assign a name to the container"),
        Flag("env", short: "e", .list(placeholder: "list"), help: "Set environment variables"),
        Flag("env-file", .list(placeholder: "list"), help: "Read in a file of environment variables"),
        Flag("publish", short: "p", .list(placeholder: "list"), help: "Publish a container's port(s) to the host"),
        Flag("publish-all", short: "P", help: "Publish all exposed ports to random ports"),
        Flag("volume", short: "v", .list(placeholder: "list"), help: "Bind mount a volume"),
        Flag("mount", .list(placeholder: "mount"), help: "Attach a filesystem mount to the container"),
        Flag("network", .value(placeholder: "network"), help: "Connect a container to a network (bridge, none, host, or a name)"),
        Flag("net", .value(placeholder: "network"), help: "Connect a container to a network (same as --network)"),
        Flag("network-alias", .list(placeholder: "list"), help: "Add network-scoped alias for the container"),
        Flag("workdir", short: "w", .value(placeholder: "string"), help: "Working directory inside the container"),
        Flag("user", short: "u", .value(placeholder: "string"), help: "Username or UID (format: <name|uid>[:<group|gid>])"),
        Flag("entrypoint", .value(placeholder: "string"), help: "Overwrite the default ENTRYPOINT of the image"),
        Flag("hostname", short: "h", .value(placeholder: "string"), help: "Container host name"),
        Flag("add-host", .list(placeholder: "list"), help: "Add a custom host-to-IP mapping (host:ip)"),
        Flag("dns", .list(placeholder: "list"), help: "Set custom DNS servers"),
        Flag("memory", short: "m", .value(placeholder: "bytes"), help: "Memory limit"),
        Flag("memory-swap", .value(placeholder: "bytes"), help: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap"),
        Flag("cpus", .value(placeholder: "decimal"), help: "Number of CPUs"),
        Flag("cpuset-cpus", .value(placeholder: "string"), help: "CPUs in which to allow execution (0-3, 0,1)"),
        Flag("pids-limit", .value(placeholder: "int"), help: "Tune container pids limit (set -1 for unlimited)"),
        Flag("read-only", help: "Mount the container's root filesystem as read only"),
        Flag("tmpfs", .list(placeholder: "list"), help: "Mount a tmpfs directory"),
        Flag("cap-add", .list(placeholder: "list"), help: "Add Linux capabilities"),
        Flag("cap-drop", .list(placeholder: "list"), help: "Drop Linux capabilities"),
        Flag("privileged", help: "Give extended privileges to this container"),
        Flag("security-opt", .list(placeholder: "list"), help: "Security Options (seccomp=unconfined, no-new-privileges)"),
        Flag("restart", .value(placeholder: "string"), help: "Restart policy to apply when a container exits (default \"no\")"),
        Flag("init", help: "Run an init inside the container that forwards signals and reaps processes"),
        Flag("stop-signal", .value(placeholder: "string"), help: "Signal to stop the container"),
        Flag("stop-timeout", .value(placeholder: "int"), help: "Timeout (in seconds) to stop a container"),
        Flag("label", short: "l", .list(placeholder: "list"), help: "Set meta data on a container"),
        Flag("platform", .value(placeholder: "string"), help: "Set platform if server is multi-platform capable"),
        Flag("pull", .value(placeholder: "string"), help: "Pull image before running (\"always\", \"missing\", \"never\")"),
    ]

    /// Reads and checks the flags of `run` or `create`.
    init(parsing arguments: ParsedArguments) throws {
        self.init()
        detach = arguments.bool("detach")
        interactive = arguments.bool("interactive")
        tty = arguments.bool("tty")
        remove = arguments.bool("rm")
        for file in arguments.list("env-file") { environment += try RunOptions.readEnvironmentFile(file) }
        for item in arguments.list("env") {
            // `-e NAME` takes NAME's value from our own environment (and is dropped if unset).
            if item.contains("=") {
                environment.append(item)
            } else if let value = ProcessInfo.processInfo.environment[item] {
                environment.append(item + "=" + value)
            }
        }
        publish = arguments.list("publish")
        for port in publish { _ = try RunOptions.portMappings(port) }
        publishAll = arguments.bool("publish-all")
        volumes = arguments.list("volume")
        for volume in volumes { _ = try VolumeSpec(parsing: volume) }
        mounts = arguments.list("mount")
        for mount in mounts { _ = try VolumeSpec(mount: mount) }
        network = arguments.value("network") ?? arguments.value("net") ?? "bridge"
        do {
            _ = try NetworkMode(parsing: network)
        } catch {
            throw CommandError.failed("invalid --network \(network): \(error)")
        }
        networkAliases = arguments.list("network-alias")
        workingDirectory = arguments.value("workdir")
        if let directory = workingDirectory, !directory.hasPrefix("/") {
            throw CommandError.failed("the working directory '\(directory)' is invalid, it needs to be an absolute path")
        }
        user = arguments.value("user")
        if let entrypoint = arguments.value("entrypoint") { self.entrypoint = entrypoint.isEmpty ? [] : [entrypoint] }
        hostname = arguments.value("hostname")
        addHosts = arguments.list("add-host")
        for host in addHosts {
            let parts = host.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, IPv4Address(String(parts[1])) != nil || parts[1] == "host-gateway" else {
                throw CommandError.failed("invalid argument \"\(host)\" for \"--add-host\" flag: expected host:ip")
            }
        }
        dns = arguments.list("dns")
        for server in dns where IPv4Address(server) == nil {
            throw CommandError.failed("invalid argument \"\(server)\" for \"--dns\" flag: not an IPv4 address")
        }
        if let text = arguments.value("memory") {
            memory = try RunOptions.bytes(text, flag: "memory")
            if memory! < 6 * 1024 * 1024 { throw CommandError.failed("minimum memory limit allowed is 6MB") }
        }
        if let text = arguments.value("memory-swap") {
            memorySwap = text == "-1" ? -1 : try RunOptions.bytes(text, flag: "memory-swap")
            guard let memory else { throw CommandError.failed("you should always set the memory limit when using the memory-swap limit") }
            if memorySwap! != -1 && memorySwap! < memory {
                throw CommandError.failed("minimum memoryswap limit should be larger than memory limit, see usage")
            }
        }
        if let text = arguments.value("cpus") {
            guard let cpus = Double(text), cpus.isFinite, cpus >= 0 else {
                throw CommandError.failed("invalid argument \"\(text)\" for \"--cpus\" flag: not a decimal number")
            }
            let online = Double(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            if cpus > online {
                throw CommandError.failed("range of CPUs is from 0.01 to \(Int(online)).00, as there are only \(Int(online)) CPUs available")
            }
            if cpus > 0 { cpuQuota = Int64((cpus * 100_000).rounded()) }
        }
        cpusetCPUs = arguments.value("cpuset-cpus")
        if let cpus = cpusetCPUs, cpus.isEmpty || !cpus.allSatisfy({ $0.isNumber || $0 == "," || $0 == "-" }) {
            throw CommandError.failed("invalid argument \"\(cpus)\" for \"--cpuset-cpus\" flag: expected a list like 0-3 or 0,1")
        }
        if let text = arguments.value("pids-limit") {
            guard let limit = Int64(text) else { throw CommandError.failed("invalid argument \"\(text)\" for \"--pids-limit\" flag: not a number") }
            pidsLimit = limit > 0 ? limit : nil
        }
        readOnly = arguments.bool("read-only")
        tmpfs = arguments.list("tmpfs")
        for path in tmpfs where !path.hasPrefix("/") {
            throw CommandError.failed("invalid --tmpfs \(path): the mount point must be an absolute path")
        }
        capAdd = try arguments.list("cap-add").map { try RunOptions.capability($0) }
        capDrop = try arguments.list("cap-drop").map { try RunOptions.capability($0) }
        privileged = arguments.bool("privileged")
        for option in arguments.list("security-opt") {
            switch option.replacing(":", with: "=") {
            case "seccomp=unconfined": seccompUnconfined = true
            case "no-new-privileges", "no-new-privileges=true": noNewPrivileges = true
            case "no-new-privileges=false": noNewPrivileges = false
            case "label=disable", "apparmor=unconfined": break  // no SELinux or AppArmor here
            default: throw CommandError.failed("invalid --security-opt: \(option)")
            }
        }
        restart = try RestartPolicy(parsing: arguments.value("restart") ?? "no")
        if remove && restart != .no {
            throw CommandError.failed("conflicting options: cannot specify both --restart and --rm")
        }
        initProcess = arguments.bool("init")
        if let signal = arguments.value("stop-signal") {
            guard Signal(parsing: signal) != nil else { throw CommandError.failed("invalid signal: \(signal)") }
            stopSignal = signal
        }
        if let text = arguments.value("stop-timeout") {
            guard let timeout = Int(text) else { throw CommandError.failed("invalid argument \"\(text)\" for \"--stop-timeout\" flag") }
            stopTimeout = timeout
        }
        for label in arguments.list("label") {
            let parts = label.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            labels[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        if let platform = arguments.value("platform"), !["linux/amd64", "linux/arm64", "linux"].contains(platform) {
            throw CommandError.failed("image platform \(platform) is not supported: this machine runs \(RunOptions.hostPlatform)")
        }
        pull = arguments.value("pull") ?? "missing"
        guard ["missing", "always", "never"].contains(pull) else {
            throw CommandError.failed("invalid pull option: '\(pull)': must be one of \"always\", \"missing\" or \"never\"")
        }
    }

    static var hostPlatform: String {
        #if arch(arm64)
        "linux/arm64"
        #else
        "linux/amd64"
        #endif
    }

    /// `-p` as Docker reads it: `80`, `8080:80`, `127.0.0.1:8080:80`, `8080:80/udp`, and port
    /// ranges (`8000-8002:8000-8002`), one mapping per port.
    static func portMappings(_ text: String) throws -> [PortMapping] {
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var transport = "tcp"
        if let last = parts.last, let slash = last.firstIndex(of: "/") {
            transport = String(last[last.index(after: slash)...])
            parts[parts.count - 1] = String(last[..<slash])
        }
        func range(_ text: String) -> ClosedRange<Int>? {
            let ends = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...2).contains(ends.count), let low = ends[0], let high = ends.last!, low <= high else { return nil }
            return low...high
        }
        let bad = CommandError.failed("invalid port specification: \"\(text)\"")
        guard (1...3).contains(parts.count), let container = range(parts.last!) else { throw bad }
        let host: ClosedRange<Int>? = parts.count >= 2 && !parts[parts.count - 2].isEmpty ? range(parts[parts.count - 2]) : nil
        if parts.count >= 2 && !parts[parts.count - 2].isEmpty && host == nil { throw bad }
        if let host, host.count != container.count && host.count != 1 { throw bad }
        let address = parts.count == 3 ? parts[0] : ""
        var mappings: [PortMapping] = []
        for (offset, port) in container.enumerated() {
            let hostPort = host.map { $0.count == 1 ? $0.lowerBound : $0.lowerBound + offset } ?? 0
            var spec = (address.isEmpty ? "" : address + ":") + "\(hostPort):\(port)/\(transport)"
            if address.isEmpty && hostPort == 0 { spec = "\(port)/\(transport)" }
            do {
                mappings.append(try PortMapping(parsing: spec))
            } catch {
                throw CommandError.failed("invalid port specification: \"\(text)\": \(error)")
            }
        }
        return mappings
    }

    /// `512m`, `1g`, `100k`, `1048576`: Docker's RAM sizes (powers of 1024).
    static func bytes(_ text: String, flag: String) throws -> Int64 {
        let units: [Character: Int64] = ["b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40]
        var number = text.lowercased()
        if number.hasSuffix("b") && number.count > 1 && units[number.dropLast().last ?? " "] != nil { number.removeLast() }
        var multiplier: Int64 = 1
        if let last = number.last, let unit = units[last] {
            multiplier = unit
            number.removeLast()
        }
        guard let value = Double(number), value >= 0, value.isFinite, value * Double(multiplier) < 9.2e18 else {
            throw CommandError.failed("invalid argument \"\(text)\" for \"--\(flag)\" flag: invalid size: '\(text)'")
        }
        return Int64(value * Double(multiplier))
    }

    /// `NET_ADMIN`, `net_admin`, `CAP_NET_ADMIN` and `ALL`, as `CAP_NET_ADMIN` / `ALL`.
    static func capability(_ text: String) throws -> String {
        let upper = text.uppercased()
        if upper == "ALL" { return upper }
        let name = upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
        guard Capability(name: name) != nil else { throw CommandError.failed("invalid capability: \(text)") }
        return name
    }

    /// An `--env-file`: `KEY=VALUE` lines; `#` comments and blank lines skipped; a bare `KEY`
    /// takes our own value.
    static func readEnvironmentFile(_ path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CommandError.failed("open \(path): no such file or directory")
        }
        return text.split(separator: "\n").compactMap { raw in
            let line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { return nil }
            if line.contains("=") { return line }
            return ProcessInfo.processInfo.environment[line].map { line + "=" + $0 }
        }
    }
}
