import Foundation
import Glibc
import Syscalls
import Testing
@testable import Layers

/// Builds an archive in memory from (entry, contents) pairs, exactly as given (no checks).
func archive(_ entries: [(TarEntry, String)], finish: Bool = true) throws -> [UInt8] {
    let sink = MemorySink()
    let writer = TarWriter(sink)
    for (entry, contents) in entries { try writer.add(entry, contents: Array(contents.utf8)) }
    if finish { try writer.finish() }
    return sink.bytes
}

func file(_ path: String, _ mode: UInt32 = 0o644) -> TarEntry { TarEntry(path: path, kind: .regular, mode: mode) }
func dir(_ path: String) -> TarEntry { TarEntry(path: path, kind: .directory, mode: 0o755) }
func symlink(_ path: String, to target: String) -> TarEntry { TarEntry(path: path, kind: .symbolicLink, mode: 0o777, linkTarget: target) }
func hardLink(_ path: String, to target: String) -> TarEntry { TarEntry(path: path, kind: .hardLink, mode: 0o644, linkTarget: target) }

func extract(_ bytes: [UInt8], into path: String, whiteouts: Extractor.Whiteouts = .overlay) throws {
    let extractor = try Extractor(into: path, whiteouts: whiteouts)
    defer { extractor.close() }
    try extractor.extract(TarReader(MemorySource(bytes)))
}

func readEntries(of bytes: [UInt8]) throws -> [TarEntry] {
    let reader = TarReader(MemorySource(bytes))
    var result: [TarEntry] = []
    while let entry = try reader.next() { result.append(entry) }
    return result
}

@Suite("Tar")
struct TarTests {
    @Test("names of 100, 101, 200 and 300 bytes, long link targets, large IDs and xattrs survive a round trip")
    func longNamesRoundTrip() throws {
        let names = [String(repeating: "a", count: 100), String(repeating: "b", count: 50) + "/" + String(repeating: "c", count: 50),
                     String(repeating: "d", count: 120) + "/" + String(repeating: "e", count: 79),
                     String(repeating: "f", count: 150) + "/" + String(repeating: "g", count: 149)]
        var entries: [(TarEntry, String)] = names.map { (file($0), "x") }
        var big = file("owned")
        big.uid = 3_000_000
        big.gid = 4_000_000
        big.extendedAttributes = ["user.note": Array("lunch".utf8), "security.capability": [1, 0, 0, 2, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]
        big.modificationTime = 1_700_000_000
        big.modificationNanoseconds = 123_456_789
        entries.append((big, "hello"))
        entries.append((symlink("link", to: String(repeating: "t/", count: 80)), ""))
        let bytes = try archive(entries)
        let read = try readEntries(of: bytes)
        #expect(read.map(\.path) == names + ["owned", "link"])
        #expect(read[4].uid == 3_000_000 && read[4].gid == 4_000_000)
        #expect(read[4].extendedAttributes == big.extendedAttributes)
        #expect(read[4].modificationTime == 1_700_000_000 && read[4].modificationNanoseconds == 123_456_789)
        #expect(read[5].linkTarget == String(repeating: "t/", count: 80))
    }

    @Test("GNU tar lists our archive the way we wrote it")
    func gnuTarReadsOurs() throws {
        try withTemporaryDirectory { directory in
            let long = String(repeating: "n", count: 130) + "/" + String(repeating: "m", count: 120)
            var exe = file("bin/tool", 0o4755)
            exe.uid = 1000
            exe.gid = 100
            exe.modificationTime = 1_600_000_000
            let bytes = try archive([(dir("bin/"), ""), (exe, "#!/bin/sh\n"), (file(long), "long"),
                                     (symlink("bin/sh", to: "tool"), ""), (hardLink("bin/again", to: "bin/tool"), "")])
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/a.tar"))
            let listing = try run("/usr/bin/tar", "--numeric-owner", "-tvf", directory + "/a.tar")
            let lines = listing.split(separator: "\n")
            #expect(lines.count == 5)
            #expect(lines[1].hasPrefix("-rwsr-xr-x 1000/100") && lines[1].hasSuffix("bin/tool"))
            #expect(lines[2].hasSuffix(long))
            #expect(lines[3].hasSuffix("bin/sh -> tool"))
            #expect(lines[4].hasSuffix("bin/again link to bin/tool"))
            try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
            try run("/usr/bin/tar", "-xf", directory + "/a.tar", "-C", directory + "/out")
            #expect(contents(of: directory + "/out/" + long) == "long")
        }
    }

    @Test("we read what GNU tar writes, in its gnu, pax and ustar formats", arguments: ["gnu", "pax", "ustar"])
    func weReadGnuTar(format: String) throws {
        try withTemporaryDirectory { directory in
            let tree = directory + "/tree"
            let long = format == "ustar" ? "short" : String(repeating: "q", count: 180)
            try FileManager.default.createDirectory(atPath: tree + "/sub", withIntermediateDirectories: true)
            try write("data\n", to: tree + "/sub/" + long)
            try FileManager.default.createSymbolicLink(atPath: tree + "/sub/link", withDestinationPath: long)
            try FileManager.default.linkItem(atPath: tree + "/sub/" + long, toPath: tree + "/hard")
            mkfifo(tree + "/fifo", 0o600)
            try run("/usr/bin/tar", "--format=\(format)", "-cf", directory + "/t.tar", "-C", tree, ".")
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/t.tar")))
            let read = try readEntries(of: bytes)
            let byPath = Dictionary(read.map { ($0.path.trimmingPrefix("./").description, $0) }, uniquingKeysWith: { a, _ in a })
            #expect(byPath["sub/" + long]?.kind == .regular || byPath["sub/" + long]?.kind == .hardLink)
            #expect(byPath["sub/link"]?.linkTarget == long)
            #expect(byPath["fifo"]?.kind == .fifo)
            #expect(byPath["fifo"]?.mode == 0o600)
            try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
            try extract(bytes, into: directory + "/out")
            #expect(contents(of: directory + "/out/sub/" + long) == "data\n")
            #expect(contents(of: directory + "/out/hard") == "data\n")
            var a = stat(), b = stat()
            lstat(directory + "/out/sub/" + long, &a)
            lstat(directory + "/out/hard", &b)
            #expect(a.st_ino == b.st_ino, "the hard link is a hard link again")
        }
    }

    @Test("a pax size record and a base-256 size both give sizes beyond 8 GiB")
    func largeSizes() throws {
        var entry = file("huge")
        entry.size = 9 * 1024 * 1024 * 1024
        // Write only the headers (contents are not needed to read the header back).
        let sink = MemorySink()
        let writer = TarWriter(sink)
        #expect(throws: LayersError.self) {
            try writer.add(entry) { _ in }  // refuses to end an entry short of its size
        }
        let read = try #require(try TarReader(MemorySource(sink.bytes)).next())
        #expect(read.size == 9_663_676_416)
        // GNU's base-256: the size field's first byte has its high bit set.
        var header = Array(sink.bytes.suffix(from: 512).prefix(512))
        for index in 124..<136 { header[index] = 0 }
        header[124] = 0x80
        header[131] = 0x02  // 2 << 32 = 8 GiB
        for index in 148..<156 { header[index] = 32 }
        let sum = header.reduce(0) { $0 + Int($1) }
        let digits = Array(String(sum, radix: 8).leftPadded(to: 6).utf8) + [0, 32]
        for (index, byte) in digits.enumerated() { header[148 + index] = byte }
        let gnu = try #require(try TarReader(MemorySource(header)).next())
        #expect(gnu.size == 8_589_934_592)
    }

    @Test("modes, owners, times, devices and xattrs are restored on extraction", .enabled(if: isRoot, "needs root"))
    func metadata() throws {
        try withTemporaryDirectory { directory in
            var exe = file("bin/su", 0o4755)
            exe.uid = 1234
            exe.gid = 5678
            exe.modificationTime = 1_500_000_000
            exe.extendedAttributes = ["user.origin": Array("layer".utf8)]
            var null = TarEntry(path: "dev/null", kind: .characterDevice, mode: 0o666)
            null.deviceMajor = 1
            null.deviceMinor = 3
            var dir = Layers.TarEntry(path: "srv/", kind: .directory, mode: 0o755)
            dir.modificationTime = 1_400_000_000
            dir.mode = 0o1777
            let bytes = try archive([(dir, ""), (file("srv/x"), "x"), (exe, "binary"), (null, ""),
                                     (TarEntry(path: "run/pipe", kind: .fifo, mode: 0o620), "")])
            try extract(bytes, into: directory)
            var info = stat()
            lstat(directory + "/bin/su", &info)
            #expect(info.st_mode & 0o7777 == 0o4755 && info.st_uid == 1234 && info.st_gid == 5678)
            #expect(info.st_mtim.tv_sec == 1_500_000_000)
            lstat(directory + "/dev/null", &info)
            #expect(info.st_mode & S_IFMT == S_IFCHR && major(info.st_rdev) == 1 && minor(info.st_rdev) == 3)
            lstat(directory + "/run/pipe", &info)
            #expect(info.st_mode & S_IFMT == S_IFIFO && info.st_mode & 0o777 == 0o620)
            lstat(directory + "/srv", &info)
            #expect(info.st_mode & 0o7777 == 0o1777 && info.st_mtim.tv_sec == 1_400_000_000)
            if let value = try? FileSystem.extendedAttribute("user.origin", of: directory + "/bin/su") {
                #expect(value == Array("layer".utf8))
            }
        }
    }

    @Test("a directory archived and extracted again is the same tree, byte for byte in its archive")
    func directoryRoundTrip() throws {
        try withTemporaryDirectory { directory in
            let first = try archive([(dir("a/"), ""), (file("a/b"), "bee"), (symlink("a/c", to: "b"), ""),
                                     (hardLink("a/d", to: "a/b"), ""), (file("e", 0o600), "")])
            try FileManager.default.createDirectory(atPath: directory + "/one", withIntermediateDirectories: true)
            try extract(first, into: directory + "/one")
            let again = MemorySink()
            try DirectoryArchiver().archive(directory + "/one", to: TarWriter(again))
            try FileManager.default.createDirectory(atPath: directory + "/two", withIntermediateDirectories: true)
            try extract(again.bytes, into: directory + "/two")
            let third = MemorySink()
            try DirectoryArchiver().archive(directory + "/two", to: TarWriter(third))
            #expect(again.bytes == third.bytes)
            #expect(try readEntries(of: again.bytes).map(\.path) == ["a/", "a/b", "a/c", "a/d", "e"])
            #expect(try readEntries(of: again.bytes)[3].kind == .hardLink)
        }
    }
}
