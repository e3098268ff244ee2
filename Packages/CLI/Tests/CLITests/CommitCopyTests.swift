import Foundation
import Glibc
import Layers
import Syscalls
import Testing
@testable import CLI

/// Whether anything is mounted on `path`, by the kernel's account.
func isMounted(_ path: String) -> Bool {
    let table = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
    return table.split(separator: "\n").contains { $0.split(separator: " ").count > 4 && $0.split(separator: " ")[4] == path }
}

/// The container's state as its record says, after reconciling.
func status(_ world: World, _ name: String) throws -> String {
    try world.run("inspect", "--format", "{{.State.Status}}", name).output.trimmingCharacters(in: .whitespacesAndNewlines)
}

@Suite("commit and cp", .enabled(if: canRunContainers, "needs root and busybox-static to run containers"))
struct CommitCopyTests {
    @Test("commit of a stopped container: its changes become one layer, its command the image's, and the new image runs")
    func commitStopped() throws {
        let world = try World()
        let base = try store(world).image("busybox")
        let run = try world.run("run", "--network", "none", "--name", "cook", "-e", "DISH=bibimbap", "busybox",
                                "sh", "-c", "echo rice > /hello; mkdir -p /pantry/shelf; rm /etc/group")
        #expect(run.status == 0, "\(run.errors)")
        let committed = try world.run("commit", "-m", "first dish", "-a", "Cook <cook@example.com>",
                                      "-c", "LABEL course=main", "cook", "dish:1")
        #expect(committed.status == 0, "\(committed.errors)")
        let image = try store(world).image("dish:1")
        #expect(committed.output == image.id.description + "\n")
        #expect(image.snapshots.count == base.snapshots.count + 1)
        #expect(image.snapshots.first == base.snapshots.first)
        let top = image.lowerDirectories[0]
        #expect(try String(contentsOfFile: top + "/hello", encoding: .utf8) == "rice\n")
        var info = stat()
        #expect(lstat(top + "/etc/group", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0, "a whiteout for the deleted file")
        #expect(access(top + "/etc/hosts", F_OK) != 0, "the runtime's mount points stay out of the image")
        #expect(access(top + "/etc/resolv.conf", F_OK) != 0)
        let config = image.configuration
        #expect(config.author == "Cook <cook@example.com>")
        #expect(config.history?.last?.comment == "first dish")
        #expect(config.history?.last?.createdBy == "sh -c echo rice > /hello; mkdir -p /pantry/shelf; rm /etc/group")
        #expect(config.config?.cmd == ["sh", "-c", "echo rice > /hello; mkdir -p /pantry/shelf; rm /etc/group"])
        #expect(config.config?.env?.contains("DISH=bibimbap") == true)
        #expect(config.config?.labels == ["course": "main"])

        let check = try world.run("run", "--rm", "--network", "none", "dish:1", "sh", "-c",
                                  "cat /hello; ls -d /pantry/shelf; test -e /etc/group || echo no-group; echo $DISH")
        #expect(check.output == "rice\n/pantry/shelf\nno-group\nbibimbap\n", "\(check.errors)")
        #expect(!isMounted(world.root + "/containers/" + (try world.run("inspect", "--format", "{{.Id}}", "cook").output
            .trimmingCharacters(in: .whitespacesAndNewlines)) + "/fs/merged"))

        let history = try world.run("history", "dish:1")
        #expect(history.lines.count == 3 && history.lines[1].contains("first dish"))
    }

    @Test("commit of a running container freezes it for the moment, and it runs on afterwards")
    func commitRunning() throws {
        let world = try World()
        let started = try world.run("run", "-d", "--network", "none", "--name", "busy", "busybox",
                                    "sh", "-c", "echo ready > /state; sleep 300")
        #expect(started.status == 0, "\(started.errors)")
        #expect(world.eventually { (try? world.run("exec", "busy", "cat", "/state").output) == "ready\n" })
        let committed = try world.run("commit", "busy", "snapshot:live")
        #expect(committed.status == 0, "\(committed.errors)")
        #expect(try status(world, "busy") == "running")
        #expect(try world.run("exec", "busy", "true").status == 0, "not left frozen")
        let image = try store(world).image("snapshot:live")
        #expect(try String(contentsOfFile: image.lowerDirectories[0] + "/state", encoding: .utf8) == "ready\n")
    }

    @Test("commit without changes adds no layer, only an empty_layer history step; an unknown container changes nothing")
    func commitUnchanged() throws {
        let world = try World()
        let base = try store(world).image("busybox")
        #expect(try world.run("create", "--network", "none", "--name", "idle", "busybox").status == 0)
        let committed = try world.run("commit", "-c", "CMD [\"echo\", \"hi\"]", "idle")
        #expect(committed.status == 0, "\(committed.errors)")
        let image = try store(world).image(committed.output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(image.configuration.rootfs.diffIDs == base.configuration.rootfs.diffIDs)
        #expect(image.configuration.history?.last?.emptyLayer == true)
        #expect(image.configuration.config?.cmd == ["echo", "hi"])
        #expect(try world.run("images", "--filter", "dangling=true", "-q").lines == [image.id.short])

        let blobs = try store(world).blobs.all()
        let unknown = try world.run("commit", "nosuch", "x:1")
        #expect(unknown.status == 1 && unknown.errors == "Error response from daemon: No such container: nosuch\n")
        let bad = try world.run("commit", "-c", "RUN rm -rf /", "idle", "x:1")
        #expect(bad.status == 1 && bad.errors.contains("RUN is not a valid change command"))
        #expect(try store(world).blobs.all() == blobs, "nothing half-written")
        #expect(throws: (any Error).self) { try store(world).image("x:1") }
    }

    @Test("cp out of a stopped container: a file, a directory, its contents, a tar stream; the overlay is unmounted after")
    func copyOut() throws {
        let world = try World()
        #expect(try world.run("run", "--network", "none", "--name", "box", "busybox", "sh", "-c",
                              "mkdir -p /data/sub && echo one > /data/one && echo two > /data/sub/two && ln -s one /data/link").status == 0)
        let id = try world.run("inspect", "--format", "{{.Id}}", "box").output.trimmingCharacters(in: .whitespacesAndNewlines)
        let merged = world.root + "/containers/\(id)/fs/merged"
        let out = world.root + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

        #expect(try world.run("cp", "box:/data/one", out).status == 0)
        #expect(try String(contentsOfFile: out + "/one", encoding: .utf8) == "one\n")
        #expect(try world.run("cp", "box:/data/one", out + "/renamed").status == 0)
        #expect(try String(contentsOfFile: out + "/renamed", encoding: .utf8) == "one\n")
        #expect(try world.run("cp", "box:/data", out + "/copy").status == 0)
        #expect(try String(contentsOfFile: out + "/copy/sub/two", encoding: .utf8) == "two\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/copy/link") == "one")
        #expect(try world.run("cp", "box:/data", out + "/copy").status == 0)
        #expect(FileManager.default.fileExists(atPath: out + "/copy/data/sub/two"), "into an existing directory, under its own name")
        try FileManager.default.createDirectory(atPath: out + "/contents", withIntermediateDirectories: true)
        #expect(try world.run("cp", "box:/data/.", out + "/contents").status == 0)
        #expect(FileManager.default.fileExists(atPath: out + "/contents/sub/two"))
        #expect(try world.run("cp", "box:/data/link", out + "/link").status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/link") == "one")
        #expect(try world.run("cp", "-L", "box:/data/link", out + "/followed").status == 0)
        #expect(try String(contentsOfFile: out + "/followed", encoding: .utf8) == "one\n")

        let stream = try world.shell("\(dosirakBinary) --root \(world.root) cp box:/data - | /usr/bin/tar -tf - | sort")
        #expect(stream.output.split(separator: "\n") == ["data/", "data/link", "data/one", "data/sub/", "data/sub/two"])

        let missing = try world.run("cp", "box:/nosuch", out)
        #expect(missing.status == 1 && missing.errors == "Error response from daemon: Could not find the file /nosuch in container box\n")
        let toFile = try world.run("cp", "box:/data", out + "/one")
        #expect(toFile.status == 1 && toFile.errors.contains("cannot copy a directory to a file"))
        let nowhere = try world.run("cp", "box:/data/one", out + "/no/such/dir/")
        #expect(nowhere.status == 1)
        #expect(!isMounted(merged), "the stopped container's overlay is unmounted again")
        let both = try world.run("cp", "box:/a", "box:/b")
        #expect(both.status == 1 && both.errors == "Error: copying between containers is not supported\n")
        let neither = try world.run("cp", out + "/one", out + "/two")
        #expect(neither.status == 1 && neither.errors == "Error: must specify at least one container source\n")
    }

    @Test("cp into a stopped container lands in its upper layer, owned by root unless -a")
    func copyIntoStopped() throws {
        let world = try World()
        #expect(try world.run("create", "--network", "none", "--name", "plate", "busybox", "sh", "-c",
                              "cat /home/menu.txt; stat -c '%u:%g' /home/menu.txt /home/owned.txt").status == 0)
        let menu = world.root + "/menu.txt"
        try "kimbap\n".write(toFile: menu, atomically: true, encoding: .utf8)
        let owned = world.root + "/owned.txt"
        try "mine\n".write(toFile: owned, atomically: true, encoding: .utf8)
        chown(menu, 1234, 1234)
        chown(owned, 1234, 4321)
        #expect(try world.run("cp", menu, "plate:/home/").status == 0)
        #expect(try world.run("cp", "-a", owned, "plate:/home/owned.txt").status == 0)
        let id = try world.run("inspect", "--format", "{{.Id}}", "plate").output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try String(contentsOfFile: world.root + "/containers/\(id)/fs/upper/home/menu.txt", encoding: .utf8) == "kimbap\n")
        #expect(!isMounted(world.root + "/containers/\(id)/fs/merged"))
        let ran = try world.run("start", "-a", "plate")
        #expect(ran.output == "kimbap\n0:0\n1234:4321\n", "\(ran.errors)")

        let tar = try world.shell("cd \(world.root) && /usr/bin/tar -cf - menu.txt | \(dosirakBinary) --root \(world.root) cp - plate:/tmp")
        #expect(tar.status == .exited(0), "\(tar.output)")
        #expect(FileManager.default.fileExists(atPath: world.root + "/containers/\(id)/fs/upper/tmp/menu.txt"))
        let notDirectory = try world.shell("cd \(world.root) && /usr/bin/tar -cf - menu.txt | \(dosirakBinary) --root \(world.root) cp - plate:/home/menu.txt")
        #expect(notDirectory.status == .exited(1) && notDirectory.output.contains("must be a directory"))
    }

    @Test("cp into and out of a running container goes through its own root, and leaves it running")
    func copyRunning() throws {
        let world = try World()
        #expect(try world.run("run", "-d", "--network", "none", "--name", "live", "busybox", "sleep", "300").status == 0)
        let file = world.root + "/note.txt"
        try "banchan\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try world.run("cp", file, "live:/root/note.txt").status == 0)
        #expect(try world.run("exec", "live", "cat", "/root/note.txt").output == "banchan\n")
        #expect(try world.run("exec", "live", "sh", "-c", "hostname > /root/name").status == 0)
        #expect(try world.run("cp", "live:/root/name", world.root + "/name").status == 0)
        let id = try world.run("inspect", "--format", "{{.Id}}", "live").output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try String(contentsOfFile: world.root + "/name", encoding: .utf8) == String(id.prefix(12)) + "\n")
        #expect(try status(world, "live") == "running")
        #expect(try world.run("exec", "live", "true").status == 0, "not left frozen")
    }

    @Test("a symbolic link inside the container cannot send cp outside it, in either direction")
    func copyCannotEscape() throws {
        let world = try World()
        let outside = world.root + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try "host secret\n".write(toFile: outside + "/secret", atomically: true, encoding: .utf8)
        // Inside the container, /escape points at the host directory's path, /up at "../../..".
        #expect(try world.run("run", "--network", "none", "--name", "sly", "busybox", "sh", "-c",
                              "mkdir -p \(outside) && echo container > \(outside)/secret && ln -s \(outside) /escape && ln -s ../../../../../../.. /up").status == 0)
        let note = world.root + "/planted"
        try "planted\n".write(toFile: note, atomically: true, encoding: .utf8)
        #expect(try world.run("cp", note, "sly:/escape/planted").status == 0)
        #expect(!FileManager.default.fileExists(atPath: outside + "/planted"), "nothing written outside the container")
        #expect(try world.run("cp", note, "sly:/up/\(outside)/again").status == 0)
        #expect(!FileManager.default.fileExists(atPath: outside + "/again"))
        #expect(try world.run("cp", "sly:/escape/secret", world.root + "/got").status == 0)
        #expect(try String(contentsOfFile: world.root + "/got", encoding: .utf8) == "container\n", "the container's file, not the host's")
        #expect(try world.run("cp", "-L", "sly:/up/\(outside)/secret", world.root + "/got2").status == 0)
        #expect(try String(contentsOfFile: world.root + "/got2", encoding: .utf8) == "container\n")
        let id = try world.run("inspect", "--format", "{{.Id}}", "sly").output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(FileManager.default.fileExists(atPath: world.root + "/containers/\(id)/fs/upper" + outside + "/planted"))
        #expect(try String(contentsOfFile: outside + "/secret", encoding: .utf8) == "host secret\n")
    }
}
