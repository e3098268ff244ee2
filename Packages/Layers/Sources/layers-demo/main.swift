// layers-demo (chapter 04): builds busybox:latest as a real one-layer image, stacks a second
// layer, mounts an overlay, changes files in the container's view and shows where each change
// landed, turns the changes back into a layer, and walks a push and a pull through a local
// docker-registry, printing every HTTP request. Everything lives in /tmp/dosirak-layers-PID
// and is removed at the end.
import Foundation
import Glibc
import Layers
import Registry
import Syscalls

let top = "/tmp/dosirak-layers-\(getpid())"

func section(_ title: String) { print("\n== \(title)") }
func row(_ label: String, _ text: String) { print("   " + label.padding(toLength: 10, withPad: " ", startingAt: 0) + text) }
func short(_ path: String) -> String { path.replacingOccurrences(of: top + "/", with: "") }
func size(_ bytes: Int64) -> String { PullProgress.bytes(bytes) }

/// What is at `path`, in a word or two: "file (6 bytes)", "character device 0/0 (a whiteout)", ...
func describe(_ path: String) -> String {
    var info = stat()
    guard lstat(path, &info) == 0 else { return "absent" }
    switch info.st_mode & S_IFMT {
    case S_IFCHR where info.st_rdev == 0: return "character device 0/0: a whiteout"
    case S_IFDIR:
        let opaque = (try? FileSystem.extendedAttribute("trusted.overlay.opaque", of: path)) ?? nil
        return opaque == Array("y".utf8) ? "directory, trusted.overlay.opaque=y: opaque" : "directory"
    case S_IFREG: return "file (\(info.st_size) bytes)"
    case S_IFLNK: return "symbolic link"
    default: return "other"
    }
}

func listing(_ directory: String) -> String {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted().joined(separator: " ")
}

func tour() async throws {
    try FileManager.default.createDirectory(atPath: top, withIntermediateDirectories: true)
    defer { cleanUp() }
    let store = try ImageStore(root: top + "/store")

    section("1. The default image, built from the host's busybox")
    let busybox = try store.buildBusybox()
    row("store", short(store.root) + "  (blobs/, snapshots/, images.json)")
    row("image", "busybox:latest  id \(busybox.id.short)  created \(busybox.configuration.created ?? "?")")
    row("manifest", "\(busybox.manifestDigest)  \(try store.blobs.size(of: busybox.manifestDigest)) bytes")
    row("config", "\(busybox.id)  Cmd \(busybox.configuration.config?.cmd ?? [])")
    let base = busybox.manifest.layers[0]
    row("layer 1", "\(base.digest)  gzip \(size(base.size)), tar \(size(busybox.snapshots[0].size))")
    row("diff id", "\(busybox.snapshots[0].diffID)  (sha256 of the uncompressed tar)")
    row("snapshot", "\(short(busybox.snapshots[0].path))  \(listing(busybox.snapshots[0].path))")

    section("2. A second layer on top: one file added, one deleted")
    let layer = try store.createLayer { tar in
        try tar.add(TarEntry(path: "etc/", kind: .directory, mode: 0o755))
        try tar.add(TarEntry(path: "etc/motd", kind: .regular, mode: 0o644), contents: Array("packed by dosirak\n".utf8))
        try tar.add(TarEntry(path: "etc/.wh.group", kind: .regular, mode: 0o644))
        try tar.finish()
    }
    var configuration = busybox.configuration
    configuration.history = (configuration.history ?? []) + [.init(created: configuration.created, createdBy: "layers-demo: add /etc/motd, delete /etc/group")]
    let image = try store.createImage(layers: [(base, busybox.snapshots[0].diffID), layer], configuration: configuration,
                                      references: [try Reference(parsing: "demo:two")])
    row("layer 2", "\(layer.descriptor.digest)  gzip \(size(layer.descriptor.size)): etc/motd, etc/.wh.group")
    row("image", "demo:two  id \(image.id.short) = layer 1 + layer 2")
    row("chain ids", image.snapshots.map { $0.chainID.short }.joined(separator: " + "))
    row("shared", image.snapshots[0].path == busybox.snapshots[0].path ? "layer 1's snapshot is the one busybox uses (same chain id)" : "no")
    row("layer 2", "\(short(image.snapshots[1].path))/etc: \(listing(image.snapshots[1].path + "/etc"))")
    row("", "etc/group there is \(describe(image.snapshots[1].path + "/etc/group"))")

    section("3. An overlay: the container's root filesystem")
    let overlay = try Overlay.mount(image.lowerDirectories, at: top + "/container")
    defer { try? overlay.remove() }
    let merged = overlay.mergedDirectory
    row("lowerdir", image.lowerDirectories.map(short).joined(separator: ":"))
    row("upperdir", "\(short(overlay.upperDirectory))  (empty)")
    row("merged", "\(short(merged))  \(listing(merged))")
    row("/etc", listing(merged + "/etc") + "   (no group: layer 2 whited it out)")
    row("/etc/motd", (try String(contentsOfFile: merged + "/etc/motd", encoding: .utf8)).trimmingCharacters(in: .newlines))

    section("4. Writes and deletes in the container's view")
    let passwordBefore = SHA256.hash(Array(try Data(contentsOf: URL(fileURLWithPath: image.snapshots[0].path + "/etc/passwd"))))
    try "hello from the container\n".write(toFile: merged + "/tmp/hello", atomically: false, encoding: .utf8)
    let motd = try FileHandle(forWritingTo: URL(fileURLWithPath: merged + "/etc/motd"))
    motd.seekToEndOfFile()
    motd.write(Data("and changed in a container\n".utf8))
    motd.closeFile()
    try FileManager.default.removeItem(atPath: merged + "/etc/passwd")
    try FileManager.default.removeItem(atPath: merged + "/home")
    try FileManager.default.createDirectory(atPath: merged + "/home/cook", withIntermediateDirectories: true)
    let upper = overlay.upperDirectory
    print("   new file     /tmp/hello   -> upper/tmp/hello: \(describe(upper + "/tmp/hello"))")
    print("   append       /etc/motd    -> upper/etc/motd: \(describe(upper + "/etc/motd")), copied up from layer 2")
    print("   delete       /etc/passwd  -> upper/etc/passwd: \(describe(upper + "/etc/passwd"))")
    print("   rm -r, mkdir /home        -> upper/home: \(describe(upper + "/home"))")
    let passwordAfter = SHA256.hash(Array(try Data(contentsOf: URL(fileURLWithPath: image.snapshots[0].path + "/etc/passwd"))))
    print("   layer 1 etc/passwd: \(passwordBefore == passwordAfter ? "unchanged" : "CHANGED") (sha256 \(passwordAfter.short)), layer 2 etc/motd: "
          + ((try? String(contentsOfFile: image.snapshots[1].path + "/etc/motd", encoding: .utf8)) == "packed by dosirak\n" ? "unchanged" : "CHANGED"))
    print("   the container sees /etc/passwd: \(describe(merged + "/etc/passwd")), /home: \(listing(merged + "/home"))")

    section("5. The container's changes as a layer (what commit will do)")
    let sink = MemoryTar()
    try overlay.diff(to: TarWriter(sink))
    let entries = try sink.entries()
    print("   " + entries.joined(separator: "  "))
    print("   \(sink.bytes.count) bytes of tar, sha256 \(SHA256.hash(sink.bytes).short): whiteouts are .wh. files again")
    try overlay.remove()
    row("removed", "\(short(overlay.directory)): unmounted, upper and work gone; \(overlay.isMounted ? "STILL MOUNTED" : "no mount left")")

    section("6. The registry protocol, request by request")
    try await registryWalk(store: store)

    section("7. rmi and garbage collection")
    for line in try store.remove("demo:two") { print("   " + line) }
    let left = try store.blobs.all().count
    row("left", "\(left) blobs, \(store.snapshots.all().count) snapshot: busybox:latest still uses layer 1")
}

/// Pushes busybox to a docker-registry on 127.0.0.1 and pulls it into an empty store,
/// printing every request. Skipped when docker-registry is not installed.
func registryWalk(store: ImageStore) async throws {
    guard access("/usr/bin/docker-registry", X_OK) == 0 else {
        print("   (docker-registry is not installed: apt-get install docker-registry)")
        return
    }
    let port = try freePort()
    let directory = top + "/registry"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try """
    version: 0.1
    log: {level: error, accesslog: {disabled: true}}
    storage: {filesystem: {rootdirectory: \(directory)/storage}}
    http: {addr: 127.0.0.1:\(port)}

    """.write(toFile: directory + "/config.yml", atomically: false, encoding: .utf8)
    let log = try FileDescriptor.open(directory + "/log", .writeOnly, options: [.create])
    var spawn = Spawn("/usr/bin/docker-registry", arguments: ["serve", directory + "/config.yml"])
    spawn.fileDescriptors = [0: .standardInput, 1: log, 2: log]
    let registry = try spawn.start()
    try log.close()
    defer {
        try? registry.descriptor?.send(.terminate)
        _ = try? registry.wait()
    }
    try waitForPort(port)
    let name = "127.0.0.1:\(port)/demo/busybox:latest"
    try store.tag("busybox", as: name)
    // Digests cut to 12 digits, the registry's address to a word: the requests are the point.
    let trace: @Sendable (String) -> Void = { line in
        var text = line.replacingOccurrences(of: "127.0.0.1:\(port)", with: "REGISTRY")
        while let range = text.range(of: "sha256:[0-9a-f]{64}", options: .regularExpression) {
            text.replaceSubrange(range, with: String(text[range].prefix(19)) + "…")
        }
        print("   " + text)
    }

    print("   docker-registry on 127.0.0.1:\(port) (shown as REGISTRY); push \(name):")
    let pusher = RegistryClient(store: store, credentials: CredentialStore(path: top + "/config.json"), progress: PullProgress(output: nil))
    pusher.trace = trace
    try await pusher.push(name)

    print("   pull \(name) into an empty store:")
    let empty = try ImageStore(root: top + "/store2")
    let puller = RegistryClient(store: empty, credentials: CredentialStore(path: top + "/config.json"), progress: PullProgress(output: nil))
    puller.trace = trace
    let pulled = try await puller.pull(name)
    print("   same image: \(pulled.id == (try store.image("busybox")).id ? "yes" : "NO"), id \(pulled.id.short), manifest \(pulled.manifestDigest.short)")
    try store.remove(name)
}

func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

func waitForPort(_ port: Int) throws {
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
    throw LayersError.context("docker-registry", "did not start on 127.0.0.1:\(port)")
}

/// A tar archive in memory, and the paths in it.
final class MemoryTar: ByteSink {
    var bytes: [UInt8] = []
    func write(_ buffer: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: buffer) }
    func entries() throws -> [String] {
        let reader = TarReader(MemorySource(bytes))
        var paths: [String] = []
        while let entry = try reader.next() { paths.append(entry.path) }
        return paths
    }
}

func cleanUp() {
    // Nothing of the demo may stay: mounts first, then files.
    if let fd = try? FileDescriptor.open("/proc/self/mountinfo"), let bytes = try? fd.closeAfter({ try fd.readAll() }) {
        let table = String(decoding: bytes, as: UTF8.self)
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 4, fields[4].hasPrefix(top) { _ = umount2(String(fields[4]), CInt(MNT_DETACH)) }
        }
    }
    try? FileManager.default.removeItem(atPath: top)
}

guard geteuid() == 0 else {
    FileHandle.standardError.write(Data("layers-demo: run as root (overlay mounts, whiteouts and file owners need it)\n".utf8))
    exit(1)
}
do {
    print("layers-demo: everything below lives in \(top) and is removed at the end")
    try await tour()
} catch {
    FileHandle.standardError.write(Data("layers-demo: \(error)\n".utf8))
    cleanUp()
    exit(1)
}
