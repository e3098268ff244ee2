import FoundationEssentials
import Glibc
import Syscalls

/// The containers `dosirak` knows, one directory each under `<root>/containers`, found by
/// ID, ID prefix or name. Names are unique: taking one happens under the index's lock.
public struct ContainerIndex: Sendable {
    public let root: String

    public func directory(_ id: String) -> String { root + "/" + id }

    /// Runs `body` holding the index's lock (names, creation and removal).
    public func locked<T>(_ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let lock = try FileLock.acquire(root + "/.lock")
        defer { lock.release() }
        return try body()
    }

    /// Runs `body` holding container `id`'s own lock.
    public func locked<T>(_ id: String, _ body: () throws -> T) throws -> T {
        let lock = try FileLock.acquire(directory(id) + "/lock")
        defer { lock.release() }
        return try body()
    }

    /// Every container's ID: the directories under the root.
    func ids() -> [String] {
        ((try? FileSystem.entries(of: root)) ?? []).filter { $0.kind == .directory }.map(\.name)
    }

    public func all() -> [ContainerEntry] {
        ids().compactMap { try? load(id: $0) }.sorted { $0.created > $1.created }
    }

    /// Each container's ID and name, for checking a new name: only those two fields are
    /// decoded, which is several times cheaper than whole records when many containers exist.
    public func names() -> [(id: String, name: String)] {
        struct Named: Decodable { let id: String; let name: String }
        return ids().compactMap { id in
            guard let data = FileManager.default.contents(atPath: directory(id) + "/container.json"),
                  let named = try? JSONDecoder().decode(Named.self, from: data) else { return nil }
            return (named.id, named.name)
        }
    }

    public func load(id: String) throws -> ContainerEntry {
        let path = directory(id) + "/container.json"
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandError.failed("No such container: \(id)") }
        do {
            return try JSONDecoder.dosirak.decode(ContainerEntry.self, from: data)
        } catch {
            throw CommandError.failed("\(path): unreadable: \(error)")
        }
    }

    /// The container a user means: a full ID, a unique ID prefix, or a name (as Docker).
    public func find(_ reference: String) throws -> ContainerEntry {
        let all = all()
        if let exact = all.first(where: { $0.id == reference || $0.name == reference || "/" + $0.name == reference }) {
            return exact
        }
        let matches = all.filter { $0.id.hasPrefix(reference) }
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 { throw CommandError.failed("multiple IDs found with provided prefix: \(reference)") }
        throw CommandError.failed("No such container: \(reference)")
    }

    /// Writes the record atomically (a temporary file renamed into place). `durable`: on the
    /// disk (fsync) before the rename, for what must outlive a power cut, such as the
    /// container itself and how it ended. What the record says while the container runs (its
    /// monitor, PID, networks) is about processes a power cut ends anyway, and is written
    /// without: an fsync took 0.2-7 ms here, each time on the way of a `run`.
    public func save(_ entry: ContainerEntry, durable: Bool = true) throws {
        try ContainerIndex.replace(directory(entry.id) + "/container.json", with: JSONEncoder.dosirak.encode(entry), durable: durable)
    }

    /// `FileSystem.replace`, failing with the path named as `dosirak` says it.
    static func replace(_ path: String, with bytes: Data, durable: Bool) throws {
        do {
            try FileSystem.replace(path, with: bytes, durable: durable)
        } catch let errno as Errno {
            throw CommandError.failed("write \(path): \(errno)")
        }
    }

    /// Re-reads the record, changes it, and writes it back, under the container's lock.
    @discardableResult
    public func update(_ id: String, durable: Bool = true, _ change: (inout ContainerEntry) throws -> Void) throws -> ContainerEntry {
        try locked(id) {
            var entry = try load(id: id)
            try change(&entry)
            try save(entry, durable: durable)
            return entry
        }
    }
}

extension JSONEncoder {
    static var dosirak: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601withFractionalSeconds
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension JSONDecoder {
    static var dosirak: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601withFractionalSeconds
        return decoder
    }
}

extension JSONEncoder.DateEncodingStrategy {
    /// RFC 3339 with nanoseconds, as Docker writes times.
    static var iso8601withFractionalSeconds: JSONEncoder.DateEncodingStrategy {
        .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.rfc3339(date))
        }
    }
}

extension JSONDecoder.DateDecodingStrategy {
    static var iso8601withFractionalSeconds: JSONDecoder.DateDecodingStrategy {
        .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad time \(text)"))
            }
            return date
        }
    }
}

extension ContainerIndex {
    /// A new ID: 32 random bytes in hexadecimal, as Docker's.
    public static func randomID() -> String {
        // The system generator reads the kernel's (getrandom(2)).
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(printf: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    // Where each piece of a container lives, under `<root>/containers/<id>/`.
    public func bundle(_ id: String) -> String { directory(id) }
    public func layerDirectory(_ id: String) -> String { directory(id) + "/fs" }
    public func rootfs(_ id: String) -> String { layerDirectory(id) + "/merged" }
    public func logPath(_ id: String) -> String { directory(id) + "/\(id)-json.log" }
    /// hostname, hosts and resolv.conf, bind-mounted into the container.
    public func filesDirectory(_ id: String) -> String { directory(id) + "/files" }
}
