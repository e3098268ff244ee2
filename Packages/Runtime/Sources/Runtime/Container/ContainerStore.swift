import FoundationEssentials
import Glibc
import Syscalls

/// The directory where the runtime keeps its containers' state (`--root`), one
/// subdirectory per container. Every command that changes a container holds its lock.
public struct ContainerStore: Sendable {
    public let root: String

    /// runc keeps its state in /run/runc; Dosirak's runtime in /run/dosirak/runtime.
    public static let defaultRoot = "/run/dosirak/runtime"

    public init(root: String = ContainerStore.defaultRoot) {
        self.root = root
    }

    public func directory(_ id: String) -> String { root + "/" + id }

    /// Container ids become directory names: letters, digits, `_`, `.` and `-`.
    public static func validate(id: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
        guard !id.isEmpty, id.count <= 1024, id.allSatisfy(allowed.contains), id != ".", id != ".." else {
            throw RuntimeError.invalidID(id)
        }
    }

    /// Creates the root directory (0700: state holds configuration and PIDs) if needed.
    func prepare() throws {
        var path = ""
        for component in root.split(separator: "/") {
            path += "/" + component
            do {
                try FileSystem.makeDirectory(path, permissions: 0o711)
            } catch Errno.fileExists {
            } catch let errno as Errno {
                throw RuntimeError.failed("create state directory \(path): \(errno)")
            }
        }
    }

    /// Takes the lock of container `id` (held until the descriptor is closed, or the
    /// process dies). `create` takes the store's own lock to claim the id.
    func lock(_ id: String? = nil) throws -> FileLock {
        let path = id.map { directory($0) + "/lock" } ?? root + "/.lock"
        do {
            return try FileLock.acquire(path)
        } catch Errno.noSuchFileOrDirectory where id != nil {
            throw RuntimeError.notFound(id!)
        } catch let errno as Errno {
            throw RuntimeError.failed("lock \(path): \(errno)")
        }
    }

    /// The container's record. `withSpec: false` leaves `spec` empty, for the commands that
    /// never look at it (`state`, `kill`, `list`, `ps`, `pause`, `resume`): decoding config.json
    /// is most of the cost of a `state`.
    public func load(_ id: String, withSpec: Bool = true) throws -> ContainerRecord {
        try ContainerStore.validate(id: id)
        let path = directory(id) + "/state.json"
        let data: [UInt8]
        do {
            let fd = try FileDescriptor.open(path)
            data = try fd.closeAfter { try fd.readAll() }
        } catch Errno.noSuchFileOrDirectory {
            throw RuntimeError.notFound(id)
        } catch let errno as Errno {
            throw RuntimeError.failed("read \(path): \(errno)")
        }
        var record: ContainerRecord
        do {
            record = try JSONDecoder().decode(ContainerRecord.self, from: Data(data))
        } catch {
            throw RuntimeError.failed("\(path): unreadable state: \(error)")
        }
        // create writes config.json before the first state.json, so it is missing only for a
        // container recorded by an older dosirak (whose state.json held the spec); a damaged
        // one is an error, not an empty configuration.
        if withSpec && access(directory(id) + "/config.json", F_OK) == 0 { record.spec = try Spec.load(bundle: directory(id)) }
        return record
    }

    /// The poststop hooks of the container's config.json, decoded without the rest of it.
    public func poststopHooks(_ id: String) throws -> [Spec.Hook] {
        struct HooksOnly: Decodable {
            struct Hooks: Decodable { var poststop: [Spec.Hook]? }
            var hooks: Hooks?
        }
        // Missing only for a container recorded by an older dosirak.
        guard access(directory(id) + "/config.json", F_OK) == 0 else { return [] }
        return try Spec.load(HooksOnly.self, bundle: directory(id)).0.hooks?.poststop ?? []
    }

    /// Keeps the container's configuration next to its state, as `config.json` (read back by
    /// `load`): written once by `create`, and again by `update`. `text`: the bundle's own
    /// config.json, as read, when it is the spec unchanged (encoding it again cost a millisecond).
    public func saveSpec(_ record: ContainerRecord, text: [UInt8]? = nil) throws {
        try replace(directory(record.id) + "/config.json", with: try text ?? Array(JSONEncoder().encode(record.spec)))
    }

    /// Writes the record (state.json) atomically.
    public func save(_ record: ContainerRecord) throws {
        try replace(directory(record.id) + "/state.json", with: Array(try JSONEncoder().encode(record)))
    }

    /// Writes `bytes` to a temporary file and renames it over `path`: a reader sees the old
    /// file or the new one, never half of one, even if we are killed in between.
    private func replace(_ path: String, with bytes: [UInt8]) throws {
        do {
            try FileSystem.replace(path, with: bytes, permissions: 0o600, temporary: path + ".tmp", durable: false)
        } catch let errno as Errno {
            throw RuntimeError.failed("write \(path): \(errno)")
        }
    }

    /// Every container id in the store.
    public func ids() -> [String] {
        ((try? FileSystem.entries(of: root)) ?? [])
            .filter { $0.kind == .directory && !$0.name.hasPrefix(".") }.map(\.name).sorted()
    }

    /// Removes a container's directory and everything in it.
    func remove(_ id: String) throws {
        let directory = directory(id)
        for entry in (try? FileSystem.entries(of: directory)) ?? [] {
            try? FileSystem.remove(directory + "/" + entry.name)
        }
        do {
            try FileSystem.remove(directory, directory: true)
        } catch Errno.noSuchFileOrDirectory {
        } catch let errno as Errno {
            throw RuntimeError.failed("remove \(directory): \(errno)")
        }
    }
}
