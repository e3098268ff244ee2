import Syscalls
import Foundation

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
    /// The configuration the container was created from (for hooks, exec and update).
    public var spec: Spec
}
