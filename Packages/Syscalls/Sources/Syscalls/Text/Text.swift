import Glibc

// The few string helpers every stage needs. They live here, not in Foundation, because the
// packages import FoundationEssentials only (JSON, Data, URL, FileManager): the whole of
// Foundation brings ICU and costs every process of ours ~1.5 ms and ~300 KiB of private memory
// at start-up.

extension String {
    /// Formats like C's `printf`, through the C library's `vsnprintf`:
    /// `String(printf: "%.2f%%", 12.345)` is `"12.35%"`. For numbers only: a Swift `String`
    /// is not a C string, so `%s` has nothing to print.
    public init(printf format: String, _ arguments: CVarArg...) {
        var size = 128
        var buffer = [CChar](repeating: 0, count: size)
        let needed = Int(withVaList(arguments) { vsnprintf(&buffer, size, format, $0) })
        if needed >= size {  // did not fit: once more, with room for all of it
            size = needed + 1
            buffer = [CChar](repeating: 0, count: size)
            _ = withVaList(arguments) { vsnprintf(&buffer, size, format, $0) }
        }
        self = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

extension String {
    /// The string as a JSON string literal, escaped as Go's encoding/json escapes it (so as
    /// Docker writes its logs and `inspect`): quotes, backslashes, control characters, and
    /// `<`, `>`, `&`.
    public var jsonQuoted: String {
        var result = "\""
        for scalar in unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "<": result += "\\u003c"
            case ">": result += "\\u003e"
            case "&": result += "\\u0026"
            default:
                if scalar.value < 0x20 {
                    result += String(printf: "\\u%04x", scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs, carriage returns and newlines.
    public func trimmingWhitespace() -> String {
        trimming([" ", "\t", "\r", "\n", "\r\n"])
    }

    /// Without leading and trailing `characters`: `"'quoted'".trimming(["'"])` is `"quoted"`.
    public func trimming(_ characters: Set<Character>) -> String {
        var text = Substring(self)
        while let first = text.first, characters.contains(first) { text.removeFirst() }
        while let last = text.last, characters.contains(last) { text.removeLast() }
        return String(text)
    }
}
