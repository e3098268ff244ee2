/// An image name as Docker users type it, completed with Docker's defaults.
///
///     try Reference(parsing: "busybox")                      // docker.io/library/busybox:latest
///     try Reference(parsing: "127.0.0.1:5000/team/app:1.0")  // registry 127.0.0.1:5000
///     try Reference(parsing: "alpine@sha256:4bcff6...")      // pinned by manifest digest
///
/// The first component is a registry when it has a `.` or a `:`, or is `localhost`;
/// otherwise the registry is Docker Hub (`docker.io`), where one-component names live under
/// `library/`. Without a tag or digest, the tag is `latest`.
public struct Reference: Hashable, Sendable, CustomStringConvertible {
    /// The registry host, with its port: `docker.io`, `127.0.0.1:5000`.
    public let registry: String
    /// The repository path inside the registry: `library/busybox`, `team/app`.
    public let path: String
    public let tag: String?
    public let digest: Digest?

    public static let defaultRegistry = "docker.io"

    public init(registry: String, path: String, tag: String?, digest: Digest? = nil) {
        self.registry = registry
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    public init(parsing text: String) throws {
        guard !text.isEmpty, text.utf8.count <= 255 else { throw LayersError.invalidReference(text, "empty or too long") }
        var rest = Substring(text)
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            digest = try Digest(parsing: String(rest[rest.index(after: at)...]))
            rest = rest[..<at]
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
            guard let tag, Reference.isValidTag(tag) else {
                throw LayersError.invalidReference(text, "invalid tag")
            }
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var registry = Reference.defaultRegistry
        if components.count > 1, let first = components.first,
           first.contains(".") || first.contains(":") || first == "localhost" {
            registry = first
            components.removeFirst()
            guard Reference.isValidHost(registry) else { throw LayersError.invalidReference(text, "invalid registry \"\(registry)\"") }
        }
        if registry == "index.docker.io" || registry == "registry-1.docker.io" { registry = Reference.defaultRegistry }
        guard !components.isEmpty, components.allSatisfy(Reference.isValidComponent) else {
            throw LayersError.invalidReference(text, "repository names are lower-case letters, digits and separators (. _ __ -)")
        }
        if registry == Reference.defaultRegistry && components.count == 1 { components.insert("library", at: 0) }
        self.init(registry: registry, path: components.joined(separator: "/"), tag: tag ?? (digest == nil ? "latest" : nil), digest: digest)
    }

    /// `docker.io/library/busybox`: registry and path.
    public var repository: String { registry + "/" + path }

    /// The full name: `docker.io/library/busybox:latest` or `...@sha256:...`.
    public var description: String {
        var text = repository
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.description }
        return text
    }

    /// The repository as `docker images` shows it: `busybox`, `team/app` on Docker Hub
    /// without its defaults, other registries in full.
    public var familiarRepository: String {
        guard registry == Reference.defaultRegistry else { return repository }
        return path.hasPrefix("library/") && path.split(separator: "/").count == 2 ? String(path.dropFirst(8)) : path
    }

    /// `busybox:latest`, `127.0.0.1:5000/team/app:1.0`.
    public var familiar: String {
        var text = familiarRepository
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.description }
        return text
    }

    /// The same repository with another tag (and no digest).
    public func with(tag: String) -> Reference { Reference(registry: registry, path: path, tag: tag) }
    /// The same repository pinned to a digest (and no tag).
    public func with(digest: Digest) -> Reference { Reference(registry: registry, path: path, tag: nil, digest: digest) }

    static func isValidTag(_ tag: String) -> Bool {
        guard let first = tag.utf8.first, tag.utf8.count <= 128 else { return false }
        func word(_ c: UInt8) -> Bool { (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) || c == 95 }
        return word(first) && tag.utf8.allSatisfy { word($0) || $0 == 46 || $0 == 45 }
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    static func isValidComponent(_ component: String) -> Bool {
        let bytes = Array(component.utf8)
        guard let first = bytes.first, let last = bytes.last else { return false }
        func alnum(_ c: UInt8) -> Bool { (48...57).contains(c) || (97...122).contains(c) }
        guard alnum(first) && alnum(last) else { return false }
        var index = 0
        while index < bytes.count {
            if alnum(bytes[index]) { index += 1; continue }
            // A separator: ".", "_", "__", or one or more "-".
            var end = index
            while end < bytes.count && !alnum(bytes[end]) { end += 1 }
            let separator = String(decoding: bytes[index..<end], as: UTF8.self)
            guard separator == "." || separator == "_" || separator == "__" || separator.allSatisfy({ $0 == "-" }) else { return false }
            index = end
        }
        return true
    }

    static func isValidHost(_ host: String) -> Bool {
        // host[:port], or [ipv6][:port]
        if !host.hasPrefix("[") {
            let parts = host.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, !parts[0].isEmpty else { return false }
            if parts.count == 2 && (parts[1].isEmpty || !parts[1].allSatisfy(\.isNumber)) { return false }
        }
        return !host.isEmpty && host.utf8.allSatisfy { c in
            (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) || c == 46 || c == 45 || c == 58 || c == 91 || c == 93
        }
    }
}
