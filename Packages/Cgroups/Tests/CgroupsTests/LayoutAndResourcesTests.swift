import Foundation
import Testing
@testable import Cgroups

@Suite("Layouts")
struct LayoutTests {
    static let hybrid = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:8 - cgroup cgroup rw,cpu,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
        42 31 0:39 / /sys/fs/cgroup/net_cls rw,relatime - cgroup cgroup rw,noprefix,net_cls
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
        """
    static let unified = """
        22 1 0:21 / /proc rw,nosuid - proc proc rw
        30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        """

    @Test("a hybrid host: v1 trees by controller (co-mounted ones share a path), v2 for tracking")
    func hybridLayout() {
        let layout = CgroupLayout.parse(mountinfo: LayoutTests.hybrid)
        #expect(layout.unified == "/sys/fs/cgroup/unified")
        #expect(layout.legacy == ["cpu": "/sys/fs/cgroup/cpu,cpuacct", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct",
                                  "memory": "/sys/fs/cgroup/memory", "pids": "/sys/fs/cgroup/pids",
                                  "net_cls": "/sys/fs/cgroup/net_cls"])
        #expect(!layout.isUnified)
        let cgroup = layout.cgroup("dosirak/x")
        #expect(cgroup is CgroupV1)
        #expect((cgroup as? CgroupV1)?.directories == ["/sys/fs/cgroup/cpu,cpuacct/dosirak/x", "/sys/fs/cgroup/memory/dosirak/x",
                                                      "/sys/fs/cgroup/net_cls/dosirak/x", "/sys/fs/cgroup/pids/dosirak/x",
                                                      "/sys/fs/cgroup/unified/dosirak/x"])
    }

    @Test("a process enters by itself through v1's tasks files and is born in the v2 directory")
    func selfEntry() {
        let hybrid = CgroupLayout.parse(mountinfo: LayoutTests.hybrid).cgroup("dosirak/x")
        #expect(hybrid.birthDirectory == "/sys/fs/cgroup/unified/dosirak/x")
        #expect(hybrid.tasksFiles == ["/sys/fs/cgroup/cpu,cpuacct/dosirak/x/tasks", "/sys/fs/cgroup/memory/dosirak/x/tasks",
                                      "/sys/fs/cgroup/net_cls/dosirak/x/tasks", "/sys/fs/cgroup/pids/dosirak/x/tasks"])
        let v2 = CgroupLayout.parse(mountinfo: LayoutTests.unified).cgroup("dosirak/x")
        #expect(v2.birthDirectory == "/sys/fs/cgroup/dosirak/x")
        #expect(v2.tasksFiles.isEmpty)
    }

    @Test("a pure v2 host gets the v2 driver")
    func unifiedLayout() {
        let layout = CgroupLayout.parse(mountinfo: LayoutTests.unified)
        #expect(layout == CgroupLayout(unified: "/sys/fs/cgroup", legacy: [:]))
        #expect(layout.isUnified)
        #expect((layout.cgroup("dosirak/x") as? CgroupV2)?.path == "/sys/fs/cgroup/dosirak/x")
    }

    @Test("this machine's layout is read from /proc/self/mountinfo")
    func currentLayout() throws {
        let layout = try CgroupLayout.current()
        #expect(layout.unified != nil || !layout.legacy.isEmpty)
    }
}

@Suite("Resources")
struct ResourceTests {
    @Test("sizes parse as docker -m takes them", arguments: [
        ("512m", Int64(512 << 20)), ("1g", Int64(1 << 30)), ("64k", Int64(64 << 10)), ("1048576", Int64(1 << 20)),
        ("32MB", Int64(32 << 20)), ("1.5g", Int64(3 << 29)),
    ])
    func sizes(text: String, bytes: Int64) throws {
        #expect(try Resources.parseSize(text) == bytes)
    }

    @Test("nonsense sizes are refused with the value named", arguments: ["-1m", "abc", "", "12q", "1e400"])
    func badSizes(text: String) {
        #expect(throws: CgroupError.invalid("invalid size: \"\(text)\"")) { try Resources.parseSize(text) }
    }

    @Test("--cpus becomes a CFS quota per 100 ms period")
    func cpus() throws {
        #expect(try Resources.cpuQuota(cpus: "0.5", available: 2) == .init(quota: 50_000, period: 100_000))
        #expect(try Resources.cpuQuota(cpus: "1.25", available: 2) == .init(quota: 125_000, period: 100_000))
        #expect(throws: CgroupError.invalid("range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available")) {
            try Resources.cpuQuota(cpus: "3", available: 2)
        }
        #expect(throws: CgroupError.invalid("invalid --cpus value: \"half\"")) { try Resources.cpuQuota(cpus: "half") }
    }

    @Test("limits the kernel would refuse are refused first, naming the value")
    func validation() {
        #expect(throws: CgroupError.invalid("memory limit 4194304 is below the minimum of 6 MiB (6291456 bytes)")) {
            try Resources(memory: .init(limit: 4 << 20)).validate()
        }
        #expect(throws: CgroupError.invalid("memory+swap limit 8388608 is smaller than the memory limit 16777216")) {
            try Resources(memory: .init(limit: 16 << 20, swap: 8 << 20)).validate()
        }
        #expect(throws: CgroupError.invalid("cpuset cpus \"0-3\": cpu 2 is not available (online: 0-1)")) {
            try Resources(cpu: .init(cpus: "0-3")).validate(onlineCPUs: "0-1")
        }
        #expect(throws: CgroupError.invalid("cpuset cpus \"1-0\" is not a list like 0-2,4")) {
            try Resources(cpu: .init(cpus: "1-0")).validate()
        }
        #expect(throws: CgroupError.invalid("pids limit -5 is negative")) { try Resources(pids: .init(limit: -5)).validate() }
        #expect(throws: CgroupError.invalid("cpu shares 1 is outside 2-262144")) { try Resources(cpu: .init(shares: 1)).validate() }
        #expect(throws: CgroupError.invalid("memory limit -1 is not positive")) { try Resources(memory: .init(limit: -1)).validate() }
    }

    @Test("kernel lists parse", arguments: [("0-2,4", [0, 1, 2, 4]), ("7", [7]), ("0-1\n", [0, 1])])
    func lists(text: String, numbers: [Int]) {
        #expect(Resources.parseList(text) == Set(numbers))
    }

    @Test("resources decode from the OCI runtime spec's linux.resources JSON")
    func ociJSON() throws {
        let json = #"{"memory":{"limit":33554432,"swap":33554432},"cpu":{"shares":512,"quota":50000,"period":100000,"cpus":"0"},"pids":{"limit":20}}"#
        let resources = try JSONDecoder().decode(Resources.self, from: Data(json.utf8))
        #expect(resources.memory == .init(limit: 32 << 20, swap: 32 << 20))
        #expect(resources.cpu == .init(shares: 512, quota: 50_000, period: 100_000, cpus: "0"))
        #expect(resources.pids == .init(limit: 20))
    }

    @Test("cpu shares map onto v2 weights as runc does")
    func weights() {
        #expect(CgroupV2.weight(shares: 2) == 1)
        #expect(CgroupV2.weight(shares: 1024) == 39)
        #expect(CgroupV2.weight(shares: 262_144) == 10_000)
    }
}

@Suite("Resources from Docker")
struct DockerResourceTests {
    @Test("zeros mean not set, as runc reads them (Docker sends shares 0 for no --cpu-shares)")
    func zeros() throws {
        let json = #"{"memory":{"limit":0,"swap":0},"cpu":{"shares":0,"quota":0,"period":0,"cpus":"","mems":""},"pids":{"limit":0},"blockIO":{"weight":0}}"#
        let resources = try JSONDecoder().decode(Resources.self, from: Data(json.utf8))
        try resources.validate()
        #expect(resources.normalized == Resources(pids: .init(limit: 0)))
        #expect(Resources(cpu: .init(shares: 512, quota: 0)).normalized == Resources(cpu: .init(shares: 512)))
    }
}
