import FoundationEssentials
import Syscalls

/// An image in the store, with everything a container needs from it.
///
///     let image = try store.image("busybox")
///     image.lowerDirectories      // the snapshot directories, top layer first, for overlayfs
///     image.configuration.config?.cmd   // ["sh"]
public struct Image: Sendable {
    /// The manifest's digest: what `name@sha256:...` pins.
    public let manifestDigest: Digest
    public let manifest: Manifest
    /// The configuration's digest: Docker's image ID.
    public let id: Digest
    public let configuration: ImageConfiguration
    /// The unpacked layers, bottom first.
    public let snapshots: [Snapshot]

    /// The snapshot directories in the order overlayfs's `lowerdir=` wants them: top first.
    public var lowerDirectories: [String] { snapshots.reversed().map(\.path) }

    /// What `docker images` shows as SIZE: the layers' uncompressed sizes added up.
    public var size: Int64 { snapshots.reduce(0) { $0 + $1.size } }

    /// When the image was made, from its configuration.
    public var created: Date? { configuration.created.flatMap(Timestamp.parse) }
}

/// JSON as the store writes it: sorted keys, no escaped slashes, so the same document
/// always has the same digest.
func canonicalJSON(_ value: some Encodable) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return Array(try encoder.encode(value))
}

package func decodeJSON<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], what: String) throws -> T {
    do {
        return try JSONDecoder().decode(type, from: Data(bytes))
    } catch {
        throw LayersError.invalidManifest("\(what): \(describe(error))")
    }
}

/// A decoding error in one line: which key, what was wrong.
func describe(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    switch error {
    case .keyNotFound(let key, let context):
        return "missing \(([key] + context.codingPath.reversed()).reversed().map(\.stringValue).joined(separator: "."))"
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
        let path = context.codingPath.map(\.stringValue).joined(separator: ".")
        return (path.isEmpty ? "" : path + ": ") + (context.underlyingError.map { "\($0)" } ?? context.debugDescription)
    @unknown default:
        return "\(error)"
    }
}
