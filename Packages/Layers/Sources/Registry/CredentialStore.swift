import Foundation
import Glibc
import Layers

/// Registry credentials, kept where Docker keeps them: `config.json` in `$DOCKER_CONFIG`
/// or `~/.docker`, as `{"auths": {"registry": {"auth": base64("user:password")}}}`. Logging
/// in with Dosirak therefore also logs Docker in, and the other way round.
public struct CredentialStore: Sendable {
    public let path: String

    public init(path: String? = nil) {
        if let path {
            self.path = path
        } else if let directory = ProcessInfo.processInfo.environment["DOCKER_CONFIG"] {
            self.path = directory + "/config.json"
        } else {
            self.path = (ProcessInfo.processInfo.environment["HOME"] ?? "/root") + "/.docker/config.json"
        }
    }

    /// The user name and password stored for `registry`, if any.
    public func credentials(for registry: String) -> (username: String, password: String)? {
        guard let auths = load()["auths"] as? [String: Any] else { return nil }
        let keys = registry == Reference.defaultRegistry
            ? ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"]
            : [registry, "https://" + registry, "http://" + registry]
        for key in keys {
            guard let entry = auths[key] as? [String: Any] else { continue }
            if let auth = entry["auth"] as? String, let data = Data(base64Encoded: auth),
               let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") {
                return (String(text[..<colon]), String(text[text.index(after: colon)...]))
            }
            if let username = entry["username"] as? String, let password = entry["password"] as? String {
                return (username, password)
            }
        }
        return nil
    }

    /// Stores credentials for `registry` (the file is written whole and renamed into place,
    /// readable by its owner only; other keys in it are kept).
    public func store(username: String, password: String, for registry: String) throws {
        var document = load()
        var auths = document["auths"] as? [String: Any] ?? [:]
        let key = registry == Reference.defaultRegistry ? "https://index.docker.io/v1/" : registry
        auths[key] = ["auth": Data("\(username):\(password)".utf8).base64EncodedString()]
        document["auths"] = auths
        try save(document)
    }

    /// Forgets the credentials for `registry`.
    public func remove(for registry: String) throws {
        var document = load()
        var auths = document["auths"] as? [String: Any] ?? [:]
        let key = registry == Reference.defaultRegistry ? "https://index.docker.io/v1/" : registry
        auths[key] = nil
        document["auths"] = auths
        try save(document)
    }

    private func load() -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return object
    }

    private func save(_ document: [String: Any]) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw LayersError.file("create", temporary, .permissionDenied)
        }
        try check("rename", path) { rename(temporary, path) }
    }
}
