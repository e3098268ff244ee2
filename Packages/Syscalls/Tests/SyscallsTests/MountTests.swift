import Foundation
import Glibc
import Testing
@testable import Syscalls

@Suite("Mounts", .enabled(if: isRoot, "mount(2) needs root (CAP_SYS_ADMIN)"))
struct MountTests {
    @Test("a tmpfs mount appears in mountinfo and is gone after unmount")
    func mountAndUnmount() throws {
        try withTemporaryDirectory { dir in
            try Mount.mount("tmpfs", on: dir, type: "tmpfs", flags: [.noSetUID, .noDevices], data: "size=1m")
            #expect(try mountPoints().contains(dir))
            try Mount.unmount(dir)
            #expect(try !mountPoints().contains(dir))
        }
    }

    @Test("unmounting a directory that is not a mount point fails with EINVAL")
    func unmountNotMounted() throws {
        try withTemporaryDirectory { dir in
            #expect(throws: Errno.invalidArgument) { try Mount.unmount(dir) }
        }
    }

    @Test("an unknown file system type fails with ENODEV")
    func unknownType() throws {
        try withTemporaryDirectory { dir in
            #expect(throws: Errno(rawValue: ENODEV)) {
                try Mount.mount("none", on: dir, type: "no-such-fs")
            }
        }
    }

    @Test("a read-only bind mount refuses writes with EROFS")
    func readOnlyBind() throws {
        try withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/source", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: dir + "/target", withIntermediateDirectories: true)
            try Mount.bind(dir + "/source", on: dir + "/target", flags: [.readOnly])
            defer { try? Mount.unmount(dir + "/target", flags: .detach) }
            #expect(throws: Errno.readOnlyFileSystem) {
                try FileDescriptor.open(dir + "/target/file", .writeOnly, options: [.create]).close()
            }
        }
    }

    @Test("a mount made in a private mount namespace never reaches the host")
    func privatePropagation() throws {
        try withTemporaryDirectory { dir in
            #expect(try helper("mount-private", dir) == "inside")
            let leaked = try mountPoints().filter { $0.hasPrefix(dir) }
            #expect(leaked.isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        }
    }

    @Test("pivot_root makes a directory the new / and the old root is gone")
    func pivotRoot() throws {
        try withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
            try "marker".write(toFile: dir + "/marker", atomically: false, encoding: .utf8)
            #expect(try helper("pivot-root", dir) == "bin marker")
            let leaked = try mountPoints().filter { $0.hasPrefix(dir) }
            #expect(leaked.isEmpty)
        }
    }

    @Test("pivot_root into a plain directory of the root mount fails with EBUSY (bind-mount it first)")
    func pivotRootNotMountPoint() throws {
        try withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/old", withIntermediateDirectories: true)
            #expect(try helper("pivot-root-not-mount-point", dir) == "EBUSY")
        }
    }

    @Test("chroot changes what / means for the process")
    func changeRoot() throws {
        try withTemporaryDirectory { dir in
            try "x".write(toFile: dir + "/only-here", atomically: false, encoding: .utf8)
            #expect(try helper("chroot", dir) == "only-here")
        }
    }
}
