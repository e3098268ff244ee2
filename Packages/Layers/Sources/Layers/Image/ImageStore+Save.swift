import FoundationEssentials
import Glibc
import Syscalls

/// `manifest.json` of a `docker save` archive: one item per image.
struct DockerArchiveItem: Codable {
    var config: String
    var repoTags: [String]?
    var layers: [String]

    enum CodingKeys: String, CodingKey {
        case config = "Config"
        case repoTags = "RepoTags"
        case layers = "Layers"
    }
}

extension ImageStore {
    public enum SaveFormat: Sendable {
        /// A tar archive as `docker save` writes it since Docker 25: an OCI image layout
        /// (`oci-layout`, `index.json`, `blobs/sha256/`) plus Docker's `manifest.json` and
        /// `repositories`, so both `docker load` and OCI tools read it.
        case dockerArchive
        /// An OCI image layout in a directory.
        case ociDirectory
    }

    /// `docker save`: writes the images to `path`. Layers are written uncompressed, as
    /// Docker does, so each layer's digest in the archive is its diff ID.
    public func save(_ names: [String], to path: String, format: SaveFormat = .dockerArchive) throws {
        let images = try names.map { (name: $0, image: try image($0)) }
        switch format {
        case .dockerArchive:
            let temporary = path + ".partial-\(getpid())"
            let fd: FileDescriptor
            do { fd = try FileDescriptor.open(temporary, .writeOnly, options: [.create, .truncate]) } catch let error as Errno {
                throw LayersError.file("open", temporary, error)
            }
            do {
                defer { try? fd.close() }
                let writer = TarLayoutWriter(FileSink(fd, name: temporary))
                try write(images, to: writer)
                try writer.finish()
                try check("rename", path) { rename(temporary, path) }
            } catch {
                unlink(temporary)
                throw error
            }
        case .ociDirectory:
            try write(images, to: try DirectoryLayoutWriter(path))
        }
    }

    /// `docker save` to a stream (`docker save busybox > busybox.tar`): the same archive,
    /// written to `sink` as it is made. Every image is found before the first byte is written.
    public func save(_ names: [String], to sink: any ByteSink) throws {
        let images = try names.map { (name: $0, image: try image($0)) }
        let writer = TarLayoutWriter(sink)
        try write(images, to: writer)
        try writer.finish()
    }

    /// Writes the images' blobs and the index documents.
    func write(_ images: [(name: String, image: Image)], to writer: any LayoutWriter) throws {
        var written = Set<Digest>()
        var indexEntries: [Descriptor] = []
        var items: [DockerArchiveItem] = []
        var repositories: [String: [String: String]] = [:]
        for (name, image) in images {
            let configBytes = try blobs.read(image.id)
            if written.insert(image.id).inserted { try writer.add("blobs/sha256/" + image.id.hex, bytes: configBytes) }
            var layers: [Descriptor] = []
            for (layer, snapshot) in zip(image.manifest.layers, image.snapshots) {
                layers.append(Descriptor(mediaType: MediaType.ociLayer, digest: snapshot.diffID, size: snapshot.size))
                guard written.insert(snapshot.diffID).inserted else { continue }
                try writer.add("blobs/sha256/" + snapshot.diffID.hex, size: snapshot.size) { emit in
                    try uncompressed(layer, expected: snapshot, emit)
                }
            }
            let manifest = Manifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: image.id, size: Int64(configBytes.count)),
                                    layers: layers)
            let manifestBytes = try canonicalJSON(manifest)
            let manifestDigest = SHA256.hash(manifestBytes)
            if written.insert(manifestDigest).inserted { try writer.add("blobs/sha256/" + manifestDigest.hex, bytes: manifestBytes) }
            // The names to record: the one asked for if it is a name, else every name the image has.
            var tags: [Reference] = []
            if let reference = try? Reference(parsing: name), reference.digest == nil, (try? resolve(reference.description)) == image.manifestDigest {
                tags = [reference]
            } else {
                tags = try names(of: image.manifestDigest).compactMap { try? Reference(parsing: $0) }.filter { $0.tag != nil }
            }
            for tag in tags {
                indexEntries.append(Descriptor(mediaType: MediaType.ociManifest, digest: manifestDigest, size: Int64(manifestBytes.count),
                                               annotations: ["io.containerd.image.name": tag.description,
                                                             "org.opencontainers.image.ref.name": tag.tag ?? "latest"]))
                repositories[tag.familiarRepository, default: [:]][tag.tag ?? "latest"] = image.snapshots.last?.diffID.hex
            }
            if tags.isEmpty {
                indexEntries.append(Descriptor(mediaType: MediaType.ociManifest, digest: manifestDigest, size: Int64(manifestBytes.count)))
            }
            items.append(DockerArchiveItem(config: "blobs/sha256/" + image.id.hex, repoTags: tags.map(\.familiar),
                                           layers: image.snapshots.map { "blobs/sha256/" + $0.diffID.hex }))
        }
        try writer.add("oci-layout", bytes: Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        try writer.add("index.json", bytes: try canonicalJSON(ImageIndex(manifests: indexEntries)))
        try writer.add("manifest.json", bytes: try canonicalJSON(items))
        if !repositories.isEmpty { try writer.add("repositories", bytes: try canonicalJSON(repositories)) }
    }

    /// Emits a layer's uncompressed tar stream, decompressing its blob if need be, and
    /// checks it against the snapshot's diff ID and size.
    private func uncompressed(_ layer: Descriptor, expected: Snapshot, _ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let blob = try blobs.open(layer.digest)
        defer { try? blob.close() }
        let compression = Compression(mediaType: layer.mediaType)
        let filter = compression == .none ? nil : try FilterProcess(try compression.decompressor(), reading: blob)
        let source = FileSource(filter?.output ?? blob, name: "blob \(layer.digest)")
        var hash = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        do {
            var total: Int64 = 0
            while true {
                let n = try source.read(into: buffer)
                if n == 0 { break }
                let piece = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                total += Int64(n)
                guard total <= expected.size else { throw LayersError.sizeMismatch(digest: expected.diffID, expected: expected.size, actual: total) }
                hash.update(piece)
                try emit(piece)
            }
            try filter?.wait()
            let digest = hash.finalize()
            guard digest == expected.diffID else { throw LayersError.digestMismatch(expected: expected.diffID, actual: digest) }
        } catch {
            filter?.kill()
            throw error
        }
    }
}
