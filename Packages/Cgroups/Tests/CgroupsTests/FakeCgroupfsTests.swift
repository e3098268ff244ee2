import Foundation
import Testing
@testable import Cgroups

/// The drivers against a temporary directory laid out like cgroupfs, so v2 logic is tested
/// on a v1 machine (and v1 logic on a v2 one).
@Suite("Drivers on an imitation cgroupfs")
struct FakeCgroupfsTests {
    @Test("v2: creating enables controllers in each parent's subtree_control on the way down")
    func v2Create() throws {
        let fs = try FakeCgroupfs()
        defer { fs.remove() }
        try fs.write("cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n")
        try fs.write("cgroup.subtree_control", "\n")
        // What the kernel puts in a new directory, for the level we pass through.
        try fs.write("dosirak/cgroup.controllers", "cpuset cpu io memory pids\n")
        try fs.write("dosirak/cgroup.subtree_control", "cpu memory\n")
        let cgroup = CgroupV2(root: fs.root, name: "dosirak/web")
        try cgroup.create()
        #expect(FileManager.default.fileExists(atPath: fs.root + "/dosirak/web"))
        // The last write to the root was one of the wanted controllers (each is written alone).
        #expect(try fs.read("cgroup.subtree_control") == "+io")
        // In dosirak/, cpu and memory were already on: cpuset, pids and io were added.
        #expect(try fs.read("dosirak/cgroup.subtree_control") == "+io")
    }

    @Test("v2: limits land in the files the kernel reads, in its formats")
    func v2Apply() throws {
        let fs = try FakeCgroupfs()
        defer { fs.remove() }
        for file in ["memory.max", "memory.swap.max", "memory.low", "cpu.max", "cpu.weight", "cpuset.cpus",
                     "cpuset.mems", "pids.max", "io.weight"] {
            try fs.write("c/" + file, "")
        }
        let cgroup = CgroupV2(root: fs.root, name: "c")
        try cgroup.apply(Resources(memory: .init(limit: 32 << 20, reservation: 16 << 20),
                                   cpu: .init(shares: 1024, quota: 50_000, period: 100_000, cpus: "0", mems: "0"),
                                   pids: .init(limit: 20), blockIO: .init(weight: 500)))
        #expect(try fs.read("c/memory.max") == "33554432")
        #expect(try fs.read("c/memory.swap.max") == "0")
        #expect(try fs.read("c/memory.low") == "16777216")
        #expect(try fs.read("c/cpu.max") == "50000 100000")
        #expect(try fs.read("c/cpu.weight") == "39")
        #expect(try fs.read("c/cpuset.cpus") == "0")
        #expect(try fs.read("c/pids.max") == "20")
        #expect(try fs.read("c/io.weight") == "default \(1 + (500 - 10) * 9999 / 990)")
        // Unlimited values use the kernel's word for it.
        try cgroup.apply(Resources(memory: .init(limit: 64 << 20, swap: -1), cpu: .init(quota: -1), pids: .init(limit: 0)))
        #expect(try fs.read("c/memory.swap.max") == "max")
        #expect(try fs.read("c/cpu.max") == "max 100000")
        #expect(try fs.read("c/pids.max") == "max")
    }

    @Test("v2: statistics are read from memory.*, cpu.stat and pids.*")
    func v2Stats() throws {
        let fs = try FakeCgroupfs()
        defer { fs.remove() }
        try fs.write("c/memory.current", "1048576\n")
        try fs.write("c/memory.peak", "33554432\n")
        try fs.write("c/memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n")
        try fs.write("c/cpu.stat", "usage_usec 1500000\nuser_usec 1400000\nsystem_usec 100000\nnr_periods 30\nnr_throttled 29\nthrottled_usec 1300000\n")
        try fs.write("c/pids.current", "3\n")
        try fs.write("c/pids.events", "max 16\n")
        var expected = CgroupStats()
        expected.memoryUsage = 1 << 20
        expected.memoryPeak = 32 << 20
        expected.oomKills = 1
        expected.cpuUsage = 1_500_000
        expected.throttledPeriods = 29
        expected.throttledTime = 1_300_000
        expected.pids = 3
        expected.pidsRefused = 16
        #expect(try CgroupV2(root: fs.root, name: "c").stats() == expected)
    }

    @Test("v2: freezing writes cgroup.freeze and waits for cgroup.events to say frozen")
    func v2Freeze() throws {
        let fs = try FakeCgroupfs()
        defer { fs.remove() }
        try fs.write("c/cgroup.freeze", "0\n")
        try fs.write("c/cgroup.events", "populated 1\nfrozen 1\n")
        let cgroup = CgroupV2(root: fs.root, name: "c")
        try cgroup.freeze()
        #expect(try fs.read("c/cgroup.freeze") == "1")
        try fs.write("c/cgroup.events", "populated 1\nfrozen 0\n")
        try cgroup.thaw()
        #expect(try fs.read("c/cgroup.freeze") == "0")
    }

    @Test("v1: limits land in each controller's own tree; memsw ends equal to the limit (no swap)")
    func v1Apply() throws {
        let fs = try FakeCgroupfs()
        defer { fs.remove() }
        for file in ["memory/c/memory.limit_in_bytes", "memory/c/memory.memsw.limit_in_bytes", "memory/c/memory.soft_limit_in_bytes",
                     "cpu/c/cpu.cfs_quota_us", "cpu/c/cpu.cfs_period_us", "cpu/c/cpu.shares", "cpuset/c/cpuset.cpus",
                     "pids/c/pids.max", "blkio/c/blkio.weight"] {
            try fs.write(file, "")
        }
        let cgroup = CgroupV1(hierarchies: ["memory": fs.root + "/memory", "cpu": fs.root + "/cpu",
                                            "cpuset": fs.root + "/cpuset", "pids": fs.root + "/pids", "blkio": fs.root + "/blkio"],
                              unified: nil, name: "c")
        try cgroup.apply(Resources(memory: .init(limit: 32 << 20, reservation: 8 << 20),
                                   cpu: .init(shares: 512, quota: 50_000, period: 100_000, cpus: "1"),
                                   pids: .init(limit: 20), blockIO: .init(weight: 300)))
        #expect(try fs.read("memory/c/memory.limit_in_bytes") == "33554432")
        #expect(try fs.read("memory/c/memory.memsw.limit_in_bytes") == "33554432")
        #expect(try fs.read("memory/c/memory.soft_limit_in_bytes") == "8388608")
        #expect(try fs.read("cpu/c/cpu.cfs_quota_us") == "50000")
        #expect(try fs.read("cpu/c/cpu.cfs_period_us") == "100000")
        #expect(try fs.read("cpu/c/cpu.shares") == "512")
        #expect(try fs.read("cpuset/c/cpuset.cpus") == "1")
        #expect(try fs.read("pids/c/pids.max") == "20")
        #expect(try fs.read("blkio/c/blkio.weight") == "300")
    }

    @Test("v1: a new cpuset copies the parent's cpus and mems, or it would refuse every task")
    func v1CpusetCopy() throws {
        let fs = try FakeCgroupfs()
        defer { fs.remove() }
        try fs.write("cpuset/cpuset.cpus", "0-3\n")
        try fs.write("cpuset/cpuset.mems", "0\n")
        try fs.write("cpuset/dosirak/cpuset.cpus", "\n")   // what the kernel gives a new directory
        try fs.write("cpuset/dosirak/cpuset.mems", "\n")
        try fs.write("cpuset/dosirak/c/cpuset.cpus", "\n")
        try fs.write("cpuset/dosirak/c/cpuset.mems", "\n")
        try CgroupV1(hierarchies: ["cpuset": fs.root + "/cpuset"], unified: nil, name: "dosirak/c").create()
        #expect(try fs.read("cpuset/dosirak/c/cpuset.cpus") == "0-3")
        #expect(try fs.read("cpuset/dosirak/c/cpuset.mems") == "0")
    }

    @Test("v1: statistics come from memory, cpuacct (ns) and cpu.stat (ns)")
    func v1Stats() throws {
        let fs = try FakeCgroupfs()
        defer { fs.remove() }
        try fs.write("memory/c/memory.usage_in_bytes", "2097152\n")
        try fs.write("memory/c/memory.max_usage_in_bytes", "33554432\n")
        try fs.write("memory/c/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
        try fs.write("cpuacct/c/cpuacct.usage", "1500000000\n")
        try fs.write("cpu/c/cpu.stat", "nr_periods 30\nnr_throttled 29\nthrottled_time 1300000000\n")
        try fs.write("pids/c/pids.current", "20\n")
        try fs.write("pids/c/pids.events", "max 7\n")
        let cgroup = CgroupV1(hierarchies: ["memory": fs.root + "/memory", "cpuacct": fs.root + "/cpuacct",
                                            "cpu": fs.root + "/cpu", "pids": fs.root + "/pids"], unified: nil, name: "c")
        let stats = try cgroup.stats()
        #expect(stats.memoryUsage == 2 << 20 && stats.memoryPeak == 32 << 20 && stats.oomKills == 2)
        #expect(stats.cpuUsage == 1_500_000 && stats.throttledPeriods == 29 && stats.throttledTime == 1_300_000)
        #expect(stats.pids == 20 && stats.pidsRefused == 7)
    }

    @Test("a missing control file is reported as unsupported, naming it")
    func unsupported() throws {
        let fs = try FakeCgroupfs()
        defer { fs.remove() }
        try fs.write("c/cgroup.procs", "")
        #expect(throws: CgroupError.unsupported("block io weight (io.weight)")) {
            try CgroupV2(root: fs.root, name: "c").apply(Resources(blockIO: .init(weight: 100)))
        }
    }
}
