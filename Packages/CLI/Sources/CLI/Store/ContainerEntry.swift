import FoundationEssentials
import Syscalls

/// A container as `dosirak` keeps it between commands, in `<root>/containers/<id>/container.json`:
/// how it was asked for (`options`, so each start builds its config.json again from the image
/// and the flags), and how it is now (`state`). The OCI container that the runtime creates
/// for each start is gone once it stops; this record stays until `rm`.
public struct ContainerEntry: Codable, Sendable {
    /// 64 hexadecimal digits; `ps` shows the first 12.
    public var id: String
    public var name: String
    /// The image as the user named it (`busybox`), its ID (the config's digest), and the
    /// manifest the container runs from.
    public var image: String
    public var imageID: String
    public var imageManifest: String
    public var created: Date
    /// What runs: the entrypoint and command together, as `ps` shows them.
    public var path: String
    public var args: [String]
    public var hostname: String
    public var options: RunOptions
    /// `-v` and `--mount`, with anonymous volumes given their names.
    public var volumes: [VolumeSpec]
    public var state: ContainerState
    /// Networks joined with `network connect`, besides `options.network`.
    public var connected: [NetworkConnection] = []
    /// Where it is connected while it runs: its first network (`options.network`), then the others.
    public var networks: [NetworkSettings] = []

    /// The first network's settings (where `-p` ports are published).
    public var network: NetworkSettings? { networks.first }

    public var shortID: String { String(id.prefix(12)) }
    public var commandLine: String { ([path] + args).joined(separator: " ") }
}

/// The live part of a container's record.
public struct ContainerState: Codable, Sendable {
    public enum Status: String, Codable, Sendable {
        case created, running, paused, restarting, removing, exited, dead
    }

    public var status: Status = .created
    /// The container's init (PID 1 inside), while it runs.
    public var process: ProcessIdentity?
    /// The monitor supervising it, while it runs.
    public var monitor: ProcessIdentity?
    public var exitCode: Int32 = 0
    public var oomKilled = false
    public var startedAt: Date?
    public var finishedAt: Date?
    public var restartCount = 0
    /// `stop` or `kill` ended it: no restart policy brings it back.
    public var stoppedByUser = false
    /// Why dosirak itself could not start it.
    public var error: String?

    public init() {}

    public var isLive: Bool { status == .running || status == .paused || status == .restarting }
}

/// A network joined with `network connect`, with the container's extra names on it.
public struct NetworkConnection: Codable, Sendable, Equatable {
    public var name: String
    public var aliases: [String]
}

/// A container's place on one network while it runs.
public struct NetworkSettings: Codable, Sendable {
    public var network: String
    public var address: String?
    public var prefixLength: Int?
    public var gateway: String?
    public var macAddress: String?
    /// `0.0.0.0:8080->80/tcp`, as `ps` shows them.
    public var ports: [PublishedPort]
}

public struct PublishedPort: Codable, Sendable, Equatable {
    public var hostAddress: String
    public var hostPort: UInt16
    public var containerPort: UInt16
    public var transport: String

    /// `0.0.0.0:8080->80/tcp`.
    public var description: String { "\(hostAddress):\(hostPort)->\(containerPort)/\(transport)" }
}
