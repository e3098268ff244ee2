import Foundation
import Glibc
import Testing
@testable import Layers

@Suite("Blob store")
struct BlobStoreTests {
    @Test("a blob is stored under its own digest and read back")
    func roundTrip() throws {
        try withTemporaryDirectory { root in
            let store = BlobStore(root: root)
            let digest = try store.put(Array("hello, dosirak\n".utf8))
            #expect(digest.hex == String(try run("/usr/bin/sha256sum", store.path(of: digest)).prefix(64)))
            #expect(try store.read(digest) == Array("hello, dosirak\n".utf8))
            #expect(try store.all() == [digest])
        }
    }

    @Test("a wrong digest is an error and leaves nothing behind, not even a temporary file")
    func wrongDigest() throws {
        try withTemporaryDirectory { root in
            let store = BlobStore(root: root)
            let claimed = SHA256.hash(Array("what the manifest promised".utf8))
            let writer = try store.writer(expecting: claimed)
            try Array("what arrived instead".utf8).withUnsafeBytes { try writer.write($0) }
            #expect(throws: LayersError.digestMismatch(expected: claimed, actual: SHA256.hash(Array("what arrived instead".utf8)))) {
                try writer.commit()
            }
            #expect(!store.contains(claimed))
            #expect(try store.all().isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp").isEmpty)
        }
    }

    @Test("writing past the announced size fails at once")
    func tooLong() throws {
        try withTemporaryDirectory { root in
            let store = BlobStore(root: root)
            let digest = SHA256.hash(Array("1234".utf8))
            let writer = try store.writer(expecting: digest, size: 4)
            #expect(throws: LayersError.sizeMismatch(digest: digest, expected: 4, actual: 5)) {
                try Array("12345".utf8).withUnsafeBytes { try writer.write($0) }
            }
            writer.abort()
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp").isEmpty)
        }
    }

    @Test("a temporary file whose process is gone is removed; a live one stays")
    func abandoned() throws {
        try withTemporaryDirectory { root in
            let store = BlobStore(root: root)
            try store.prepare()
            // A pid above pid_max cannot be running.
            try write("partial", to: root + "/tmp/4194305.deadbeef")
            let live = try store.writer()
            try store.removeAbandonedTemporaryFiles()
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp") == [URL(fileURLWithPath: live.temporaryPath).lastPathComponent])
            live.abort()
        }
    }
}
