import Dispatch
import FoundationEssentials
import Glibc
import Syscalls

/// Images on this machine: blobs, unpacked snapshots, and the names that point at them.
///
///     <root>/blobs/sha256/<hex>        manifests, configs, layers: content-addressed
///     <root>/snapshots/<chain id>/fs   each layer unpacked once, shared by every image using it
///     <root>/images.json               names to manifests ("docker.io/library/busybox:latest")
///     <root>/holds/<container id>      images that containers are using
///     <root>/tmp/                      writes in progress; renamed into place when complete
///
/// The root is `/var/lib/dosirak` unless told otherwise (`--root`, `DOSIRAK_ROOT`); tests
/// always use a temporary one. Concurrent commands are safe: files appear by atomic rename,
/// and file locks (`flock`) serialise changes to the index and keep garbage collection from
/// running while a pull or load is adding content.
///
///     let store = try ImageStore(root: "/tmp/store")
///     let image = try store.buildBusybox()       // busybox:latest, from the host's busybox-static
///     let same = try store.image("busybox")      // found by name, with Docker's defaults
public final class ImageStore: Sendable {
    public static let defaultRoot = "/var/lib/dosirak"

    public let root: String
    public let blobs: BlobStore
    public let snapshots: SnapshotStore
    let indexLock: StoreLock
    package let contentLock: StoreLock

    public init(root: String = ImageStore.defaultRoot) throws {
        self.root = root
        blobs = BlobStore(root: root)
        snapshots = SnapshotStore(root: root)
        indexLock = StoreLock(path: root + "/index.lock")
        contentLock = StoreLock(path: root + "/content.lock")
        if mkdir(root, 0o711) == -1 && errno != EEXIST { throw LayersError.file("mkdir", root, Errno.current) }
        try blobs.prepare()
        for directory in [root + "/snapshots", root + "/holds"] {
            if mkdir(directory, 0o700) == -1 && errno != EEXIST { throw LayersError.file("mkdir", directory, Errno.current) }
        }
    }

    // MARK: - Reading images

    /// The image that `name` names: a reference (`busybox`, `busybox:1.36`,
    /// `127.0.0.1:5000/team/app@sha256:...`) or an image ID or a prefix of one (`3f57d9401f8d`).
    /// Its snapshots are unpacked first if they are missing.
    public func image(_ name: String) throws -> Image {
        try image(manifest: try resolve(name))
    }

    /// The image whose manifest has this digest.
    public func image(manifest digest: Digest) throws -> Image {
        let manifest = try loadManifest(digest)
        let configBytes = try blobs.read(manifest.config.digest)
        let configuration = try decodeJSON(ImageConfiguration.self, configBytes, what: "config \(manifest.config.digest)")
        let snapshots = try ensureSnapshots(manifest: manifest, configuration: configuration)
        return Image(manifestDigest: digest, manifest: manifest, id: manifest.config.digest,
                     configuration: configuration, snapshots: snapshots)
    }

    /// The manifest digest that `name` stands for.
    public func resolve(_ name: String) throws -> Digest {
        let index = try readIndex()
        // An image ID, or a unique prefix of one.
        let hex = name.hasPrefix("sha256:") ? String(name.dropFirst(7)) : name
        if hex.utf8.count >= 4 && hex.utf8.count <= 64 && hex.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) {
            let manifests = index.images.values.map(\.manifest) + (index.dangling ?? [])
            let matches = Set(manifests.filter { manifest in
                guard let config = try? loadManifest(manifest).config.digest else { return false }
                return config.hex.hasPrefix(hex)
            })
            if matches.count == 1 { return matches.first! }
            if matches.count > 1 { throw LayersError.context("image \(name)", "ambiguous ID prefix") }
        }
        let reference = try Reference(parsing: name)
        if let digest = reference.digest {
            for (key, entry) in index.images where key.hasPrefix(reference.repository + ":") || key.hasPrefix(reference.repository + "@") {
                if entry.manifest == digest || entry.index == digest { return entry.manifest }
            }
            throw LayersError.imageNotFound(reference.familiar)
        }
        guard let entry = index.images[reference.description] else { throw LayersError.imageNotFound(reference.familiar) }
        return entry.manifest
    }

    func loadManifest(_ digest: Digest) throws -> Manifest {
        let manifest = try decodeJSON(Manifest.self, try blobs.read(digest), what: "manifest \(digest)")
        guard manifest.schemaVersion == 2 else { throw LayersError.invalidManifest("\(digest): schema version \(manifest.schemaVersion)") }
        return manifest
    }

    /// The snapshots of an image, unpacking from the layer blobs any that are missing
    /// (several layers at once: each goes to its own directory).
    func ensureSnapshots(manifest: Manifest, configuration: ImageConfiguration) throws -> [Snapshot] {
        let diffIDs = configuration.rootfs.diffIDs
        guard diffIDs.count == manifest.layers.count else {
            throw LayersError.invalidManifest("\(manifest.layers.count) layers but \(diffIDs.count) diff IDs in the config")
        }
        let chainIDs = Snapshot.chainIDs(diffIDs)
        let missing = chainIDs.indices.filter { snapshots.snapshot(chainIDs[$0]) == nil }
        if !missing.isEmpty {
            // Unpacking adds content: keep garbage collection out meanwhile.
            let lock = try contentLock.acquire(.shared)
            defer { try? lock.close() }
            let errors = ErrorBox()
            DispatchQueue.concurrentPerform(iterations: missing.count) { position in
                let index = missing[position]
                let layer = manifest.layers[index]
                do {
                    let fd = try blobs.open(layer.digest)
                    defer { try? fd.close() }
                    _ = try snapshots.unpack(blob: fd, name: "blob \(layer.digest)", compression: Compression(mediaType: layer.mediaType),
                                             parent: index == 0 ? nil : chainIDs[index - 1], diffID: diffIDs[index])
                } catch {
                    errors.record(LayersError.wrap("layer \(layer.digest.short)", error))
                }
            }
            if let error = errors.first { throw error }
        }
        return try chainIDs.map { chainID in
            guard let snapshot = snapshots.snapshot(chainID) else { throw LayersError.context("snapshot \(chainID)", "missing after unpacking") }
            return snapshot
        }
    }

    /// Stores a manifest and its config (blobs already in the store), unpacks its layers,
    /// and points `references` at it. Returns the image.
    @discardableResult
    package func add(manifest: Manifest, references: [Reference], index: Digest? = nil) throws -> Image {
        let digest = try blobs.put(try canonicalJSON(manifest))
        return try add(manifestDigest: digest, references: references, index: index)
    }

    @discardableResult
    package func add(manifestDigest digest: Digest, references: [Reference], index: Digest? = nil) throws -> Image {
        let image = try image(manifest: digest)
        try record(references, manifest: digest, index: index)
        return image
    }
}

/// The first error from concurrent work.
final class ErrorBox: @unchecked Sendable {
    private let lock = Lock()
    private(set) var errors: [any Error] = []

    func record(_ error: any Error) {
        lock.withLock { errors.append(error) }
    }

    var first: (any Error)? {
        lock.withLock { errors.first }
    }
}
