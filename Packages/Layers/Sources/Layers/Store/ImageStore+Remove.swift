import FoundationEssentials
import Glibc
import Syscalls

/// A container's claim on an image: `holds/<container id>` names the manifest it runs from.
struct Hold: Codable {
    var manifest: Digest
    var image: String
}

/// What garbage collection removed.
public struct GarbageReport: Sendable, Equatable {
    public var blobs: [Digest] = []
    public var snapshots: [Digest] = []
    public var bytes: Int64 = 0
}

extension ImageStore {
    // MARK: - Holds

    var holdsDirectory: String { root + "/holds" }

    /// Marks `image` as used by a container: `rmi` refuses it, and garbage collection keeps
    /// its blobs and snapshots, until `release(container:)`. `durable`: on the disk (fsync)
    /// before it counts; a container that ends with its run (`run --rm`) does without.
    public func hold(_ image: Image, for container: String, name: String? = nil, durable: Bool = true) throws {
        guard Reference.isValidTag(container) else { throw LayersError.context("hold", "invalid container id \"\(container)\"") }
        try indexLock.withLock(.exclusive) {
            let path = holdsDirectory + "/" + container
            let bytes = try canonicalJSON(Hold(manifest: image.manifestDigest, image: name ?? image.id.description))
            do {
                // In the store's tmp/, which garbage collection clears of a dead process's leftovers.
                try FileSystem.replace(path, with: bytes, temporary: blobs.temporaryPath(".hold"), durable: durable)
            } catch let errno as Errno {
                throw LayersError.file("write", path, errno)
            }
        }
    }

    /// Drops a container's claim (nothing happens if it has none).
    public func release(container: String) throws {
        try indexLock.withLock(.exclusive) {
            let path = holdsDirectory + "/" + container
            if unlink(path) == -1 && errno != ENOENT { throw LayersError.file("unlink", path, Errno.current) }
        }
    }

    /// The containers holding each manifest.
    func holds() -> [Digest: [String]] {
        var result: [Digest: [String]] = [:]
        for entry in (try? FileSystem.entries(of: holdsDirectory)) ?? [] {
            guard let data = FileManager.default.contents(atPath: holdsDirectory + "/" + entry.name),
                  let hold = try? JSONDecoder().decode(Hold.self, from: data) else { continue }
            result[hold.manifest, default: []].append(entry.name)
        }
        return result.mapValues { $0.sorted() }
    }

    // MARK: - rmi

    /// `docker rmi`: a name that is one of several for its image is untagged; the last name,
    /// or an image ID, deletes the image and then collects what nothing references any more.
    /// An image a container holds is refused unless `force` (then it is untagged, and its
    /// content stays until the container lets go). Returns Docker's lines:
    /// `Untagged: busybox:latest`, `Deleted: sha256:...`.
    @discardableResult
    public func remove(_ name: String, force: Bool = false) throws -> [String] {
        let digest = try resolve(name)
        let id = try loadManifest(digest).config.digest
        let holders = holds()[digest] ?? []
        var lines: [String] = []
        let byName = (try? Reference(parsing: name)).flatMap { reference -> String? in
            reference.digest == nil && (try? readIndex().images[reference.description]) != nil ? reference.description : nil
        }
        let (untagged, deleted): ([String], Bool) = try updateIndex { file in
            let names = file.images.filter { $0.value.manifest == digest }.keys.sorted()
            if let byName, names.count > 1 {
                file.images[byName] = nil
                return ([byName], false)
            }
            if byName == nil && names.count > 1 && !force {
                // By ID, as Docker does: refuse to drop several names at once unless forced.
                throw LayersError.context("image \(name)", "referenced by \(names.count) names (\(names.joined(separator: ", "))); remove them one by one or use force")
            }
            if !holders.isEmpty && !force {
                throw LayersError.imageInUse(name, holders)
            }
            for name in names { file.images[name] = nil }
            if holders.isEmpty { file.dangling = file.dangling?.filter { $0 != digest } }
            return (names, holders.isEmpty)
        }
        for name in untagged { lines.append("Untagged: " + ((try? Reference(parsing: name).familiar) ?? name)) }
        if deleted {
            let report = try collectGarbage()
            if report.blobs.contains(id) { lines.append("Deleted: \(id)") }
            lines += report.snapshots.map { "Deleted: \($0)" }
        }
        return lines
    }

    // MARK: - prune

    /// What `prune` took away: the names it removed, the images and snapshots it deleted,
    /// and the bytes they held.
    public struct PruneReport: Sendable, Equatable {
        public var untagged: [String] = []
        public var deleted: [Digest] = []
        public var bytes: Int64 = 0
    }

    /// `docker image prune`: removes the dangling images that no container holds; with `all`,
    /// every image that no container holds, names and all. One change to the index, then one
    /// garbage collection, so an image is either all there or gone.
    public func prune(all: Bool) throws -> PruneReport {
        var report = PruneReport()
        var doomed = Set<Digest>()
        try updateIndex { file in
            let held = holds()
            let named = Set(file.images.values.map(\.manifest))
            for manifest in file.dangling ?? [] where held[manifest] == nil && !named.contains(manifest) {
                doomed.insert(manifest)
            }
            file.dangling = file.dangling?.filter { !doomed.contains($0) }
            guard all else { return }
            for (name, entry) in file.images.sorted(by: { $0.key < $1.key }) where held[entry.manifest] == nil {
                file.images[name] = nil
                report.untagged.append((try? Reference(parsing: name).familiar) ?? name)
                doomed.insert(entry.manifest)
            }
        }
        let ids = Set(doomed.compactMap { try? loadManifest($0).config.digest })
        let garbage = try collectGarbage()
        report.deleted = garbage.blobs.filter { ids.contains($0) } + garbage.snapshots
        report.bytes = garbage.bytes
        return report
    }

    // MARK: - Garbage collection

    /// Removes blobs and snapshots that no name and no hold reaches, and temporary files
    /// left by processes that died. Holds the content lock exclusively: it waits for pulls
    /// and loads in progress, and they wait for it.
    @discardableResult
    public func collectGarbage() throws -> GarbageReport {
        try contentLock.withLock(.exclusive) {
            var liveBlobs = Set<Digest>()
            var liveSnapshots = Set<Digest>()
            let index = try indexLock.withLock(.shared) { try readIndex() }
            let roots = Set(index.images.values.map(\.manifest)).union(holds().keys).union(index.dangling ?? [])
            for entry in index.images.values { if let parent = entry.index { liveBlobs.insert(parent) } }
            for manifestDigest in roots {
                liveBlobs.insert(manifestDigest)
                guard let manifest = try? loadManifest(manifestDigest) else { continue }
                liveBlobs.insert(manifest.config.digest)
                for layer in manifest.layers { liveBlobs.insert(layer.digest) }
                if let bytes = try? blobs.read(manifest.config.digest),
                   let configuration = try? decodeJSON(ImageConfiguration.self, bytes, what: "config") {
                    liveSnapshots.formUnion(Snapshot.chainIDs(configuration.rootfs.diffIDs))
                }
            }
            var report = GarbageReport()
            for digest in try blobs.all() where !liveBlobs.contains(digest) {
                report.bytes += (try? blobs.size(of: digest)) ?? 0
                try blobs.remove(digest)
                report.blobs.append(digest)
            }
            for chainID in snapshots.all() where !liveSnapshots.contains(chainID) {
                report.bytes += snapshots.snapshot(chainID)?.size ?? 0
                try snapshots.remove(chainID)
                report.snapshots.append(chainID)
            }
            try blobs.removeAbandonedTemporaryFiles()
            return report
        }
    }
}
