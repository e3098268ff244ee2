/// A content address: `sha256:` and 64 lower-case hex digits, as OCI and Docker write them.
///
///     let digest = try Digest(parsing: "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
///     digest.hex       // "ba7816bf..."
///     digest.short     // "ba7816bf8f01", the 12 digits `docker images` shows as an ID
public struct Digest: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The 64 hex digits.
    public let hex: String

    /// A digest from the 32 bytes of a SHA-256 hash.
    public init(sha256 bytes: [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in bytes { text.append(digits[Int(byte >> 4)]); text.append(digits[Int(byte & 15)]) }
        hex = String(decoding: text, as: UTF8.self)
    }

    /// Parses `sha256:<64 hex digits>`; anything else (another algorithm, upper case, the
    /// wrong length) is an error naming the text.
    public init(parsing text: String) throws {
        guard text.hasPrefix("sha256:") else { throw LayersError.invalidDigest(text) }
        let hex = text.dropFirst(7)
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw LayersError.invalidDigest(text)
        }
        self.hex = String(hex)
    }

    /// `sha256:<hex>`.
    public var description: String { "sha256:" + hex }
    /// The first 12 hex digits: how Docker shows an image ID.
    public var short: String { String(hex.prefix(12)) }

    public static func < (a: Digest, b: Digest) -> Bool { a.hex < b.hex }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
