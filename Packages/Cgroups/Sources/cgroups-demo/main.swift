// cgroups-demo (chapter 03): three programs that would hurt a machine, each run as an
// isolated process (new PID, UTS and IPC namespaces) inside a cgroup that holds it back.
//   1. a fork bomb, stopped by a pids limit of 20
//   2. a memory hog, killed at a 32 MiB limit
//   3. a busy loop, held to half a CPU
import Glibc
import Cgroups
import Syscalls

let layout: CgroupLayout
do {
    layout = try CgroupLayout.current()
} catch {
    print("cgroups-demo: \(error)")
    exit(1)
}

/// Runs `script` in a new cgroup with `resources`, as an isolated process started inside the
/// cgroup from its first instruction; `watch` runs while it does; the cgroup is removed after.
func contained(_ label: String, _ resources: Resources, _ script: String,
               watch: (any Cgroup, SpawnedProcess) throws -> Void) throws {
    let cgroup = layout.cgroup("dosirak/demo-\(getpid())-\(label)")
    try cgroup.create()
    defer {
        do { try cgroup.remove() } catch { print("cgroups-demo: \(error)") }
    }
    try resources.validate(onlineCPUs: Resources.onlineCPUs())
    try cgroup.apply(resources)
    let quiet = try FileDescriptor.open("/dev/null", .readWrite)
    defer { try? quiet.close() }
    var spawn = Spawn("/bin/busybox", arguments: ["sh", "-c", script], environment: ["PATH=/bin:/usr/bin"])
    spawn.namespaces = [.pid, .uts, .ipc]
    spawn.fileDescriptors = [0: quiet, 1: quiet, 2: quiet]
    spawn.parentDeathSignal = .kill
    let child = try cgroup.spawn(spawn)
    print("   started \(label) as PID \(child.pid) (PID 1 inside), in \(cgroup.name)")
    try watch(cgroup, child)
}

func section(_ title: String) { print("\n== \(title)") }
func mib(_ bytes: UInt64) -> String { "\(bytes >> 20) MiB" }
func seconds(_ microseconds: UInt64) -> String {
    let tenths = (microseconds + 50_000) / 100_000
    return "\(tenths / 10).\(tenths % 10) s"
}
func hostProcesses() -> Int {
    ((try? FileSystem.entries(of: "/proc")) ?? []).filter { Int($0.name) != nil }.count
}

func describe(_ layout: CgroupLayout) -> String {
    if layout.isUnified { return "cgroup v2 (unified) at \(layout.unified ?? "?")" }
    let controllers = layout.legacy.keys.sorted().joined(separator: ", ")
    if let unified = layout.unified { return "hybrid: v1 trees (\(controllers)), and v2 at \(unified) for tracking" }
    return "cgroup v1: \(controllers)"
}

func tour() throws {
    print("cgroup layout: \(describe(layout))")

    section("1. A fork bomb, with a pids limit of 20")
    let before = hostProcesses()
    try contained("forkbomb", Resources(pids: .init(limit: 20)), "bomb() { bomb | bomb & }; bomb; sleep 5") { cgroup, _ in
        var counts: [String] = []
        for _ in 0..<4 {
            usleep(500_000)
            counts.append(String(try cgroup.stats().pids))
        }
        let stats = try cgroup.stats()
        print("   pids.current every 0.5 s: \(counts.joined(separator: " "))")
        print("   forks refused by the kernel: \(stats.pidsRefused.map(String.init) ?? "(not counted by this kernel)")")
        let (status, _) = try Spawn("/bin/true").output()
        print("   the host: \(before) processes before, \(hostProcesses()) now; a new one starts: \(status)")
    }
    print("   cgroup removed: every process in it killed")

    section("2. A memory hog, with a 32 MiB limit and no swap")
    try contained("hog", Resources(memory: .init(limit: 32 << 20)), "x=a; while :; do x=$x$x; done") { cgroup, child in
        let status = try child.wait()
        let stats = try cgroup.stats()
        print("   the hog \(status)")
        print("   peak memory: \(stats.memoryPeak.map(mib) ?? "?"), OOM kills counted by the cgroup: \(stats.oomKills.map(String.init) ?? "?")")
    }

    section("3. A busy loop, held to half a CPU (--cpus 0.5)")
    let half = try Resources.cpuQuota(cpus: "0.5")
    try contained("busy", Resources(cpu: half), "while :; do :; done") { cgroup, child in
        let start = try cgroup.stats()
        var wall = timespec()
        clock_gettime(CLOCK_MONOTONIC, &wall)
        sleep(3)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let stats = try cgroup.stats()
        let elapsed = UInt64(now.tv_sec - wall.tv_sec) * 1_000_000 + UInt64(now.tv_nsec / 1000) - UInt64(wall.tv_nsec / 1000)
        let used = stats.cpuUsage - start.cpuUsage
        print("   quota \(half.quota!) µs per \(half.period!) µs period")
        print("   in \(seconds(elapsed)) of wall time it used \(seconds(used)) of CPU (\(used * 100 / elapsed)%)")
        print("   throttled in \(stats.throttledPeriods - start.throttledPeriods) periods, for \(seconds(stats.throttledTime - start.throttledTime)) in all")
        try child.pid.send(.kill)
        _ = try child.wait()
    }
}

guard getuid() == 0 else {
    print("cgroups-demo: creating cgroups needs root; run it with sudo")
    exit(1)
}
do {
    try tour()
} catch {
    print("cgroups-demo: \(error)")
    exit(1)
}
