import Foundation
import Glibc
import Syscalls

extension ImageStore {
    /// A new layer in the store, from tar entries that `produce` writes; compressed with
    /// `compression` (gzip by default, as registries expect).
    public func createLayer(compression: Compression = .gzip, _ produce: (TarWriter) throws -> Void) throws -> (descriptor: Descriptor, diffID: Digest) {
        let compressor = try LayerCompressor(compression: compression, store: blobs)
        do {
            let writer = TarWriter(compressor)
            try produce(writer)
            let result = try compressor.finish()
            return (result.descriptor, result.diffID)
        } catch {
            compressor.abort()
            throw error
        }
    }

    /// A new image from layers already in the store (bottom first) and a configuration;
    /// unpacks the snapshots and names it. The config and manifest are written as sorted
    /// JSON, so the same inputs always give the same image ID and manifest digest.
    @discardableResult
    public func createImage(layers: [(descriptor: Descriptor, diffID: Digest)], configuration: ImageConfiguration,
                            references: [Reference]) throws -> Image {
        var configuration = configuration
        configuration.rootfs = ImageConfiguration.RootFS(diffIDs: layers.map(\.diffID))
        let configBytes = try canonicalJSON(configuration)
        let configDigest = try blobs.put(configBytes)
        let manifest = Manifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: Int64(configBytes.count)),
                                layers: layers.map(\.descriptor))
        return try contentLock.withLock(.shared) { try add(manifest: manifest, references: references) }
    }
}
