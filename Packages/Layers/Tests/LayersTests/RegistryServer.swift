import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Glibc
import Syscalls
@testable import Layers
@testable import Registry

let registryBinary = "/usr/bin/docker-registry"
let hasRegistry = access(registryBinary, X_OK) == 0

/// Debian's `docker-registry`, started on 127.0.0.1 on a free port with its own storage and
/// config in a temporary directory, and stopped (with its token service) by `stop()`.
final class RegistryServer: @unchecked Sendable {
    enum Auth {
        case none
        /// htpasswd file with one bcrypt entry.
        case basic(user: String, password: String)
        /// A token service (Tests/Fixtures/token_server.py) that the registry trusts.
        case token(user: String, password: String)
    }

    let directory: String
    let port: Int
    var address: String { "127.0.0.1:\(port)" }
    var storage: String { directory + "/storage" }
    private var processes: [SpawnedProcess] = []

    init(directory: String, auth: Auth) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory + "/storage", withIntermediateDirectories: true)
        port = try RegistryServer.freePort()
        var authConfig = ""
        switch auth {
        case .none:
            break
        case .basic(let user, let password):
            let entry = try run("/usr/bin/htpasswd", "-Bbn", user, password).trimmingCharacters(in: .whitespacesAndNewlines)
            try write(entry + "\n", to: directory + "/htpasswd")
            authConfig = "auth:\n  htpasswd:\n    realm: dosirak-test\n    path: \(directory)/htpasswd\n"
        case .token(let user, let password):
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/token_server.py").path
            let (read, writeEnd) = try FileDescriptor.pipe()
            var spawn = Spawn("/usr/bin/python3", arguments: [script, directory + "/token.pem", "dosirak-test-issuer",
                                                              "dosirak-registry", user, password])
            spawn.fileDescriptors[1] = writeEnd
            let tokenServer = try spawn.start()
            processes.append(tokenServer)
            try writeEnd.close()
            var line: [UInt8] = []
            while !line.contains(10) {
                let piece = try read.read(upTo: 64)
                if piece.isEmpty { break }
                line += piece
            }
            try read.close()
            guard let tokenPort = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                stop()
                throw TestFailure("token server did not start")
            }
            authConfig = """
            auth:
              token:
                realm: http://127.0.0.1:\(tokenPort)/token
                service: dosirak-registry
                issuer: dosirak-test-issuer
                rootcertbundle: \(directory)/token.pem

            """
        }
        let config = """
        version: 0.1
        log:
          level: error
          accesslog:
            disabled: true
        storage:
          filesystem:
            rootdirectory: \(directory)/storage
          delete:
            enabled: true
        http:
          addr: 127.0.0.1:\(port)
        \(authConfig)
        """
        try write(config, to: directory + "/config.yml")
        let log = try FileDescriptor.open(directory + "/registry.log", .writeOnly, options: [.create, .truncate])
        var spawn = Spawn(registryBinary, arguments: ["serve", directory + "/config.yml"])
        spawn.fileDescriptors = [0: .standardInput, 1: log, 2: log]
        processes.append(try spawn.start())
        try log.close()
        try waitUntilListening()
    }

    private func waitUntilListening() throws {
        for _ in 0..<200 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if connected == 0 { return }
            usleep(25_000)
        }
        let log = contents(of: directory + "/registry.log") ?? ""
        stop()
        throw TestFailure("docker-registry did not start on \(address): \(log)")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestFailure("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts Tests/Fixtures/flaky_proxy.py in front of the registry, cutting the first
    /// `cuts` blob downloads after `cutAfter` bytes. Returns the proxy's address; `stop()`
    /// stops it too.
    func startFlakyProxy(cutAfter: Int, cuts: Int) throws -> String {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/flaky_proxy.py").path
        let (read, writeEnd) = try FileDescriptor.pipe()
        var spawn = Spawn("/usr/bin/python3", arguments: [script, String(port), String(cutAfter), String(cuts)])
        spawn.fileDescriptors[1] = writeEnd
        processes.append(try spawn.start())
        try writeEnd.close()
        var line: [UInt8] = []
        while !line.contains(10) {
            let piece = try read.read(upTo: 64)
            if piece.isEmpty { break }
            line += piece
        }
        try read.close()
        guard let proxyPort = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestFailure("flaky proxy did not start")
        }
        return "127.0.0.1:\(proxyPort)"
    }

    func stop() {
        for process in processes.reversed() {
            try? process.descriptor?.send(.terminate)
            _ = try? process.wait()
        }
        processes.removeAll()
    }

    /// Where the registry keeps a blob's bytes (its filesystem driver's layout).
    func blobPath(_ digest: Digest) -> String {
        storage + "/docker/registry/v2/blobs/sha256/\(digest.hex.prefix(2))/\(digest.hex)/data"
    }

    /// A plain HTTP GET or HEAD to the registry, as the tests' independent witness.
    func request(_ path: String, method: String = "GET", accept: String? = nil) async throws -> (Data, HTTPURLResponse) {
        var request = URLRequest(url: URL(string: "http://\(address)/v2/\(path)")!)
        request.httpMethod = method
        if let accept { request.setValue(accept, forHTTPHeaderField: "Accept") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return (data, response as! HTTPURLResponse)
    }
}

/// Runs `body` with a started registry and an empty store, and cleans both up.
func withRegistry<T>(auth: RegistryServer.Auth = .none,
                     _ body: (RegistryServer, ImageStore, String) async throws -> T) async throws -> T {
    try await withTemporaryDirectory { directory in
        let server = try RegistryServer(directory: directory + "/registry", auth: auth)
        defer { server.stop() }
        return try await body(server, try ImageStore(root: directory + "/store"), directory)
    }
}

/// A client that prints nothing and keeps its credentials in the test's directory.
func quietClient(_ store: ImageStore, _ directory: String) -> RegistryClient {
    RegistryClient(store: store, credentials: CredentialStore(path: directory + "/docker/config.json"),
                   progress: PullProgress(output: nil))
}
