import FoundationEssentials
import Glibc
import Syscalls

extension Commands {
    static let logs = Command(
        "logs", usage: "logs [OPTIONS] CONTAINER", summary: "Fetch the logs of a container",
        flags: [Flag("follow", short: "f", help: "Follow log output"),
                Flag("tail", short: "n", .value(placeholder: "string"), help: "Number of lines to show from the end of the logs (default \"all\")"),
                Flag("timestamps", short: "t", help: "Show timestamps"),
                Flag("since", .value(placeholder: "string"), help: "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)"),
                Flag("until", .value(placeholder: "string"), help: "Show logs before a timestamp or relative time"),
                Flag("details", help: "Show extra details provided to logs")]
    ) { context, arguments in
        guard arguments.positional.count == 1 else { throw CommandError.usage("\"logs\" requires exactly 1 argument.") }
        let entry = try context.containers.find(arguments.positional[0])
        let since = try arguments.value("since").map { try Timestamp.parseUserTime($0, flag: "since") }
        let until = try arguments.value("until").map { try Timestamp.parseUserTime($0, flag: "until") }
        var tail: Int?
        if let text = arguments.value("tail"), text != "all" {
            guard let count = Int(text) else { throw CommandError.failed("invalid value for \"tail\": \(text)") }
            if count >= 0 { tail = count }
        }
        let reader = LogReader(path: context.containers.logPath(entry.id))
        var records = reader.readNew()
        if let tail { records = Array(records.suffix(tail)) }
        func show(_ records: [LogReader.Record]) {
            for record in records {
                if let since, let time = Timestamp.parse(record.time), time < since { continue }
                if let until, let time = Timestamp.parse(record.time), time > until { continue }
                let line = (arguments.bool("timestamps") ? record.time + " " : "") + record.log
                try? (record.stream == "stderr" ? context.errors : context.output).writeAll(line)
            }
        }
        show(records)
        guard arguments.bool("follow") else { return 0 }
        // Follow while the container runs: new lines are read as the monitor appends them.
        while true {
            let live = (try? context.containers.load(id: entry.id)).map { $0.state.isLive && $0.state.monitor?.isAlive == true } ?? false
            show(reader.readNew())
            if !live { break }
            usleep(100_000)
        }
        return 0
    }
}

/// Reads a json-file log from where it last stopped (for `logs -f`).
final class LogReader {
    struct Record: Decodable {
        var log: String
        var stream: String
        var time: String
    }

    let path: String
    var offset: off_t = 0
    var partial: [UInt8] = []

    init(path: String) { self.path = path }

    func readNew() -> [Record] {
        guard let file = try? FileDescriptor.open(path) else { return [] }
        defer { try? file.close() }
        guard lseek(file.rawValue, offset, SEEK_SET) == offset, let bytes = try? file.readAll() else { return [] }
        offset += off_t(bytes.count)
        partial += bytes
        guard let lastNewline = partial.lastIndex(of: 10) else { return [] }
        let complete = partial[...lastNewline]
        partial = Array(partial[(lastNewline + 1)...])
        return complete.split(separator: 10).compactMap { try? JSONDecoder().decode(Record.self, from: Data($0)) }
    }
}

extension Timestamp {
    /// `--since` and `--until`: an RFC 3339 time, a Unix time, or a duration before now (`10m`, `1h30m`, `45s`).
    static func parseUserTime(_ text: String, flag: String, now: Date = Date()) throws -> Date {
        if let date = parse(text) { return date }
        if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        var total = 0.0
        var number = ""
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        for character in text {
            if character.isNumber || character == "." {
                number.append(character)
            } else if let unit = units[character], let value = Double(number) {
                total += value * unit
                number = ""
            } else {
                throw CommandError.failed("invalid value for \"\(flag)\": \(text): a time (2026-11-29T10:00:00Z) or a duration (10m)")
            }
        }
        guard number.isEmpty, total > 0 else {
            throw CommandError.failed("invalid value for \"\(flag)\": \(text): a time (2026-11-29T10:00:00Z) or a duration (10m)")
        }
        return now.addingTimeInterval(-total)
    }
}
