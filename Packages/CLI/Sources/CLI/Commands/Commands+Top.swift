import Cgroups
import FoundationEssentials
import Glibc
import Runtime
import Syscalls

extension Commands {
    // MARK: - top

    static let top = Command(
        "top", usage: "top CONTAINER [ps OPTIONS]", summary: "Display the running processes of a container",
        stopAtFirstPositional: true
    ) { context, arguments in
        guard let reference = arguments.positional.first else { throw CommandError.usage("\"top\" requires at least 1 argument.") }
        let entry = context.reconcile(try context.containers.find(reference))
        guard entry.state.isLive, let container = context.runtimeContainer(entry) else {
            throw CommandError.failed("container \(entry.id) is not running")
        }
        // The container's processes are the ones in its cgroup, as the host numbers them.
        let pids = try container.processes()
        let options = Array(arguments.positional.dropFirst())
        let (titles, rows) = options.isEmpty || options == ["-ef"]
            ? (ProcessTable.titles, ProcessTable.rows(pids))
            : try ProcessTable.ps(options, keeping: pids)
        let text = ([titles] + rows).map { $0.joined(separator: "\t") }.joined(separator: "\n")
        context.say(TabWriter(minWidth: 20, padding: 3).format(text))
        return 0
    }

    // MARK: - stats

    static let statsHeaders = ["Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %",
                               "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O",
                               "BlockIO": "BLOCK I/O", "PIDs": "PIDS"]

    static let stats = Command(
        "stats", usage: "stats [OPTIONS] [CONTAINER...]", summary: "Display a live stream of container(s) resource usage statistics",
        flags: [Flag("all", short: "a", help: "Show all containers (default shows just running)"),
                Flag("format", .value(placeholder: "string"), help: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'"),
                Flag("no-stream", help: "Disable streaming stats and only pull the first result"),
                Flag("no-trunc", help: "Do not truncate output")]
    ) { context, arguments in
        let truncate = !arguments.bool("no-trunc")
        let table = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"
        let format = arguments.value("format") ?? table
        let template = try Template(format == "table" ? table : format)
        // The containers named (each must exist), or every running one (every one with -a),
        // looked up again on each round so that new ones appear and stopped ones go.
        func chosen() throws -> [(reference: String, entry: ContainerEntry)] {
            if arguments.positional.isEmpty {
                let entries = context.containers.all().map { context.reconcile($0) }
                return entries.filter { arguments.bool("all") || $0.state.isLive }.map { (truncate ? $0.shortID : $0.id, $0) }
            }
            return try arguments.positional.map { ($0, context.reconcile(try context.containers.find($0))) }
        }
        // CPU % needs two readings; the second comes a second after the first, as Docker's
        // daemon collects them.
        var previous: [String: StatsSample] = [:]
        for container in try chosen() { previous[container.entry.id] = StatsSample(context, container.entry) }
        while true {
            sleep(1)
            var rows: [[String: Any]] = []
            var current: [String: StatsSample] = [:]
            for (reference, entry) in try chosen() {
                let sample = StatsSample(context, entry)
                current[entry.id] = sample
                rows.append(sample.fields(since: previous[entry.id], reference: reference, entry: entry, truncate: truncate))
            }
            previous = current
            let text = try template.render(rows, names: statsHeaders)
            if arguments.bool("no-stream") {
                if !text.isEmpty { context.say(text) }
                return 0
            }
            // Clear the screen and draw again; a reader that went away (`| head`) ends it.
            do {
                try context.output.writeAll("\u{1B}[2J\u{1B}[H" + text + "\n")
            } catch Errno.brokenPipe {
                return 0
            }
        }
    }
}

/// `ps -ef` for a list of processes, read from /proc as procps reads it.
enum ProcessTable {
    static let titles = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]

    /// One row for each process still there.
    static func rows(_ pids: [Int32]) -> [[String]] {
        tzset()
        let clock = Clock()
        let users = UserDatabase(rootfs: "")  // the host's /etc/passwd
        return pids.compactMap { row($0, clock, users) }
    }

    /// What the times in /proc/PID/stat are measured against.
    struct Clock {
        /// Clock ticks per second (`getconf CLK_TCK`).
        let ticks = UInt64(Host.clockTicks)
        /// When the machine booted (btime in /proc/stat), and how long ago (/proc/uptime).
        let bootTime: Int
        let uptime: Double
        let now = time(nil)

        init() {
            let stat = Host.read("/proc/stat") ?? ""
            bootTime = stat.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Int($0.dropFirst(6)) } ?? 0
            uptime = (Host.read("/proc/uptime") ?? "").split(separator: " ").first.flatMap { Double($0) } ?? 0
        }
    }

    /// `root  4242  4230  0 10:33 ?  00:00:00 sleep 60`, or nil if the process has exited.
    static func row(_ pid: Int32, _ clock: Clock, _ users: UserDatabase) -> [String]? {
        // /proc/PID/stat: `PID (COMMAND) STATE PPID ...`; the command may hold spaces and
        // parentheses, so the fields are counted from the last ')'.
        guard let stat = Host.read("/proc/\(pid)/stat"), let open = stat.firstIndex(of: "("),
              let close = stat.lastIndex(of: ")") else { return nil }
        let command = String(stat[stat.index(after: open)..<close])
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ppid = Int32(fields[1]), let terminal = Int(fields[4]),
              let userTicks = UInt64(fields[11]), let systemTicks = UInt64(fields[12]),
              let start = UInt64(fields[19]) else { return nil }
        let cpuTicks = userTicks + systemTicks
        // C: the share of its life the process spent on a CPU, in percent, at most 99.
        let lifeTicks = UInt64(max(0, clock.uptime - Double(start) / Double(clock.ticks)) * Double(clock.ticks))
        let share = lifeTicks > 0 ? min(99, cpuTicks * 100 / lifeTicks) : 0
        var arguments = (Host.read("/proc/\(pid)/cmdline") ?? "").split(separator: "\0", omittingEmptySubsequences: false)
        if arguments.last == "" { arguments.removeLast() }
        let commandLine = arguments.isEmpty ? "[\(command)]" : arguments.joined(separator: " ")
        return [userName(effectiveUID(pid), users), String(pid), String(ppid), String(share),
                startTime(clock.bootTime + Int(start / clock.ticks), now: clock.now),
                terminalName(terminal), cpuTime(cpuTicks / clock.ticks), commandLine]
    }

    /// The effective user ID: the second number of the `Uid:` line of /proc/PID/status.
    static func effectiveUID(_ pid: Int32) -> uid_t {
        let status = Host.read("/proc/\(pid)/status") ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) else { return 0 }
        let ids = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
        return ids.count > 2 ? uid_t(ids[2]) ?? 0 : 0
    }

    /// The host's name for a user, cut to 8 columns with a `+` as procps does, or the number.
    /// Read from the host's /etc/passwd, not with `getpwuid`: in a fully static program (make
    /// install), the C library would load NSS modules of its own version at run time for it.
    static func userName(_ uid: uid_t, _ users: UserDatabase) -> String {
        guard let name = users.users.first(where: { $0.id == uid })?.name else { return String(uid) }
        return name.count > 8 ? name.prefix(7) + "+" : name
    }

    /// STIME: the time of day it started; the date if not today; the year if not this year.
    static func startTime(_ started: Int, now: time_t) -> String {
        var today = tm()
        var now = now
        localtime_r(&now, &today)
        var then = tm()
        var seconds = time_t(started)
        localtime_r(&seconds, &then)
        let format = today.tm_year != then.tm_year ? "%Y" : today.tm_yday != then.tm_yday ? "%b%d" : "%H:%M"
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, format, &then)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// TTY: the controlling terminal from its device number (`pts/0`), `?` for none.
    static func terminalName(_ device: Int) -> String {
        guard device != 0 else { return "?" }
        let major = (device >> 8) & 0xFFF
        let minor = (device & 0xFF) | ((device >> 12) & 0xFFF00)
        switch major {
        case 136...143: return "pts/\((major - 136) * 256 + minor)"
        case 4: return minor < 64 ? "tty\(minor)" : "ttyS\(minor - 64)"
        case 5 where minor == 1: return "console"
        default: return "?"
        }
    }

    /// TIME: CPU time used, `[DD-]HH:MM:SS`.
    static func cpuTime(_ seconds: UInt64) -> String {
        let days = seconds / 86400
        let clock = String(printf: "%02llu:%02llu:%02llu", (seconds / 3600) % 24, (seconds / 60) % 60, seconds % 60)
        return days > 0 ? "\(days)-" + clock : clock
    }

    /// `top CONTAINER aux`: the host's `ps` with those options, keeping the rows whose PID
    /// is one of `pids` (as dockerd does). The last column may hold spaces.
    static func ps(_ options: [String], keeping pids: [Int32]) throws -> (titles: [String], rows: [[String]]) {
        let candidates = ["/usr/bin/ps", "/bin/ps"]
        guard let program = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw CommandError.failed("ps options need the host's ps (procps), which is not installed")
        }
        // Asking for the processes by number is quicker; some options (f) refuse it.
        var (status, output) = try Spawn(program, arguments: options + ["-q", pids.map(String.init).joined(separator: ",")]).output()
        if status != .exited(0) {
            (status, output) = try Spawn(program, arguments: options).output(includeErrors: true)
            guard status == .exited(0) else {
                throw CommandError.failed("ps: \(output.trimmingWhitespace())")
            }
        }
        let lines = output.split(separator: "\n")
        guard let header = lines.first else { return ([], []) }
        let titles = header.split(separator: " ").map(String.init)
        guard let column = titles.firstIndex(of: "PID") else { throw CommandError.failed("Couldn't find PID field in ps output") }
        let wanted = Set(pids)
        var rows: [[String]] = []
        for line in lines.dropFirst() {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= titles.count else { continue }
            guard let pid = Int32(fields[column]) else { throw CommandError.failed("Unexpected pid '\(fields[column])'") }
            guard wanted.contains(pid) else { continue }
            rows.append(Array(fields.prefix(titles.count - 1)) + [fields.dropFirst(titles.count - 1).joined(separator: " ")])
        }
        return (titles, rows)
    }
}

/// One reading of what a container uses, from its cgroup (chapter 03's stats, and the
/// memory and block I/O files beside them) and from its network namespace
/// (/proc/PID/net/dev of its init). A container that is not running reads as all zero.
struct StatsSample {
    /// Microseconds of CPU time: the container's, and the whole machine's (/proc/stat).
    var cpu: UInt64 = 0
    var system: UInt64 = 0
    /// Memory in use less the page cache the kernel can drop (inactive files), as Docker counts it.
    var memory: UInt64 = 0
    /// The cgroup's limit, or the machine's memory when it has none.
    var limit: UInt64 = 0
    var received: UInt64 = 0
    var transmitted: UInt64 = 0
    var read: UInt64 = 0
    var written: UInt64 = 0
    var pids: UInt64 = 0

    init(_ context: Context, _ entry: ContainerEntry) {
        guard entry.state.isLive, let container = context.runtimeContainer(entry),
              let layout = try? CgroupLayout.current() else { return }
        let cgroup = layout.cgroup(container.record.cgroup)
        guard let stats = try? cgroup.stats() else { return }
        system = StatsSample.machineCPU()
        cpu = stats.cpuUsage
        pids = stats.pids
        let memoryStat: [String: UInt64]
        var limitText: String?
        var blockIO: (read: UInt64, written: UInt64) = (0, 0)
        if let v2 = cgroup as? CgroupV2 {
            memoryStat = StatsSample.keyed(v2.path + "/memory.stat")
            memory = stats.memoryUsage - min(stats.memoryUsage, memoryStat["inactive_file"] ?? 0)
            limitText = Host.read(v2.path + "/memory.max")
            blockIO = StatsSample.ioStat(v2.path + "/io.stat")
        } else if let v1 = cgroup as? CgroupV1 {
            memoryStat = v1.path("memory").map { StatsSample.keyed($0 + "/memory.stat") } ?? [:]
            memory = stats.memoryUsage - min(stats.memoryUsage, memoryStat["total_inactive_file"] ?? 0)
            limitText = v1.path("memory").flatMap { Host.read($0 + "/memory.limit_in_bytes") }
            if let directory = v1.path("blkio") {
                blockIO = StatsSample.serviceBytes(directory + "/blkio.throttle.io_service_bytes_recursive")
                if blockIO == (0, 0) { blockIO = StatsSample.serviceBytes(directory + "/blkio.io_service_bytes_recursive") }
            }
        }
        let machine = UInt64(Host.memoryTotal)
        limit = min(machine, limitText.flatMap { UInt64($0.trimmingWhitespace()) } ?? machine)
        (read, written) = blockIO
        if let pid = entry.state.process?.pid { (received, transmitted) = StatsSample.network(pid) }
    }

    /// The row `stats` prints, CPU % worked out from the reading before this one.
    func fields(since before: StatsSample?, reference: String, entry: ContainerEntry, truncate: Bool) -> [String: Any] {
        var cpuPercent = 0.0
        if let before, system > before.system, cpu >= before.cpu, before.system > 0 {
            cpuPercent = Double(cpu - before.cpu) / Double(system - before.system) * Double(Host.cpus) * 100
        }
        let memoryPercent = limit > 0 ? Double(memory) / Double(limit) * 100 : 0
        return [
            "Container": reference, "ID": truncate ? entry.shortID : entry.id, "Name": entry.name,
            "CPUPerc": String(printf: "%.2f%%", cpuPercent),
            "MemUsage": Units.bytesSize(memory) + " / " + Units.bytesSize(limit),
            "MemPerc": String(printf: "%.2f%%", memoryPercent),
            "NetIO": Units.humanSize(received, precision: 3) + " / " + Units.humanSize(transmitted, precision: 3),
            "BlockIO": Units.humanSize(read, precision: 3) + " / " + Units.humanSize(written, precision: 3),
            "PIDs": String(pids),
        ]
    }

    /// The machine's CPU time in microseconds: the first seven numbers of the `cpu` line of
    /// /proc/stat (user, nice, system, idle, iowait, irq, softirq), in clock ticks.
    static func machineCPU() -> UInt64 {
        guard let line = (Host.read("/proc/stat") ?? "").split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return 0 }
        let ticks = line.split(separator: " ").dropFirst().prefix(7).compactMap { UInt64($0) }.reduce(0, +)
        return ticks * 1_000_000 / UInt64(Host.clockTicks)
    }

    /// `key value` lines (memory.stat).
    static func keyed(_ path: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in (Host.read(path) ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = UInt64(parts[1]) { result[String(parts[0])] = value }
        }
        return result
    }

    /// cgroup v2's io.stat: `8:0 rbytes=4096 wbytes=0 rios=1 wios=0 ...`, a line per device.
    static func ioStat(_ path: String) -> (UInt64, UInt64) {
        var read: UInt64 = 0
        var written: UInt64 = 0
        for word in (Host.read(path) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            if word.hasPrefix("rbytes=") { read += UInt64(word.dropFirst(7)) ?? 0 }
            if word.hasPrefix("wbytes=") { written += UInt64(word.dropFirst(7)) ?? 0 }
        }
        return (read, written)
    }

    /// cgroup v1's blkio service bytes: `8:0 Read 4096`, a line per device and operation.
    static func serviceBytes(_ path: String) -> (UInt64, UInt64) {
        var read: UInt64 = 0
        var written: UInt64 = 0
        for line in (Host.read(path) ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let value = UInt64(parts[2]) else { continue }
            if parts[1].lowercased() == "read" { read += value }
            if parts[1].lowercased() == "write" { written += value }
        }
        return (read, written)
    }

    /// Bytes received and sent by the interfaces of `pid`'s network namespace but loopback:
    /// /proc/PID/net/dev, `  eth0: RX-BYTES PACKETS ... TX-BYTES ...` (the 1st and 9th numbers).
    static func network(_ pid: pid_t) -> (UInt64, UInt64) {
        var received: UInt64 = 0
        var transmitted: UInt64 = 0
        for line in (Host.read("/proc/\(pid)/net/dev") ?? "").split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingWhitespace()
            let numbers = line[line.index(after: colon)...].split(separator: " ").compactMap { UInt64($0) }
            guard name != "lo", numbers.count >= 9 else { continue }
            received += numbers[0]
            transmitted += numbers[8]
        }
        return (received, transmitted)
    }
}
