/// A pointer to a blob: its media type, digest and size (OCI image spec, "descriptor").
///
///     {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
///      "digest": "sha256:...", "size": 2479}
public struct Descriptor: Codable, Hashable, Sendable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    /// Only in an index: which platform the manifest is for.
    public var platform: Platform?
    public var annotations: [String: String]?
    public var urls: [String]?

    public init(mediaType: String, digest: Digest, size: Int64, platform: Platform? = nil, annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        self.annotations = annotations
    }
}

/// An image manifest (OCI, or Docker schema 2, which has the same shape): the config blob
/// and the layers, bottom first.
public struct Manifest: Codable, Hashable, Sendable {
    public var schemaVersion = 2
    public var mediaType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var annotations: [String: String]?

    public init(mediaType: String = MediaType.ociManifest, config: Descriptor, layers: [Descriptor], annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }
}

/// An image index (OCI) or manifest list (Docker): one manifest per platform.
public struct ImageIndex: Codable, Hashable, Sendable {
    public var schemaVersion = 2
    public var mediaType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?

    public init(mediaType: String = MediaType.ociIndex, manifests: [Descriptor], annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.manifests = manifests
        self.annotations = annotations
    }

    /// The manifest for `platform`: the same OS and architecture, and the same variant if
    /// both name one (`arm64` matches `arm64/v8`).
    public func manifest(for platform: Platform) -> Descriptor? {
        let candidates = manifests.filter { MediaType.isManifest($0.mediaType) || $0.mediaType.isEmpty }
        return candidates.first { $0.platform.map(platform.matches) ?? false }
    }
}
