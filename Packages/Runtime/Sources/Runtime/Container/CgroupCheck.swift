import Cgroups

/// Whether a container's cgroup still exists on this machine (for demos and tests).
public enum CgroupCheck {
    public static func exists(_ name: String) throws -> Bool {
        try CgroupLayout.current().cgroup(name).exists
    }
}
