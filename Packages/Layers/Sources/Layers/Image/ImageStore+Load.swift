import FoundationEssentials
import Glibc
import Syscalls

extension ImageStore {
    /// `docker load`: reads a `docker save` archive (old or new format), an OCI image
    /// layout archive, or an OCI image layout directory, and adds its images. Every blob is
    /// checked against its digest and every layer against its diff ID before anything is
    /// named. Returns Docker's lines: `Loaded image: busybox:latest`.
    @discardableResult
    public func load(_ path: String, platform: Platform = .linuxAMD64) throws -> [String] {
        var info = stat()
        try check("stat", path) { stat(path, &info) }
        if info.st_mode & S_IFMT == S_IFDIR {
            return try contentLock.withLock(.shared) { try loadLayout(path, platform: platform) }
        }
        // An archive: unpack it (safely: it is as untrusted as a layer) into tmp/, then read it.
        let staging = blobs.temporaryPath(".load")
        try check("mkdir", staging) { mkdir(staging, 0o700) }
        defer { SnapshotStore.removeTree(staging) }
        let fd: FileDescriptor
        do { fd = try FileDescriptor.open(path) } catch let error as Errno { throw LayersError.file("open", path, error) }
        defer { try? fd.close() }
        let compression = Compression(magic: try fd.read(upTo: 4))
        guard lseek(fd.rawValue, 0, SEEK_SET) == 0 else { throw LayersError.file("lseek", path, Errno.current) }
        _ = try LayerUnpacker.unpack(file: fd, name: path, compression: compression, into: staging, whiteouts: .keep,
                                     preserveOwners: false)
        return try contentLock.withLock(.shared) { try loadLayout(staging, platform: platform) }
    }

    private func loadLayout(_ directory: String, platform: Platform) throws -> [String] {
        func file(_ relative: String) throws -> String {
            let components = try Extractor.clean(relative)
            guard !components.isEmpty else { throw LayersError.context("load", "empty path in the archive's index") }
            return directory + "/" + components.joined(separator: "/")
        }
        func read(_ relative: String) throws -> [UInt8] {
            let path = try file(relative)
            guard let data = FileManager.default.contents(atPath: path) else { throw LayersError.context("load", "\(relative): missing from the archive") }
            return Array(data)
        }
        var lines: [String] = []
        if access(directory + "/manifest.json", F_OK) == 0 {
            // Docker's format: paths to a config and to layer tars (plain, or compressed).
            let items = try decodeJSON([DockerArchiveItem].self, try read("manifest.json"), what: "manifest.json")
            for item in items {
                let configBytes = try read(item.config)
                let configDigest = try blobs.put(configBytes)
                let configuration = try decodeJSON(ImageConfiguration.self, configBytes, what: item.config)
                guard configuration.rootfs.diffIDs.count == item.layers.count else {
                    throw LayersError.invalidManifest("\(item.config): \(configuration.rootfs.diffIDs.count) diff IDs for \(item.layers.count) layers")
                }
                var layers: [Descriptor] = []
                for layer in item.layers {
                    let path = try file(layer)
                    let digest = try blobs.put(fileAt: path)
                    let fd = try blobs.open(digest)
                    let compression = Compression(magic: try fd.closeAfter { try fd.read(upTo: 4) })
                    layers.append(Descriptor(mediaType: MediaType.layer(compression), digest: digest, size: try blobs.size(of: digest)))
                }
                let manifest = Manifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: Int64(configBytes.count)),
                                        layers: layers)
                let references = try (item.repoTags ?? []).map { try Reference(parsing: $0) }
                let image = try add(manifest: manifest, references: references)
                lines += references.isEmpty ? ["Loaded image ID: \(image.id)"] : references.map { "Loaded image: \($0.familiar)" }
            }
            return lines
        }
        guard access(directory + "/index.json", F_OK) == 0 else {
            throw LayersError.context("load", "neither manifest.json nor index.json: not an image archive")
        }
        // An OCI image layout: index.json names manifests (or nested indexes) in blobs/.
        func blob(_ descriptor: Descriptor) throws -> Digest {
            try blobs.put(fileAt: try file("blobs/sha256/" + descriptor.digest.hex), expecting: descriptor.digest)
        }
        let index = try decodeJSON(ImageIndex.self, try read("index.json"), what: "index.json")
        for entry in index.manifests {
            var descriptor = entry
            if MediaType.isIndex(entry.mediaType) {
                let nested = try decodeJSON(ImageIndex.self, try blobs.read(try blob(entry)), what: "index \(entry.digest)")
                guard let chosen = nested.manifest(for: platform) else { throw LayersError.noMatchingPlatform(entry.digest.description, platform.description) }
                descriptor = chosen
            }
            let manifestDigest = try blob(descriptor)
            let manifest = try loadManifest(manifestDigest)
            _ = try blob(manifest.config)
            for layer in manifest.layers { _ = try blob(layer) }
            let name = entry.annotations?["io.containerd.image.name"] ?? entry.annotations?["org.opencontainers.image.ref.name"]
            let references = name.flatMap { try? Reference(parsing: $0) }.map { [$0] } ?? []
            let image = try add(manifestDigest: manifestDigest, references: references,
                                index: MediaType.isIndex(entry.mediaType) ? entry.digest : nil)
            lines += references.isEmpty ? ["Loaded image ID: \(image.id)"] : references.map { "Loaded image: \($0.familiar)" }
        }
        return lines
    }
}
