import Foundation
import Glibc
import Syscalls
import Testing
@testable import Layers

/// Each malicious archive is extracted into `target`, next to a directory `host` that stands
/// for the rest of the machine. Afterwards `host` must be exactly as it was.
struct Scene {
    let top: String
    var target: String { top + "/target" }
    var host: String { top + "/host" }

    init(_ top: String) throws {
        self.top = top
        try FileManager.default.createDirectory(atPath: top + "/target", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: top + "/host", withIntermediateDirectories: true)
        try write("host secret\n", to: top + "/host/secret")
    }

    /// The host directory's listing and the secret's contents, to compare before and after.
    func hostState() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: host).sorted() + [contents(of: host + "/secret") ?? "gone"]
    }
}

@Suite("Safe extraction")
struct SafeExtractionTests {
    @Test("a ../ path is refused and nothing is written outside the target")
    func dotDot() throws {
        try withTemporaryDirectory { top in
            let scene = try Scene(top)
            let before = try scene.hostState()
            let bytes = try archive([(file("ok"), "fine"), (file("../host/pwned"), "owned"), (file("../host/secret"), "owned")])
            #expect(throws: LayersError.entry("../host/pwned", "climbs out of the target directory")) {
                try extract(bytes, into: scene.target)
            }
            #expect(try scene.hostState() == before)
        }
    }

    @Test("an absolute path lands inside the target, not on the host")
    func absolute() throws {
        try withTemporaryDirectory { top in
            let scene = try Scene(top)
            let before = try scene.hostState()
            try extract(try archive([(file(scene.host + "/secret"), "owned"), (file(scene.host + "/pwned"), "owned")]), into: scene.target)
            #expect(try scene.hostState() == before)
            #expect(contents(of: scene.target + scene.host + "/secret") == "owned")
        }
    }

    @Test("a symlink to the host followed by a write through it stays inside the target")
    func symlinkThenWrite() throws {
        try withTemporaryDirectory { top in
            let scene = try Scene(top)
            let before = try scene.hostState()
            // An absolute link, a relative one climbing out, then files written "through" them.
            let bytes = try archive([(symlink("abs", to: scene.host), ""), (symlink("rel", to: "../../../../../../../../" + scene.host), ""),
                                     (dir(String(scene.host.dropFirst()) + "/"), ""),
                                     (file("abs/pwned"), "owned"), (file("rel/secret"), "owned")])
            try extract(bytes, into: scene.target)
            #expect(try scene.hostState() == before)
            #expect(contents(of: scene.target + scene.host + "/pwned") == "owned")
            #expect(contents(of: scene.target + scene.host + "/secret") == "owned")
        }
    }

    @Test("a symlink into a directory that does not exist inside cannot be written through")
    func symlinkToMissing() throws {
        try withTemporaryDirectory { top in
            let scene = try Scene(top)
            let before = try scene.hostState()
            let bytes = try archive([(symlink("abs", to: scene.host), ""), (file("abs/pwned"), "owned")])
            #expect(throws: LayersError.self) { try extract(bytes, into: scene.target) }
            #expect(try scene.hostState() == before)
        }
    }

    @Test("a file replacing a symlink replaces the link, never the file it points to")
    func replaceSymlink() throws {
        try withTemporaryDirectory { top in
            let scene = try Scene(top)
            let before = try scene.hostState()
            try FileManager.default.createSymbolicLink(atPath: scene.target + "/evil", withDestinationPath: scene.host + "/secret")
            try extract(try archive([(symlink("evil2", to: scene.host + "/secret"), ""), (file("evil"), "owned"), (file("evil2"), "owned")]), into: scene.target)
            #expect(try scene.hostState() == before)
            #expect(contents(of: scene.target + "/evil2") == "owned")
        }
    }

    @Test("hard links to files outside the target are refused", arguments: ["../host/secret", "/HOST/secret", "abs/secret"])
    func hardLinkOutside(target: String) throws {
        try withTemporaryDirectory { top in
            let scene = try Scene(top)
            let before = try scene.hostState()
            let linkTarget = target.replacingOccurrences(of: "/HOST", with: scene.host)
            let bytes = try archive([(symlink("abs", to: scene.host), ""), (hardLink("stolen", to: linkTarget), "")])
            #expect(throws: LayersError.self) { try extract(bytes, into: scene.target) }
            #expect(try scene.hostState() == before)
            var info = stat()
            lstat(scene.host + "/secret", &info)
            #expect(info.st_nlink == 1, "the host's file gained no link")
            #expect(access(scene.target + "/stolen", F_OK) != 0)
        }
    }

    @Test("a truncated archive is an error naming the entry")
    func truncated() throws {
        try withTemporaryDirectory { top in
            let bytes = try archive([(file("big"), String(repeating: "x", count: 5000))])
            let cut = Array(bytes.prefix(512 + 3000))
            #expect(throws: LayersError.archive("\"big\": truncated: 2000 bytes of contents missing")) {
                try extract(cut, into: top)
            }
        }
    }

    @Test("a corrupt header is an error, not garbage on disk")
    func corrupt() throws {
        try withTemporaryDirectory { top in
            var bytes = try archive([(file("a"), "aaa"), (file("b"), "bbb")])
            bytes[1024 + 10] ^= 0x55  // inside the second header's name
            #expect(throws: LayersError.archive("header at offset 1024: checksum mismatch (not a tar archive, or corrupt)")) {
                try extract(bytes, into: top)
            }
            #expect(throws: LayersError.self) { try extract(Array("this is not a tar file".utf8) + [UInt8](repeating: 1, count: 600), into: top) }
        }
    }
}

@Suite("Whiteouts")
struct WhiteoutTests {
    @Test("OCI whiteouts become overlayfs whiteouts, and back again", .enabled(if: isRoot, "needs root (mknod, trusted xattrs)"))
    func roundTrip() throws {
        try withTemporaryDirectory { directory in
            let bytes = try archive([(dir("etc/"), ""), (file("etc/.wh.motd"), ""), (dir("var/cache/"), ""),
                                     (file("var/cache/.wh..wh..opq"), ""), (file("var/cache/new"), "kept")])
            try extract(bytes, into: directory)
            var info = stat()
            #expect(lstat(directory + "/etc/motd", &info) == 0)
            #expect(info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0, "a 0/0 character device")
            #expect(access(directory + "/etc/.wh.motd", F_OK) != 0)
            #expect(try FileSystem.extendedAttribute("trusted.overlay.opaque", of: directory + "/var/cache") == Array("y".utf8))
            #expect(contents(of: directory + "/var/cache/new") == "kept")

            let sink = MemorySink()
            try DirectoryArchiver(whiteouts: .fromOverlay).archive(directory, to: TarWriter(sink))
            let paths = try readEntries(of: sink.bytes).map(\.path)
            #expect(paths == ["etc/", "etc/.wh.motd", "var/", "var/cache/", "var/cache/.wh..wh..opq", "var/cache/new"])
            #expect(try readEntries(of: sink.bytes)[3].extendedAttributes.isEmpty, "the opaque mark is not kept as an xattr")
        }
    }

    @Test("with whiteouts kept, .wh. files are extracted as plain files")
    func kept() throws {
        try withTemporaryDirectory { directory in
            try extract(try archive([(file(".wh.gone"), "")]), into: directory, whiteouts: .keep)
            #expect(contents(of: directory + "/.wh.gone") == "")
        }
    }
}

@Suite("Compressed layers")
struct CompressionTests {
    @Test("gzip and zstd layers stream through the system tools and give the uncompressed digest",
          arguments: [Compression.gzip, .zstd, .none])
    func decompress(compression: Compression) throws {
        try withTemporaryDirectory { directory in
            let tar = try archive([(dir("d/"), ""), (file("d/f"), String(repeating: "lunch ", count: 100_000))])
            try Data(tar).write(to: URL(fileURLWithPath: directory + "/layer.tar"))
            var path = directory + "/layer.tar"
            switch compression {
            case .gzip: try run("/usr/bin/gzip", "-k", path); path += ".gz"
            case .zstd: try run("/usr/bin/zstd", "-q", path); path += ".zst"
            case .none: break
            }
            let fd = try FileDescriptor.open(path)
            defer { try? fd.close() }
            #expect(Compression(magic: try FileDescriptor.open(path).closeAfter { try FileDescriptor.open(path).read(upTo: 4) }) == compression)
            try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
            let result = try LayerUnpacker.unpack(file: fd, name: path, compression: compression, into: directory + "/out")
            #expect(result.diffID == SHA256.hash(tar))
            #expect(result.bytes == 600_000)
            #expect(contents(of: directory + "/out/d/f")?.count == 600_000)
        }
    }

    @Test("each gzip tool we may pick inflates a layer and refuses a corrupt one, naming itself",
          arguments: Compression.gzipTools)
    func gzipTool(tool: String) throws {
        let path = try Compression.gzip.decompressor(tools: [tool])[0]
        guard path.hasSuffix("/" + tool) else { return }  // not installed: gzip stood in, tested as itself
        try withTemporaryDirectory { directory in
            let plain = [UInt8](String(repeating: "rice, kimchi, egg; ", count: 50_000).utf8)
            try Data(plain).write(to: URL(fileURLWithPath: directory + "/l"))
            try run("/usr/bin/gzip", directory + "/l")
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/l.gz")))
            func inflate() throws -> [UInt8] {
                let file = try FileDescriptor.open(directory + "/l.gz")
                defer { try? file.close() }
                let filter = try FilterProcess([path, "-d", "-c"], reading: file)
                let out = try filter.output.readAll()
                try filter.wait()
                return out
            }
            #expect(try inflate() == plain)
            bytes[bytes.count / 2] ^= 0xff
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/l.gz"))
            #expect {
                _ = try inflate()
            } throws: { error in
                "\(error)".hasPrefix(tool + ": ") && !"\(error)".hasPrefix(tool + ": " + tool)
            }
        }
    }

    @Test("a corrupt gzip stream is reported by the tool, and a bad tar inside stops the tool")
    func corruptGzip() throws {
        try withTemporaryDirectory { directory in
            let tar = try archive([(file("f"), String(repeating: "z", count: 200_000))])
            try Data(tar).write(to: URL(fileURLWithPath: directory + "/l.tar"))
            try run("/usr/bin/gzip", directory + "/l.tar")
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/l.tar.gz")))
            bytes[bytes.count / 2] ^= 0xff
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/bad.gz"))
            let fd = try FileDescriptor.open(directory + "/bad.gz")
            defer { try? fd.close() }
            try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
            #expect(throws: LayersError.self) {
                try LayerUnpacker.unpack(file: fd, name: "bad.gz", compression: .gzip, into: directory + "/out")
            }
            // Not zstd at all: zstd says so.
            try write(String(repeating: "plain text, not zstd\n", count: 100), to: directory + "/plain")
            let plain = try FileDescriptor.open(directory + "/plain")
            defer { try? plain.close() }
            #expect(throws: LayersError.self) {
                try LayerUnpacker.unpack(file: plain, name: "plain", compression: .zstd, into: directory + "/out")
            }
        }
    }
}
