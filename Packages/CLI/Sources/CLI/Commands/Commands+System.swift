import Cgroups
import FoundationEssentials
import Glibc
import Layers
import Network
import Runtime
import Syscalls

extension Commands {
    static var systemCommands: [Command] {
        [version, info, systemDF, systemPrune, containerPrune, volumePrune, networkPrune, completion, top, stats]
    }

    // MARK: - version

    static let version = Command(
        "version", usage: "version [OPTIONS]", summary: "Show the Dosirak version information",
        flags: [Flag("format", short: "f", .value(placeholder: "string"), help: "Format output using a custom template")]
    ) { context, arguments in
        guard arguments.positional.isEmpty else { throw CommandError.usage("\"version\" accepts no arguments.") }
        let runtime = Host.runtimeVersion(context.executable)
        let platform: [(String, JSONValue)] = [("Os", .string("linux")), ("Arch", .string(Host.goArch))]
        let document = JSONValue.object([
            ("Client", .object([("Version", .string(Dosirak.version)), ("SwiftVersion", .string(Host.swiftVersion))] + platform)),
            ("Server", .object([
                ("Components", .array([
                    .object([("Name", .string("Engine")), ("Version", .string(Dosirak.version)),
                             ("Details", .object([("SwiftVersion", .string(Host.swiftVersion))] + platform))]),
                    .object([("Name", .string("dosirak-runtime")), ("Version", .string(runtime ?? "")),
                             ("Details", .object([("Spec", .string(Spec.version))]))]),
                ])),
                ("Version", .string(Dosirak.version)), ("SwiftVersion", .string(Host.swiftVersion)),
            ] + platform + [("KernelVersion", .string(Host.kernelVersion))])),
        ])
        if let format = arguments.value("format") {
            context.say(try Template(format).render(document.templateValue as! [String: Any]))
            return 0
        }
        // One program is both sides here; the sections are Docker's, so scripts and eyes
        // find each line where they expect it.
        let text = """
            Client:
             Version:\t\(Dosirak.version)
             Swift version:\t\(Host.swiftVersion)
             OS/Arch:\tlinux/\(Host.goArch)

            Server:
             Engine:
              Version:\t\(Dosirak.version)
              Swift version:\t\(Host.swiftVersion)
              OS/Arch:\tlinux/\(Host.goArch)
             dosirak-runtime:
              Version:\t\(runtime ?? "unknown")
              Spec:\t\(Spec.version)
            """
        context.say(TabWriter(minWidth: 20, padding: 1).format(text))
        return 0
    }

    // MARK: - info

    static let info = Command(
        "info", usage: "info [OPTIONS]", summary: "Display system-wide information",
        flags: [Flag("format", short: "f", .value(placeholder: "string"), help: "Format output using a custom template")]
    ) { context, arguments in
        guard arguments.positional.isEmpty else { throw CommandError.usage("\"info\" accepts no arguments.") }
        let entries = context.containers.all().map { context.reconcile($0) }
        let running = entries.filter { $0.state.status == .running || $0.state.status == .restarting }.count
        let paused = entries.filter { $0.state.status == .paused }.count
        let images = Set(((try? context.images.images()) ?? []).map(\.id)).count
        let layout = try? CgroupLayout.current()
        let cgroupVersion = layout.map { $0.isUnified ? "2" : "1" } ?? ""
        let backing = Host.fileSystemName(of: context.root)
        let facts: [(String, JSONValue)] = [
            ("Containers", .int(entries.count)), ("ContainersRunning", .int(running)),
            ("ContainersPaused", .int(paused)), ("ContainersStopped", .int(entries.count - running - paused)),
            ("Images", .int(images)), ("Driver", .string("overlay")),
            ("DriverStatus", .array([.array([.string("Backing Filesystem"), .string(backing)])])),
            ("LoggingDriver", .string("json-file")), ("CgroupDriver", .string("cgroupfs")),
            ("CgroupVersion", .string(cgroupVersion)),
            ("Runtimes", .object([("dosirak-runtime", .object([("path", .string(context.executable))]))])),
            ("DefaultRuntime", .string("dosirak-runtime")),
            ("SecurityOptions", .array([.string("name=seccomp,profile=builtin")])),
            ("KernelVersion", .string(Host.kernelVersion)), ("OperatingSystem", .string(Host.operatingSystem)),
            ("OSType", .string("linux")), ("Architecture", .string(Host.machine)), ("NCPU", .int(Host.cpus)),
            ("MemTotal", .int(Host.memoryTotal)), ("Name", .string(Host.name)),
            ("ServerVersion", .string(Dosirak.version)), ("DockerRootDir", .string(context.root)),
        ]
        if let format = arguments.value("format") {
            context.say(try Template(format).render(JSONValue.object(facts).templateValue as! [String: Any]))
            return 0
        }
        context.say("""
            Client:
             Version: \(Dosirak.version)

            Server:
             Containers: \(entries.count)
              Running: \(running)
              Paused: \(paused)
              Stopped: \(entries.count - running - paused)
             Images: \(images)
             Server Version: \(Dosirak.version)
             Storage Driver: overlay
              Backing Filesystem: \(backing)
             Logging Driver: json-file
             Cgroup Driver: cgroupfs
             Cgroup Version: \(cgroupVersion)
             Runtimes: dosirak-runtime
             Default Runtime: dosirak-runtime
             Security Options:
              seccomp
               Profile: builtin
             Kernel Version: \(Host.kernelVersion)
             Operating System: \(Host.operatingSystem)
             OSType: linux
             Architecture: \(Host.machine)
             CPUs: \(Host.cpus)
             Total Memory: \(Units.bytesSize(Host.memoryTotal))
             Name: \(Host.name)
             Dosirak Root Dir: \(context.root)

            """)
        return 0
    }

    // MARK: - system df

    static let dfHeaders = ["Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE", "Reclaimable": "RECLAIMABLE"]

    static let systemDF = Command(
        "system df", usage: "system df [OPTIONS]", summary: "Show dosirak disk usage",
        flags: [Flag("verbose", short: "v", help: "Show detailed information on space usage"),
                Flag("format", .value(placeholder: "string"), help: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'")]
    ) { context, arguments in
        guard arguments.positional.isEmpty else { throw CommandError.usage("\"system df\" accepts no arguments.") }
        let usage = DiskReport(context)
        let format = arguments.value("format")
        if arguments.bool("verbose") {
            guard format == nil || format == "table" else { throw CommandError.failed("--format is not supported with --verbose") }
            context.say(usage.verboseText)
            return 0
        }
        let rows = usage.summary
        if let format, format != "table" {
            context.say(try Template(format).render(rows, names: dfHeaders))
            return 0
        }
        var table = Table(["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"])
        for row in rows { table.add(["Type", "TotalCount", "Active", "Size", "Reclaimable"].map { row[$0] as! String }) }
        context.say(table.text)
        return 0
    }

    // MARK: - prune

    /// Docker's question; true if `force`, or the answer on stdin is y or Y.
    static func confirm(_ context: Context, _ warning: String, force: Bool) -> Bool {
        if force { return true }
        try? context.output.writeAll(warning + "\nAre you sure you want to continue? [y/N] ")
        guard let answer = readLine() else { return false }
        return answer.trimmingWhitespace().lowercased() == "y"
    }

    static let forceFlag = Flag("force", short: "f", help: "Do not prompt for confirmation")

    static let containerPrune = Command(
        "container prune", usage: "container prune [OPTIONS]", summary: "Remove all stopped containers", flags: [forceFlag]
    ) { context, arguments in
        guard confirm(context, "WARNING! This will remove all stopped containers.", force: arguments.bool("force")) else { return 0 }
        let pruned = context.pruneContainers()
        pruned.print(context, total: true)
        return 0
    }

    static let volumePrune = Command(
        "volume prune", usage: "volume prune [OPTIONS]", summary: "Remove unused local volumes",
        flags: [Flag("all", short: "a", help: "Remove all unused volumes, not just anonymous ones"), forceFlag]
    ) { context, arguments in
        let all = arguments.bool("all")
        let warning = "WARNING! This will remove \(all ? "all" : "anonymous") local volumes not used by at least one container."
        guard confirm(context, warning, force: arguments.bool("force")) else { return 0 }
        let pruned = context.pruneVolumes(all: all)
        pruned.print(context, total: true)
        return 0
    }

    static let networkPrune = Command(
        "network prune", usage: "network prune [OPTIONS]", summary: "Remove all unused networks", flags: [forceFlag]
    ) { context, arguments in
        let warning = "WARNING! This will remove all custom networks not used by at least one container."
        guard confirm(context, warning, force: arguments.bool("force")) else { return 0 }
        context.pruneNetworks().print(context, total: false)
        return 0
    }

    static let systemPrune = Command(
        "system prune", usage: "system prune [OPTIONS]", summary: "Remove unused data",
        flags: [Flag("all", short: "a", help: "Remove all unused images not just dangling ones"),
                forceFlag, Flag("volumes", help: "Prune anonymous volumes")]
    ) { context, arguments in
        guard arguments.positional.isEmpty else { throw CommandError.usage("\"system prune\" accepts no arguments.") }
        let all = arguments.bool("all")
        var warnings = ["all stopped containers", "all networks not used by at least one container"]
        if arguments.bool("volumes") { warnings.append("all anonymous volumes not used by at least one container") }
        warnings.append(all ? "all images without at least one container associated to them" : "all dangling images")
        let warning = "WARNING! This will remove:\n" + warnings.map { "  - " + $0 + "\n" }.joined()
        guard confirm(context, warning, force: arguments.bool("force")) else { return 0 }
        // Containers first: what they held (networks, volumes, images) may then go too.
        var reports = [context.pruneContainers(), context.pruneNetworks()]
        if arguments.bool("volumes") { reports.append(context.pruneVolumes(all: false)) }
        reports.append(context.pruneImages(all: all))
        for report in reports { report.print(context, total: false) }
        context.say("Total reclaimed space: " + Units.humanSize(reports.reduce(0) { $0 + $1.bytes }))
        return 0
    }

    // MARK: - completion

    static let completion = Command(
        "completion", usage: "completion bash|zsh",
        summary: "Generate the autocompletion script for the specified shell"
    ) { context, arguments in
        guard arguments.positional.count == 1 else { throw CommandError.usage("\"completion\" requires exactly 1 argument: bash or zsh.") }
        let specification = Completion(commands: all, aliases: aliases)
        switch arguments.positional[0] {
        case "bash": try context.output.writeAll(specification.bash)
        case "zsh": try context.output.writeAll(specification.zsh)
        case let other: throw CommandError.failed("unsupported shell \"\(other)\": bash or zsh")
        }
        return 0
    }
}

/// What a prune removed: Docker's lines (`Deleted Containers:` and one line each, then a
/// blank line), and the bytes that were freed.
struct PruneReport {
    var text = ""
    var bytes: Int64 = 0

    init(_ title: String, _ lines: [String], bytes: Int64 = 0) {
        if !lines.isEmpty { text = title + "\n" + lines.map { $0 + "\n" }.joined() }
        self.bytes = bytes
    }

    /// The lines and a blank line (Docker prints them with Println), then the total if asked.
    func print(_ context: Context, total: Bool) {
        if !text.isEmpty { context.say(text) }
        if total { context.say("Total reclaimed space: " + Units.humanSize(bytes)) }
    }
}

extension Context {
    /// Removes every container that is not running; the bytes are those of their writable layers.
    func pruneContainers() -> PruneReport {
        var removed: [String] = []
        var bytes: Int64 = 0
        for entry in containers.all() {
            // Look again just before: a container started meanwhile is not stopped any more.
            guard let fresh = try? containers.load(id: entry.id), !reconcile(fresh).state.isLive else { continue }
            let size = DiskUsage.bytes(under: containers.layerDirectory(entry.id) + "/upper")
            do {
                try removeContainer(fresh, volumes: false)
                removed.append(entry.id)
                bytes += size
            } catch {
                errors.say("dosirak: removing container \(entry.shortID): \(error)")
            }
        }
        return PruneReport("Deleted Containers:", removed, bytes: bytes)
    }

    /// Removes the volumes no container names (only the anonymous ones unless `all`).
    func pruneVolumes(all: Bool) -> PruneReport {
        var removed: [String] = []
        var bytes: Int64 = 0
        for volume in volumes.all() where all || volume.anonymous {
            let users = volumeUsers(volume.name)
            guard users.isEmpty else { continue }
            let size = volumes.size(volume.name)
            do {
                try volumes.remove(volume.name, users: users)
                removed.append(volume.name)
                bytes += size
            } catch {
                errors.say("dosirak: removing volume \(volume.name): \(error)")
            }
        }
        return PruneReport("Deleted Volumes:", removed, bytes: bytes)
    }

    /// Removes the user-defined networks that no running container is connected to (the
    /// default `bridge` stays, as Docker's does).
    func pruneNetworks() -> PruneReport {
        var removed: [String] = []
        for network in (try? networks.list()) ?? [] where !network.isDefault {
            do {
                // Refused while a container is connected; stale endpoints are cleaned up first.
                try networks.remove(network.name)
                removed.append(network.name)
            } catch NetworkError.networkInUse(_, _) {
                continue
            } catch {
                errors.say("dosirak: removing network \(network.name): \(error)")
            }
        }
        return PruneReport("Deleted Networks:", removed)
    }

    /// Removes dangling image content (what no name and no container reaches any more); with
    /// `all`, every image no container uses too. The bytes are measured on disk, before and after.
    func pruneImages(all: Bool) -> PruneReport {
        let before = DiskUsage.bytes(under: images.root)
        var lines: [String] = []
        if all {
            let used = Set(containers.all().map(\.imageManifest))
            let manifests = Set(((try? images.images()) ?? []).map(\.manifest)).filter { !used.contains($0.description) }
            for manifest in manifests.sorted(by: { $0.description < $1.description }) {
                for name in (try? images.names(of: manifest)) ?? [] {
                    do {
                        lines += try images.remove(name).map(Context.pruneLine)
                    } catch {
                        errors.say("dosirak: removing image \(name): \(error)")
                    }
                }
            }
        }
        do {
            let report = try images.collectGarbage()
            lines += (report.blobs + report.snapshots).map { "deleted: \($0)" }
        } catch {
            errors.say("dosirak: collecting unused image content: \(error)")
        }
        return PruneReport("Deleted Images:", lines, bytes: max(0, before - DiskUsage.bytes(under: images.root)))
    }

    /// `Untagged: busybox:latest` from `rmi` is `untagged: busybox:latest` in a prune report.
    static func pruneLine(_ line: String) -> String {
        guard let colon = line.firstIndex(of: ":") else { return line }
        return line[..<colon].lowercased() + line[colon...]
    }
}

/// Facts about the machine, read where `uname -a`, `nproc` and `free` read them.
enum Host {
    /// The kernel's release (`6.1.0-18-amd64`), as `uname -r` prints it.
    static var kernelVersion: String { uname().release }
    /// `x86_64`, `aarch64`.
    static var machine: String { uname().machine }
    static var name: String { uname().name }

    /// The corresponding system call is `uname(2)`.
    private static func uname() -> (release: String, machine: String, name: String) {
        var names = utsname()
        guard Glibc.uname(&names) == 0 else { return ("", "", "") }
        // Each field is a fixed array of C characters, ended by a zero.
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return (text(names.release), text(names.machine), text(names.nodename))
    }

    /// The architecture as Go (and so Docker) names it: `amd64`, `arm64`.
    static var goArch: String {
        #if arch(x86_64)
        "amd64"
        #elseif arch(arm64)
        "arm64"
        #else
        machine
        #endif
    }

    /// The Swift compiler this program was built with (major and minor: the compiler offers
    /// no finer test).
    static var swiftVersion: String {
        #if compiler(>=6.4)
        "6.4 or later"
        #elseif compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #elseif compiler(>=6.1)
        "6.1"
        #else
        "6.0"
        #endif
    }

    /// PRETTY_NAME from /etc/os-release.
    static var operatingSystem: String {
        let text = Host.read("/etc/os-release") ?? Host.read("/usr/lib/os-release") ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            return String(line.dropFirst("PRETTY_NAME=".count)).trimming(["\"", "'"])
        }
        return "Linux"
    }

    /// The processors online now.
    static var cpus: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// MemTotal from /proc/meminfo, in bytes.
    static var memoryTotal: Int64 {
        let text = Host.read("/proc/meminfo") ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kilobytes = Int64(fields[1]) { return kilobytes * 1024 }
        }
        return 0
    }

    /// Clock ticks per second, the unit of /proc/PID/stat's times.
    static var clockTicks: Int64 { Int64(sysconf(Int32(_SC_CLK_TCK))) }

    /// The whole text of a file, read with read(2) until the end: /proc files have no size.
    static func read(_ path: String) -> String? {
        guard let fd = try? FileDescriptor.open(path), let bytes = try? fd.closeAfter({ try fd.readAll() }) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The file system `path` is on (chapter 04's `Overlay.fileSystemType`, from the mount
    /// table), by the names `docker info` gives the backing file system: `extfs`, `xfs`, ...
    static func fileSystemName(of path: String) -> String {
        switch Overlay.fileSystemType(of: path) {
        case nil: "<unknown>"
        case "ext2", "ext3", "ext4": "extfs"
        case "overlay": "overlayfs"
        case let type?: type
        }
    }

    /// The version `dosirak-runtime --version` prints: this program again, called by that
    /// name, as dockerd asks `runc --version`.
    static func runtimeVersion(_ executable: String) -> String? {
        var spawn = Spawn(executable, arguments: ["--version"])
        spawn.arguments[0] = "dosirak-runtime"
        guard let (status, output) = try? spawn.output(), status == .exited(0) else { return nil }
        // dosirak-runtime version 0.1.0
        // spec: 1.2.0
        return output.split(separator: "\n").first?.split(separator: " ").last.map(String.init)
    }
}
