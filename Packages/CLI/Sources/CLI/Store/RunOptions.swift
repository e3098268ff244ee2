import FoundationEssentials

/// Everything `run` and `create` were told, kept with the container so that every start
/// builds the same container again. Values are checked when the command line is read:
/// a bad `-p`, `-m` or `--cpus` never reaches a container.
public struct RunOptions: Codable, Sendable {
    public var detach = false
    public var interactive = false
    public var tty = false
    public var remove = false
    public var environment: [String] = []
    public var publish: [String] = []
    public var publishAll = false
    public var volumes: [String] = []
    public var mounts: [String] = []
    public var network = "bridge"
    public var networkAliases: [String] = []
    public var workingDirectory: String?
    public var user: String?
    public var entrypoint: [String]?
    public var command: [String] = []
    public var hostname: String?
    public var addHosts: [String] = []
    public var dns: [String] = []
    /// Bytes; nil: no limit.
    public var memory: Int64?
    /// Memory and swap together, in bytes; -1: unlimited swap.
    public var memorySwap: Int64?
    /// CPU time per 100 ms period, in microseconds (`--cpus 1.5` is 150000).
    public var cpuQuota: Int64?
    public var cpusetCPUs: String?
    public var pidsLimit: Int64?
    public var readOnly = false
    public var tmpfs: [String] = []
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var privileged = false
    public var seccompUnconfined = false
    public var noNewPrivileges = false
    public var restart = RestartPolicy.no
    public var initProcess = false
    public var stopSignal: String?
    public var stopTimeout: Int?
    public var labels: [String: String] = [:]
    public var pull = "missing"

    public init() {}
}

/// `--restart`: what the monitor does when the container's init exits.
public enum RestartPolicy: Codable, Sendable, Equatable, CustomStringConvertible {
    case no
    /// Restart after a non-zero exit, at most `limit` times (0: no limit).
    case onFailure(limit: Int)
    case always
    /// Like always, unless `stop` ended it.
    case unlessStopped

    public init(parsing text: String) throws {
        switch text {
        case "", "no": self = .no
        case "always": self = .always
        case "unless-stopped": self = .unlessStopped
        case "on-failure": self = .onFailure(limit: 0)
        case _ where text.hasPrefix("on-failure:"):
            guard let limit = Int(text.dropFirst("on-failure:".count)), limit >= 0 else {
                throw CommandError.failed("invalid restart policy \(text): the count must be a number")
            }
            self = .onFailure(limit: limit)
        default:
            throw CommandError.failed("invalid restart policy \(text): no, always, unless-stopped or on-failure[:N]")
        }
    }

    public var description: String {
        switch self {
        case .no: "no"
        case .onFailure(let limit): limit == 0 ? "on-failure" : "on-failure:\(limit)"
        case .always: "always"
        case .unlessStopped: "unless-stopped"
        }
    }

    /// Whether a container that ended with `exitCode` after `restarts` restarts comes back.
    public func restarts(exitCode: Int32, restarts: Int, stoppedByUser: Bool) -> Bool {
        if stoppedByUser { return false }
        switch self {
        case .no: return false
        case .always, .unlessStopped: return true
        case .onFailure(let limit): return exitCode != 0 && (limit == 0 || restarts < limit)
        }
    }
}
