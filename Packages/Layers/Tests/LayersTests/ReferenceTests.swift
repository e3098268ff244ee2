import Testing
@testable import Layers

@Suite("References")
struct ReferenceTests {
    @Test("names get Docker's defaults", arguments: [
        ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
        ("docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("index.docker.io/library/busybox:x", "docker.io/library/busybox:x", "busybox:x"),
        ("team/app", "docker.io/team/app:latest", "team/app:latest"),
        ("127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000/team/app:1.0"),
        ("localhost/app", "localhost/app:latest", "localhost/app:latest"),
        ("ghcr.io/a/b/c:v1.2-rc_3", "ghcr.io/a/b/c:v1.2-rc_3", "ghcr.io/a/b/c:v1.2-rc_3"),
        ("alpine@sha256:" + String(repeating: "a", count: 64), "docker.io/library/alpine@sha256:" + String(repeating: "a", count: 64),
         "alpine@sha256:" + String(repeating: "a", count: 64)),
        ("my-app__x.y:1@sha256:" + String(repeating: "b", count: 64), "docker.io/library/my-app__x.y:1@sha256:" + String(repeating: "b", count: 64),
         "my-app__x.y:1@sha256:" + String(repeating: "b", count: 64)),
    ])
    func defaults(text: String, full: String, familiar: String) throws {
        let reference = try Reference(parsing: text)
        #expect(reference.description == full)
        #expect(reference.familiar == familiar)
    }

    @Test("bad names are refused with the reason", arguments: ["", "Busybox", "busybox:", "a//b", "-a", "a:b:c/d", "busybox@sha256:123", "a:" + String(repeating: "t", count: 129)])
    func bad(text: String) {
        #expect(throws: LayersError.self) { try Reference(parsing: text) }
    }

    @Test("platforms parse as os/arch/variant and choose from an index")
    func platforms() throws {
        let amd = try Platform(parsing: "linux/amd64")
        let arm = try Platform(parsing: "linux/arm64/v8")
        #expect(amd == .linuxAMD64 && arm.variant == "v8")
        #expect(throws: LayersError.self) { try Platform(parsing: "linux") }
        let digest = { (n: Int) in SHA256.hash([UInt8(n)]) }
        let index = ImageIndex(manifests: [
            Descriptor(mediaType: MediaType.ociManifest, digest: digest(1), size: 1, platform: Platform(architecture: "arm64", variant: "v8")),
            Descriptor(mediaType: MediaType.ociManifest, digest: digest(2), size: 1, platform: .linuxAMD64),
        ])
        #expect(index.manifest(for: .linuxAMD64)?.digest == digest(2))
        #expect(index.manifest(for: Platform(architecture: "arm64"))?.digest == digest(1))
        #expect(index.manifest(for: Platform(architecture: "s390x")) == nil)
    }

    @Test("chain IDs follow the OCI definition")
    func chainIDs() {
        let a = SHA256.hash(Array("a".utf8)), b = SHA256.hash(Array("b".utf8))
        #expect(Snapshot.chainIDs([a, b]) == [a, SHA256.hash(Array("\(a) \(b)".utf8))])
    }
}
