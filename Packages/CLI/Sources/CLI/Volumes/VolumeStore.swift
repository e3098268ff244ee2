import FoundationEssentials
import Glibc
import Syscalls

/// A named volume: a directory that outlives containers, `<root>/volumes/<name>/_data`.
public struct Volume: Codable, Sendable {
    public var name: String
    public var created: Date
    public var labels: [String: String]
    /// Made for one container's `-v /path` (removed with it by `rm -v`).
    public var anonymous: Bool
    /// Filled from an image already: only a new, empty volume gets the image's content.
    public var populated: Bool
}

/// The named volumes, like Docker's `local` driver: plain directories on the host.
public struct VolumeStore: Sendable {
    public let root: String

    public func directory(_ name: String) -> String { root + "/" + name }
    public func dataPath(_ name: String) -> String { directory(name) + "/_data" }

    public func locked<T>(_ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let lock = try FileLock.acquire(root + "/.lock")
        defer { lock.release() }
        return try body()
    }

    public func load(_ name: String) throws -> Volume {
        guard let data = FileManager.default.contents(atPath: directory(name) + "/volume.json") else {
            throw CommandError.failed("get \(name): no such volume")
        }
        return try JSONDecoder.dosirak.decode(Volume.self, from: data)
    }

    public func all() -> [Volume] {
        let names = ((try? FileSystem.entries(of: root)) ?? []).filter { $0.kind == .directory }.map(\.name)
        return names.compactMap { try? load($0) }.sorted { $0.name < $1.name }
    }

    func save(_ volume: Volume) throws {
        let path = directory(volume.name) + "/volume.json"
        let temporary = path + ".tmp-\(getpid())"
        try JSONEncoder.dosirak.encode(volume).write(to: URL(fileURLWithPath: temporary))
        if rename(temporary, path) != 0 { throw CommandError.failed("write \(path): \(Errno.current)") }
    }

    /// Creates the volume `name` (a random name if empty), or returns it if it exists.
    @discardableResult
    public func create(_ name: String = "", labels: [String: String] = [:], anonymous: Bool = false) throws -> Volume {
        let name = name.isEmpty ? ContainerIndex.randomID() : name
        guard VolumeSpec.isValidName(name) else {
            throw CommandError.failed("create \(name): \"\(name)\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed")
        }
        return try locked {
            if let existing = try? load(name) { return existing }
            let volume = Volume(name: name, created: Date(), labels: labels, anonymous: anonymous, populated: false)
            try FileManager.default.createDirectory(atPath: dataPath(name), withIntermediateDirectories: true)
            do {
                try save(volume)
            } catch {
                try? FileManager.default.removeItem(atPath: directory(name))
                throw error
            }
            return volume
        }
    }

    /// Marks the volume as filled (or finds it was already): true if the caller should fill it.
    public func claimForPopulating(_ name: String) throws -> Bool {
        try locked {
            var volume = try load(name)
            guard !volume.populated else { return false }
            volume.populated = true
            try save(volume)
            // Only an empty volume gets the image's content, as with Docker.
            return ((try? FileSystem.entries(of: dataPath(name))) ?? []).isEmpty
        }
    }

    /// Removes a volume no container uses (`users`: the containers that name it).
    public func remove(_ name: String, users: [String], force: Bool = false) throws {
        try locked {
            _ = try load(name)
            if !users.isEmpty {
                throw CommandError.failed("remove \(name): volume is in use - [\(users.joined(separator: ", "))]")
            }
            try FileManager.default.removeItem(atPath: directory(name))
        }
    }

    /// The size of what the volume holds, for `system df`.
    public func size(_ name: String) -> Int64 {
        DiskUsage.bytes(under: dataPath(name))
    }
}
