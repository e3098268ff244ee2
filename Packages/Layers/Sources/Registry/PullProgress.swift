import Foundation
import Glibc
import Syscalls
import Layers

/// What `pull` and `push` print, one line per layer, the way `docker pull` does: on a
/// terminal each layer's line is redrawn in place with a progress bar; otherwise (a log, a
/// pipe, a test) a plain line is printed each time a layer's status changes.
///
///     a3ed95caeb02: Downloading [=========>          ]  1.2MB/2.4MB
///     a3ed95caeb02: Pull complete
public final class PullProgress: @unchecked Sendable {
    let output: FileDescriptor?
    let isTerminal: Bool
    private let lock = NSLock()
    private var order: [String] = []
    private var statuses: [String: String] = [:]
    private var lastDraw: [String: Date] = [:]
    private var words: [String: String] = [:]

    /// Progress written to `output` (nil: silent). `terminal` defaults to whether it is one.
    public init(output: FileDescriptor? = .standardOutput, terminal: Bool? = nil) {
        self.output = output
        isTerminal = terminal ?? (output.map { isatty($0.rawValue) == 1 } ?? false)
    }

    /// A line that is not about one layer ("Digest: ...").
    public func message(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        emit(text + "\n")
        if isTerminal { order.removeAll() }  // later layer lines start below this one
    }

    /// Sets a layer's status, with a byte count when it is moving.
    public func update(_ id: String, _ status: String, current: Int64? = nil, total: Int64? = nil) {
        lock.lock()
        defer { lock.unlock() }
        var text = status
        let moving = current != nil
        if let current, let total, total > 0, isTerminal {
            let width = 50
            let filled = Int(Double(width) * Double(min(current, total)) / Double(total))
            let bar = String(repeating: "=", count: max(0, filled - 1)) + (filled > 0 ? ">" : "") + String(repeating: " ", count: width - filled)
            text += " [\(bar)] \(PullProgress.bytes(current))/\(PullProgress.bytes(total))"
        }
        if !isTerminal {
            // Plain output: a line when the status word changes, never per chunk.
            guard statuses[id] != status else { return }
            statuses[id] = status
            emit("\(id): \(status)\n")
            return
        }
        // Redraw a moving bar at most ten times a second; a new status always shows at once.
        if moving, words[id] == status, let last = lastDraw[id], Date().timeIntervalSince(last) < 0.1, current != total { return }
        lastDraw[id] = Date()
        words[id] = status
        statuses[id] = text
        if let row = order.firstIndex(of: id) {
            let up = order.count - row
            emit("\u{1B}[\(up)A\u{1B}[2K\r\(id): \(text)\u{1B}[\(up)B\r")
        } else {
            order.append(id)
            emit("\(id): \(text)\n")
        }
    }

    private func emit(_ text: String) {
        guard let output else { return }
        try? output.writeAll(text)
    }

    /// `1.2MB`, as Docker abbreviates sizes (powers of 1000).
    public static func bytes(_ count: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(count)B" : String(format: "%.3g", value) + units[unit]
    }
}
