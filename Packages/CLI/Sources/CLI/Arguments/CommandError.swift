/// How a command fails: the message (one line), and the exit code Docker would use.
public enum CommandError: Error, CustomStringConvertible {
    /// A mistake on the command line; the command's usage line and a pointer to --help follow.
    case usage(String)
    /// The command could not do what was asked (exit code 1, or 125 for run/create/start).
    case failed(String)
    /// Exit with this code, having printed what there was to print.
    case exit(Int32)

    public var description: String {
        switch self {
        case .usage(let message), .failed(let message): message
        case .exit(let code): "exit status \(code)"
        }
    }
}
