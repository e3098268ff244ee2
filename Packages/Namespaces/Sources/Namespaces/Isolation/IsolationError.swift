import Syscalls

/// Why an isolated process could not be created or started. Each message is one line that
/// names the stage: `init: pivot_root /tmp/x/rootfs: EINVAL`.
public enum IsolationError: Error, CustomStringConvertible, Equatable {
    /// The configuration asks for something that cannot work.
    case configuration(String)
    /// Starting the init process failed.
    case spawn(SpawnError)
    /// A uid or gid mapping was refused (by us or by the kernel).
    case idMap(String, String, String)
    /// The init process reported a failure at `stage`.
    case child(stage: String, errno: Errno?, detail: String)
    /// The command to run does not exist in the container (exit code 127, like a shell).
    case commandNotFound(String)
    /// The command exists but cannot be executed (exit code 126).
    case commandNotExecutable(String, Errno)
    /// The init process ended, or said something out of turn, during set-up.
    case protocolError(String)

    public var description: String {
        switch self {
        case .configuration(let message): "configuration: \(message)"
        case .spawn(let error): "\(error)"
        case .idMap(let kind, let mapping, let reason): "\(kind) \"\(mapping)\": \(reason)"
        case .child(let stage, let errno?, let detail): "init: \(stage)\(detail.isEmpty ? "" : " \(detail)"): \(errno)"
        case .child(let stage, nil, let detail): "init: \(stage)\(detail.isEmpty ? "" : ": \(detail)")"
        case .commandNotFound(let command): "init: exec \(command): executable file not found in $PATH"
        case .commandNotExecutable(let command, let errno): "init: exec \(command): \(errno)"
        case .protocolError(let message): "init: \(message)"
        }
    }

    /// The exit code a shell (and `docker run`) uses for this failure.
    public var exitCode: CInt {
        switch self {
        case .commandNotFound: 127
        case .commandNotExecutable: 126
        default: 125
        }
    }
}
