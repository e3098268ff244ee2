import FoundationEssentials
import Syscalls

/// config.json as read (or just written): the spec and its bytes, which `create` keeps as the
/// container's copy without encoding the spec again.
public struct SpecFile: Codable, Sendable {
    public var spec: Spec
    public var text: [UInt8]

    public init(spec: Spec, text: [UInt8]) {
        self.spec = spec
        self.text = text
    }
}

extension Spec {
    /// Reads `config.json` from a bundle directory.
    public static func load(bundle: String) throws -> Spec {
        try loadWithText(bundle: bundle).spec
    }

    /// Reads `config.json` from a bundle directory, with its bytes as read.
    public static func loadWithText(bundle: String) throws -> SpecFile {
        let (spec, text) = try load(Spec.self, bundle: bundle)
        return SpecFile(spec: spec, text: text)
    }

    /// Reads `config.json` from a bundle directory as `type`: the spec, or the part of it a
    /// command needs (the rest is skipped, not decoded); also its bytes as read. An error
    /// names the file, and the field.
    static func load<Part: Decodable>(_ type: Part.Type, bundle: String) throws -> (Part, [UInt8]) {
        let path = bundle + "/config.json"
        let bytes: [UInt8]
        do {
            let fd = try FileDescriptor.open(path)
            bytes = try fd.closeAfter { try fd.readAll() }
        } catch let errno as Errno {
            throw RuntimeError.bundle("read \(path): \(errno)")
        }
        do {
            return (try JSONDecoder().decode(type, from: Data(bytes)), bytes)
        } catch let DecodingError.keyNotFound(key, context) {
            throw RuntimeError.bundle("\(path): missing \(Spec.codingPath(context.codingPath + [key]))")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw RuntimeError.bundle("\(path): wrong type at \(Spec.codingPath(context.codingPath))")
        } catch let DecodingError.dataCorrupted(context) {
            throw RuntimeError.bundle("\(path): not valid JSON\(context.codingPath.isEmpty ? "" : " at " + Spec.codingPath(context.codingPath))")
        }
    }

    /// `process.user.uid`-style path of a decoding error.
    static func codingPath(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().drop { $0 == "." }.description
    }

    /// The root file system's absolute path: `root.path`, relative to the bundle if not absolute.
    public func rootfs(bundle: String) throws -> String {
        guard let path = root?.path, !path.isEmpty else { throw RuntimeError.bundle("config.json has no root.path") }
        return path.hasPrefix("/") ? path : bundle + "/" + path
    }
}
