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

    /// The engines this CPU can run: always the portable one, and the SHA extensions where present.
    static let engines = SHA256.Engine.allCases.filter(\.isAvailable)

    /// The digest of `bytes` with `engine`.
    static func digest(_ bytes: [UInt8], _ engine: SHA256.Engine) -> Digest {
        var hash = SHA256(engine: engine)
        hash.update(bytes)
        return hash.finalize()
    }

    @Test("the NIST vectors hash to the published digests", arguments: vectors)
    func nist(message: String, expected: String) {
        #expect(SHA256.hash(Array(message.utf8)).hex == expected)
        for engine in Self.engines {
            #expect(Self.digest(Array(message.utf8), engine).hex == expected, "engine \(engine)")
        }
    }

    @Test("a million 'a's hash to the published digest", arguments: engines)
    func millionA(engine: SHA256.Engine) {
        var hash = SHA256(engine: engine)
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hash.update(chunk) }
        #expect(hash.finalize().hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("the SHA extensions are used exactly when the kernel lists the CPU's sha_ni flag")
    func detection() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ") ?? []
        let listed = flags.contains("sha_ni")
        #expect(SHA256.Engine.extensions.isAvailable == listed)
        #expect(SHA256.Engine.fastest == (listed ? .extensions : .portable))
        #expect(SHA256().engine == SHA256.Engine.fastest)
    }

    @Test("both engines agree on random messages of every length up to 300 bytes and on 1 MiB")
    func enginesAgree() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for length in Array(0...300) + [1 << 20] {
            let message = Array(bytes[0..<length])
            let digests = Self.engines.map { Self.digest(message, $0) }
            #expect(Set(digests).count == 1, "length \(length)")
        }
    }

    @Test("lengths around the padding boundary agree with sha256sum", arguments: [55, 56, 57, 63, 64, 65, 119, 120, 128, 1000])
    func boundaries(length: Int) throws {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try withTemporaryDirectory { directory in
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/f"))
            let reference = try run("/usr/bin/sha256sum", directory + "/f").prefix(64)
            for engine in Self.engines {
                #expect(Self.digest(bytes, engine).hex == String(reference), "engine \(engine)")
            }
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
