// SHA-256 on the CPU's SHA extensions. Three instructions do the work of SHA256.swift's loops:
// SHA256RNDS2 runs two rounds, SHA256MSG1 and SHA256MSG2 compute four words of the message
// schedule. Swift reaches them through clang's intrinsics (the compiler's own declarations of
// CPU instructions, no library), which Package.swift enables for this module with `-msha`.
#if arch(x86_64)
import _Builtin_intrinsics.intel
import _Builtin_intrinsics.intel.cpuid

extension SHA256 {
    /// Whether this CPU has the SHA extensions: bit 29 of EBX in CPUID leaf 7.
    static let cpuHasExtensions: Bool = {
        var eax: UInt32 = 0, ebx: UInt32 = 0, ecx: UInt32 = 0, edx: UInt32 = 0
        return __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) != 0 && ebx & (1 << 29) != 0
    }()

    /// Mixes `blocks` 64-byte blocks into the state, four rounds per step.
    ///
    /// The instructions keep the state in two 128-bit registers arranged as ABEF and CDGH
    /// (A in the highest lane), and the schedule in four registers of four words each.
    @inline(never)  // only ever compiled here, where the `sha` feature is on
    mutating func compressWithExtensions(_ data: UnsafeRawPointer, blocks: Int) {
        var abef = Words(h5, h4, h1, h0), cdgh = Words(h7, h6, h3, h2)  // lane 0 first
        SHA256.k.withUnsafeBufferPointer { k in
            for block in 0..<blocks {
                let p = data + block * 64
                let startABEF = abef, startCDGH = cdgh
                // Rounds 4j to 4j+3 with schedule words w: SHA256RNDS2 takes the two
                // constant-plus-word sums of its rounds from the low lanes of its third operand.
                // (Both helpers are inlined: called, they would keep the state in memory, 4x slower.)
                @inline(__always) func fourRounds(_ w: Words, _ j: Int) {
                    let kw = w &+ Words(k[4 * j], k[4 * j + 1], k[4 * j + 2], k[4 * j + 3])
                    cdgh = Words(_mm_sha256rnds2_epu32(cdgh.m128, abef.m128, kw.m128))
                    abef = Words(_mm_sha256rnds2_epu32(abef.m128, cdgh.m128, Words(kw[2], kw[3], 0, 0).m128))
                }
                // The next four schedule words from the last sixteen (a the oldest four):
                // SHA256MSG1 adds σ0(w[t-15]) to w[t-16], the sum then gets w[t-7], and
                // SHA256MSG2 adds σ1(w[t-2]), two of those being words it computes itself.
                @inline(__always) func next(_ a: Words, _ b: Words, _ c: Words, _ d: Words) -> Words {
                    let partial = Words(_mm_sha256msg1_epu32(a.m128, b.m128)) &+ Words(c[1], c[2], c[3], d[0])
                    return Words(_mm_sha256msg2_epu32(partial.m128, d.m128))
                }
                var w0 = Words(bigEndianAt: p), w1 = Words(bigEndianAt: p + 16)
                var w2 = Words(bigEndianAt: p + 32), w3 = Words(bigEndianAt: p + 48)
                fourRounds(w0, 0); fourRounds(w1, 1); fourRounds(w2, 2); fourRounds(w3, 3)
                for j in stride(from: 4, to: 16, by: 4) {
                    w0 = next(w0, w1, w2, w3); fourRounds(w0, j)
                    w1 = next(w1, w2, w3, w0); fourRounds(w1, j + 1)
                    w2 = next(w2, w3, w0, w1); fourRounds(w2, j + 2)
                    w3 = next(w3, w0, w1, w2); fourRounds(w3, j + 3)
                }
                abef &+= startABEF
                cdgh &+= startCDGH
            }
        }
        h0 = abef[3]; h1 = abef[2]; h4 = abef[1]; h5 = abef[0]
        h2 = cdgh[3]; h3 = cdgh[2]; h6 = cdgh[1]; h7 = cdgh[0]
    }
}

/// Four 32-bit words in one 128-bit register.
typealias Words = SIMD4<UInt32>

extension SIMD4<UInt32> {
    /// The register as the intrinsics type it (`__m128i`, two 64-bit lanes to Swift).
    var m128: __m128i { unsafeBitCast(self, to: __m128i.self) }

    init(_ register: __m128i) { self = unsafeBitCast(register, to: SIMD4<UInt32>.self) }

    /// Four big-endian words from `p`.
    init(bigEndianAt p: UnsafeRawPointer) {
        self.init(UInt32(bigEndian: p.loadUnaligned(as: UInt32.self)),
                  UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
                  UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
                  UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
    }
}

#else

extension SHA256 {
    /// The SHA extensions are x86-64 instructions; other CPUs use the portable rounds.
    static let cpuHasExtensions = false

    mutating func compressWithExtensions(_ data: UnsafeRawPointer, blocks: Int) {
        fatalError("no SHA extensions on this architecture")
    }
}
#endif
