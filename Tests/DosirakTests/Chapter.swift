import Foundation

/// The parts of a chapter's Markdown that the checks compare: headings, fenced code blocks
/// and figures. Everything else is prose, free to differ between languages.
struct Chapter {
    struct CodeBlock: Equatable {
        /// The info string after the opening fence: "swift file=Packages/...", "sh run".
        let info: String
        let text: String
        let line: Int

        var language: String { String(info.split(separator: " ").first ?? "") }
        /// `file=PATH`: the block is an excerpt of that file.
        var sourceFile: String? {
            info.split(separator: " ").first { $0.hasPrefix("file=") }.map { String($0.dropFirst(5)) }
        }
        /// `run`: the checks execute the block and it must succeed.
        var runs: Bool { info.split(separator: " ").dropFirst().contains("run") }

        static func == (a: CodeBlock, b: CodeBlock) -> Bool { a.info == b.info && a.text == b.text }
    }

    let path: String
    private(set) var headingLevels: [Int] = []
    private(set) var headings: [String] = []
    private(set) var codeBlocks: [CodeBlock] = []
    private(set) var figures: [String] = []

    init(path: String) throws {
        self.path = path
        let lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        var fence: (marker: String, info: String, start: Int, body: [String])?
        for (index, line) in lines.enumerated() {
            if var open = fence {
                if line.trimmingCharacters(in: .whitespaces) == open.marker {
                    codeBlocks.append(CodeBlock(info: open.info, text: open.body.joined(separator: "\n"), line: open.start))
                    fence = nil
                } else {
                    open.body.append(line)
                    fence = open
                }
                continue
            }
            if line.hasPrefix("```") || line.hasPrefix("~~~") {
                let marker = String(line.prefix { $0 == "`" || $0 == "~" })
                fence = (marker, line.dropFirst(marker.count).trimmingCharacters(in: .whitespaces), index + 1, [])
                continue
            }
            let hashes = line.prefix { $0 == "#" }.count
            if (1...6).contains(hashes) && line.dropFirst(hashes).hasPrefix(" ") {
                headingLevels.append(hashes)
                headings.append(line.dropFirst(hashes + 1).trimmingCharacters(in: .whitespaces))
            }
            figures += Chapter.images(in: line)
        }
    }

    /// The targets of `![alt](target)` in a line.
    static func images(in line: String) -> [String] {
        var result: [String] = []
        var rest = Substring(line)
        while let bang = rest.range(of: "![") {
            rest = rest[bang.upperBound...]
            guard let close = rest.range(of: "]("), let end = rest[close.upperBound...].firstIndex(of: ")") else { break }
            result.append(String(rest[close.upperBound..<end]))
            rest = rest[end...]
        }
        return result
    }
}
