import Dispatch
import FoundationEssentials
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

extension ImageStore {
    /// Unpacks layer files (plain, gzip or zstd) into `directory/0`, `directory/1`, ... all at
    /// once, as a pull does (for `make bench`, to compare with `tar -xzf`).
    public static func unpackLayers(_ layers: [String], into directory: String) throws {
        let errors = ErrorBox()
        DispatchQueue.concurrentPerform(iterations: layers.count) { index in
            do {
                let target = directory + "/\(index)"
                try check("mkdir", target) { mkdir(target, 0o755) }
                let fd = try FileDescriptor.open(layers[index])
                defer { try? fd.close() }
                let compression = Compression(magic: try fd.read(upTo: 4))
                guard lseek(fd.rawValue, 0, SEEK_SET) == 0 else { throw LayersError.file("lseek", layers[index], Errno.current) }
                _ = try LayerUnpacker.unpack(file: fd, name: layers[index], compression: compression, into: target)
            } catch {
                errors.record(error)
            }
        }
        if let error = errors.first { throw error }
    }
}
