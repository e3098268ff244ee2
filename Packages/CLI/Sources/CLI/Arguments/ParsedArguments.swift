/// A command line taken apart the way Docker's does (pflag): long flags with `=` or a
/// separate value, clustered short flags (`-dit`), a short flag with its value attached
/// (`-p8080:80`) or following, and `--` to end the flags. Commands that run something
/// (`run`, `exec`) stop at the first positional argument, so the container's own flags
/// (`sh -c ...`) are left alone.
public struct ParsedArguments: Sendable {
    public private(set) var values: [String: [String]] = [:]
    public private(set) var switches: [String: Bool] = [:]
    public private(set) var positional: [String] = []

    public init(_ arguments: [String], flags: [Flag], stopAtFirstPositional: Bool) throws {
        let byLong = Dictionary(flags.map { ($0.long, $0) }, uniquingKeysWith: { first, _ in first })
        let byShort = Dictionary(flags.compactMap { flag in flag.short.map { ($0, flag) } }, uniquingKeysWith: { first, _ in first })
        var index = 0
        func takeValue(for flag: Flag, attached: String?) throws -> String {
            if let attached { return attached }
            guard index < arguments.count else { throw CommandError.usage("flag needs an argument: --\(flag.long)") }
            index += 1
            return arguments[index - 1]
        }
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if word == "--" {
                positional += arguments[index...]
                return
            }
            if word.hasPrefix("--") && word.count > 2 {
                let body = word.dropFirst(2)
                let name = String(body.prefix { $0 != "=" })
                let attached = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
                guard let flag = byLong[name] else { throw CommandError.usage("unknown flag: --\(name)") }
                try record(flag, attached: attached) { try takeValue(for: flag, attached: $0) }
            } else if word.hasPrefix("-") && word.count > 1 {
                // A cluster: -dit, or -p8080:80, or -e KEY=VALUE.
                var rest = Substring(word.dropFirst())
                while let letter = rest.first {
                    rest = rest.dropFirst()
                    guard let flag = byShort[letter] else { throw CommandError.usage("unknown shorthand flag: '\(letter)' in \(word)") }
                    if flag.takesValue {
                        let attached = rest.isEmpty ? nil : String(rest.hasPrefix("=") ? rest.dropFirst() : rest)
                        try record(flag, attached: attached) { try takeValue(for: flag, attached: $0) }
                        break
                    }
                    try record(flag, attached: nil) { _ in "" }
                }
            } else {
                positional.append(word)
                if stopAtFirstPositional {
                    positional += arguments[index...]
                    return
                }
            }
        }
    }

    private mutating func record(_ flag: Flag, attached: String?, value: (String?) throws -> String) throws {
        switch flag.kind {
        case .bool:
            switch attached {
            case nil, "true": switches[flag.long] = true
            case "false": switches[flag.long] = false
            case let other?: throw CommandError.usage("invalid argument \"\(other)\" for \"--\(flag.long)\" flag: expected true or false")
            }
        case .value, .list:
            values[flag.long, default: []].append(try value(attached))
        }
    }

    public func bool(_ long: String) -> Bool { switches[long] ?? false }
    public func value(_ long: String) -> String? { values[long]?.last }
    public func list(_ long: String) -> [String] { values[long] ?? [] }
    public func has(_ long: String) -> Bool { values[long] != nil || switches[long] != nil }
}
