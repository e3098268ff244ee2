import Glibc
import Syscalls

extension IsolatedProcess {
    /// Everything about a process's isolation: which namespaces it gets, what its file tree,
    /// hostname and user IDs are, and what it runs. Later stages (cgroups, networks, the OCI
    /// runtime) fill in the same structure.
    public struct Configuration: Codable, Sendable {
        /// The command and its arguments; the command is looked up in the container's PATH.
        public var command: [String]
        /// `NAME=value` strings for the command. Without PATH, Docker's default is used.
        public var environment: [String] = []
        /// The command's working directory, inside the container.
        public var workingDirectory = "/"
        /// The container's root directory on the host; nil keeps the host's file tree.
        public var rootfs: String?
        /// Make the root file system read-only after setting it up.
        public var readonlyRootfs = false
        /// The hostname; needs a UTS namespace.
        public var hostname: String?
        /// Namespaces to create.
        public var namespaces: Set<Namespace> = []
        /// Namespaces to join, by the path of a namespace file (/proc/PID/ns/net, or a bind mount of it).
        public var joinedNamespaces: [JoinedNamespace] = []
        /// User namespace maps, written by the parent while init waits.
        public var uidMappings: [IDMapping] = []
        public var gidMappings: [IDMapping] = []
        /// The user and group the command runs as (inside the container).
        public var uid: UInt32 = 0
        public var gid: UInt32 = 0
        /// Mount /proc, /sys and a minimal /dev (needs a mount namespace and a rootfs).
        public var standardFileSystems = true
        /// Further mounts, after the standard ones.
        public var mounts: [MountPoint] = []
        /// Device nodes created in the container's /dev (with a rootfs in a mount namespace).
        public var devices: [DeviceNode] = Self.standardDevices
        /// Symbolic links created in /dev: /dev/fd, /dev/stdin, ..., /dev/ptmx.
        public var deviceLinks: [SymbolicLink] = Self.standardLinks
        /// Paths hidden from the container: /dev/null over a file, an empty read-only tmpfs
        /// over a directory (chapter 06 hides /proc/kcore and friends this way).
        public var maskedPaths: [String] = []
        /// Paths made read-only inside the container (/proc/sys, ...).
        public var readonlyPaths: [String] = []
        /// Kernel parameters of the container's own namespaces, written to /proc/sys.
        public var sysctl: [String: String] = [:]
        /// Propagation of the container's / once it is in place (private if nil).
        public var rootPropagation: Mount.Propagation?
        /// Supplementary groups of the command, and its umask.
        public var additionalGroups: [UInt32] = []
        public var umask: UInt32?
        /// Data for an init extension (chapter 06 carries its hardening here), as JSON text.
        public var extensionData: String?
        /// Give the command a terminal: init opens a pseudo-terminal in the container's own
        /// devpts, makes it the command's stdin, stdout, stderr and controlling terminal,
        /// and sends the controller end to the parent (`IsolatedProcess.terminal`).
        public var terminal = false
        /// The terminal's size, rows by columns.
        public var terminalSize: Terminal.WindowSize?
        /// A FIFO on the host that a separate `start` will open, for `handOff()`. Init opens
        /// it (as a path handle) before pivot_root, while it can still see it.
        public var startFIFO: String?
        /// A cgroup v2 directory init is born in (`CLONE_INTO_CGROUP`), from chapter 03.
        public var cgroupDirectory: String?
        /// Cgroup v1 `tasks` files init writes "0" to, first thing: a process that moves
        /// itself is spared the wait the kernel makes for moving another one (chapter 03).
        public var cgroupTasks: [String] = []

        public init(command: [String], rootfs: String? = nil, namespaces: Set<Namespace> = []) {
            self.command = command
            self.rootfs = rootfs
            self.namespaces = namespaces
        }

        /// Every namespace kind this process will be in that is not the host's.
        var isolatedKinds: Set<Namespace> { namespaces.union(joinedNamespaces.map(\.kind)) }
    }

    /// A namespace to enter rather than create: `JoinedNamespace(kind: .network, path: "/proc/42/ns/net")`.
    public struct JoinedNamespace: Codable, Hashable, Sendable {
        public var kind: Namespace
        public var path: String
        public init(kind: Namespace, path: String) {
            self.kind = kind
            self.path = path
        }
    }
}

extension IsolatedProcess.Configuration {
    /// The file systems every container gets, as Docker and runc set them up. Where a user
    /// namespace forbids a fresh mount (proc without its own PID namespace, sysfs without
    /// its own network namespace), the host's is bind-mounted instead.
    public func standardMounts() -> [MountPoint] {
        guard standardFileSystems, rootfs != nil, isolatedKinds.contains(.mount) else { return [] }
        let inUserNamespace = isolatedKinds.contains(.user)
        var mounts: [MountPoint] = []
        if namespaces.contains(.pid) || !inUserNamespace {
            mounts.append(MountPoint(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]))
        } else {
            mounts.append(MountPoint(destination: "/proc", type: "bind", source: "/proc", options: ["rbind", "nosuid", "noexec", "nodev"]))
        }
        mounts.append(MountPoint(destination: "/dev", type: "tmpfs", source: "tmpfs",
                                 options: ["nosuid", "strictatime", "mode=755", "size=65536k"]))
        var pts = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]
        if !inUserNamespace || gidMappings.contains(where: { $0.containerID <= 5 && 5 < UInt64($0.containerID) + UInt64($0.size) }) {
            pts.append("gid=5")  // the tty group, when it exists inside
        }
        mounts.append(MountPoint(destination: "/dev/pts", type: "devpts", source: "devpts", options: pts))
        mounts.append(MountPoint(destination: "/dev/shm", type: "tmpfs", source: "shm",
                                 options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]))
        if namespaces.contains(.ipc) {
            mounts.append(MountPoint(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]))
        }
        if namespaces.contains(.network) || !inUserNamespace {
            mounts.append(MountPoint(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]))
        } else {
            mounts.append(MountPoint(destination: "/sys", type: "bind", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"]))
        }
        return mounts
    }

    /// The device nodes of a minimal /dev: the ones every program may open.
    public static let standardDevices: [DeviceNode] = [
        DeviceNode(path: "/dev/null", major: 1, minor: 3),
        DeviceNode(path: "/dev/zero", major: 1, minor: 5),
        DeviceNode(path: "/dev/full", major: 1, minor: 7),
        DeviceNode(path: "/dev/random", major: 1, minor: 8),
        DeviceNode(path: "/dev/urandom", major: 1, minor: 9),
        DeviceNode(path: "/dev/tty", major: 5, minor: 0),
    ]

    /// The links a minimal /dev holds: where programs expect to find their descriptors and ptmx.
    public static let standardLinks: [SymbolicLink] = [
        SymbolicLink(path: "/dev/fd", target: "/proc/self/fd"), SymbolicLink(path: "/dev/stdin", target: "/proc/self/fd/0"),
        SymbolicLink(path: "/dev/stdout", target: "/proc/self/fd/1"), SymbolicLink(path: "/dev/stderr", target: "/proc/self/fd/2"),
        SymbolicLink(path: "/dev/ptmx", target: "pts/ptmx"),
    ]

    /// Refuses a configuration that cannot work, or that would quietly touch the host.
    func validate() throws {
        func fail(_ message: String) throws -> Never { throw IsolationError.configuration(message) }
        if command.isEmpty { try fail("no command to run") }
        if hostname != nil && !isolatedKinds.contains(.uts) {
            try fail("a hostname needs a UTS namespace (it would rename the host)")
        }
        if !mounts.isEmpty && !isolatedKinds.contains(.mount) {
            try fail("mounts need a mount namespace (they would appear on the host)")
        }
        if (!uidMappings.isEmpty || !gidMappings.isEmpty) && !namespaces.contains(.user) {
            try fail("uid and gid maps need a new user namespace")
        }
        if namespaces.contains(.user) && (uidMappings.isEmpty || gidMappings.isEmpty) {
            try fail("a new user namespace needs a uid map and a gid map")
        }
        for joined in joinedNamespaces {
            if namespaces.contains(joined.kind) { try fail("\(joined.kind.procName) namespace both created and joined") }
            if joined.kind == .pid { try fail("joining a pid namespace takes a fork after setns; use exec") }
        }
        if !workingDirectory.hasPrefix("/") { try fail("working directory \(workingDirectory) is not absolute") }
        if terminal && (rootfs == nil || !isolatedKinds.contains(.mount)) {
            try fail("a terminal needs a rootfs in a mount namespace (it comes from the container's own /dev/pts)")
        }
        for mount in mounts where !mount.destination.hasPrefix("/") {
            try fail("mount destination \(mount.destination) is not absolute")
        }
        for path in maskedPaths + readonlyPaths + devices.map(\.path) + deviceLinks.map(\.path) where !path.hasPrefix("/") {
            try fail("path \(path) is not absolute")
        }
        if (!maskedPaths.isEmpty || !readonlyPaths.isEmpty || !sysctl.isEmpty) && !isolatedKinds.contains(.mount) {
            try fail("masked paths, read-only paths and sysctls need a mount namespace")
        }
        try IDMapping.validate(uidMappings, kind: "uid map")
        try IDMapping.validate(gidMappings, kind: "gid map")
        if let rootfs {
            var info = stat()
            if stat(rootfs, &info) != 0 || info.st_mode & S_IFMT != S_IFDIR {
                try fail("rootfs \(rootfs) is not a directory")
            }
        }
    }
}
