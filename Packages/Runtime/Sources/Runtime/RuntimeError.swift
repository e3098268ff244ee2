import Syscalls

/// Why a runtime operation failed, in one line that names the container, file or value.
public enum RuntimeError: Error, CustomStringConvertible, Equatable {
    /// The bundle or its config.json is missing or malformed.
    case bundle(String)
    /// config.json asks for something Dosirak cannot do, or that cannot work.
    case unsupported(String)
    /// No container with this id.
    case notFound(String)
    /// The id is taken.
    case exists(String)
    /// The id is not usable as a directory name.
    case invalidID(String)
    /// The operation is not allowed in the container's current state.
    case state(id: String, status: Status, operation: String)
    /// A hook failed or timed out.
    case hook(String)
    /// Anything else, already phrased as `stage: detail: ERRNO`.
    case failed(String)

    public var description: String {
        switch self {
        case .bundle(let message): "bundle: \(message)"
        case .unsupported(let message): "unsupported: \(message)"
        case .notFound(let id): "container \(id) does not exist"
        case .exists(let id): "container \(id) already exists"
        case .invalidID(let id): "invalid container id \"\(id)\": use letters, digits, _ . and -"
        case .state(let id, let status, let operation): "cannot \(operation) container \(id): it is \(status.rawValue)"
        case .hook(let message): "hook: \(message)"
        case .failed(let message): message
        }
    }
}
