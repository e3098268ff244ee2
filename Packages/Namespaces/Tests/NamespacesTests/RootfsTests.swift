import Foundation
import Glibc
import Syscalls
import Testing
@testable import Namespaces

@Suite("Rootfs", .enabled(if: hasBusybox, "needs busybox-static (make setup installs it)"))
struct RootfsTests {
    @Test("the layout has busybox, its applets as links, accounts and the usual directories")
    func layout() throws {
        try withScratchPath { path in
            let rootfs = try Rootfs.build(at: path)
            let files = FileManager.default
            #expect(files.isExecutableFile(atPath: path + "/bin/busybox"))
            #expect(try files.destinationOfSymbolicLink(atPath: path + "/bin/sh") == "/bin/busybox")
            #expect(try files.destinationOfSymbolicLink(atPath: path + "/usr/bin/env") == "/bin/busybox")
            #expect(try String(contentsOfFile: path + "/etc/passwd", encoding: .utf8).hasPrefix("root:x:0:0:"))
            #expect(try String(contentsOfFile: path + "/etc/group", encoding: .utf8).hasPrefix("root:x:0:"))
            for directory in ["proc", "sys", "dev", "tmp", "root", "etc"] {
                var isDirectory: ObjCBool = false
                #expect(files.fileExists(atPath: path + "/" + directory, isDirectory: &isDirectory) && isDirectory.boolValue)
            }
            var info = stat()
            #expect(stat(path + "/tmp", &info) == 0 && info.st_mode & 0o7777 == 0o1777)
            try rootfs.remove()
            #expect(!files.fileExists(atPath: path))
        }
    }

    @Test("building over an existing path is refused and leaves it alone")
    func existingPath() throws {
        try withScratchPath { path in
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            #expect(throws: Rootfs.Error.exists(path)) { try Rootfs.build(at: path) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: path).isEmpty)
        }
    }

    @Test("a dynamically linked busybox is refused, and nothing half-built remains")
    func dynamicBusybox() throws {
        try withScratchPath { path in
            #expect(throws: Rootfs.Error.notStatic("/bin/ls")) { try Rootfs.build(at: path, busybox: "/bin/ls") }
            let name = URL(fileURLWithPath: path).lastPathComponent
            let left = try leftovers(name)
            #expect(left.isEmpty)
        }
    }

    @Test("a missing busybox is a clear error")
    func missingBusybox() throws {
        try withScratchPath { path in
            #expect(throws: Rootfs.Error.busyboxNotFound("/nonexistent/busybox")) {
                try Rootfs.build(at: path, busybox: "/nonexistent/busybox")
            }
            #expect(Rootfs.Error.busyboxNotFound("/nonexistent/busybox").description
                    == "rootfs: no busybox at /nonexistent/busybox; install busybox-static")
        }
    }

    @Test("with an owner, every file belongs to the mapped root", .enabled(if: isRoot, "lchown needs root"))
    func owner() throws {
        try withScratchPath { path in
            _ = try Rootfs.build(at: path, owner: (uid: 100000, gid: 100000))
            for file in ["", "/bin/busybox", "/bin/sh", "/etc/passwd", "/tmp"] {
                var info = stat()
                #expect(lstat(path + file, &info) == 0)
                #expect(info.st_uid == 100000 && info.st_gid == 100000, "\(file)")
            }
        }
    }

    @Test("removal never descends into a mount point", .enabled(if: isRoot, "mount needs root"))
    func removalStopsAtMounts() throws {
        try withScratchPath { path in
            let rootfs = try Rootfs.build(at: path)
            try Mount.mount("tmpfs", on: path + "/proc", type: "tmpfs")
            try "keep".write(toFile: path + "/proc/precious", atomically: false, encoding: .utf8)
            #expect(throws: Rootfs.Error.failed("remove", path + "/proc", .busy)) { try rootfs.remove() }
            #expect(FileManager.default.fileExists(atPath: path + "/proc/precious"))
            try Mount.unmount(path + "/proc")
            try rootfs.remove()
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }
}
