import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Glibc
import Syscalls
import Layers

/// A client for the OCI distribution API (`/v2/...`), the protocol every registry speaks:
/// Docker Hub, GHCR, Quay, Harbor, and Debian's `docker-registry`.
///
///     let client = RegistryClient(store: store)
///     let image = try await client.pull("127.0.0.1:5000/team/app:1.0")
///     try await client.push("127.0.0.1:5000/team/app:1.0")
///
/// Requests go over HTTPS, or plain HTTP for a registry on the loopback address or one
/// listed in `insecureRegistries`. When a registry answers 401 with a `WWW-Authenticate`
/// challenge, the client answers it: a bearer token from the named realm (anonymous, or
/// with stored credentials), or basic authentication; then it repeats the request.
public final class RegistryClient: @unchecked Sendable {
    public let store: ImageStore
    public let credentials: CredentialStore
    /// Registries reached over plain HTTP although they are not on loopback (`--insecure`).
    public var insecureRegistries: Set<String>
    /// Blobs fetched (or pushed) at the same time.
    public var concurrency = 3
    /// Blobs larger than this are uploaded in chunks (PATCH ...), smaller ones in one PUT.
    public var chunkSize = 8 << 20
    /// How often a dropped download is resumed before the pull gives up.
    public var retries = 5
    public let progress: PullProgress
    /// Called with one line per HTTP exchange (`GET /v2/team/app/manifests/1.0 -> 200`), for
    /// the demo and for debugging.
    public var trace: (@Sendable (String) -> Void)?

    private var session: URLSession!
    let lock = NSLock()
    /// Credentials being tried by `login`, before they are stored.
    private var trying: [String: (username: String, password: String)] = [:]
    /// Tokens by registry and scope.
    private var tokens: [String: String] = [:]
    /// Registries that asked for basic authentication.
    private var basicRegistries: Set<String> = []

    public init(store: ImageStore, credentials: CredentialStore = CredentialStore(), insecureRegistries: Set<String> = [],
                progress: PullProgress = PullProgress()) {
        self.store = store
        self.credentials = credentials
        self.insecureRegistries = insecureRegistries
        self.progress = progress
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.httpMaximumConnectionsPerHost = 8
        session = URLSession(configuration: configuration, delegate: challengeResponder, delegateQueue: nil)
    }

    /// The delegate that answers Basic challenges with the credentials for a registry.
    var challengeResponder: BasicChallengeResponder {
        BasicChallengeResponder { [weak self] host in
            guard let self else { return nil }
            return self.lock.withLock { self.trying[host] } ?? self.credentials.credentials(for: host)
        }
    }

    // MARK: - URLs

    /// Whether `registry` is reached over plain HTTP: loopback addresses, or `--insecure`.
    func usesHTTP(_ registry: String) -> Bool {
        if insecureRegistries.contains(registry) { return true }
        let host = registry.hasPrefix("[") ? String(registry.dropFirst().prefix { $0 != "]" })
            : String(registry.split(separator: ":").first ?? "")
        return host == "localhost" || host.hasPrefix("127.") || host == "::1"
    }

    /// `https://registry-1.docker.io/v2/` (Docker Hub's API host), `http://127.0.0.1:5000/v2/`.
    func base(_ registry: String) -> String {
        let host = registry == Reference.defaultRegistry ? "registry-1.docker.io" : registry
        return (usesHTTP(registry) ? "http://" : "https://") + host + "/v2/"
    }

    func url(_ registry: String, _ path: String) throws -> URL {
        guard let url = URL(string: base(registry) + path) else { throw LayersError.registry("invalid URL \(base(registry) + path)") }
        return url
    }

    // MARK: - Requests with authentication

    /// Sends a request, answering one authentication challenge if the registry poses it.
    /// `scope` is what a token must allow: `repository:team/app:pull` or `...:pull,push`.
    func send(_ request: URLRequest, body: Data? = nil, registry: String, scope: String?) async throws -> (Data, HTTPURLResponse) {
        var request = request
        authorize(&request, registry: registry, scope: scope)
        var (data, response) = try await perform(request, body: body)
        if response.statusCode == 401 {
            try await answerChallenge(response, registry: registry, scope: scope)
            authorize(&request, registry: registry, scope: scope)
            (data, response) = try await perform(request, body: body)
        }
        return (data, response)
    }

    /// Asks `/v2/` first, as Docker does, and answers its challenge for `scope`, so that every
    /// later request carries credentials. (This matters for HEAD: FoundationNetworking waits
    /// for the body of a 401 answer to a HEAD request, which never comes.)
    func prepareAuthentication(registry: String, scope: String) async throws {
        var request = URLRequest(url: try url(registry, ""))
        authorize(&request, registry: registry, scope: scope)
        let (_, response) = try await perform(request, body: nil)
        if response.statusCode == 401 {
            try await answerChallenge(response, registry: registry, scope: scope)
        }
    }

    private func perform(_ request: URLRequest, body: Data?) async throws -> (Data, HTTPURLResponse) {
        let (data, response): (Data, URLResponse)
        do {
            if let body {
                (data, response) = try await session.upload(for: request, from: body)
            } else {
                (data, response) = try await session.data(for: request)
            }
        } catch let error as URLError where error.code == .cancelled {
            // Only the Basic challenge responder cancels: there were no (right) credentials.
            throw LayersError.registry("\(request.url?.host ?? ""): unauthorized: authentication required (log in first, or check the password)")
        } catch {
            throw LayersError.registry("\(request.httpMethod ?? "GET") \(request.url?.absoluteString ?? ""): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else { throw LayersError.registry("not an HTTP response from \(request.url?.absoluteString ?? "")") }
        record(request, http)
        return (data, http)
    }

    /// Passes one exchange to `trace`: method, path and query, status, and the headers that
    /// tell the story (authentication, media types, digests, upload locations).
    func record(_ request: URLRequest, _ response: HTTPURLResponse) {
        guard let trace, let url = request.url else { return }
        // The path as sent (with its trailing slash), and an upload's opaque state elided.
        var target = url.absoluteString
        if let host = url.host, let range = target.range(of: host) { target = String(target[range.upperBound...].drop { $0 != "/" }) }
        if let state = target.range(of: "_state=[^&]*", options: .regularExpression) { target.replaceSubrange(state, with: "_state=...") }
        var line = "\(request.httpMethod ?? "GET") \(target) -> \(response.statusCode)"
        var notes: [String] = []
        if request.value(forHTTPHeaderField: "Authorization") != nil {
            notes.append("Authorization: " + (request.value(forHTTPHeaderField: "Authorization")!.split(separator: " ").first.map(String.init) ?? "") + " ...")
        }
        for header in ["WWW-Authenticate", "Content-Type", "Docker-Content-Digest", "Location", "Content-Range"] {
            if let value = response.value(forHTTPHeaderField: header), !value.hasPrefix("application/json") {
                notes.append("\(header): \(header == "Location" ? String(value.prefix(60)) + "..." : value)")
            }
        }
        if !notes.isEmpty { line += "\n      " + notes.joined(separator: "\n      ") }
        trace(line)
    }

    /// Adds `Authorization` if a token or basic credentials are known for the registry.
    func authorize(_ request: inout URLRequest, registry: String, scope: String?) {
        let (token, basic) = lock.withLock { (tokens[registry + " " + (scope ?? "")], basicRegistries.contains(registry)) }
        if let token {
            request.setValue("Bearer " + token, forHTTPHeaderField: "Authorization")
        } else if basic, let (user, password) = credentials.credentials(for: registry) {
            request.setValue("Basic " + Data("\(user):\(password)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        }
    }

    /// Reads `WWW-Authenticate` and gets what it asks for: a token, or a note to use basic auth.
    func answerChallenge(_ response: HTTPURLResponse, registry: String, scope: String?,
                         login: (username: String, password: String)? = nil) async throws {
        guard let header = response.value(forHTTPHeaderField: "WWW-Authenticate"),
              let challenge = AuthenticationChallenge(header: header) else {
            throw LayersError.registry("\(registry): unauthorized, and no WWW-Authenticate challenge to answer")
        }
        let stored = login ?? credentials.credentials(for: registry)
        switch challenge.scheme {
        case "basic":
            guard stored != nil else { throw LayersError.registry("\(registry): authentication required (log in first)") }
            lock.withLock { _ = basicRegistries.insert(registry) }
        case "bearer":
            guard let realm = challenge.realm, var components = URLComponents(string: realm) else {
                throw LayersError.registry("\(registry): bearer challenge without a realm")
            }
            var items = components.queryItems ?? []
            if let service = challenge.service { items.append(URLQueryItem(name: "service", value: service)) }
            if let wanted = scope ?? challenge.scope { items.append(URLQueryItem(name: "scope", value: wanted)) }
            components.queryItems = items
            guard let url = components.url else { throw LayersError.registry("\(registry): invalid token realm \(realm)") }
            var request = URLRequest(url: url)
            if let stored {
                request.setValue("Basic " + Data("\(stored.username):\(stored.password)".utf8).base64EncodedString(),
                                 forHTTPHeaderField: "Authorization")
            }
            let (data, tokenResponse) = try await perform(request, body: nil)
            guard tokenResponse.statusCode == 200 else {
                throw LayersError.registry("\(registry): token from \(realm): \(tokenResponse.statusCode) \(RegistryClient.errorMessage(data) ?? "")"
                    .trimmingCharacters(in: .whitespaces))
            }
            struct TokenAnswer: Decodable { let token: String?; let access_token: String? }
            guard let answer = try? JSONDecoder().decode(TokenAnswer.self, from: data), let token = answer.token ?? answer.access_token else {
                throw LayersError.registry("\(registry): token from \(realm): no token in the answer")
            }
            lock.withLock { tokens[registry + " " + (scope ?? "")] = token }
        default:
            throw LayersError.registry("\(registry): unsupported authentication scheme \(challenge.scheme)")
        }
    }

    /// The registry's error message, from `{"errors": [{"code": ..., "message": ...}]}`.
    static func errorMessage(_ data: Data) -> String? {
        struct Errors: Decodable {
            struct Item: Decodable { let code: String?; let message: String? }
            let errors: [Item]?
            let details: String?
        }
        guard let errors = try? JSONDecoder().decode(Errors.self, from: data) else {
            let text = String(decoding: data.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        return errors.errors?.compactMap { $0.message ?? $0.code }.joined(separator: "; ") ?? errors.details
    }

    /// Throws unless the response has one of the expected status codes.
    func expect(_ response: HTTPURLResponse, _ data: Data, _ codes: Set<Int>, _ what: String) throws {
        guard codes.contains(response.statusCode) else {
            let message = RegistryClient.errorMessage(data).map { ": " + $0 } ?? ""
            let status = response.statusCode == 401 ? "unauthorized" : "\(response.statusCode)"
            throw LayersError.registry("\(what): \(status)\(message)")
        }
    }

    // MARK: - Login

    /// `docker login`: checks the credentials against the registry (through its token
    /// service, if it has one) and stores them in `config.json`.
    public func login(registry: String, username: String, password: String) async throws {
        lock.withLock { trying[registry] = (username, password) }
        defer { lock.withLock { trying[registry] = nil } }
        let response: HTTPURLResponse
        do {
            (_, response) = try await perform(URLRequest(url: try url(registry, "")), body: nil)
        } catch {
            throw LayersError.registry("login \(registry): \(error)")
        }
        if response.statusCode == 401 {
            do {
                try await answerChallenge(response, registry: registry, scope: nil, login: (username, password))
            } catch {
                throw LayersError.registry("login \(registry): \(error)")
            }
            var request = URLRequest(url: try url(registry, ""))
            let token = lock.withLock { tokens[registry + " "] }
            if let token {
                request.setValue("Bearer " + token, forHTTPHeaderField: "Authorization")
            } else {
                request.setValue("Basic " + Data("\(username):\(password)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
            }
            let (data, again) = try await perform(request, body: nil)
            guard again.statusCode == 200 else {
                throw LayersError.registry("login \(registry): unauthorized: \(RegistryClient.errorMessage(data) ?? "incorrect username or password")")
            }
        } else if response.statusCode != 200 {
            throw LayersError.registry("login \(registry): \(response.statusCode)")
        }
        try credentials.store(username: username, password: password, for: registry)
    }
}
