import Foundation
import Syscalls
import Testing
@testable import Layers
@testable import Registry

@Suite("Registry client, without a registry")
struct RegistryUnitTests {
    @Test("WWW-Authenticate challenges are parsed, quoted commas and all")
    func challenges() {
        let bearer = AuthenticationChallenge(header: #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push""#)
        #expect(bearer?.scheme == "bearer")
        #expect(bearer?.realm == "https://auth.docker.io/token")
        #expect(bearer?.service == "registry.docker.io")
        #expect(bearer?.scope == "repository:library/busybox:pull,push")
        let basic = AuthenticationChallenge(header: #"Basic realm="Registry Realm""#)
        #expect(basic?.scheme == "basic" && basic?.realm == "Registry Realm")
    }

    @Test("plain HTTP only for loopback registries and those named insecure")
    func schemes() throws {
        let client = RegistryClient(store: try ImageStore(root: NSTemporaryDirectory() + "dosirak-unit-\(UUID().uuidString.prefix(8))"),
                                    insecureRegistries: ["registry.lan:5000"], progress: PullProgress(output: nil))
        defer { try? FileManager.default.removeItem(atPath: client.store.root) }
        #expect(client.base("127.0.0.1:5000") == "http://127.0.0.1:5000/v2/")
        #expect(client.base("localhost:5000") == "http://localhost:5000/v2/")
        #expect(client.base("[::1]:5000") == "http://[::1]:5000/v2/")
        #expect(client.base("registry.lan:5000") == "http://registry.lan:5000/v2/")
        #expect(client.base("ghcr.io") == "https://ghcr.io/v2/")
        #expect(client.base("docker.io") == "https://registry-1.docker.io/v2/")
    }

    @Test("credentials are stored and read back in Docker's config.json format, other keys kept")
    func credentials() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/config.json"
            try write(#"{"credsStore":"none","auths":{"other:1":{"auth":"eDp5"}}}"#, to: path)
            let store = CredentialStore(path: path)
            try store.store(username: "cook", password: "pa:ss", for: "127.0.0.1:5000")
            #expect(store.credentials(for: "127.0.0.1:5000")! == ("cook", "pa:ss"))
            #expect(store.credentials(for: "other:1")! == ("x", "y"))
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
            #expect(json["credsStore"] as? String == "none")
            try store.remove(for: "127.0.0.1:5000")
            #expect(store.credentials(for: "127.0.0.1:5000") == nil)
        }
    }

    @Test("on a terminal each layer's line is redrawn in place with a bar")
    func terminalProgress() throws {
        let (read, write) = try FileDescriptor.pipe()
        let progress = PullProgress(output: write, terminal: true)
        progress.update("aaaaaaaaaaaa", "Pulling fs layer")
        progress.update("bbbbbbbbbbbb", "Pulling fs layer")
        progress.update("aaaaaaaaaaaa", "Downloading", current: 500, total: 1000)
        try write.close()
        let output = String(decoding: try read.readAll(), as: UTF8.self)
        try read.close()
        #expect(output.hasPrefix("aaaaaaaaaaaa: Pulling fs layer\nbbbbbbbbbbbb: Pulling fs layer\n"))
        #expect(output.contains("\u{1B}[2A\u{1B}[2K\raaaaaaaaaaaa: Downloading [========================>"))
        #expect(output.contains("] 500B/1kB"))
    }
}
