/// One option a command takes, as Docker spells it: `--name NAME`, `-d`, `-e KEY=VALUE`
/// (repeatable), `--rm`.
public struct Flag: Sendable {
    public enum Kind: Sendable {
        /// `--rm`, `-d`: present or not (`--rm=false` turns it off).
        case bool
        /// `--name web`: the last one given counts.
        case value(placeholder: String)
        /// `-e A=1 -e B=2`: every one given counts.
        case list(placeholder: String)
    }

    public let long: String
    public let short: Character?
    public let kind: Kind
    public let help: String

    public init(_ long: String, short: Character? = nil, _ kind: Kind = .bool, help: String) {
        self.long = long
        self.short = short
        self.kind = kind
        self.help = help
    }

    public var takesValue: Bool {
        if case .bool = kind { return false }
        return true
    }

    /// `-e, --env list   Set environment variables`, for --help.
    var helpLine: String {
        let names = (short.map { "-\($0), " } ?? "    ") + "--" + long
        let value: String = switch kind {
        case .bool: ""
        case .value(let placeholder), .list(let placeholder): " " + placeholder
        }
        let left = "  " + names + value
        return left + String(repeating: " ", count: Swift.max(2, 32 - left.count)) + help
    }
}
