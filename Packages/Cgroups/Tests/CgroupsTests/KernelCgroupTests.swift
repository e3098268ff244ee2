import Foundation
import Glibc
import Syscalls
import Testing
@testable import Cgroups

/// The drivers against this machine's real cgroups. Assertions read what the kernel reports:
/// control files, /proc/PID/cgroup, and how the processes behave.
@Suite("Cgroups on the real kernel", .enabled(if: hasCgroups, "needs root and mounted cgroups"))
struct KernelCgroupTests {
    @Test("create makes a directory in every hierarchy; remove takes them all away")
    func createAndRemove() throws {
        let parent = "dosirak-test-\(UUID().uuidString.prefix(8))"
        let cgroup = layout!.cgroup(parent + "/c")
        defer { for directory in hierarchyDirectories(of: parent) { rmdir(directory) } }
        try cgroup.create()
        #expect(cgroup.exists)
        #expect(anyLeft(parent + "/c").count == hierarchyDirectories(of: parent + "/c").count)
        try cgroup.remove()
        #expect(!cgroup.exists)
        #expect(anyLeft(parent + "/c").isEmpty)
    }

    @Test("a spawned process is in the cgroup from its first instruction, as /proc/PID/cgroup says")
    func spawnInside() throws {
        try withTestCgroup { cgroup in
            let child = try Cgroups.spawnInside(cgroup, "sleep 10")
            defer { try? child.pid.send(.kill); _ = try? child.wait() }
            let lines = try contents("/proc/\(child.pid)/cgroup").split(separator: "\n")
            #expect(lines.contains { $0.hasSuffix("/" + cgroup.name) })
            #expect(try cgroup.processes().contains(child.pid))
        }
    }

    @Test("a process born in the v2 directory that writes 0 to each tasks file is in every hierarchy")
    func selfEntry() throws {
        try withTestCgroup { cgroup in
            let moves = cgroup.tasksFiles.map { "echo 0 > \($0)" }.joined(separator: "; ")
            let null = try FileDescriptor.open("/dev/null", .readWrite)
            defer { try? null.close() }
            var spawn = Spawn("/bin/busybox", arguments: ["sh", "-c", moves.isEmpty ? "exec sleep 10" : moves + "; exec sleep 10"],
                              environment: ["PATH=/bin:/usr/bin"])
            spawn.fileDescriptors = [0: null, 1: null, 2: null]
            let directory = try cgroup.birthDirectory.map { try FileDescriptor.open($0, options: [.directory]) }
            defer { try? directory?.close() }
            spawn.cgroup = directory
            let child = try spawn.start()
            defer { try? child.pid.send(.kill); _ = try? child.wait() }
            let expected = hierarchyDirectories(of: cgroup.name).count
            var inside = 0
            for _ in 0..<200 {
                let lines = try contents("/proc/\(child.pid)/cgroup").split(separator: "\n")
                inside = lines.filter { $0.hasSuffix("/" + cgroup.name) }.count
                if inside == expected { break }
                usleep(10_000)
            }
            #expect(inside == expected)
        }
    }

    @Test("limits are written where the kernel reads them")
    func limitsInKernelFiles() throws {
        try withTestCgroup { cgroup in
            try cgroup.apply(Resources(memory: .init(limit: 64 << 20), cpu: .init(quota: 20_000, period: 100_000),
                                       pids: .init(limit: 42)))
            if let v1 = cgroup as? CgroupV1 {
                #expect(try contents(v1.path("memory")! + "/memory.limit_in_bytes") == "67108864")
                #expect(try contents(v1.path("cpu")! + "/cpu.cfs_quota_us") == "20000")
                #expect(try contents(v1.path("pids")! + "/pids.max") == "42")
                if FileManager.default.fileExists(atPath: v1.path("memory")! + "/memory.memsw.limit_in_bytes") {
                    #expect(try contents(v1.path("memory")! + "/memory.memsw.limit_in_bytes") == "67108864")
                }
            } else if let v2 = cgroup as? CgroupV2 {
                #expect(try contents(v2.path + "/memory.max") == "67108864")
                #expect(try contents(v2.path + "/cpu.max") == "20000 100000")
                #expect(try contents(v2.path + "/pids.max") == "42")
            }
            // Updating a live cgroup changes the same files.
            try cgroup.apply(Resources(pids: .init(limit: 0)))
            let pidsMax = (cgroup as? CgroupV1)?.path("pids").map { $0 + "/pids.max" } ?? (cgroup as! CgroupV2).path + "/pids.max"
            #expect(try contents(pidsMax) == "max")
        }
    }

    @Test("a pids limit of 20 stops a fork bomb")
    func forkBomb() throws {
        try withTestCgroup { cgroup in
            try cgroup.apply(Resources(pids: .init(limit: 20)))
            let child = try Cgroups.spawnInside(cgroup, "bomb() { bomb | bomb & }; bomb; sleep 10")
            defer { try? cgroup.remove(); _ = try? child.wait() }
            var stats = try cgroup.stats()
            for _ in 0..<200 {
                guard (stats.pidsRefused ?? 0) == 0 else { break }
                usleep(10_000)
                stats = try cgroup.stats()
            }
            #expect(stats.pids <= 20)
            #expect((stats.pidsRefused ?? 1) > 0)
            #expect(try cgroup.processes().count <= 20)
        }
    }

    @Test("a memory hog is OOM-killed at its limit, and the cgroup counts the kill")
    func memoryHog() throws {
        try withTestCgroup { cgroup in
            try cgroup.apply(Resources(memory: .init(limit: 32 << 20)))
            let child = try Cgroups.spawnInside(cgroup, "x=a; while :; do x=$x$x; done")
            #expect(try child.wait() == .signaled(.kill, coreDumped: false))
            let stats = try cgroup.stats()
            #expect(stats.oomKills == 1)
            if let peak = stats.memoryPeak { #expect(peak <= 32 << 20 && peak > 16 << 20) }
        }
    }

    @Test("a busy loop under a 0.2 CPU quota is throttled, and the kernel says so")
    func throttling() throws {
        try withTestCgroup { cgroup in
            try cgroup.apply(Resources(cpu: .init(quota: 20_000, period: 100_000)))
            let child = try Cgroups.spawnInside(cgroup, "while :; do :; done")
            defer { try? child.pid.send(.kill); _ = try? child.wait() }
            usleep(1_000_000)
            let stats = try cgroup.stats()
            #expect(stats.throttledPeriods >= 3)
            #expect(stats.throttledTime > 0)
            #expect(stats.cpuUsage < 600_000)  // at most ~0.2 s of CPU in ~1 s, with slack
        }
    }

    @Test("a frozen cgroup uses no CPU until thawed")
    func freezeAndThaw() throws {
        try withTestCgroup { cgroup in
            let child = try Cgroups.spawnInside(cgroup, "while :; do :; done")
            defer { try? child.pid.send(.kill); _ = try? child.wait() }
            usleep(100_000)
            try cgroup.freeze()
            let frozen = try cgroup.stats().cpuUsage
            usleep(300_000)
            #expect(try cgroup.stats().cpuUsage - frozen < 20_000)
            try cgroup.thaw()
            usleep(300_000)
            #expect(try cgroup.stats().cpuUsage - frozen > 100_000)
        }
    }

    @Test("removing a cgroup kills what is left in it")
    func removeKills() throws {
        let parent = "dosirak-test-\(UUID().uuidString.prefix(8))"
        let cgroup = layout!.cgroup(parent + "/c")
        defer { for directory in hierarchyDirectories(of: parent) { rmdir(directory) } }
        try cgroup.create()
        let child = try Cgroups.spawnInside(cgroup, "sleep 100 & sleep 100 & wait")
        usleep(100_000)
        try cgroup.remove()
        #expect(try child.wait() == .signaled(.kill, coreDumped: false))
        #expect(anyLeft(parent + "/c").isEmpty)
    }

    @Test("the kernel's own refusal is reported with the file and errno")
    func kernelRefusal() throws {
        try withTestCgroup { cgroup in
            // CPU 4095 exists on no test machine: the kernel refuses it (EINVAL or ERANGE).
            do {
                try cgroup.apply(Resources(cpu: .init(cpus: "4095")))
                Issue.record("the kernel accepted cpu 4095")
            } catch let error as CgroupError {
                #expect("\(error)".hasPrefix("cgroup: write 4095 to /"))
                #expect("\(error)".hasSuffix("cpuset.cpus: EINVAL") || "\(error)".hasSuffix("cpuset.cpus: ERANGE"))
            }
        }
    }

    @Test("20 cgroups created and removed at once leave nothing behind")
    func concurrency() async throws {
        let parent = "dosirak-test-\(UUID().uuidString.prefix(8))"
        defer { for directory in hierarchyDirectories(of: parent) { rmdir(directory) } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    let cgroup = layout!.cgroup("\(parent)/c\(index)")
                    try cgroup.create()
                    try cgroup.apply(Resources(pids: .init(limit: 10)))
                    try cgroup.remove()
                }
            }
            try await group.waitForAll()
        }
        for index in 0..<20 { #expect(anyLeft("\(parent)/c\(index)").isEmpty) }
    }
}

/// Namespace for the test helper, so tests can say `Cgroups.spawnInside`.
enum Cgroups {
    static func spawnInside(_ cgroup: any Cgroup, _ script: String) throws -> SpawnedProcess {
        try CgroupsTests.spawnInside(cgroup, script)
    }
}
