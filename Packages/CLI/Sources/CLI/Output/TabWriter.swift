/// Go's text/tabwriter, as Docker's commands configure it: text whose cells end in a tab
/// comes out in aligned columns. A column is a run of adjacent lines that all have a cell
/// at that index; each is as wide as its widest cell plus `padding`, and at least
/// `minWidth`. The text after a line's last tab is not a cell and is never padded.
///
/// `docker version` uses a minimum of 20 and a padding of 1; `docker top` 20 and 3 (the
/// tables of `ps` and `stats` are `Table`, 10 and 3).
///
///     TabWriter(minWidth: 20, padding: 1).format("Client:\n Version:\t0.7.0\n OS/Arch:\tlinux/amd64")
///     // Client:
///     //  Version:           0.7.0
///     //  OS/Arch:           linux/amd64
struct TabWriter {
    let minWidth: Int
    let padding: Int

    func format(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        var output: [String] = []
        var widths: [Int] = []
        format(lines, 0, lines.count, &widths, &output)
        return output.joined(separator: "\n")
    }

    /// Lays out lines `start..<end`, whose columns before `widths.count` are already sized:
    /// finds each block of lines with a cell in the next column, sizes it, and recurses.
    private func format(_ lines: [[String]], _ start: Int, _ end: Int, _ widths: inout [Int], _ output: inout [String]) {
        let column = widths.count
        var first = start
        var line = start
        while line < end {
            guard column < lines[line].count - 1 else {
                line += 1
                continue
            }
            write(lines, first, line, widths, &output)
            first = line
            var width = minWidth
            while line < end && column < lines[line].count - 1 {
                width = max(width, lines[line][column].count + padding)
                line += 1
            }
            widths.append(width)
            format(lines, first, line, &widths, &output)
            widths.removeLast()
            first = line
        }
        write(lines, first, end, widths, &output)
    }

    private func write(_ lines: [[String]], _ start: Int, _ end: Int, _ widths: [Int], _ output: inout [String]) {
        for cells in lines[start..<end] {
            var text = ""
            for (index, cell) in cells.enumerated() {
                text += cell
                if index < cells.count - 1 {
                    text += String(repeating: " ", count: max(0, widths[index] - cell.count))
                }
            }
            output.append(text)
        }
    }
}
