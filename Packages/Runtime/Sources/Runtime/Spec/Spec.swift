import Cgroups
import Namespaces

/// A container's `config.json`, as the OCI runtime specification defines it. Only the
/// Linux parts are modelled; keys Dosirak does not know are ignored when decoding.
///
///     let spec = try Spec.load(bundle: "/var/lib/x/bundle")
///     print(spec.process?.args ?? [])
public struct Spec: Codable, Sendable, Equatable {
    public var ociVersion: String
    public var process: Process?
    public var root: Root?
    public var hostname: String?
    public var domainname: String?
    public var mounts: [Mount]?
    public var hooks: Hooks?
    public var annotations: [String: String]?
    public var linux: Linux?

    public init(ociVersion: String = Spec.version, process: Process? = nil, root: Root? = nil, hostname: String? = nil,
                mounts: [Mount]? = nil, hooks: Hooks? = nil, annotations: [String: String]? = nil, linux: Linux? = nil) {
        self.ociVersion = ociVersion
        self.process = process
        self.root = root
        self.hostname = hostname
        self.mounts = mounts
        self.hooks = hooks
        self.annotations = annotations
        self.linux = linux
    }

    /// The version of the specification Dosirak implements.
    public static let version = "1.2.0"

    /// The annotation that asks for `--init`: PID 1 stays a reaper that runs the command as
    /// its child (`"org.dosirak.init": "true"`).
    public static let initAnnotation = "org.dosirak.init"

    public struct Root: Codable, Sendable, Equatable {
        /// The root file system, absolute or relative to the bundle.
        public var path: String
        public var readonly: Bool?
        public init(path: String, readonly: Bool? = nil) {
            self.path = path
            self.readonly = readonly
        }
    }

    public struct Mount: Codable, Sendable, Equatable {
        public var destination: String
        public var type: String?
        public var source: String?
        public var options: [String]?
        public init(destination: String, type: String? = nil, source: String? = nil, options: [String]? = nil) {
            self.destination = destination
            self.type = type
            self.source = source
            self.options = options
        }
    }

    public struct Hook: Codable, Sendable, Equatable {
        public var path: String
        public var args: [String]?
        public var env: [String]?
        /// Seconds; the hook is killed and the operation fails when it runs longer.
        public var timeout: Int?
        public init(path: String, args: [String]? = nil, env: [String]? = nil, timeout: Int? = nil) {
            self.path = path
            self.args = args
            self.env = env
            self.timeout = timeout
        }
    }

    /// Programs run at points of the lifecycle, each given the container's State on stdin.
    public struct Hooks: Codable, Sendable, Equatable {
        /// Deprecated by the spec; run with createRuntime.
        public var prestart: [Hook]?
        /// After the namespaces exist, before pivot_root; in the runtime's namespaces.
        public var createRuntime: [Hook]?
        /// After createRuntime, before pivot_root; in the container's namespaces.
        public var createContainer: [Hook]?
        /// After `start`, before the user program; in the container's namespaces.
        public var startContainer: [Hook]?
        /// After the user program has started; in the runtime's namespaces.
        public var poststart: [Hook]?
        /// After the container is deleted; in the runtime's namespaces.
        public var poststop: [Hook]?
        public init() {}
    }
}

extension Spec {
    public struct Process: Codable, Sendable, Equatable {
        public var terminal: Bool?
        public var consoleSize: ConsoleSize?
        public var user: User
        public var args: [String]?
        public var env: [String]?
        public var cwd: String
        public var capabilities: Capabilities?
        public var rlimits: [Rlimit]?
        public var noNewPrivileges: Bool?
        public var oomScoreAdj: Int?

        public init(user: User = User(), args: [String], env: [String]? = nil, cwd: String = "/",
                    terminal: Bool? = nil, capabilities: Capabilities? = nil, rlimits: [Rlimit]? = nil,
                    noNewPrivileges: Bool? = nil, oomScoreAdj: Int? = nil) {
            self.user = user
            self.args = args
            self.env = env
            self.cwd = cwd
            self.terminal = terminal
            self.capabilities = capabilities
            self.rlimits = rlimits
            self.noNewPrivileges = noNewPrivileges
            self.oomScoreAdj = oomScoreAdj
        }
    }

    public struct ConsoleSize: Codable, Sendable, Equatable {
        public var height: UInt16
        public var width: UInt16
    }

    public struct User: Codable, Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var umask: UInt32?
        public var additionalGids: [UInt32]?
        public init(uid: UInt32 = 0, gid: UInt32 = 0, umask: UInt32? = nil, additionalGids: [UInt32]? = nil) {
            self.uid = uid
            self.gid = gid
            self.umask = umask
            self.additionalGids = additionalGids
        }
    }

    /// The five capability sets, by name (`CAP_NET_BIND_SERVICE`).
    public struct Capabilities: Codable, Sendable, Equatable {
        public var bounding: [String]?
        public var effective: [String]?
        public var inheritable: [String]?
        public var permitted: [String]?
        public var ambient: [String]?
        public init(bounding: [String]? = nil, effective: [String]? = nil, inheritable: [String]? = nil,
                    permitted: [String]? = nil, ambient: [String]? = nil) {
            self.bounding = bounding
            self.effective = effective
            self.inheritable = inheritable
            self.permitted = permitted
            self.ambient = ambient
        }
    }

    public struct Rlimit: Codable, Sendable, Equatable {
        /// `RLIMIT_NOFILE`, `RLIMIT_NPROC`, ...
        public var type: String
        public var hard: UInt64
        public var soft: UInt64
        public init(type: String, hard: UInt64, soft: UInt64) {
            self.type = type
            self.hard = hard
            self.soft = soft
        }
    }
}

extension Spec {
    public struct Linux: Codable, Sendable, Equatable {
        public var namespaces: [Namespace]?
        public var uidMappings: [IDMapping]?
        public var gidMappings: [IDMapping]?
        public var devices: [Device]?
        public var resources: Resources?
        public var cgroupsPath: String?
        public var sysctl: [String: String]?
        public var seccomp: Seccomp?
        public var maskedPaths: [String]?
        public var readonlyPaths: [String]?
        public var rootfsPropagation: String?
        public init() {}
    }

    public struct Namespace: Codable, Sendable, Equatable {
        /// `pid`, `network`, `mount`, `ipc`, `uts`, `user`, `cgroup`, `time`.
        public var type: String
        /// A namespace to join instead of creating one.
        public var path: String?
        public init(type: String, path: String? = nil) {
            self.type = type
            self.path = path
        }
    }

    /// `containerID`, `hostID`, `size`: the same shape as chapter 02's maps.
    public typealias IDMapping = Namespaces.IDMapping

    public struct Device: Codable, Sendable, Equatable {
        public var path: String
        /// `c`, `b`, `u` or `p`.
        public var type: String
        public var major: Int64
        public var minor: Int64
        public var fileMode: UInt32?
        public var uid: UInt32?
        public var gid: UInt32?
        public init(path: String, type: String, major: Int64, minor: Int64, fileMode: UInt32? = nil) {
            self.path = path
            self.type = type
            self.major = major
            self.minor = minor
            self.fileMode = fileMode
        }
    }

    /// A seccomp filter, as `linux.seccomp` describes it.
    public struct Seccomp: Codable, Sendable, Equatable {
        public var defaultAction: String
        public var defaultErrnoRet: UInt32?
        public var architectures: [String]?
        public var flags: [String]?
        public var syscalls: [Syscall]?
        public init(defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil,
                    flags: [String]? = nil, syscalls: [Syscall]? = nil) {
            self.defaultAction = defaultAction
            self.defaultErrnoRet = defaultErrnoRet
            self.architectures = architectures
            self.flags = flags
            self.syscalls = syscalls
        }

        public struct Syscall: Codable, Sendable, Equatable {
            public var names: [String]
            public var action: String
            public var errnoRet: UInt32?
            public var args: [Arg]?
            public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [Arg]? = nil) {
                self.names = names
                self.action = action
                self.errnoRet = errnoRet
                self.args = args
            }
        }

        public struct Arg: Codable, Sendable, Equatable {
            public var index: UInt32
            public var value: UInt64
            public var valueTwo: UInt64?
            /// `SCMP_CMP_EQ`, `SCMP_CMP_NE`, `SCMP_CMP_LT`, ..., `SCMP_CMP_MASKED_EQ`.
            public var op: String
            public init(index: UInt32, value: UInt64, valueTwo: UInt64? = nil, op: String) {
                self.index = index
                self.value = value
                self.valueTwo = valueTwo
                self.op = op
            }
        }
    }
}
