import FoundationEssentials
import Syscalls

/// The part of Go's text/template that `--format` is used with: `{{.ID}}`, `{{.Names}}`,
/// nested fields (`{{.State.Status}}`), `{{json .}}` and `{{json .Config}}`, `table` for a
/// header row, and `\t` between columns. `--format json` is `{{json .}}`.
struct Template {
    enum Piece {
        case text(String)
        case field([String])
        case json([String])
    }

    let pieces: [Piece]
    /// `table {{.ID}}\t{{.Names}}`: print a header, and line the columns up.
    let isTable: Bool

    init(_ format: String) throws {
        var source = format == "json" ? "{{json .}}" : format
        isTable = source.hasPrefix("table ")
        if isTable { source.removeFirst(6) }
        source = source.replacing("\\t", with: "\t").replacing("\\n", with: "\n")
        var pieces: [Piece] = []
        var rest = Substring(source)
        while let open = rest.firstRange(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                throw CommandError.failed("template: unclosed action in \"\(format)\"")
            }
            let action = rest[open.upperBound..<close.lowerBound].trimmingWhitespace()
            func path(_ text: String) throws -> [String] {
                guard text.hasPrefix(".") else { throw CommandError.failed("template: unsupported action \"{{\(action)}}\" in \"\(format)\"") }
                return text.split(separator: ".").map(String.init)
            }
            if action.hasPrefix("json ") {
                pieces.append(.json(try path(String(action.dropFirst(5)).trimmingWhitespace())))
            } else {
                pieces.append(.field(try path(action)))
            }
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        self.pieces = pieces
    }

    /// The header row of a table: each field's name as Docker writes it (`CONTAINER ID`).
    func header(names: [String: String]) -> String {
        pieces.map { piece in
            switch piece {
            case .text(let text): text
            case .field(let path), .json(let path): names[path.last ?? ""] ?? (path.last ?? "").uppercased()
            }
        }.joined()
    }

    /// The template applied to `value` (a JSON-like dictionary).
    func render(_ value: [String: Any]) throws -> String {
        try pieces.map { piece in
            switch piece {
            case .text(let text): return text
            case .field(let path): return Template.describe(try Template.lookup(path, in: value))
            case .json(let path): return Template.json(try Template.lookup(path, in: value))
            }
        }.joined()
    }

    /// Renders every value; a table gets a header and aligned columns.
    func render(_ values: [[String: Any]], names: [String: String]) throws -> String {
        let lines = try values.map { try render($0) }
        guard isTable else { return lines.joined(separator: "\n") }
        func columns(_ line: String) -> [String] { line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        var table = Table(columns(header(names: names)))
        for line in lines { table.add(columns(line)) }
        return table.text
    }

    static func lookup(_ path: [String], in value: [String: Any]) throws -> Any {
        var current: Any = value
        for key in path {
            guard let object = current as? [String: Any] else { throw CommandError.failed("template: can't evaluate field \(key)") }
            guard let next = object[key] else { throw CommandError.failed("template: can't evaluate field \(key) in type \(type(of: current))") }
            current = next
        }
        return current
    }

    static func describe(_ value: Any) -> String {
        switch value {
        case let text as String: return text
        case let json as JSONValue:
            if case .null = json { return "<nil>" }
            return json.compactText
        case let list as [Any]: return "[" + list.map(describe).joined(separator: " ") + "]"
        case let map as [String: Any]: return "map[" + map.keys.sorted().map { "\($0):\(describe(map[$0]!))" }.joined(separator: " ") + "]"
        default: return "\(value)"
        }
    }

    static func json(_ value: Any) -> String {
        JSONValue(templateValue: value).compactText
    }
}
