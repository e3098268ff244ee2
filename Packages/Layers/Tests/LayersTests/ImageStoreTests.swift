import Foundation
import Glibc
import Syscalls
import Testing
@testable import Layers

let hasBusybox = ImageStore.busyboxCandidates.contains { access($0, X_OK) == 0 }

/// A store in a fresh temporary root.
func withStore<T>(_ body: (ImageStore, String) throws -> T) throws -> T {
    try withTemporaryDirectory { directory in
        try body(try ImageStore(root: directory + "/store"), directory)
    }
}

@Suite("Image store", .enabled(if: isRoot && hasBusybox, "needs root (owners, whiteouts) and busybox-static"))
struct ImageStoreTests {
    @Test("busybox:latest is built as a one-layer OCI image whose snapshot runs")
    func busybox() throws {
        try withStore { store, _ in
            let image = try store.buildBusybox()
            #expect(image.manifest.layers.count == 1)
            #expect(image.manifest.layers[0].mediaType == MediaType.ociLayerGzip)
            #expect(image.configuration.config?.cmd == ["sh"])
            #expect(image.configuration.rootfs.diffIDs == [image.snapshots[0].diffID])
            let rootfs = image.lowerDirectories[0]
            #expect(try run(rootfs + "/bin/busybox", "echo", "lunch") == "lunch\n")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: rootfs + "/bin/sh") == "/bin/busybox")
            #expect(contents(of: rootfs + "/etc/passwd")?.hasPrefix("root:x:0:0:") == true)
            // The blob on disk is what the manifest says, by sha256sum's account.
            let layer = image.manifest.layers[0].digest
            #expect(try run("/usr/bin/sha256sum", store.blobs.path(of: layer)).hasPrefix(layer.hex))
            // Building again gives the same image.
            #expect(try store.buildBusybox().id == image.id)
            #expect(try store.image("busybox").manifestDigest == image.manifestDigest)
            #expect(try store.image("docker.io/library/busybox:latest").id == image.id)
            #expect(try store.image(image.id.short).id == image.id)
            #expect(try store.image("busybox@" + image.manifestDigest.description).id == image.id)
            #expect(throws: LayersError.imageNotFound("busybox:1.0")) { try store.image("busybox:1.0") }
        }
    }

    @Test("images lists names with id, created and size; tag adds a name")
    func listing() throws {
        try withStore { store, _ in
            let image = try store.buildBusybox()
            try store.tag("busybox", as: "127.0.0.1:5000/team/box:1.0")
            let list = try store.images()
            #expect(list.map { "\($0.repository):\($0.tag)" }.sorted() == ["127.0.0.1:5000/team/box:1.0", "busybox:latest"])
            #expect(list.allSatisfy { $0.id == image.id && $0.size == image.snapshots[0].size && $0.created != nil })
        }
    }

    @Test("rmi untags a second name, deletes with the last one, and collects blobs and snapshots")
    func remove() throws {
        try withStore { store, _ in
            let image = try store.buildBusybox()
            try store.tag("busybox", as: "other:1")
            #expect(throws: LayersError.self) { try store.remove(image.id.short) }  // two names: refused by ID
            #expect(try store.remove("other:1") == ["Untagged: other:1"])
            #expect(store.blobs.contains(image.id))
            let lines = try store.remove("busybox")
            #expect(lines.first == "Untagged: busybox:latest")
            #expect(lines.contains("Deleted: \(image.id)"))
            #expect(try store.blobs.all().isEmpty)
            #expect(store.snapshots.all().isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: store.root + "/snapshots").isEmpty)
        }
    }

    @Test("an image held by a container is refused by rmi unless forced, and kept by GC until released")
    func holds() throws {
        try withStore { store, _ in
            let image = try store.buildBusybox()
            try store.hold(image, for: "c0ffee", name: "busybox")
            #expect(throws: LayersError.imageInUse("busybox", ["c0ffee"])) { try store.remove("busybox") }
            #expect(try store.remove("busybox", force: true) == ["Untagged: busybox:latest"])
            try store.collectGarbage()
            #expect(store.blobs.contains(image.id))
            #expect(FileManager.default.fileExists(atPath: image.lowerDirectories[0] + "/bin/busybox"))
            try store.release(container: "c0ffee")
            let report = try store.collectGarbage()
            #expect(report.blobs.contains(image.id) && report.snapshots == [image.snapshots[0].chainID])
        }
    }

    @Test("two images sharing a bottom layer share its snapshot")
    func sharedSnapshots() throws {
        try withStore { store, directory in
            let busybox = try store.buildBusybox()
            let top = try store.createLayer { tar in
                try tar.add(TarEntry(path: "etc/motd", kind: .regular, mode: 0o644), contents: Array("hi\n".utf8))
                try tar.finish()
            }
            var configuration = busybox.configuration
            configuration.created = Timestamp.rfc3339Seconds(Date())
            let bottom = (busybox.manifest.layers[0], busybox.snapshots[0].diffID)
            let two = try store.createImage(layers: [bottom, top], configuration: configuration, references: [try Reference(parsing: "two")])
            #expect(two.snapshots[0] == busybox.snapshots[0])
            #expect(two.lowerDirectories == [two.snapshots[1].path, busybox.snapshots[0].path])
            #expect(store.snapshots.all().count == 2)
            #expect(contents(of: two.lowerDirectories[0] + "/etc/motd") == "hi\n")
        }
    }

    @Test("import turns a rootfs tarball into a one-layer image", arguments: [Compression.none, .gzip])
    func importTarball(compression: Compression) throws {
        try withStore { store, directory in
            try FileManager.default.createDirectory(atPath: directory + "/root/etc", withIntermediateDirectories: true)
            try write("imported\n", to: directory + "/root/etc/issue")
            try run("/usr/bin/tar", "-cf", directory + "/root.tar", "-C", directory + "/root", ".")
            var path = directory + "/root.tar"
            if compression == .gzip { try run("/usr/bin/gzip", path); path += ".gz" }
            let image = try store.importTarball(path, as: "imported:1", message: "from a test")
            #expect(image.manifest.layers[0].mediaType == MediaType.layer(compression))
            #expect(image.configuration.history?.first?.comment == "from a test")
            #expect(contents(of: image.lowerDirectories[0] + "/etc/issue") == "imported\n")
            let plain = try run("/bin/sh", "-c", "gzip -dcf \(path) | sha256sum").prefix(64)
            #expect(image.snapshots[0].diffID.hex == String(plain))
        }
    }

    @Test("save writes docker's archive format and load reads it back into an empty store")
    func saveAndLoad() throws {
        try withStore { store, directory in
            let image = try store.buildBusybox()
            try store.save(["busybox"], to: directory + "/busybox.tar")
            let listing = try run("/usr/bin/tar", "-tf", directory + "/busybox.tar").split(separator: "\n").map(String.init)
            #expect(listing.contains("manifest.json") && listing.contains("index.json") && listing.contains("oci-layout"))
            #expect(listing.contains("blobs/sha256/" + image.snapshots[0].diffID.hex))
            let manifest = try run("/usr/bin/tar", "-xOf", directory + "/busybox.tar", "manifest.json")
            #expect(manifest.contains("\"RepoTags\":[\"busybox:latest\"]"))
            #expect(manifest.contains("\"Config\":\"blobs/sha256/\(image.id.hex)\""))

            let other = try ImageStore(root: directory + "/other")
            #expect(try other.load(directory + "/busybox.tar") == ["Loaded image: busybox:latest"])
            let loaded = try other.image("busybox")
            #expect(loaded.id == image.id)
            #expect(loaded.snapshots.map(\.diffID) == image.snapshots.map(\.diffID))
            #expect(try run(loaded.lowerDirectories[0] + "/bin/busybox", "true") == "")
        }
    }

    @Test("an OCI layout directory round-trips, and the legacy docker save layout loads")
    func layoutsAndLegacy() throws {
        try withStore { store, directory in
            let image = try store.buildBusybox()
            try store.save(["busybox"], to: directory + "/layout", format: .ociDirectory)
            let other = try ImageStore(root: directory + "/other")
            #expect(try other.load(directory + "/layout") == ["Loaded image: busybox:latest"])
            #expect(try other.image("busybox").id == image.id)

            // Docker before 25: <id>/layer.tar, <id>.json, manifest.json with RepoTags.
            let legacy = directory + "/legacy"
            try FileManager.default.createDirectory(atPath: legacy + "/abc", withIntermediateDirectories: true)
            try run("/bin/sh", "-c", "gzip -dc \(store.blobs.path(of: image.manifest.layers[0].digest)) > \(legacy)/abc/layer.tar")
            try FileManager.default.copyItem(atPath: store.blobs.path(of: image.id), toPath: legacy + "/\(image.id.hex).json")
            try write(#"[{"Config":"\#(image.id.hex).json","RepoTags":["old:style"],"Layers":["abc/layer.tar"]}]"#, to: legacy + "/manifest.json")
            try run("/usr/bin/tar", "-cf", directory + "/legacy.tar", "-C", legacy, ".")
            let third = try ImageStore(root: directory + "/third")
            #expect(try third.load(directory + "/legacy.tar") == ["Loaded image: old:style"])
            #expect(try third.image("old:style").id == image.id)
        }
    }

    @Test("a load whose layer does not match its diff ID is refused and names nothing")
    func loadMismatch() throws {
        try withStore { store, directory in
            let image = try store.buildBusybox()
            let legacy = directory + "/bad"
            try FileManager.default.createDirectory(atPath: legacy, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: directory + "/x", withIntermediateDirectories: true)
            try write("not busybox", to: directory + "/x/file")
            try run("/usr/bin/tar", "-cf", legacy + "/layer.tar", "-C", directory + "/x", ".")
            try FileManager.default.copyItem(atPath: store.blobs.path(of: image.id), toPath: legacy + "/config.json")
            try write(#"[{"Config":"config.json","RepoTags":["bad:1"],"Layers":["layer.tar"]}]"#, to: legacy + "/manifest.json")
            let other = try ImageStore(root: directory + "/other")
            #expect(throws: LayersError.self) { try other.load(legacy) }
            #expect(throws: LayersError.imageNotFound("bad:1")) { try other.image("bad:1") }
            #expect(other.snapshots.all().isEmpty)
        }
    }

    @Test("concurrent tags from many threads all land in the index")
    func concurrentTags() throws {
        try withStore { store, _ in
            _ = try store.buildBusybox()
            let errors = ErrorBox()
            DispatchQueue.concurrentPerform(iterations: 16) { n in
                do { try store.tag("busybox", as: "copy:\(n)") } catch { errors.record(error) }
            }
            #expect(errors.first == nil)
            #expect(try store.images().count == 17)
        }
    }
}

@Suite("Image store, several layers", .enabled(if: isRoot, "needs root (owners)"))
struct ImportLayersTests {
    @Test("layer tarballs become one image, unpacked in parallel, chained bottom first")
    func importLayers() throws {
        try withStore { store, directory in
            for (index, name) in ["bottom", "top"].enumerated() {
                try FileManager.default.createDirectory(atPath: directory + "/\(name)/etc", withIntermediateDirectories: true)
                try write("\(name)\n", to: directory + "/\(name)/etc/\(name)")
                try run("/usr/bin/tar", "-czf", directory + "/\(index).tar.gz", "-C", directory + "/\(name)", ".")
            }
            let image = try store.importLayers([directory + "/0.tar.gz", directory + "/1.tar.gz"], as: "two:1")
            #expect(image.snapshots.count == 2)
            #expect(image.snapshots[1].parent == image.snapshots[0].chainID)
            #expect(image.snapshots.map(\.chainID) == Snapshot.chainIDs(image.configuration.rootfs.diffIDs))
            #expect(contents(of: image.lowerDirectories[0] + "/etc/top") == "top\n")
            #expect(contents(of: image.lowerDirectories[1] + "/etc/bottom") == "bottom\n")
        }
    }
}
