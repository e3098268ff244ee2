/// What `--network` asks for: Docker's three kinds.
///
///     try NetworkMode(parsing: "none")    // .none: a namespace with only lo, up
///     try NetworkMode(parsing: "host")    // .host: no namespace of its own at all
///     try NetworkMode(parsing: "web")     // .bridge("web"); "bridge" or "default" is Docker's default
public enum NetworkMode: Equatable, Sendable {
    /// Loopback only: the container's own namespace with `lo` up and nothing else.
    case none
    /// The host's namespace: the runtime creates no network namespace.
    case host
    /// A bridge network, by name.
    case bridge(String)

    public init(parsing text: String) throws {
        switch text {
        case "none": self = .none
        case "host": self = .host
        case "", "default", BridgeNetwork.defaultName: self = .bridge(BridgeNetwork.defaultName)
        default:
            try NetworkStore.validate(name: text)
            self = .bridge(text)
        }
    }

    /// Whether the container gets a network namespace of its own.
    public var needsNamespace: Bool { self != .host }

    /// For `.none`: brings `lo` up in the container's namespace, and nothing else.
    public static func configureLoopbackOnly(_ namespace: NetworkNamespace) throws {
        try namespace.socket().setUp("lo")
    }
}
