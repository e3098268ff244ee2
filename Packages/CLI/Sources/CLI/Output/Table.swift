/// Columns as Docker's tables line them up (Go's tabwriter with a minimum width of 10 and a
/// padding of 3): each column as wide as its widest cell plus three spaces; the last not padded.
struct Table {
    var rows: [[String]] = []

    init(_ header: [String]) { rows = [header] }

    mutating func add(_ row: [String]) { rows.append(row) }

    var text: String {
        guard let columns = rows.map(\.count).max(), columns > 0 else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], max(10, cell.count + 3)) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined()
        }.joined(separator: "\n")
    }
}
