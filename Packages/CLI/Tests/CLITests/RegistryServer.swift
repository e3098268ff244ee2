import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Glibc
import Syscalls
@testable import CLI

let registryBinary = "/usr/bin/docker-registry"
let hasRegistry = access(registryBinary, X_OK) == 0 && access("/usr/bin/htpasswd", X_OK) == 0

/// Debian's `docker-registry` on 127.0.0.1, on a free port, with its config and storage in a
/// temporary directory (the same approach as chapter 04's tests): a real registry for
/// `pull`, `push` and `login`, stopped and removed by `stop()`.
final class RegistryServer: @unchecked Sendable {
    let directory: String
    let port: Int
    var address: String { "127.0.0.1:\(port)" }
    private var process: SpawnedProcess?

    /// With `user` and `password`, the registry asks for basic authentication (an htpasswd file).
    init(user: String? = nil, password: String? = nil) throws {
        directory = NSTemporaryDirectory() + "dosirak-registry-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: directory + "/storage", withIntermediateDirectories: true)
        port = try RegistryServer.freePort()
        var auth = ""
        if let user, let password {
            let (status, line) = try Spawn("/usr/bin/htpasswd", arguments: ["-Bbn", user, password]).output()
            guard status == .exited(0) else { throw CommandError.failed("htpasswd: \(line)") }
            try (line.trimmingCharacters(in: .whitespacesAndNewlines) + "\n").write(toFile: directory + "/htpasswd", atomically: true, encoding: .utf8)
            auth = "auth:\n  htpasswd:\n    realm: dosirak-test\n    path: \(directory)/htpasswd\n"
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
        http:
          addr: 127.0.0.1:\(port)
        \(auth)
        """
        try config.write(toFile: directory + "/config.yml", atomically: true, encoding: .utf8)
        let log = try FileDescriptor.open(directory + "/registry.log", .writeOnly, options: [.create, .truncate])
        var spawn = Spawn(registryBinary, arguments: ["serve", directory + "/config.yml"])
        spawn.fileDescriptors = [1: log, 2: log]
        process = try spawn.start()
        try log.close()
        for _ in 0..<400 {
            if RegistryServer.accepts(port) { return }
            usleep(25_000)
        }
        let text = (try? String(contentsOfFile: directory + "/registry.log", encoding: .utf8)) ?? ""
        stop()
        throw CommandError.failed("docker-registry did not start on \(address): \(text)")
    }

    /// Stops the server and removes its storage.
    func stop() {
        if let process {
            try? process.descriptor?.send(.terminate)
            _ = try? process.wait()
        }
        process = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
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
        guard bound else { throw CommandError.failed("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The registry's own answer to a plain HTTP request (`team/box/manifests/1.0`), as the
    /// tests' independent witness of what it holds.
    func request(_ path: String, method: String = "GET", accept: String? = nil,
                 user: String? = nil, password: String? = nil) async throws -> (status: Int, headers: [String: String], body: Data) {
        var request = URLRequest(url: URL(string: "http://\(address)/v2/\(path)")!)
        request.httpMethod = method
        if let accept { request.setValue(accept, forHTTPHeaderField: "Accept") }
        if let user, let password {
            request.setValue("Basic " + Data("\(user):\(password)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers["\(key)".lowercased()] = "\(value)" }
        return (http.statusCode, headers, data)
    }
}
