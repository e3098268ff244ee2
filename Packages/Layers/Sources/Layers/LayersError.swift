import Syscalls

/// What went wrong in the image store, an archive, an overlay or a registry conversation.
/// Messages are one lower-case line naming the thing at fault.
public enum LayersError: Error, Equatable, CustomStringConvertible {
    case invalidDigest(String)
    case digestMismatch(expected: Digest, actual: Digest)
    case sizeMismatch(digest: Digest, expected: Int64, actual: Int64)
    case blobNotFound(Digest)
    case file(String, String, Errno)
    case archive(String)
    case entry(String, String)
    case invalidReference(String, String)
    case imageNotFound(String)
    case imageInUse(String, [String])
    case invalidManifest(String)
    case unsupported(String)
    case noMatchingPlatform(String, String)
    case tool(String, String)
    case registry(String)
    case context(String, String)

    public var description: String {
        switch self {
        case .invalidDigest(let text): "invalid digest \(quoted(text))"
        case .digestMismatch(let expected, let actual): "digest mismatch: expected \(expected), got \(actual)"
        case .sizeMismatch(let digest, let expected, let actual):
            "blob \(digest): size mismatch: expected \(expected) bytes, got \(actual)"
        case .blobNotFound(let digest): "blob \(digest): not in the store"
        case .file(let call, let path, let errno): "\(call) \(path): \(errno)"
        case .archive(let message): "archive: \(message)"
        case .entry(let path, let reason): "archive entry \(quoted(path)): \(reason)"
        case .invalidReference(let text, let reason): "invalid reference \(quoted(text)): \(reason)"
        case .imageNotFound(let name): "image \(name): not found"
        case .imageInUse(let name, let holders):
            "image \(name): in use by container \(holders.joined(separator: ", ")) (use force to remove it anyway)"
        case .invalidManifest(let message): "manifest: \(message)"
        case .unsupported(let message): "unsupported: \(message)"
        case .noMatchingPlatform(let name, let platform): "image \(name): no manifest for platform \(platform)"
        case .tool(let tool, let message): "\(tool): \(message)"
        case .registry(let message): message
        case .context(let what, let message): "\(what): \(message)"
        }
    }

    /// Wraps any error with what was being done: `pull busybox:latest: ...`.
    public static func wrap(_ what: String, _ error: any Error) -> LayersError {
        .context(what, "\(error)")
    }
}

private func quoted(_ text: String) -> String { "\"\(text)\"" }

/// Runs a system call that returns -1 and sets errno, naming the call and the path on failure.
@discardableResult
package func check(_ call: String, _ path: String, _ body: () -> CInt) throws -> CInt {
    while true {
        let result = body()
        if result != -1 { return result }
        let error = Errno.current
        if error == .interrupted { continue }
        throw LayersError.file(call, path, error)
    }
}
