import FoundationEssentials
import Syscalls

/// A JSON document with its keys in the order Docker writes them (`inspect` output is read by
/// people as well as by `jq`), printed with four-space indentation as Docker does.
public indirect enum JSONValue {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    static func int<T: BinaryInteger>(_ value: T) -> JSONValue { .number(Double(value)) }
    static func strings(_ values: [String]?) -> JSONValue { values.map { .array($0.map(JSONValue.string)) } ?? .null }
    static func map(_ values: [String: String]?) -> JSONValue {
        values.map { .object($0.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }) } ?? .null
    }

    /// The document as text.
    public func text(indent: String = "") -> String {
        let inner = indent + "    "
        switch self {
        case .object(let pairs):
            if pairs.isEmpty { return "{}" }
            return "{\n" + pairs.map { inner + JSONValue.quote($0.0) + ": " + $0.1.text(indent: inner) }.joined(separator: ",\n")
                + "\n" + indent + "}"
        case .array(let values):
            if values.isEmpty { return "[]" }
            return "[\n" + values.map { inner + $0.text(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .string(let text): return JSONValue.quote(text)
        case .number(let value):
            return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        }
    }

    /// The same value as Swift dictionaries, arrays and scalars, for `--format` templates
    /// (`null` stays `JSONValue.null`).
    var templateValue: Any {
        switch self {
        case .object(let pairs): Dictionary(pairs.map { ($0.0, $0.1.templateValue) }, uniquingKeysWith: { _, last in last })
        case .array(let values): values.map(\.templateValue)
        case .string(let text): text
        case .number(let value): value == value.rounded() && abs(value) < 1e15 ? Int64(value) : value
        case .bool(let value): value
        case .null: JSONValue.null
        }
    }

    /// A template value back as JSON: dictionaries (keys sorted, as Go's json.Marshal sorts a
    /// map's), arrays, strings, numbers, booleans.
    init(templateValue value: Any) {
        switch value {
        case let text as String: self = .string(text)
        case let flag as Bool: self = .bool(flag)
        case let number as Int: self = .int(number)
        case let number as Int64: self = .int(number)
        case let number as UInt64: self = .int(number)
        case let number as Double: self = .number(number)
        case let list as [Any]: self = .array(list.map(JSONValue.init(templateValue:)))
        case let map as [String: Any]: self = .object(map.keys.sorted().map { ($0, JSONValue(templateValue: map[$0]!)) })
        case let json as JSONValue: self = json
        default: self = .string("\(value)")
        }
    }

    /// The document on one line, without spaces: `{{json .}}`.
    var compactText: String {
        switch self {
        case .object(let pairs): "{" + pairs.map { JSONValue.quote($0.0) + ":" + $0.1.compactText }.joined(separator: ",") + "}"
        case .array(let values): "[" + values.map(\.compactText).joined(separator: ",") + "]"
        default: text()
        }
    }

    static func quote(_ text: String) -> String { text.jsonQuoted }
}
