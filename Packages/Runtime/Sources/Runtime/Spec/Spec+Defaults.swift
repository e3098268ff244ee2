extension Spec {
    /// The capabilities Docker keeps for a container (everything else is dropped).
    public static let dockerCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// Paths of /proc and /sys a container must not read: kernel memory, key rings, timers.
    public static let defaultMaskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]

    /// Paths of /proc a container may read but not write.
    public static let defaultReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    /// The mounts of a default container: proc, a tmpfs /dev with devpts, shm and mqueue,
    /// a read-only sysfs, and the container's cgroup, read-only.
    public static let defaultMounts: [Mount] = [
        Mount(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
        Mount(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
              options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        Mount(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
        Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
        Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
        Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
    ]

    /// A configuration like `runc spec` writes, with Docker's hardening: the rootfs in
    /// `rootfs`, new pid/network/ipc/uts/mount/cgroup namespaces, Docker's capabilities,
    /// no_new_privs, masked and read-only paths, and Docker's seccomp profile.
    public static func `default`(args: [String] = ["sh"], terminal: Bool = false, rootfs: String = "rootfs") -> Spec {
        var process = Process(args: args, env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
                              cwd: "/", terminal: terminal)
        process.capabilities = Capabilities(bounding: dockerCapabilities, effective: dockerCapabilities,
                                            permitted: dockerCapabilities)
        process.rlimits = [Rlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)]
        process.noNewPrivileges = true
        var linux = Linux()
        linux.namespaces = ["pid", "network", "ipc", "uts", "mount", "cgroup"].map { Namespace(type: $0) }
        linux.maskedPaths = defaultMaskedPaths
        linux.readonlyPaths = defaultReadonlyPaths
        linux.seccomp = SeccompProfile.dockerDefault(capabilities: Set(dockerCapabilities))
        return Spec(process: process, root: Root(path: rootfs), hostname: "dosirak", mounts: defaultMounts, linux: linux)
    }
}
