import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Glibc
import Syscalls
import Testing
@testable import Layers
@testable import Registry

/// An image with a layer of `megabytes` of random bytes (incompressible) on top of busybox.
func bigImage(_ store: ImageStore, megabytes: Int, name: String, compression: Compression = .gzip) throws -> Image {
    let busybox = try store.buildBusybox()
    let random = try FileDescriptor.open("/dev/urandom")
    defer { try? random.close() }
    let layer = try store.createLayer(compression: compression) { tar in
        try tar.add(TarEntry(path: "data/random", kind: .regular, mode: 0o644, size: Int64(megabytes) << 20)) { emit in
            for _ in 0..<megabytes {
                let bytes = try random.read(upTo: 1 << 20)
                try bytes.withUnsafeBytes { try emit($0) }
            }
        }
        try tar.finish()
    }
    var configuration = busybox.configuration
    configuration.history = (configuration.history ?? []) + [.init(created: configuration.created, createdBy: "random \(megabytes) MiB")]
    return try store.createImage(layers: [(busybox.manifest.layers[0], busybox.snapshots[0].diffID), layer],
                                 configuration: configuration, references: [try Reference(parsing: name)])
}

final class TraceLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.withLock { stored.append(line) } }
    var lines: [String] { lock.withLock { stored } }
}

@Suite("Registry", .enabled(if: isRoot && hasRegistry && hasBusybox, "needs root, docker-registry and busybox-static"))
struct RegistryTests {
    @Test("push, then pull into an empty store: the same digests, by the registry's own account")
    func roundTrip() async throws {
        try await withRegistry { server, store, directory in
            let client = quietClient(store, directory)
            client.chunkSize = 1 << 20  // the 3 MiB layer goes up in chunks, busybox's in one PUT
            let name = "\(server.address)/team/app:1.0"
            let image = try bigImage(store, megabytes: 3, name: name)
            let pushed = try await client.push(name)
            #expect(pushed == image.manifestDigest)
            // The registry's answers: the manifest under the tag, every blob present.
            let (manifest, response) = try await server.request("team/app/manifests/1.0", accept: MediaType.ociManifest)
            #expect(response.statusCode == 200)
            #expect(SHA256.hash(Array(manifest)) == image.manifestDigest)
            #expect(response.value(forHTTPHeaderField: "Docker-Content-Digest") == image.manifestDigest.description)
            for blob in image.manifest.layers + [image.manifest.config] {
                #expect(try await server.request("team/app/blobs/\(blob.digest)", method: "HEAD").1.statusCode == 200)
            }
            // A second push finds everything there already.
            #expect(try await client.push(name) == image.manifestDigest)

            let other = try ImageStore(root: directory + "/other")
            let pulled = try await quietClient(other, directory).pull(name)
            #expect(pulled.manifestDigest == image.manifestDigest)
            #expect(pulled.id == image.id)
            #expect(pulled.snapshots.map(\.diffID) == image.snapshots.map(\.diffID))
            #expect(try other.blobs.all() == (try store.blobs.all()).filter { other.blobs.contains($0) })
            #expect(try run("/usr/bin/sha256sum", pulled.lowerDirectories[0] + "/data/random").prefix(64) ==
                    (try run("/usr/bin/sha256sum", image.lowerDirectories[0] + "/data/random")).prefix(64))
            // Pulling again downloads nothing.
            #expect(try await quietClient(other, directory).pull(name).id == image.id)
        }
    }

    @Test("a manifest list with two platforms: linux/amd64 by default, --platform for the other")
    func manifestList() async throws {
        try await withRegistry { server, store, directory in
            let client = quietClient(store, directory)
            let amd = try store.buildBusybox(as: "\(server.address)/multi:amd64")
            var armConfig = amd.configuration
            armConfig.architecture = "arm64"
            armConfig.variant = "v8"
            let arm = try store.createImage(layers: [(amd.manifest.layers[0], amd.snapshots[0].diffID)], configuration: armConfig,
                                            references: [try Reference(parsing: "\(server.address)/multi:arm64")])
            try await client.push("\(server.address)/multi:amd64")
            try await client.push("\(server.address)/multi:arm64")
            func entry(_ image: Image, _ platform: Platform) throws -> Descriptor {
                Descriptor(mediaType: MediaType.ociManifest, digest: image.manifestDigest,
                           size: try store.blobs.size(of: image.manifestDigest), platform: platform)
            }
            let index = ImageIndex(manifests: [try entry(arm, Platform(architecture: "arm64", variant: "v8")), try entry(amd, .linuxAMD64)])
            let indexBytes = Data(try canonicalJSON(index))
            let indexDigest = try await client.putManifest(indexBytes, mediaType: MediaType.ociIndex,
                                                           reference: try Reference(parsing: "\(server.address)/multi:latest"))
            let (served, _) = try await server.request("multi/manifests/latest", accept: MediaType.ociIndex)
            #expect(SHA256.hash(Array(served)) == indexDigest)

            let first = try ImageStore(root: directory + "/first")
            let pulled = try await quietClient(first, directory).pull("\(server.address)/multi:latest")
            #expect(pulled.configuration.architecture == "amd64" && pulled.id == amd.id)
            #expect(try first.image("\(server.address)/multi@\(indexDigest)").id == amd.id)

            let second = try ImageStore(root: directory + "/second")
            let armPulled = try await quietClient(second, directory).pull("\(server.address)/multi:latest", platform: try Platform(parsing: "linux/arm64"))
            #expect(armPulled.configuration.architecture == "arm64" && armPulled.id == arm.id)

            let third = try ImageStore(root: directory + "/third")
            await #expect(throws: LayersError.self) {
                try await quietClient(third, directory).pull("\(server.address)/multi:latest", platform: try Platform(parsing: "linux/s390x"))
            }
            #expect(try third.images().isEmpty)
        }
    }

    @Test("a registry with basic auth refuses anonymous pushes, a wrong password, and takes a login")
    func basicAuth() async throws {
        try await withRegistry(auth: .basic(user: "cook", password: "kimchi")) { server, store, directory in
            let name = "\(server.address)/private/box:1"
            try store.buildBusybox(as: name)
            let client = quietClient(store, directory)
            await #expect(throws: LayersError.self) { try await client.push(name) }
            await #expect(throws: LayersError.self) {
                try await client.login(registry: server.address, username: "cook", password: "wrong")
            }
            #expect(!FileManager.default.fileExists(atPath: directory + "/docker/config.json"))
            try await client.login(registry: server.address, username: "cook", password: "kimchi")
            // Stored as Docker stores it.
            let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/docker/config.json"))) as? [String: Any]
            let auths = config?["auths"] as? [String: [String: String]]
            #expect(auths?[server.address]?["auth"] == Data("cook:kimchi".utf8).base64EncodedString())
            let digest = try await client.push(name)
            let other = try ImageStore(root: directory + "/other")
            #expect(try await quietClient(other, directory).pull(name).manifestDigest == digest)
            // Without the credentials file, pulling is refused too.
            let stranger = RegistryClient(store: other, credentials: CredentialStore(path: directory + "/none.json"), progress: PullProgress(output: nil))
            await #expect(throws: LayersError.self) { try await stranger.pull(name) }
        }
    }

    @Test("token auth: anonymous tokens pull, pushing needs a login, and a wrong password is refused")
    func tokenAuth() async throws {
        try await withRegistry(auth: .token(user: "chef", password: "bibimbap")) { server, store, directory in
            let name = "\(server.address)/kitchen/box:1"
            try store.buildBusybox(as: name)
            let client = quietClient(store, directory)
            // Anonymous: the token service grants pull only, so the registry refuses the push.
            await #expect(throws: LayersError.self) { try await client.push(name) }
            await #expect(throws: LayersError.self) {
                try await client.login(registry: server.address, username: "chef", password: "wrong")
            }
            try await client.login(registry: server.address, username: "chef", password: "bibimbap")
            let digest = try await quietClient(store, directory).push(name)
            // Anyone may pull: an anonymous token with pull access.
            let other = try ImageStore(root: directory + "/other")
            let stranger = RegistryClient(store: other, credentials: CredentialStore(path: directory + "/none.json"), progress: PullProgress(output: nil))
            #expect(try await stranger.pull(name).manifestDigest == digest)
            // The registry itself refuses a request without a token.
            #expect(try await server.request("kitchen/box/manifests/1").1.statusCode == 401)
        }
    }

    @Test("a corrupted blob is rejected and nothing of it is stored")
    func corruptedBlob() async throws {
        try await withRegistry { server, store, directory in
            let name = "\(server.address)/team/bad:1"
            let image = try bigImage(store, megabytes: 2, name: name)
            try await quietClient(store, directory).push(name)
            // Flip one byte of the top layer inside the registry's storage.
            let layer = image.manifest.layers[1].digest
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: server.blobPath(layer))))
            bytes[bytes.count / 2] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: server.blobPath(layer)))

            let other = try ImageStore(root: directory + "/other")
            do {
                try await quietClient(other, directory).pull(name)
                Issue.record("the pull succeeded")
            } catch {
                #expect("\(error)".contains("blob \(layer)"), "\(error)")
                #expect("\(error)".contains("digest mismatch") || "\(error)".contains("gzip"), "\(error)")
            }
            #expect(!other.blobs.contains(layer))
            #expect(other.snapshots.snapshot(image.snapshots[1].chainID) == nil)
            #expect(try other.images().isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: other.root + "/tmp").isEmpty)
        }
    }

    @Test("a pull killed halfway leaves no partial blob visible, and the next pull succeeds")
    func killedPull() async throws {
        try await withRegistry { server, store, directory in
            let name = "\(server.address)/team/large:1"
            let image = try bigImage(store, megabytes: 96, name: name, compression: .none)
            try await quietClient(store, directory).push(name)

            let root = directory + "/other"
            let other = try ImageStore(root: root)
            var spawn = Spawn(builtExecutable("layers-test-helper"), arguments: ["pull", root, name])
            let log = try FileDescriptor.open(directory + "/pull.log", .writeOnly, options: [.create, .truncate])
            spawn.fileDescriptors = [0: .standardInput, 1: log, 2: log]
            let child = try spawn.start()
            try log.close()
            // Wait until the big layer is partly downloaded, then kill the pull.
            let layer = image.manifest.layers[1]
            var killedMidway = false
            for _ in 0..<5000 {
                let partial = (try? FileManager.default.contentsOfDirectory(atPath: root + "/tmp")) ?? []
                let sizes = partial.compactMap { try? FileManager.default.attributesOfItem(atPath: root + "/tmp/" + $0)[.size] as? Int }
                if sizes.contains(where: { $0 > 4 << 20 }) {
                    try child.descriptor?.send(.kill)
                    killedMidway = true
                    break
                }
                usleep(2000)
            }
            _ = try child.wait()
            #expect(killedMidway, "the pull finished before it could be killed")
            #expect(!other.blobs.contains(layer.digest), "no partial blob under its digest")
            #expect(try other.images().isEmpty)
            #expect(other.snapshots.snapshot(image.snapshots[1].chainID) == nil)

            let pulled = try await quietClient(other, directory).pull(name)
            #expect(pulled.manifestDigest == image.manifestDigest)
            // The dead pull's temporary files go with the next garbage collection.
            try other.collectGarbage()
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp").isEmpty)
        }
    }

    @Test("a download cut off twice in the middle is resumed, and the pull succeeds")
    func resume() async throws {
        try await withRegistry { server, store, directory in
            let name = "\(server.address)/team/flaky:1"
            let image = try bigImage(store, megabytes: 4, name: name)
            try await quietClient(store, directory).push(name)
            let proxy = try server.startFlakyProxy(cutAfter: 1_000_000, cuts: 2)
            let client = quietClient(try ImageStore(root: directory + "/other"), directory)
            let requests = TraceLog()
            client.trace = { requests.append($0) }
            let pulled = try await client.pull("\(proxy)/team/flaky:1")
            #expect(pulled.manifestDigest == image.manifestDigest)
            #expect(pulled.snapshots.map(\.diffID) == image.snapshots.map(\.diffID))
            // The registry's answer to a resumed request: 206 Partial Content.
            #expect(requests.lines.contains { $0.contains("/blobs/") && $0.contains("-> 206") }, "\(requests.lines)")
        }
    }

    @Test("the pull progress is plain lines when output is not a terminal")
    func progressLines() async throws {
        try await withRegistry { server, store, directory in
            let name = "\(server.address)/team/box:1"
            let image = try store.buildBusybox(as: name)
            try await quietClient(store, directory).push(name)
            let (status, output) = try Spawn(builtExecutable("layers-test-helper"), arguments: ["pull", directory + "/other", name])
                .output(includeErrors: true)
            #expect(status == .exited(0), "\(output)")
            let id = image.manifest.layers[0].digest.short
            let lines = output.split(separator: "\n").map(String.init)
            #expect(lines.first == "1: Pulling from team/box")
            #expect(lines.contains("\(id): Pulling fs layer") && lines.contains("\(id): Pull complete"))
            #expect(lines.contains("Digest: \(image.manifestDigest)"))
            #expect(lines.contains("Status: Downloaded newer image for \(name)"))
            #expect(!output.contains("\u{1B}["), "no terminal escapes")
        }
    }
}
