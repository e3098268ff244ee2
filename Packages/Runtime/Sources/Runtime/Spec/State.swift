/// The state of a container as the OCI runtime specification defines it: what `state`
/// prints, and what hooks receive on their standard input.
public struct State: Codable, Sendable, Equatable {
    public var ociVersion: String
    public var id: String
    public var status: Status
    /// The container's init process as the host sees it; 0 once it has stopped.
    public var pid: Int32
    public var bundle: String
    public var annotations: [String: String]?

    public init(id: String, status: Status, pid: Int32, bundle: String, annotations: [String: String]? = nil) {
        self.ociVersion = Spec.version
        self.id = id
        self.status = status
        self.pid = pid
        self.bundle = bundle
        self.annotations = annotations
    }
}

/// Where a container is in its life. The spec names four states; runc adds `paused`.
///
///     creating --create--> created --start--> running --exit--> stopped
///                                              |    ^
///                                        pause v    | resume
///                                             paused
public enum Status: String, Codable, Sendable, CaseIterable {
    case creating, created, running, paused, stopped

    /// Whether `operation` may be applied in this state (the spec's rules, plus runc's
    /// pause and resume).
    public func allows(_ operation: Operation) -> Bool {
        switch (self, operation) {
        case (.created, .start): true
        case (.created, .kill), (.running, .kill), (.paused, .kill): true
        case (.stopped, .delete): true
        case (.running, .pause): true
        case (.paused, .resume): true
        case (.running, .exec), (.created, .exec): true
        case (.running, .update), (.created, .update), (.paused, .update): true
        default: false
        }
    }

    /// The operations the lifecycle knows.
    public enum Operation: String, Sendable {
        case start, kill, delete, pause, resume, exec, update
    }
}
