import FoundationEssentials
import Relay

extension JSONFileLog {
    struct Entry: Codable {
        var log: String
        var stream: String
        var time: String
    }

    /// The entries of a log file, oldest first.
    public static func read(_ path: String) throws -> [(log: String, stream: String, time: String)] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return data.split(separator: 10).compactMap { line in
            (try? JSONDecoder().decode(Entry.self, from: Data(line))).map { ($0.log, $0.stream, $0.time) }
        }
    }
}
