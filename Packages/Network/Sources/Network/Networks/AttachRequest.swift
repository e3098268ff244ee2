import Syscalls
/// What a container asks of a network when it starts.
public struct AttachRequest: Sendable {
    public var containerID: String
    public var containerName: String
    /// Its hostname (for /etc/hostname and /etc/hosts); the short ID by default, as Docker.
    public var hostname: String
    public var aliases: [String] = []
    public var network: String
    /// The container's network namespace.
    public var namespace: NetworkNamespace
    /// The container's process, if it should be watched: when it is gone, so is the endpoint.
    public var process: ProcessIdentity?
    public var ports: [PortMapping] = []
    /// A particular address (`--ip`).
    public var address: IPv4Address?
    /// Where to write hostname, hosts and resolv.conf; nil: do not write them.
    public var filesDirectory: String?

    public init(containerID: String, containerName: String, hostname: String? = nil, network: String,
                namespace: NetworkNamespace, process: ProcessIdentity? = nil) {
        self.containerID = containerID
        self.containerName = containerName
        self.hostname = hostname ?? String(containerID.prefix(12))
        self.network = network
        self.namespace = namespace
        self.process = process
    }
}
