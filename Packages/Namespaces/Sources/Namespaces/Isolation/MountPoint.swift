import Glibc
import Syscalls

/// A file system to mount in the container, in the shape of the OCI runtime spec:
/// `MountPoint(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"])`.
public struct MountPoint: Codable, Hashable, Sendable {
    /// Where, inside the container.
    public var destination: String
    /// The file system type (`proc`, `tmpfs`, ...), or `bind` for a bind mount.
    public var type: String
    /// What to mount: a device, a pseudo-name, or a host path for a bind mount.
    public var source: String
    /// mount(8)-style options: flags such as `ro`, `nosuid`, `rbind`, and data such as `mode=755`.
    public var options: [String]

    public init(destination: String, type: String, source: String, options: [String] = []) {
        self.destination = destination
        self.type = type
        self.source = source
        self.options = options
    }

    /// Whether this is a bind mount (by type or by option).
    public var isBind: Bool { type == "bind" || options.contains("bind") || options.contains("rbind") }

    /// The options split into `mount(2)` flags and the data string the file system parses.
    public var flagsAndData: (flags: Mount.Flags, data: String) {
        var flags: Mount.Flags = []
        var data: [String] = []
        for option in options {
            if let (flag, set) = MountPoint.flagOptions[option] {
                if set { flags.insert(flag) } else { flags.remove(flag) }
            } else {
                data.append(option)
            }
        }
        return (flags, data.joined(separator: ","))
    }

    /// The options that are flags, and whether they set or clear them.
    public static let flagOptions: [String: (Mount.Flags, Bool)] = [
        "ro": (.readOnly, true), "rw": (.readOnly, false),
        "nosuid": (.noSetUID, true), "suid": (.noSetUID, false),
        "nodev": (.noDevices, true), "dev": (.noDevices, false),
        "noexec": (.noExec, true), "exec": (.noExec, false),
        "relatime": (.relativeAccessTime, true), "strictatime": (.strictAccessTime, true),
        "bind": (.bind, true), "rbind": ([.bind, .recursive], true),
        "private": (.private_, true), "rprivate": ([.private_, .recursive], true),
        "slave": (.slave, true), "rslave": ([.slave, .recursive], true),
        "shared": (.shared, true), "rshared": ([.shared, .recursive], true),
    ]
}

/// A device node to create in the container's /dev.
public struct DeviceNode: Codable, Hashable, Sendable {
    public var path: String
    /// `c` (character), `b` (block) or `p` (FIFO), as in the OCI spec.
    public var type: String
    public var major: UInt32
    public var minor: UInt32
    public var permissions: UInt32
    public var uid: UInt32?
    public var gid: UInt32?

    public init(path: String, type: String = "c", major: UInt32, minor: UInt32, permissions: UInt32 = 0o666,
                uid: UInt32? = nil, gid: UInt32? = nil) {
        self.path = path
        self.type = type
        self.major = major
        self.minor = minor
        self.permissions = permissions
        self.uid = uid
        self.gid = gid
    }

    /// The `S_IF*` file type for mknod.
    var fileType: mode_t {
        switch type {
        case "b": S_IFBLK
        case "p": S_IFIFO
        default: S_IFCHR
        }
    }
}

/// A symbolic link to create in the container: `SymbolicLink(path: "/dev/fd", target: "/proc/self/fd")`.
public struct SymbolicLink: Codable, Hashable, Sendable {
    public var path: String
    public var target: String
    public init(path: String, target: String) {
        self.path = path
        self.target = target
    }
}
