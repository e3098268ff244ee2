/// An image's configuration blob: what to run and how, and the digests of its layers'
/// uncompressed contents (OCI image spec, "image configuration"; Docker's is the same).
public struct ImageConfiguration: Codable, Hashable, Sendable {
    public var created: String?
    public var author: String?
    public var architecture: String
    public var os: String
    public var variant: String?
    public var config: ContainerConfiguration?
    public var rootfs: RootFS
    public var history: [History]?

    public init(architecture: String, os: String = "linux", variant: String? = nil, config: ContainerConfiguration?,
                rootfs: RootFS, history: [History]? = nil, created: String? = nil, author: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
        self.config = config
        self.rootfs = rootfs
        self.history = history
        self.created = created
        self.author = author
    }

    /// `rootfs`: the diff IDs, bottom layer first.
    public struct RootFS: Codable, Hashable, Sendable {
        public var type = "layers"
        public var diffIDs: [Digest]

        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }

        public init(diffIDs: [Digest]) { self.diffIDs = diffIDs }
    }

    /// One step of how the image was made (`docker history`).
    public struct History: Codable, Hashable, Sendable {
        public var created: String?
        public var createdBy: String?
        public var comment: String?
        public var emptyLayer: Bool?

        enum CodingKeys: String, CodingKey {
            case created
            case createdBy = "created_by"
            case comment
            case emptyLayer = "empty_layer"
        }

        public init(created: String? = nil, createdBy: String? = nil, comment: String? = nil, emptyLayer: Bool? = nil) {
            self.created = created
            self.createdBy = createdBy
            self.comment = comment
            self.emptyLayer = emptyLayer
        }
    }
}

/// What a container of this image runs by default (the `config` object; Docker's names).
public struct ContainerConfiguration: Codable, Hashable, Sendable {
    public var user: String?
    public var exposedPorts: [String: Empty]?
    public var env: [String]?
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var volumes: [String: Empty]?
    public var workingDir: String?
    public var labels: [String: String]?
    public var stopSignal: String?

    enum CodingKeys: String, CodingKey {
        case user = "User"
        case exposedPorts = "ExposedPorts"
        case env = "Env"
        case entrypoint = "Entrypoint"
        case cmd = "Cmd"
        case volumes = "Volumes"
        case workingDir = "WorkingDir"
        case labels = "Labels"
        case stopSignal = "StopSignal"
    }

    public init(user: String? = nil, exposedPorts: [String]? = nil, env: [String]? = nil, entrypoint: [String]? = nil,
                cmd: [String]? = nil, volumes: [String]? = nil, workingDir: String? = nil, labels: [String: String]? = nil,
                stopSignal: String? = nil) {
        self.user = user
        self.exposedPorts = exposedPorts.map { Dictionary(uniqueKeysWithValues: $0.map { ($0, Empty()) }) }
        self.env = env
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.volumes = volumes.map { Dictionary(uniqueKeysWithValues: $0.map { ($0, Empty()) }) }
        self.workingDir = workingDir
        self.labels = labels
        self.stopSignal = stopSignal
    }

    /// The exposed ports, sorted: `["80/tcp", "443/tcp"]`.
    public var ports: [String] { (exposedPorts ?? [:]).keys.sorted() }
    /// The volume paths, sorted.
    public var volumePaths: [String] { (volumes ?? [:]).keys.sorted() }

    /// JSON's `{}`, the value in `ExposedPorts` and `Volumes`.
    public struct Empty: Codable, Hashable, Sendable {
        public init() {}
    }
}
