import Syscalls
import FoundationEssentials

/// What the runtime remembers about a container between commands, in
/// `<root>/<id>/state.json`. The live status is derived from it and from the kernel.
public struct ContainerRecord: Codable, Sendable {
    public var id: String
    public var bundle: String
    public var rootfs: String
    /// Status as last recorded (created, running, paused, stopped).
    public var status: Status
    /// The container's init process (PID 1 inside).
    public var process: ProcessIdentity?
    /// The command that is creating the container, while status is `creating`: if it dies
    /// half-way, the container is reported stopped and `delete` cleans up after it.
    public var creator: ProcessIdentity?
    /// The cgroup's name below each hierarchy's root.
    public var cgroup: String
    public var created: Date
    public var owner: UInt32
    public var annotations: [String: String]?
    /// The configuration the container was created from (for hooks, exec and update). It is
    /// not in state.json: with Docker's seccomp profile it is 25 KB, and state.json is written
    /// three or four times in a container's life. `ContainerStore` keeps it in a file of its
    /// own, `<root>/<id>/config.json`, written at create (and by `update`).
    public var spec: Spec = Spec()

    enum CodingKeys: String, CodingKey {
        case id, bundle, rootfs, status, process, creator, cgroup, created, owner, annotations
    }
}
