import FoundationEssentials
import Glibc
import Syscalls

/// One unpacked layer: a directory that overlayfs can use as a lower layer, named by the
/// layer's chain ID, so it is unpacked once and shared by every image whose stack starts
/// with the same layers.
///
/// The chain ID names a layer *together with everything below it*: for the bottom layer it
/// is its diff ID; above, `sha256(parent chain ID + " " + diff ID)`. Two images that share
/// the first three layers share three snapshots; the fourth differs.
public struct Snapshot: Codable, Hashable, Sendable {
    public let chainID: Digest
    public let diffID: Digest
    public let parent: Digest?
    /// Length of the uncompressed tar stream (what `docker images` adds up as SIZE).
    public let size: Int64
    /// The directory to stack: `snapshots/<hex>/fs` (worked out from the store's root, not saved).
    public internal(set) var path = ""

    enum CodingKeys: String, CodingKey { case chainID, diffID, parent, size }

    init(chainID: Digest, diffID: Digest, parent: Digest?, size: Int64, path: String) {
        self.chainID = chainID
        self.diffID = diffID
        self.parent = parent
        self.size = size
        self.path = path
    }

    /// The chain ID of a layer with diff ID `diffID` on top of `parent`.
    public static func chainID(parent: Digest?, diffID: Digest) -> Digest {
        guard let parent else { return diffID }
        return SHA256.hash(Array("\(parent) \(diffID)".utf8))
    }

    /// The chain IDs of a stack of layers, bottom first.
    public static func chainIDs(_ diffIDs: [Digest]) -> [Digest] {
        var result: [Digest] = []
        for diffID in diffIDs { result.append(chainID(parent: result.last, diffID: diffID)) }
        return result
    }
}

/// The snapshot directories of a store: `snapshots/<chain-id hex>/{fs,snapshot.json}`.
public struct SnapshotStore: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    var directory: String { root + "/snapshots" }

    public func path(of chainID: Digest) -> String { directory + "/" + chainID.hex }

    /// The snapshot, if it has been unpacked.
    public func snapshot(_ chainID: Digest) -> Snapshot? {
        guard let data = FileManager.default.contents(atPath: path(of: chainID) + "/snapshot.json") else { return nil }
        var snapshot = try? JSONDecoder().decode(Snapshot.self, from: data)
        snapshot?.path = path(of: chainID) + "/fs"
        return snapshot
    }

    public func all() -> [Digest] {
        ((try? FileSystem.entries(of: directory)) ?? []).compactMap { try? Digest(parsing: "sha256:" + $0.name) }.sorted()
    }

    /// Unpacks a layer blob into a new snapshot, unless it is there already. The layer is
    /// extracted into a temporary directory, checked against `diffID` (when known), and
    /// renamed into place: a snapshot directory is complete or absent.
    public func unpack(blob: FileDescriptor, name: String, compression: Compression,
                       parent: Digest?, diffID expected: Digest?) throws -> Snapshot {
        if let expected, let existing = snapshot(Snapshot.chainID(parent: parent, diffID: expected)) { return existing }
        let staging = try prepareStaging()
        do {
            let result = try LayerUnpacker.unpack(file: blob, name: name, compression: compression, into: staging + "/fs")
            return try commit(staging: staging, result: result, parent: parent, expected: expected)
        } catch {
            SnapshotStore.removeTree(staging)
            throw error
        }
    }

    /// A fresh temporary directory (`tmp/<pid>.<random>`, with an empty `fs` inside).
    package func prepareStaging() throws -> String {
        try BlobStore(root: root).prepare()
        if mkdir(directory, 0o700) == -1 && errno != EEXIST { throw LayersError.file("mkdir", directory, Errno.current) }
        let staging = BlobStore(root: root).temporaryPath(".snapshot")
        try check("mkdir", staging) { mkdir(staging, 0o700) }
        try check("mkdir", staging + "/fs") { mkdir(staging + "/fs", 0o755) }
        return staging
    }

    /// Checks an unpacked layer and moves it into place as a snapshot.
    package func commit(staging: String, result: LayerUnpacker.Result, parent: Digest?, expected: Digest?) throws -> Snapshot {
        if let expected, result.diffID != expected {
            throw LayersError.context("layer", "uncompressed digest \(result.diffID) does not match diff ID \(expected)")
        }
        let chainID = Snapshot.chainID(parent: parent, diffID: result.diffID)
        let snapshot = Snapshot(chainID: chainID, diffID: result.diffID, parent: parent, size: result.tarSize,
                                path: path(of: chainID) + "/fs")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(snapshot).write(to: URL(fileURLWithPath: staging + "/snapshot.json"))
        if rename(staging, path(of: chainID)) == -1 {
            let error = Errno.current
            // Someone else unpacked the same layer meanwhile: theirs is as good as ours.
            guard error == .directoryNotEmpty || error == .fileExists, let existing = self.snapshot(chainID) else {
                throw LayersError.file("rename", path(of: chainID), error)
            }
            SnapshotStore.removeTree(staging)
            return existing
        }
        return snapshot
    }

    /// Removes a snapshot (nothing happens if it is not there).
    public func remove(_ chainID: Digest) throws {
        let path = path(of: chainID)
        guard access(path, F_OK) == 0 else { return }
        // Rename first, so that a half-removed snapshot never looks like a whole one.
        let doomed = BlobStore(root: root).temporaryPath(".removing")
        try check("rename", path) { rename(path, doomed) }
        SnapshotStore.removeTree(doomed)
    }

    /// Removes a directory tree without following symbolic links and without crossing into
    /// other mounts. Snapshot contents may be read-only directories; root writes them anyway.
    package static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            let device = info.st_dev
            chmod(path, 0o700)
            for entry in (try? FileSystem.entries(of: path)) ?? [] {
                let child = path + "/" + entry.name
                var childInfo = stat()
                if lstat(child, &childInfo) == 0 && childInfo.st_mode & S_IFMT == S_IFDIR && childInfo.st_dev != device { continue }
                removeTree(child)
            }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
