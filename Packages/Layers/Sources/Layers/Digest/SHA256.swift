/// SHA-256 (FIPS 180-4), streaming: feed it bytes as they arrive, read the digest at the end.
///
///     var hash = SHA256()
///     hash.update(Array("abc".utf8))
///     hash.finalize().hex   // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
///
/// The message is cut into 64-byte blocks. Each block is expanded into 64 words (the message
/// schedule) and mixed into eight 32-bit state words by 64 rounds of additions, rotations and
/// bit selections; the state after the last block is the digest. The code works on raw
/// buffers: no allocation per block or per byte, so it keeps up with a layer as it streams.
/// On a CPU with SHA instructions the blocks go through those instead (SHA256+Extensions.swift).
public struct SHA256: Sendable {
    // The state, internal so that SHA256+Extensions.swift can reach it.
    var h0: UInt32 = 0x6a09e667, h1: UInt32 = 0xbb67ae85, h2: UInt32 = 0x3c6ef372, h3: UInt32 = 0xa54ff53a
    var h4: UInt32 = 0x510e527f, h5: UInt32 = 0x9b05688c, h6: UInt32 = 0x1f83d9ab, h7: UInt32 = 0x5be0cd19
    /// Bytes waiting for a full block.
    private var pending: [UInt8] = []
    /// Message length so far, in bytes.
    public private(set) var count: UInt64 = 0
    /// What mixes the blocks in: these 64 rounds in Swift, or the CPU's SHA instructions.
    public let engine: Engine

    /// How the blocks are compressed; both give the same digests.
    public enum Engine: Sendable, CaseIterable, CustomStringConvertible {
        /// The rounds below, in plain Swift: runs on any CPU.
        case portable
        /// The SHA extensions of x86-64 CPUs (Intel since 2016's Goldmont, AMD since Zen).
        case extensions

        /// Whether this CPU can run the engine.
        public var isAvailable: Bool { self == .portable || SHA256.cpuHasExtensions }

        /// The fastest engine this CPU can run.
        public static let fastest: Engine = SHA256.cpuHasExtensions ? .extensions : .portable

        public var description: String { self == .portable ? "portable" : "extensions" }
    }

    /// A hash that uses `engine` (by default the fastest this CPU can run).
    public init(engine: Engine = .fastest) {
        precondition(engine.isAvailable, "this CPU has no SHA extensions")
        self.engine = engine
        pending.reserveCapacity(64)
    }

    /// The digest of `bytes`, in one call.
    public static func hash(_ bytes: some Collection<UInt8>) -> Digest {
        var hash = SHA256()
        hash.update(Array(bytes))
        return hash.finalize()
    }

    /// Adds bytes to the message.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds the bytes in `buffer` to the message.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard var base = buffer.baseAddress, buffer.count > 0 else { return }
        var remaining = buffer.count
        count &+= UInt64(remaining)
        if !pending.isEmpty {
            let take = min(64 - pending.count, remaining)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
            base += take
            remaining -= take
            if pending.count < 64 { return }
            pending.withUnsafeBytes { compress($0.baseAddress!, blocks: 1) }
            pending.removeAll(keepingCapacity: true)
        }
        let blocks = remaining / 64
        if blocks > 0 { compress(base, blocks: blocks) }
        let tail = remaining - blocks * 64
        if tail > 0 { pending.append(contentsOf: UnsafeRawBufferPointer(start: base + blocks * 64, count: tail)) }
    }

    /// Pads the message (a 1 bit, zeros, the length in bits) and returns the digest.
    public mutating func finalize() -> Digest {
        let bits = count &* 8
        var padding: [UInt8] = [0x80]
        let used = (pending.count + 1) % 64
        padding += [UInt8](repeating: 0, count: used <= 56 ? 56 - used : 120 - used)
        for shift in stride(from: 56, through: 0, by: -8) { padding.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        let saved = count
        update(padding)
        count = saved
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for word in [h0, h1, h2, h3, h4, h5, h6, h7] {
            bytes += [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
        }
        return Digest(sha256: bytes)
    }

    /// The 64 round constants: the first 32 bits of the fractional parts of the cube roots
    /// of the first 64 primes.
    static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    /// Mixes `blocks` 64-byte blocks starting at `data` into the state.
    private mutating func compress(_ data: UnsafeRawPointer, blocks: Int) {
        if engine == .extensions {
            compressWithExtensions(data, blocks: blocks)
        } else {
            compressPortably(data, blocks: blocks)
        }
    }

    /// The 64 rounds of each block, in Swift.
    private mutating func compressPortably(_ data: UnsafeRawPointer, blocks: Int) {
        var h0 = self.h0, h1 = self.h1, h2 = self.h2, h3 = self.h3
        var h4 = self.h4, h5 = self.h5, h6 = self.h6, h7 = self.h7
        SHA256.k.withUnsafeBufferPointer { k in
            // The message schedule, all 64 words of a block in 256 bytes of stack: word t is
            // computed just before round t needs it, from words t-16, t-15, t-7 and t-2. (A ring
            // of the last 16 words is smaller, but its indices, t % 16, cost instructions.)
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                for block in 0..<blocks {
                    let p = data + block * 64
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self))
                    }
                    var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                    var bc = b ^ c  // b ^ c of this round is a ^ b of the round before
                    // Eight rounds per pass, each with the names shifted by one instead of
                    // moving eight values around: round t+1's `h` is round t's `g`, and so on.
                    var t = 0
                    while t < 16 {
                        SHA256.round(a, b, c, &d, e, f, g, &h, k[t] &+ w[t], &bc)
                        SHA256.round(h, a, b, &c, d, e, f, &g, k[t + 1] &+ w[t + 1], &bc)
                        SHA256.round(g, h, a, &b, c, d, e, &f, k[t + 2] &+ w[t + 2], &bc)
                        SHA256.round(f, g, h, &a, b, c, d, &e, k[t + 3] &+ w[t + 3], &bc)
                        SHA256.round(e, f, g, &h, a, b, c, &d, k[t + 4] &+ w[t + 4], &bc)
                        SHA256.round(d, e, f, &g, h, a, b, &c, k[t + 5] &+ w[t + 5], &bc)
                        SHA256.round(c, d, e, &f, g, h, a, &b, k[t + 6] &+ w[t + 6], &bc)
                        SHA256.round(b, c, d, &e, f, g, h, &a, k[t + 7] &+ w[t + 7], &bc)
                        t += 8
                    }
                    while t < 64 {
                        SHA256.round(a, b, c, &d, e, f, g, &h, k[t] &+ SHA256.schedule(w, t), &bc)
                        SHA256.round(h, a, b, &c, d, e, f, &g, k[t + 1] &+ SHA256.schedule(w, t + 1), &bc)
                        SHA256.round(g, h, a, &b, c, d, e, &f, k[t + 2] &+ SHA256.schedule(w, t + 2), &bc)
                        SHA256.round(f, g, h, &a, b, c, d, &e, k[t + 3] &+ SHA256.schedule(w, t + 3), &bc)
                        SHA256.round(e, f, g, &h, a, b, c, &d, k[t + 4] &+ SHA256.schedule(w, t + 4), &bc)
                        SHA256.round(d, e, f, &g, h, a, b, &c, k[t + 5] &+ SHA256.schedule(w, t + 5), &bc)
                        SHA256.round(c, d, e, &f, g, h, a, &b, k[t + 6] &+ SHA256.schedule(w, t + 6), &bc)
                        SHA256.round(b, c, d, &e, f, g, h, &a, k[t + 7] &+ SHA256.schedule(w, t + 7), &bc)
                        t += 8
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
                    h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                }
            }
        }
        self.h0 = h0; self.h1 = h1; self.h2 = h2; self.h3 = h3
        self.h4 = h4; self.h5 = h5; self.h6 = h6; self.h7 = h7
    }
}

extension SHA256 {
    /// Word t of the message schedule, stored at w[t] and returned:
    /// w[t] = w[t-16] + σ0(w[t-15]) + w[t-7] + σ1(w[t-2]).
    @inline(__always)
    static func schedule(_ w: UnsafeMutableBufferPointer<UInt32>, _ t: Int) -> UInt32 {
        // σ0(x) = x>>>7 ^ x>>>18 ^ x>>3 and σ1(y) = y>>>17 ^ y>>>19 ^ y>>10, the rotations
        // nested like those of Σ0 and Σ1 in `round`.
        let x = w[t - 15], y = w[t - 2]
        let s0 = (x.rotatedRight(11) ^ x).rotatedRight(7) ^ (x &>> 3)
        let s1 = (y.rotatedRight(2) ^ y).rotatedRight(17) ^ (y &>> 10)
        let word = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
        w[t] = word
        return word
    }

    /// One round: `h` becomes the new `a` (T1 + T2) and `d` the new `e` (d + T1); the
    /// caller passes the eight words rotated by one position for the next round.
    @inline(__always)
    static func round(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
        _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32, _ bc: inout UInt32
    ) {
        // Σ1(e) = e>>>6 ^ e>>>11 ^ e>>>25 and Σ0(a) = a>>>2 ^ a>>>13 ^ a>>>22, nested so
        // that each needs one copy of its input instead of three.
        let s1 = (((e.rotatedRight(14) ^ e).rotatedRight(5)) ^ e).rotatedRight(6)
        let choose = g ^ (e & (f ^ g))
        let t1 = h &+ s1 &+ choose &+ kw
        let s0 = (((a.rotatedRight(9) ^ a).rotatedRight(11)) ^ a).rotatedRight(2)
        // Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)), and this round's a ^ b is the next one's b ^ c.
        let ab = a ^ b
        let majority = b ^ (ab & bc)
        bc = ab
        d &+= t1
        h = t1 &+ s0 &+ majority
    }
}

extension UInt32 {
    /// The bits shifted right by `n`, the ones falling off re-entering on the left.
    @inline(__always)
    func rotatedRight(_ n: UInt32) -> UInt32 { (self &>> n) | (self &<< (32 &- n)) }
}
