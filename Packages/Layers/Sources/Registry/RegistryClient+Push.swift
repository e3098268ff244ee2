import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Glibc
import Syscalls
import Layers

extension RegistryClient {
    /// `docker push`: uploads the layers and the config that the registry does not have yet
    /// (asked with HEAD), then puts the manifest under the reference's tag. Returns the
    /// manifest digest, which is the same in the registry as here: the bytes are the same.
    ///
    ///     try store.tag("busybox", as: "127.0.0.1:5000/team/box:1.0")
    ///     let digest = try await client.push("127.0.0.1:5000/team/box:1.0")
    @discardableResult
    public func push(_ name: String) async throws -> Digest {
        let reference = try Reference(parsing: name)
        do {
            let image = try store.image(name)
            progress.message("The push refers to repository [\(reference.repository)]")
            let scope = "repository:\(reference.path):pull,push"
            try await prepareAuthentication(registry: reference.registry, scope: scope)
            let blobs = image.manifest.layers + [image.manifest.config]
            var failure: (any Error)?
            await withTaskGroup(of: (any Error)?.self) { group in
                var next = 0
                func start() {
                    let blob = blobs[next]
                    next += 1
                    group.addTask {
                        do { try await self.pushBlob(blob, reference: reference, scope: scope) } catch { return error }
                        return nil
                    }
                }
                while next < min(concurrency, blobs.count) { start() }
                while let result = await group.next() {
                    if let error = result { failure = failure ?? error }
                    if failure == nil && next < blobs.count { start() }
                }
            }
            if let failure { throw failure }
            let bytes = Data(try store.blobs.read(image.manifestDigest))
            let digest = try await putManifest(bytes, mediaType: image.manifest.mediaType ?? MediaType.ociManifest,
                                               reference: reference, scope: scope)
            progress.message("\(reference.tag ?? "latest"): digest: \(digest) size: \(bytes.count)")
            return digest
        } catch {
            throw LayersError.context("push \(reference.familiar)", "\(error)")
        }
    }

    /// PUTs a manifest (or an index) under the reference's tag, or under its own digest.
    @discardableResult
    public func putManifest(_ bytes: Data, mediaType: String, reference: Reference, scope: String? = nil) async throws -> Digest {
        let digest = SHA256.hash(Array(bytes))
        var request = URLRequest(url: try url(reference.registry, "\(reference.path)/manifests/\(reference.tag ?? digest.description)"))
        request.httpMethod = "PUT"
        request.setValue(mediaType, forHTTPHeaderField: "Content-Type")
        let (data, response) = try await send(request, body: bytes, registry: reference.registry,
                                              scope: scope ?? "repository:\(reference.path):pull,push")
        try expect(response, data, [201, 200], "manifest")
        if let header = response.value(forHTTPHeaderField: "Docker-Content-Digest"), let stored = try? Digest(parsing: header), stored != digest {
            throw LayersError.context("manifest", "registry stored \(stored), we sent \(digest)")
        }
        return digest
    }

    /// Uploads one blob unless the registry has it.
    private func pushBlob(_ blob: Descriptor, reference: Reference, scope: String) async throws {
        let id = blob.digest.short
        var head = URLRequest(url: try url(reference.registry, "\(reference.path)/blobs/\(blob.digest)"))
        head.httpMethod = "HEAD"
        let (headData, headResponse) = try await send(head, registry: reference.registry, scope: scope)
        if headResponse.statusCode == 200 {
            progress.update(id, "Layer already exists")
            return
        }
        try expect(headResponse, headData, [404], "HEAD blob \(blob.digest)")
        progress.update(id, "Preparing")
        // Start an upload session: the registry answers with where to send the bytes.
        var start = URLRequest(url: try url(reference.registry, "\(reference.path)/blobs/uploads/"))
        start.httpMethod = "POST"
        let (startData, startResponse) = try await send(start, body: Data(), registry: reference.registry, scope: scope)
        try expect(startResponse, startData, [202], "start upload of \(blob.digest)")
        var location = try uploadLocation(startResponse, reference: reference)

        let fd = try store.blobs.open(blob.digest)
        defer { try? fd.close() }
        if blob.size <= Int64(chunkSize) {
            // Monolithic: the whole blob in the closing PUT.
            let bytes = Data(try fd.readAll())
            progress.update(id, "Pushing", current: 0, total: blob.size)
            var put = URLRequest(url: try appendingDigest(location, blob.digest))
            put.httpMethod = "PUT"
            put.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
            let (data, response) = try await send(put, body: bytes, registry: reference.registry, scope: scope)
            try expect(response, data, [201], "upload \(blob.digest)")
        } else {
            // Chunked: PATCH each piece with its Content-Range, then an empty closing PUT.
            var offset: Int64 = 0
            while offset < blob.size {
                let chunk = Data(try fd.read(upTo: chunkSize))
                guard !chunk.isEmpty else { throw LayersError.context("blob \(blob.digest)", "shorter than its size \(blob.size)") }
                var patch = URLRequest(url: location)
                patch.httpMethod = "PATCH"
                patch.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
                patch.setValue("\(offset)-\(offset + Int64(chunk.count) - 1)", forHTTPHeaderField: "Content-Range")
                let (data, response) = try await send(patch, body: chunk, registry: reference.registry, scope: scope)
                try expect(response, data, [202], "upload chunk of \(blob.digest) at \(offset)")
                location = try uploadLocation(response, reference: reference)
                offset += Int64(chunk.count)
                progress.update(id, "Pushing", current: offset, total: blob.size)
            }
            var put = URLRequest(url: try appendingDigest(location, blob.digest))
            put.httpMethod = "PUT"
            let (data, response) = try await send(put, body: Data(), registry: reference.registry, scope: scope)
            try expect(response, data, [201], "finish upload of \(blob.digest)")
        }
        progress.update(id, "Pushed")
    }

    /// The `Location` of an upload session, made absolute.
    private func uploadLocation(_ response: HTTPURLResponse, reference: Reference) throws -> URL {
        guard let location = response.value(forHTTPHeaderField: "Location"),
              let url = URL(string: location, relativeTo: try url(reference.registry, "")) else {
            throw LayersError.registry("upload: no Location in the registry's answer")
        }
        return url.absoluteURL
    }

    private func appendingDigest(_ url: URL, _ digest: Digest) throws -> URL {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: true) else { throw LayersError.registry("invalid upload URL \(url)") }
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "digest", value: digest.description)]
        guard let result = components.url else { throw LayersError.registry("invalid upload URL \(url)") }
        return result
    }
}
