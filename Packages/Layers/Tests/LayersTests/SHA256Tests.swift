import Foundation
import Testing
@testable import Layers

@Suite("SHA-256")
struct SHA256Tests {
    /// The examples of FIPS 180-4 and NIST's SHA-256 test vectors.
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ]

    @Test("the NIST vectors hash to the published digests", arguments: vectors)
    func nist(message: String, expected: String) {
        #expect(SHA256.hash(Array(message.utf8)).hex == expected)
    }

    @Test("a million 'a's hash to the published digest")
    func millionA() {
        var hash = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hash.update(chunk) }
        #expect(hash.finalize().hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("lengths around the padding boundary agree with sha256sum", arguments: [55, 56, 57, 63, 64, 65, 119, 120, 128, 1000])
    func boundaries(length: Int) throws {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try withTemporaryDirectory { directory in
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/f"))
            let reference = try run("/usr/bin/sha256sum", directory + "/f").prefix(64)
            #expect(SHA256.hash(bytes).hex == String(reference))
        }
    }

    @Test("feeding the bytes in uneven pieces gives the same digest as one piece")
    func streaming() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<100_003).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var hash = SHA256()
        var offset = 0
        for size in [1, 63, 64, 65, 7, 4096, 3, 127] {
            while offset < bytes.count && offset % 5 != 4 || (offset < bytes.count && size > 0) {
                let end = min(offset + size, bytes.count)
                hash.update(Array(bytes[offset..<end]))
                offset = end
                if offset % 3 == 0 { break }
            }
        }
        hash.update(Array(bytes[offset...]))
        #expect(hash.finalize() == SHA256.hash(bytes))
        #expect(hash.count == UInt64(bytes.count))
    }

    @Test("digests parse only as sha256 and 64 lower-case hex digits",
          arguments: ["sha256:abc", "md5:" + String(repeating: "a", count: 64), "sha256:" + String(repeating: "A", count: 64), "", "sha256:" + String(repeating: "g", count: 64)])
    func badDigests(text: String) {
        #expect(throws: LayersError.invalidDigest(text)) { try Digest(parsing: text) }
    }
}
