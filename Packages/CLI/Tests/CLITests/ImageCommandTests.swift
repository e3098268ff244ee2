import Foundation
import Glibc
import Layers
import Syscalls
import Testing
@testable import CLI

/// The cells of a table line, as Docker's columns separate them (two spaces or more).
func cells(_ line: String) -> [String] {
    line.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// The world's image store, opened by the test itself: what is really on disk.
func store(_ world: World) throws -> ImageStore {
    try ImageStore(root: world.root + "/images")
}

/// The names of the entries of a tar archive.
func tarEntries(_ bytes: [UInt8]) throws -> [String] {
    let reader = TarReader(MemorySource(bytes))
    var names: [String] = []
    while let entry = try reader.next() { names.append(entry.path) }
    return names
}

/// One member of a tar archive.
func tarMember(_ bytes: [UInt8], _ path: String) throws -> [UInt8]? {
    let reader = TarReader(MemorySource(bytes))
    while let entry = try reader.next() {
        if entry.path == path || entry.path == "./" + path { return try reader.readContents() }
    }
    return nil
}

/// Writes a small root file system tarball with the host's `tar`.
func makeTarball(in directory: String, files: [String: String]) throws -> String {
    let tree = directory + "/tree"
    for (path, text) in files {
        let url = URL(fileURLWithPath: tree + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: false, encoding: .utf8)
    }
    let tarball = directory + "/rootfs.tar"
    let (status, output) = try Spawn("/usr/bin/tar", arguments: ["-cf", tarball, "-C", tree, "."]).output(includeErrors: true)
    guard status == .exited(0) else { throw CommandError.failed("tar: \(output)") }
    return tarball
}

@Suite("Image commands: images, tag, rmi, save, load, import, history, prune", .enabled(if: hasBusybox, "needs busybox-static"))
struct ImageCommandTests {
    @Test("images shows Docker's columns, 12-digit IDs, and the formats, filters and digests")
    func images() throws {
        let world = try World()
        let image = try store(world).image("busybox")
        let table = try world.run("images")
        #expect(table.status == 0)
        #expect(table.lines.first.map(cells) == ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"])
        let row = cells(table.lines[1])
        #expect(row[0] == "busybox" && row[1] == "latest")
        #expect(row[2] == String(image.id.hex.prefix(12)))
        #expect(row[3].hasSuffix(" ago"))
        #expect(row[4] == Timestamp.bytes(image.size))
        #expect(table.lines.first?.range(of: "IMAGE ID")?.lowerBound == table.lines[1].range(of: row[2])?.lowerBound, "columns line up")

        #expect(try world.run("images", "-q").lines == [String(image.id.hex.prefix(12))])
        #expect(try world.run("images", "-q", "--no-trunc").lines == [image.id.description])
        let digests = try world.run("images", "--digests")
        #expect(digests.lines.first.map(cells) == ["REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"])
        #expect(cells(digests.lines[1])[2] == image.manifestDigest.description)
        #expect(try world.run("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}").lines ==
                ["busybox:latest \(image.id.hex.prefix(12)) \(Timestamp.bytes(image.size))"])
        let json = try world.run("images", "--format", "json").output
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["Repository"] as? String == "busybox")
        #expect(object?["Digest"] as? String == image.manifestDigest.description)
        #expect(object?["CreatedSince"] as? String != nil && object?["CreatedAt"] as? String != nil)

        try world.run("tag", "busybox", "team/tool:2")
        #expect(try world.run("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=team/*").lines == ["team/tool:2"])
        #expect(try world.run("images", "--format", "{{.Repository}}:{{.Tag}}", "busy*").lines == ["busybox:latest"])
        #expect(try world.run("images", "-q", "team/tool:3").lines.isEmpty)
        #expect(try world.run("images", "-q", "--filter", "dangling=true").lines.isEmpty)
        let bad = try world.run("images", "--filter", "colour=blue")
        #expect(bad.status == 1 && bad.errors == "Error response from daemon: invalid filter 'colour'\n")
    }

    @Test("tag adds a name to the same image; a bad target or an unknown source changes nothing")
    func tag() throws {
        let world = try World()
        let id = try store(world).image("busybox").id
        #expect(try world.run("tag", "busybox", "127.0.0.1:5000/team/box:1.0").status == 0)
        #expect(try store(world).image("127.0.0.1:5000/team/box:1.0").id == id)
        #expect(try world.run("images", "--format", "{{.Repository}}:{{.Tag}}").lines.sorted() ==
                ["127.0.0.1:5000/team/box:1.0", "busybox:latest"])
        let upper = try world.run("tag", "busybox", "Busy:1")
        #expect(upper.status == 1 && upper.errors.contains("\"Busy:1\" is not a valid repository/tag"))
        let missing = try world.run("tag", "nosuch", "other:1")
        #expect(missing.status == 1 && missing.errors == "Error response from daemon: No such image: nosuch:latest\n")
        #expect(try store(world).names(of: try store(world).resolve("busybox")) ==
                ["127.0.0.1:5000/team/box:1.0", "docker.io/library/busybox:latest"])
        let usage = try world.run("tag", "busybox")
        #expect(usage.status == 125 && usage.errors.contains("\"tag\" requires exactly 2 arguments."))
    }

    @Test("rmi untags, deletes, and refuses an image a container uses, with Docker's messages")
    func rmi() throws {
        let world = try World()
        let busybox = try store(world).image("busybox")
        let short = String(busybox.id.hex.prefix(12))
        let container = try world.run("create", "--network", "none", "busybox", "true").output.trimmingCharacters(in: .whitespacesAndNewlines)
        let blobs = try store(world).blobs.all()

        let byName = try world.run("rmi", "busybox")
        #expect(byName.status == 1)
        #expect(byName.errors == "Error response from daemon: conflict: unable to remove repository reference \"busybox\" (must force) - container \(container.prefix(12)) is using its referenced image \(short)\n")
        let byID = try world.run("rmi", short)
        #expect(byID.errors == "Error response from daemon: conflict: unable to delete \(short) (must be forced) - image is being used by stopped container \(container.prefix(12))\n")
        let unknown = try world.run("rmi", "nosuch")
        #expect(unknown.status == 1 && unknown.errors == "Error response from daemon: No such image: nosuch:latest\n")
        // Refused or unknown, nothing was removed.
        #expect(try store(world).blobs.all() == blobs)
        #expect(try world.run("images", "-q").lines == [short])

        // A second name is only untagged, even while the image is in use.
        try world.run("tag", "busybox", "spare:1")
        let untag = try world.run("rmi", "spare:1")
        #expect(untag.status == 0 && untag.lines == ["Untagged: spare:1"])
        #expect(try store(world).blobs.all() == blobs)

        // Forced, the last name goes; the container still has its image.
        let forced = try world.run("rmi", "-f", "busybox")
        #expect(forced.lines == ["Untagged: busybox:latest"])
        #expect(try world.run("images", "-q").lines.isEmpty)
        #expect(try store(world).image(manifest: busybox.manifestDigest).id == busybox.id)
        #expect(try world.run("rm", container).status == 0)

        // With no user left, the last name deletes the image and its layer.
        let other = try World()
        let removed = try other.run("rmi", "busybox")
        #expect(removed.status == 0)
        #expect(removed.lines == ["Untagged: busybox:latest", "Deleted: \(busybox.id)", "Deleted: \(busybox.snapshots[0].chainID)"])
        #expect(try store(other).blobs.all().isEmpty)
        #expect(try store(other).snapshots.all().isEmpty)
        let again = try other.run("rmi", "busybox", "nosuch")
        #expect(again.status == 1 && again.errors.split(separator: "\n").count == 2)
    }

    @Test("rmi by ID refuses an image with several names unless forced")
    func rmiSeveralNames() throws {
        let world = try World()
        let id = try store(world).image("busybox").id
        try world.run("tag", "busybox", "second:1")
        let refused = try world.run("rmi", id.short)
        #expect(refused.status == 1)
        #expect(refused.errors == "Error response from daemon: conflict: unable to delete \(id.short) (must be forced) - image is referenced in multiple repositories\n")
        let forced = try world.run("rmi", "-f", id.short)
        #expect(forced.lines.prefix(3) == ["Untagged: busybox:latest", "Untagged: second:1", "Deleted: \(id)"])
        #expect(try store(world).blobs.all().isEmpty)
    }

    @Test("save writes docker's archive to a file or a pipe, and load reads it into another store")
    func saveAndLoad() throws {
        let world = try World()
        let image = try store(world).image("busybox")
        let path = world.root + "/busybox.tar"
        let saved = try world.run("save", "-o", path, "busybox")
        #expect(saved.status == 0 && saved.output.isEmpty)
        let archive = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let manifest = try #require(try tarMember(archive, "manifest.json"))
        let items = try JSONSerialization.jsonObject(with: Data(manifest)) as? [[String: Any]]
        #expect(items?.first?["RepoTags"] as? [String] == ["busybox:latest"])
        #expect(items?.first?["Config"] as? String == "blobs/sha256/" + image.id.hex)
        #expect(try tarEntries(archive).contains("blobs/sha256/" + image.snapshots[0].diffID.hex))
        #expect(try FileManager.default.contentsOfDirectory(atPath: world.root).allSatisfy { !$0.contains(".partial") })

        // To standard output (a pipe), the same archive.
        let piped = try world.shell("\(dosirakBinary) --root \(world.root) save busybox | /usr/bin/tar -tf - | sort")
        #expect(piped.status == .exited(0))
        #expect(piped.output.split(separator: "\n").map(String.init) == (try tarEntries(archive)).sorted())

        let other = try World(image: false)
        let loaded = try other.run("load", "-i", path)
        #expect(loaded.status == 0 && loaded.lines == ["Loaded image: busybox:latest"])
        #expect(try store(other).image("busybox").id == image.id)
        // From a pipe on standard input, with a second name.
        try world.run("tag", "busybox", "again:2")
        let stream = try other.shell("\(dosirakBinary) --root \(world.root) save again:2 | \(dosirakBinary) --root \(other.root) load")
        #expect(stream.output.split(separator: "\n").map(String.init) == ["Loaded image: again:2"])
        #expect(try store(other).image("again:2").id == image.id)

        let missing = try world.run("save", "-o", world.root + "/none.tar", "busybox", "nosuch")
        #expect(missing.status == 1 && missing.errors == "Error response from daemon: No such image: nosuch:latest\n")
        #expect(access(world.root + "/none.tar", F_OK) != 0, "no half-written archive")
        let garbage = world.root + "/garbage.tar"
        try "not a tar file".write(toFile: garbage, atomically: true, encoding: .utf8)
        let bad = try other.run("load", "-i", garbage)
        #expect(bad.status == 1 && bad.errors.hasPrefix("Error response from daemon: "))
        #expect(try store(other).images().count == 2)
    }

    @Test("save refuses to write an archive to a terminal")
    func saveToTerminal() throws {
        let world = try World()
        let (controller, peer) = try Terminal.openPseudoTerminal()
        defer { try? controller.close() }
        let errorsPath = world.root + "/errors"
        let errors = try FileDescriptor.open(errorsPath, .writeOnly, options: [.create, .truncate])
        var spawn = Spawn(dosirakBinary, arguments: ["--root", world.root, "save", "busybox"])
        spawn.fileDescriptors = [0: .standardInput, 1: peer, 2: errors]
        let child = try spawn.start()
        try peer.close()
        try errors.close()
        #expect(try child.wait() == .exited(1))
        #expect(try String(contentsOfFile: errorsPath, encoding: .utf8) ==
                "Error: cowardly refusing to save to a terminal. Use the -o flag or redirect\n")
    }

    @Test("import makes a one-layer image from a tarball or stdin, with --change and --message; unnamed, it is dangling until pruned")
    func importAndPrune() throws {
        let world = try World()
        let tarball = try makeTarball(in: world.root, files: ["etc/motd": "imported\n", "srv/data.txt": "42\n"])
        let result = try world.run("import", "-c", "CMD [\"/bin/cat\", \"/etc/motd\"]", "-c", "ENV GREETING=annyeong",
                                   "-c", "WORKDIR /srv", "-m", "from a test", tarball, "imported:1")
        #expect(result.status == 0)
        let id = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let image = try store(world).image("imported:1")
        #expect(id == image.id.description)
        #expect(image.configuration.config?.cmd == ["/bin/cat", "/etc/motd"])
        #expect(image.configuration.config?.env == ["GREETING=annyeong"])
        #expect(image.configuration.config?.workingDir == "/srv")
        #expect(image.configuration.history?.last?.comment == "from a test")
        #expect(try String(contentsOfFile: image.lowerDirectories[0] + "/etc/motd", encoding: .utf8) == "imported\n")

        // From standard input, without a name: a dangling image, listed as <none>.
        let stdin = try world.shell("\(dosirakBinary) --root \(world.root) import - < \(tarball)")
        #expect(stdin.status == .exited(0))
        let dangling = try store(world).image(stdin.output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(dangling.configuration.history?.last?.createdBy == "dosirak import -")
        #expect(try world.run("images", "--filter", "dangling=true", "-q", "--no-trunc").lines == [dangling.id.description])
        #expect(try world.run("images", "--format", "{{.Repository}}:{{.Tag}}").lines.contains("<none>:<none>"))
        let piped = try world.shell("cat \(tarball) | \(dosirakBinary) --root \(world.root) import -")
        let fromPipe = try store(world).image(piped.output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(fromPipe.configuration.rootfs.diffIDs == dangling.configuration.rootfs.diffIDs)
        #expect(fromPipe.configuration.history?.last?.createdBy == "dosirak import -")

        let bad = try world.run("import", "-c", "FROM scratch", tarball)
        #expect(bad.status == 1 && bad.errors.contains("FROM is not a valid change command"))
        let missing = try world.run("import", world.root + "/nosuch.tar")
        #expect(missing.status == 1 && missing.errors.contains("nosuch.tar"))

        // prune asks first; "n" keeps everything.
        let declined = try world.run("image", "prune", stdin: "n\n")
        #expect(declined.output == "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ")
        #expect(try store(world).blobs.contains(dangling.id))
        let pruned = try world.run("image", "prune", stdin: "y\n")
        #expect(pruned.status == 0)
        #expect(pruned.output.hasPrefix("WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] Deleted Images:\n"))
        #expect(pruned.lines.contains("deleted: \(dangling.id)") && pruned.lines.contains("deleted: \(fromPipe.id)"))
        #expect(pruned.lines.last?.hasPrefix("Total reclaimed space: ") == true)
        let remaining = try store(world)
        #expect(!remaining.blobs.contains(dangling.id) && !remaining.blobs.contains(fromPipe.id))
        #expect(try world.run("images", "--format", "{{.Repository}}:{{.Tag}}").lines.sorted() == ["busybox:latest", "imported:1"])

        // -a takes every image no container uses.
        let container = try world.run("create", "--network", "none", "busybox").output.trimmingCharacters(in: .whitespacesAndNewlines)
        let all = try world.run("image", "prune", "-a", "-f")
        #expect(all.lines.contains("untagged: imported:1") && !all.lines.contains("untagged: busybox:latest"))
        #expect(try world.run("images", "--format", "{{.Repository}}:{{.Tag}}").lines == ["busybox:latest"])
        #expect(!(try store(world).blobs.contains(image.id)))
        try world.run("rm", container)
        let empty = try world.run("image", "prune", "-f")
        #expect(empty.lines == ["Total reclaimed space: 0B"])
    }

    @Test("history lists each step newest first, with sizes, comments, and the formats")
    func history() throws {
        let world = try World()
        let busybox = try store(world).image("busybox")
        let tarball = try makeTarball(in: world.root, files: ["hello.txt": "hi\n"])
        try world.run("import", "-m", "a note", tarball, "step:1")
        let image = try store(world).image("step:1")
        let table = try world.run("history", "step:1")
        #expect(table.status == 0)
        #expect(table.lines.first.map(cells) == ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"])
        let row = cells(table.lines[1])
        #expect(row.first == String(image.id.hex.prefix(12)))
        #expect(row.contains("a note") && row.contains(Timestamp.bytes(image.snapshots[0].size)))

        let long = try world.run("history", "busybox")
        let createdBy = try #require(busybox.configuration.history?.last?.createdBy)
        #expect(long.lines.count == 2)
        #expect(long.output.contains(String(createdBy.prefix(44)) + "…") == (createdBy.count > 45))
        #expect(try world.run("history", "--no-trunc", "--format", "{{.CreatedBy}}", "busybox").lines == [createdBy])
        #expect(try world.run("history", "-q", "busybox").lines == [String(busybox.id.hex.prefix(12))])
        #expect(try world.run("history", "-q", "--no-trunc", "busybox").lines == [busybox.id.description])
        let raw = try world.run("history", "--human=false", "--format", "{{.Size}} {{.CreatedSince}}", "busybox")
        #expect(raw.lines.first?.hasPrefix("\(busybox.snapshots[0].size) ") == true)
        #expect(raw.lines.first?.hasSuffix("Z") == true)
        let json = try world.run("history", "--format", "json", "busybox").output
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["ID"] as? String == String(busybox.id.hex.prefix(12)))
        let missing = try world.run("history", "nosuch")
        #expect(missing.status == 1 && missing.errors == "Error response from daemon: No such image: nosuch:latest\n")
    }

    @Test("every image command answers --help with its usage")
    func help() throws {
        let world = try World(image: false)
        for words in [["images"], ["pull"], ["push"], ["rmi"], ["tag"], ["import"], ["save"], ["load"], ["history"],
                      ["login"], ["logout"], ["image", "prune"], ["image", "ls"], ["commit"], ["cp"], ["container", "cp"]] {
            let result = try world.run(words + ["--help"])
            #expect(result.status == 0, "\(words)")
            #expect(result.output.contains("Usage:  dosirak "), "\(words)")
        }
    }
}

@Suite("Image commands against a real registry: pull, push, login, logout",
       .enabled(if: hasBusybox && hasRegistry, "needs busybox-static, docker-registry and htpasswd"))
struct RegistryCommandTests {
    @Test("push, then pull into another store: the registry holds the manifest and blobs the store has")
    func pushAndPull() async throws {
        let registry = try RegistryServer()
        defer { registry.stop() }
        let world = try World()
        let environment = ["DOCKER_CONFIG": world.root + "/docker"]
        let name = "\(registry.address)/team/box:1.0"
        try world.run("tag", "busybox", name)
        let image = try store(world).image(name)
        let pushed = try world.run("push", name, environment: environment)
        #expect(pushed.status == 0, "\(pushed.errors)")
        #expect(pushed.lines.first == "The push refers to repository [\(registry.address)/team/box]")
        #expect(pushed.lines.contains("\(image.manifest.layers[0].digest.short): Pushed"))
        let manifestBytes = try store(world).blobs.read(image.manifestDigest)
        #expect(pushed.lines.last == "1.0: digest: \(image.manifestDigest) size: \(manifestBytes.count)")

        // The registry's own account.
        let manifest = try await registry.request("team/box/manifests/1.0", accept: MediaType.ociManifest)
        #expect(manifest.status == 200)
        #expect(SHA256.hash(Array(manifest.body)) == image.manifestDigest)
        #expect(manifest.headers["docker-content-digest"] == image.manifestDigest.description)
        for blob in image.manifest.layers + [image.manifest.config] {
            #expect(try await registry.request("team/box/blobs/\(blob.digest)", method: "HEAD").status == 200)
        }
        let again = try world.run("push", name, environment: environment)
        #expect(again.lines.contains("\(image.manifest.layers[0].digest.short): Layer already exists"))

        let other = try World(image: false)
        let pulled = try other.run("pull", name, environment: environment)
        #expect(pulled.status == 0, "\(pulled.errors)")
        #expect(pulled.lines.first == "1.0: Pulling from team/box")
        #expect(pulled.lines.contains("Digest: \(image.manifestDigest)"))
        #expect(pulled.lines.contains("Status: Downloaded newer image for \(name)"))
        #expect(pulled.lines.last == name)
        #expect(try store(other).image(name).id == image.id)
        #expect(try other.run("images", "-q").lines == [image.id.short])
        let upToDate = try other.run("pull", name, environment: environment)
        #expect(upToDate.lines.suffix(2) == ["Status: Image is up to date for \(name)", name])
        let quiet = try other.run("pull", "-q", name, environment: environment)
        #expect(quiet.output == name + "\n")

        // Without a tag, Docker's default, said out loud.
        let untagged = "\(registry.address)/team/box"
        try world.run("tag", "busybox", untagged)
        #expect(try world.run("push", untagged, environment: environment).lines.first == "Using default tag: latest")
        let latest = try other.run("pull", untagged, environment: environment)
        #expect(latest.lines.first == "Using default tag: latest" && latest.lines.last == untagged + ":latest")

        let blobs = try store(other).blobs.all()
        let unknown = try other.run("pull", "\(registry.address)/team/box:nosuch", environment: environment)
        #expect(unknown.status == 1 && unknown.errors.hasPrefix("Error response from daemon: "))
        #expect(try store(other).blobs.all() == blobs, "a failed pull stores nothing")
        let notLocal = try other.run("push", "\(registry.address)/team/nosuch:1", environment: environment)
        #expect(notLocal.status == 1)
        #expect(notLocal.errors == "Error response from daemon: An image does not exist locally with the tag: \(registry.address)/team/nosuch\n")
    }

    @Test("login stores what the registry accepts, push needs it, logout forgets it")
    func loginAndLogout() async throws {
        let registry = try RegistryServer(user: "cook", password: "kimchi")
        defer { registry.stop() }
        let world = try World()
        let config = world.root + "/docker"
        let environment = ["DOCKER_CONFIG": config]
        let name = "\(registry.address)/kitchen/box:1"
        try world.run("tag", "busybox", name)

        let anonymous = try world.run("push", name, environment: environment)
        #expect(anonymous.status == 1 && anonymous.errors.hasPrefix("Error response from daemon: "))
        #expect(try await registry.request("kitchen/box/manifests/1", user: "cook", password: "kimchi").status == 404)

        let wrong = try world.run("login", "-u", "cook", "-p", "wrong", registry.address, environment: environment)
        #expect(wrong.status == 1 && wrong.errors.contains("Error response from daemon: "))
        let afterWrong = (try? String(contentsOfFile: config + "/config.json", encoding: .utf8)) ?? ""
        #expect(!afterWrong.contains(registry.address), "a refused login stores nothing")

        let good = try world.run("login", "-u", "cook", "--password-stdin", "http://\(registry.address)/", stdin: "kimchi\n",
                                 environment: environment)
        #expect(good.status == 0, "\(good.errors)")
        #expect(good.output == "Login Succeeded\n")
        let stored = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: config + "/config.json"))) as? [String: Any]
        let auth = ((stored?["auths"] as? [String: Any])?[registry.address] as? [String: Any])?["auth"] as? String
        #expect(auth == Data("cook:kimchi".utf8).base64EncodedString())

        let pushed = try world.run("push", name, environment: environment)
        #expect(pushed.status == 0, "\(pushed.errors)")
        let manifest = try await registry.request("kitchen/box/manifests/1", accept: MediaType.ociManifest, user: "cook", password: "kimchi")
        #expect(manifest.status == 200)
        #expect(SHA256.hash(Array(manifest.body)) == (try store(world).resolve(name)))

        let warned = try world.run("login", "-u", "cook", "-p", "kimchi", registry.address, environment: environment)
        #expect(warned.status == 0 && warned.errors.contains("WARNING! Using --password via the CLI is insecure. Use --password-stdin."))
        let noUser = try world.run("login", "--password-stdin", registry.address, stdin: "kimchi\n", environment: environment)
        #expect(noUser.status == 1 && noUser.errors.contains("Must provide --username with --password-stdin"))

        let logout = try world.run("logout", registry.address, environment: environment)
        #expect(logout.output == "Removing login credentials for \(registry.address)\n")
        let after = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: config + "/config.json"))) as? [String: Any]
        #expect((after?["auths"] as? [String: Any])?[registry.address] == nil)
        let other = try World(image: false)
        let denied = try other.run("pull", name, environment: environment)
        #expect(denied.status == 1, "logged out, the pull is refused")
    }
}

@Suite("dosirak-registry: the registry code in a program of its own")
struct RegistryHelperTests {
    @Test("dosirak itself loads no libcurl; dosirak-registry does")
    func noCurlInDosirak() throws {
        let helper = URL(fileURLWithPath: dosirakBinary).deletingLastPathComponent().appendingPathComponent("dosirak-registry").path
        let (status, libraries) = try Spawn("/usr/bin/ldd", arguments: [dosirakBinary]).output(includeErrors: true)
        #expect(status == .exited(0))
        #expect(!libraries.contains("libcurl") && !libraries.contains("FoundationNetworking"), "\(libraries)")
        let (_, helperLibraries) = try Spawn("/usr/bin/ldd", arguments: [helper]).output(includeErrors: true)
        #expect(helperLibraries.contains("libcurl"), "the registry program is the one with URLSession: \(helperLibraries)")
    }

    @Test("without dosirak-registry next to it, pull and a run of a missing image fail with one clear line")
    func missingHelper() throws {
        let directory = NSTemporaryDirectory() + "dosirak-alone-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let alone = directory + "/dosirak"
        try FileManager.default.copyItem(atPath: dosirakBinary, toPath: alone)
        for command in [["pull", "127.0.0.1:1/nothing:1"], ["run", "--rm", "127.0.0.1:1/nothing:1", "true"]] {
            let (status, output) = try Spawn(alone, arguments: ["--root", directory + "/root"] + command).output(includeErrors: true)
            #expect(status != .exited(0), "\(command)")
            #expect(output.contains("\(directory)/dosirak-registry is missing"), "\(output)")
        }
        // Nothing was created for the container that could not get its image.
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: directory + "/root/containers")) ?? []).filter { !$0.hasPrefix(".") }.isEmpty)
    }
}
