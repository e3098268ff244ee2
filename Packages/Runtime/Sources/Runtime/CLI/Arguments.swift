/// A small parser for runc-style command lines: `--flag value`, `--flag=value`, `-f value`,
/// boolean `--flag`, then positional arguments. `--` ends the options.
struct Arguments {
    /// The options a command takes: names (with their short forms) that take a value, and
    /// names that are switches.
    struct Spec {
        var values: [String: String] = [:]    // "--bundle": "-b"
        var switches: [String: String] = [:]  // "--detach": "-d"
        var usage: String
    }

    /// The last value given for each option (`all` keeps every one, for --env and --cap).
    var values: [String: String] = [:]
    var all: [String: [String]] = [:]
    var switches: Set<String> = []
    var positional: [String] = []

    init(_ arguments: ArraySlice<String>, spec: Spec, stopAtFirstPositional: Bool = false) throws {
        var index = arguments.startIndex
        func canonical(_ word: String, in table: [String: String]) -> String? {
            if table[word] != nil { return word }
            return table.first { !$0.value.isEmpty && $0.value == word }?.key
        }
        while index < arguments.endIndex {
            let word = arguments[index]
            index += 1
            if word == "--" {
                positional += arguments[index...]
                break
            }
            if word.hasPrefix("-") && word != "-" && !(stopAtFirstPositional && !positional.isEmpty) {
                let (name, inline) = word.contains("=") && word.hasPrefix("--")
                    ? (String(word.prefix { $0 != "=" }), String(word.drop { $0 != "=" }.dropFirst()))
                    : (word, nil)
                if let key = canonical(name, in: spec.values) {
                    let value: String
                    if let inline {
                        value = inline
                    } else {
                        guard index < arguments.endIndex else { throw CommandLineError.usage("flag \(name) needs a value", spec.usage) }
                        value = arguments[index]
                        index += 1
                    }
                    values[key] = value
                    all[key, default: []].append(value)
                } else if let key = canonical(name, in: spec.switches) {
                    if let inline, inline == "false" { continue }
                    switches.insert(key)
                } else {
                    throw CommandLineError.usage("unknown flag \(name)", spec.usage)
                }
            } else {
                positional.append(word)
                if stopAtFirstPositional && positional.count >= 1 {
                    positional += arguments[index...]
                    break
                }
            }
        }
    }
}

/// A mistake on the command line: the message, and the command's usage line.
struct CommandLineError: Error, CustomStringConvertible {
    let message: String
    let usage: String
    static func usage(_ message: String, _ usage: String) -> CommandLineError { CommandLineError(message: message, usage: usage) }
    var description: String { "\(message)\nusage: \(usage)" }
}
