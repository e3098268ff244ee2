import Syscalls

/// Where this machine mounts its cgroup hierarchies, read from /proc/self/mountinfo.
///
/// Three layouts are in use:
/// - **unified** (cgroup v2 only): one tree at /sys/fs/cgroup holding every controller.
/// - **legacy** (cgroup v1): one tree per controller, /sys/fs/cgroup/memory, .../cpu, ...
/// - **hybrid**: the v1 trees, plus a v2 tree (often /sys/fs/cgroup/unified) with few or no
///   controllers, used by systemd only to track processes.
public struct CgroupLayout: Equatable, Sendable {
    /// The cgroup v2 mount, if any.
    public var unified: String?
    /// Each v1 controller's mount point, by controller name (`memory`, `cpu`, `cpuacct`, ...).
    public var legacy: [String: String]

    public init(unified: String?, legacy: [String: String]) {
        self.unified = unified
        self.legacy = legacy
    }

    /// The v1 controllers the kernel has (as /proc/cgroups lists them). Super options of a
    /// v1 mount hold these among other words (`xattr`, `noprefix`, `name=systemd`).
    static let knownControllers: Set = [
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "blkio", "perf_event",
        "net_prio", "hugetlb", "pids", "rdma", "misc",
    ]

    /// Controllers that limits are made of. A layout whose v1 trees hold none of them is v2.
    static let limitingControllers: Set = ["memory", "cpu", "cpuset", "pids", "freezer"]

    /// True when limits go through v2: no v1 tree holds any of the limiting controllers.
    public var isUnified: Bool {
        unified != nil && legacy.keys.allSatisfy { !CgroupLayout.limitingControllers.contains($0) }
    }

    /// The layout of the running system. With no cgroup file system mounted at all (inside
    /// `ip netns exec`, which mounts a fresh /sys over the host's), a container could only
    /// run without limits, so that is refused.
    ///
    /// It is read once per process: hierarchies are not mounted and unmounted while a
    /// command runs, and a host with many containers has a long mount table.
    public static func current() throws -> CgroupLayout {
        try readOnce.get()
    }

    private static let readOnce = Result { try read() }

    static func read() throws -> CgroupLayout {
        let fd = try FileDescriptor.open("/proc/self/mountinfo")
        let text = try fd.closeAfter { String(decoding: try fd.readAll(), as: UTF8.self) }
        let layout = parse(mountinfo: text)
        guard layout.unified != nil || !layout.legacy.isEmpty else {
            throw CgroupError.invalid("no cgroup file system is mounted here (none in /proc/self/mountinfo)")
        }
        return layout
    }

    /// Reads mountinfo lines: `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPEROPTIONS`.
    /// For v1 the controllers are in the super options (`rw,cpu,cpuacct`); a `name=systemd`
    /// tree carries no controller and is skipped.
    public static func parse(mountinfo: String) -> CgroupLayout {
        var layout = CgroupLayout(unified: nil, legacy: [:])
        // A host with many containers has hundreds of mounts; only cgroup ones are of interest.
        for line in mountinfo.split(separator: "\n") where line.contains(" - cgroup") {
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash + 3 < fields.count, fields.count > 4 else { continue }
            let mountPoint = String(fields[4])
            switch fields[dash + 1] {
            case "cgroup2":
                layout.unified = layout.unified ?? mountPoint
            case "cgroup":
                for option in fields[dash + 3].split(separator: ",").map(String.init)
                where knownControllers.contains(option) {
                    layout.legacy[option] = layout.legacy[option] ?? mountPoint
                }
            default:
                continue
            }
        }
        return layout
    }

    /// The driver for a cgroup named `name` (a path below each hierarchy's root, such as
    /// `dosirak/4c1d...`): v2 when limits live in the unified tree, v1 otherwise.
    public func cgroup(_ name: String) -> any Cgroup {
        if isUnified, let unified {
            return CgroupV2(root: unified, name: name)
        }
        return CgroupV1(hierarchies: legacy, unified: unified, name: name)
    }
}
