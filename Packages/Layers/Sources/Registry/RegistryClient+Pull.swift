import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Glibc
import Syscalls
import Layers

extension RegistryClient {
    /// `docker pull`: fetches the manifest (choosing a platform from an index), the config,
    /// and every layer not already unpacked, 3 at a time. Each layer streams from the
    /// socket into its blob, through SHA-256 and the decompressor into its snapshot at
    /// once; a wrong digest stores nothing. Names the image only when all of it is there.
    ///
    ///     let image = try await client.pull("127.0.0.1:5000/team/app:1.0", platform: .linuxAMD64)
    @discardableResult
    public func pull(_ name: String, platform: Platform = .linuxAMD64) async throws -> Image {
        let reference = try Reference(parsing: name)
        do {
            return try await pull(reference, platform: platform)
        } catch {
            throw LayersError.context("pull \(reference.familiar)", "\(error)")
        }
    }

    private func pull(_ reference: Reference, platform: Platform) async throws -> Image {
        let registry = reference.registry
        let scope = "repository:\(reference.path):pull"
        progress.message("\(reference.tag ?? reference.digest!.description): Pulling from \(reference.path)")
        // Hold the content lock (shared) so garbage collection cannot remove what this pull
        // stores before the pull names it.
        let contentLock = try store.contentLock.acquire(.shared)
        defer { try? contentLock.close() }
        try await prepareAuthentication(registry: registry, scope: scope)

        // 1. The manifest, or an index of manifests to choose from.
        var (bytes, mediaType, digest) = try await fetchManifest(reference.digest?.description ?? reference.tag!, reference: reference,
                                                                 scope: scope, expected: reference.digest)
        var indexDigest: Digest?
        if MediaType.isIndex(mediaType) {
            let index = try decodeJSON(ImageIndex.self, Array(bytes), what: "index \(digest)")
            guard let chosen = index.manifest(for: platform) else {
                let offered = index.manifests.compactMap { $0.platform?.description }.joined(separator: ", ")
                throw LayersError.noMatchingPlatform(reference.familiar, "\(platform) (the index offers \(offered))")
            }
            try store.blobs.put(Array(bytes), expecting: digest)
            indexDigest = digest
            (bytes, mediaType, digest) = try await fetchManifest(chosen.digest.description, reference: reference, scope: scope,
                                                                 expected: chosen.digest)
        }
        guard MediaType.isManifest(mediaType) else { throw LayersError.unsupported("manifest media type \(mediaType)") }
        let manifest = try decodeJSON(Manifest.self, Array(bytes), what: "manifest \(digest)")

        // 2. The config: small, fetched whole, checked against its digest.
        if !store.blobs.contains(manifest.config.digest) {
            let (data, response) = try await send(URLRequest(url: try url(registry, "\(reference.path)/blobs/\(manifest.config.digest)")),
                                                  registry: registry, scope: scope)
            try expect(response, data, [200], "config \(manifest.config.digest)")
            try store.blobs.put(Array(data), expecting: manifest.config.digest)
        }
        let configuration = try decodeJSON(ImageConfiguration.self, try store.blobs.read(manifest.config.digest),
                                           what: "config \(manifest.config.digest)")
        let diffIDs = configuration.rootfs.diffIDs
        guard diffIDs.count == manifest.layers.count else {
            throw LayersError.invalidManifest("\(manifest.layers.count) layers but \(diffIDs.count) diff IDs in the config")
        }
        let chainIDs = Snapshot.chainIDs(diffIDs)

        // 3. The layers, `concurrency` at a time, each into its own snapshot.
        // (Children report failures as values and the group drains: cancelling a task does not
        // reliably end an URLSession request on Linux, and a pull must not hang on one.)
        var downloaded = 0
        var failure: (any Error)?
        await withTaskGroup(of: Result<Bool, any Error>.self) { group in
            var next = 0
            func start() {
                let index = next
                next += 1
                group.addTask {
                    do {
                        return .success(try await self.fetchLayer(manifest.layers[index], diffID: diffIDs[index], chainID: chainIDs[index],
                                                                  parent: index == 0 ? nil : chainIDs[index - 1], reference: reference, scope: scope))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            while next < min(concurrency, manifest.layers.count) { start() }
            while let result = await group.next() {
                switch result {
                case .success(let fetched): if fetched { downloaded += 1 }
                case .failure(let error): failure = failure ?? error
                }
                if failure == nil && next < manifest.layers.count { start() }
            }
        }
        if let failure { throw failure }

        // 4. Only now: the manifest in the store, and the name pointing at it.
        try store.blobs.put(Array(bytes), expecting: digest)
        let image = try store.add(manifestDigest: digest, references: [reference], index: indexDigest)
        progress.message("Digest: \(indexDigest ?? digest)")
        progress.message(downloaded > 0 ? "Status: Downloaded newer image for \(reference.familiar)"
                                        : "Status: Image is up to date for \(reference.familiar)")
        return image
    }

    /// GETs a manifest with every manifest type we understand in `Accept`, and checks its
    /// digest when one is expected.
    func fetchManifest(_ tagOrDigest: String, reference: Reference, scope: String,
                       expected: Digest?) async throws -> (Data, String, Digest) {
        var request = URLRequest(url: try url(reference.registry, "\(reference.path)/manifests/\(tagOrDigest)"))
        request.setValue(MediaType.acceptedManifests.joined(separator: ", "), forHTTPHeaderField: "Accept")
        let (data, response) = try await send(request, registry: reference.registry, scope: scope)
        try expect(response, data, [200], "manifest \(tagOrDigest)")
        let digest = SHA256.hash(Array(data))
        if let expected, digest != expected { throw LayersError.digestMismatch(expected: expected, actual: digest) }
        if let header = response.value(forHTTPHeaderField: "Docker-Content-Digest"), let claimed = try? Digest(parsing: header), claimed != digest {
            throw LayersError.context("manifest \(tagOrDigest)", "registry says \(claimed), content is \(digest)")
        }
        var mediaType = response.value(forHTTPHeaderField: "Content-Type")?.split(separator: ";").first.map(String.init) ?? ""
        if !MediaType.isIndex(mediaType) && !MediaType.isManifest(mediaType) {
            // Some registries answer application/json: the document says what it is.
            struct Probe: Decodable { let mediaType: String?; let manifests: [Descriptor]? }
            let probe = try? JSONDecoder().decode(Probe.self, from: data)
            mediaType = probe?.mediaType ?? (probe?.manifests != nil ? MediaType.ociIndex : MediaType.ociManifest)
        }
        return (data, mediaType, digest)
    }

    /// Makes sure one layer is unpacked; returns whether it had to be downloaded.
    private func fetchLayer(_ layer: Descriptor, diffID: Digest, chainID: Digest, parent: Digest?,
                            reference: Reference, scope: String) async throws -> Bool {
        let id = String(layer.digest.short)
        if store.snapshots.snapshot(chainID) != nil && store.blobs.contains(layer.digest) {
            progress.update(id, "Already exists")
            return false
        }
        let compression = Compression(mediaType: layer.mediaType)
        if store.blobs.contains(layer.digest) {
            let fd = try store.blobs.open(layer.digest)
            defer { try? fd.close() }
            _ = try store.snapshots.unpack(blob: fd, name: "blob \(layer.digest)", compression: compression, parent: parent, diffID: diffID)
            progress.update(id, "Pull complete")
            return false
        }
        guard layer.urls == nil || layer.mediaType != MediaType.dockerForeignLayerGzip else {
            throw LayersError.unsupported("foreign layer \(layer.digest)")
        }
        progress.update(id, "Pulling fs layer")
        let writer = try store.blobs.writer(expecting: layer.digest, size: layer.size)
        let staging = try store.snapshots.prepareStaging()
        let unpacker: LayerUnpacker
        do {
            unpacker = try LayerUnpacker(compression: compression, into: staging + "/fs")
        } catch {
            writer.abort()
            SnapshotStore.removeTree(staging)
            throw error
        }
        do {
            try await download(layer, reference: reference, scope: scope) { piece in
                try writer.write(piece)
                try unpacker.write(piece)
                self.progress.update(id, "Downloading", current: writer.size, total: layer.size)
            }
            progress.update(id, "Verifying Checksum")
            try writer.commit()
            progress.update(id, "Download complete")
            let result = try unpacker.finish()
            _ = try store.snapshots.commit(staging: staging, result: result, parent: parent, expected: diffID)
        } catch {
            unpacker.cancel()
            writer.abort()
            SnapshotStore.removeTree(staging)
            throw LayersError.context("blob \(layer.digest)", "\(error)")
        }
        progress.update(id, "Pull complete")
        return true
    }

    /// GETs a blob, streaming it to `consume`, resuming with a `Range` request after a
    /// dropped connection (or starting over, skipping what was consumed, if the registry
    /// ignores ranges), up to `retries` times.
    func download(_ blob: Descriptor, reference: Reference, scope: String,
                  consume: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws {
        var offset: Int64 = 0
        var failures = 0
        var reauthenticated = false
        while true {
            var request = URLRequest(url: try url(reference.registry, "\(reference.path)/blobs/\(blob.digest)"))
            if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
            authorize(&request, registry: reference.registry, scope: scope)
            let outcome = await BlobDownload.run(request, resumeFrom: offset, responder: challengeResponder, consume: consume)
            if let error = outcome.consumerError { throw error }
            if let response = HTTPURLResponse(url: request.url!, statusCode: outcome.status, httpVersion: nil,
                                              headerFields: outcome.headers.reduce(into: [String: String]()) { $0["\($1.key)"] = "\($1.value)" }) {
                record(request, response)
            }
            if outcome.status == 401 && !reauthenticated {
                reauthenticated = true
                let response = HTTPURLResponse(url: request.url!, statusCode: 401, httpVersion: nil,
                                               headerFields: outcome.headers.reduce(into: [String: String]()) { $0["\($1.key)"] = "\($1.value)" })!
                try await answerChallenge(response, registry: reference.registry, scope: scope)
                continue
            }
            if outcome.status != 0 && outcome.status != 200 && outcome.status != 206 {
                let message = RegistryClient.errorMessage(outcome.errorBody).map { ": " + $0 } ?? ""
                throw LayersError.registry("GET blob: \(outcome.status == 401 ? "unauthorized" : String(outcome.status))\(message)")
            }
            offset += outcome.delivered
            if outcome.transportError == nil && offset >= blob.size { return }
            failures += 1
            if failures > retries {
                let reason = outcome.transportError.map { $0.localizedDescription } ?? "connection closed after \(offset) of \(blob.size) bytes"
                throw LayersError.registry("GET blob: \(reason) (gave up after \(retries) retries)")
            }
            try await Task.sleep(nanoseconds: UInt64(200_000_000 * failures))
        }
    }
}
