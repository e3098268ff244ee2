import Syscalls

/// One `dosirak` command: its name, usage line, flags, and what it does.
public struct Command: Sendable {
    public let name: String
    /// `dosirak run [OPTIONS] IMAGE [COMMAND] [ARG...]`, without the program name.
    public let usage: String
    public let summary: String
    public let flags: [Flag]
    /// `run` and `exec` stop reading flags at the image or container; others read them anywhere.
    public let stopAtFirstPositional: Bool
    /// The exit code when dosirak itself fails: 125 for the commands that run containers
    /// (the container's own codes are the others), 1 elsewhere.
    public let failureCode: Int32
    public let run: @Sendable (Context, ParsedArguments) throws -> Int32

    public init(_ name: String, usage: String, summary: String, flags: [Flag] = [], stopAtFirstPositional: Bool = false,
                failureCode: Int32 = 1, run: @escaping @Sendable (Context, ParsedArguments) throws -> Int32) {
        self.name = name
        self.usage = usage
        self.summary = summary
        self.flags = flags + [Flag("help", help: "Print usage")]
        self.stopAtFirstPositional = stopAtFirstPositional
        self.failureCode = failureCode
        self.run = run
    }

    /// What `--help` prints.
    public var help: String {
        var text = "\nUsage:  dosirak \(usage)\n\n\(summary)\n"
        let options = flags.filter { $0.long != "help" }
        if !options.isEmpty {
            text += "\nOptions:\n" + options.sorted { $0.long < $1.long }.map(\.helpLine).joined(separator: "\n") + "\n"
        }
        return text
    }
}
