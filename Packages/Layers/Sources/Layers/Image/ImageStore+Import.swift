import Dispatch
import FoundationEssentials
import Glibc
import Syscalls

extension ImageStore {
    /// `docker import`: a root filesystem tarball (plain, gzip or zstd) becomes a one-layer
    /// image. The file is stored as the layer blob as it is; its uncompressed digest, found
    /// while it is unpacked into its snapshot, becomes the diff ID.
    ///
    ///     let image = try store.importTarball("rootfs.tar.gz", as: "myroot:1.0")
    @discardableResult
    public func importTarball(_ path: String, as name: String? = nil, config: ContainerConfiguration? = nil,
                              message: String? = nil) throws -> Image {
        try importLayers([path], as: name, config: config, message: message)
    }

    /// An image from several layer tarballs, bottom first; each is stored as it is and
    /// unpacked (all at once) into its snapshot.
    @discardableResult
    public func importLayers(_ paths: [String], as name: String? = nil, config: ContainerConfiguration? = nil,
                             message: String? = nil) throws -> Image {
        let references = try name.map { [try Reference(parsing: $0)] } ?? []
        return try contentLock.withLock(.shared) {
            let layers: [(descriptor: Descriptor, compression: Compression)] = try paths.map { path in
                let digest = try blobs.put(fileAt: path)
                let fd = try blobs.open(digest)
                let compression = Compression(magic: try fd.closeAfter { try fd.read(upTo: 4) })
                return (Descriptor(mediaType: MediaType.layer(compression), digest: digest, size: try blobs.size(of: digest)), compression)
            }
            // Unpack every layer into a snapshot of its own, at the same time; the diff IDs
            // (and so the chain IDs) are known only afterwards.
            let results = ResultsBox<LayerUnpacker.Result>(count: layers.count)
            let stagings = try layers.map { _ in try snapshots.prepareStaging() }
            DispatchQueue.concurrentPerform(iterations: layers.count) { index in
                results.set(index, Result {
                    let fd = try blobs.open(layers[index].descriptor.digest)
                    defer { try? fd.close() }
                    return try LayerUnpacker.unpack(file: fd, name: paths[index], compression: layers[index].compression,
                                                    into: stagings[index] + "/fs")
                })
            }
            var diffIDs: [Digest] = []
            do {
                for index in layers.indices {
                    let result = try results.get(index).get()
                    _ = try snapshots.commit(staging: stagings[index], result: result,
                                             parent: Snapshot.chainIDs(diffIDs).last, expected: nil)
                    diffIDs.append(result.diffID)
                }
            } catch {
                for staging in stagings { SnapshotStore.removeTree(staging) }
                throw LayersError.wrap("import", error)
            }
            let now = Timestamp.rfc3339Seconds(Date())
            let platform = Platform.current
            let configuration = ImageConfiguration(
                architecture: platform.architecture, variant: platform.variant, config: config ?? ContainerConfiguration(),
                rootfs: .init(diffIDs: diffIDs),
                history: paths.map { .init(created: now, createdBy: "dosirak import \(URL(fileURLWithPath: $0).lastPathComponent)", comment: message) },
                created: now)
            return try createImage(layers: zip(layers, diffIDs).map { ($0.descriptor, $1) }, configuration: configuration, references: references)
        }
    }
}

/// Results of concurrent work, by index.
final class ResultsBox<T>: @unchecked Sendable {
    private let lock = Lock()
    private var results: [Result<T, any Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<T, any Error>) { lock.withLock { results[index] = result } }
    func get(_ index: Int) -> Result<T, any Error> { lock.withLock { results[index]! } }
}
