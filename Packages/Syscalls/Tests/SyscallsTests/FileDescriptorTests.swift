import Foundation
import Glibc
import Testing
@testable import Syscalls

@Suite("File descriptors")
struct FileDescriptorTests {
    @Test("open, pipe, socketpair and duplicate create close-on-exec descriptors")
    func closeOnExec() throws {
        let file = try FileDescriptor.open("/proc/self/status")
        let (read, write) = try FileDescriptor.pipe()
        let (left, right) = try FileDescriptor.socketPair()
        let copy = try file.duplicate()
        let placed = try file.duplicate(as: FileDescriptor(rawValue: 200))
        defer { for fd in [file, read, write, left, right, copy, placed] { try? fd.close() } }
        for fd in [file, read, write, left, right, copy, placed] {
            #expect(try fd.isCloseOnExec, "descriptor \(fd.rawValue)")
        }
        #expect(placed.rawValue == 200)
    }

    @Test("replace writes a file whole, or on failure leaves the old one and no temporary file")
    func replaceWhole() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/record.json"
            try FileSystem.replace(path, with: Array("old\n".utf8), durable: true)
            try FileSystem.replace(path, with: Array("new\n".utf8), permissions: 0o600, durable: false)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
            var info = stat()
            #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
            // The rename fails (a directory is in the way): the old content stays, nothing else.
            try FileManager.default.createDirectory(atPath: directory + "/blocked", withIntermediateDirectories: false)
            try FileManager.default.createDirectory(atPath: directory + "/blocked/inside", withIntermediateDirectories: false)
            #expect(throws: Errno.self) { try FileSystem.replace(directory + "/blocked", with: Array("x".utf8), durable: true) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["blocked", "record.json"])
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
        }
    }

    @Test("bytes written to a pipe come out of its other end")
    func pipeRoundTrip() throws {
        let (read, write) = try FileDescriptor.pipe()
        defer { try? read.close() }
        try write.writeAll("lunchbox\n")
        try write.close()
        #expect(String(decoding: try read.readAll(), as: UTF8.self) == "lunchbox\n")
    }

    @Test("a seqpacket socket pair keeps message boundaries")
    func socketPairMessages() throws {
        let (left, right) = try FileDescriptor.socketPair()
        defer { try? left.close(); try? right.close() }
        try left.writeAll("one")
        try left.writeAll("two")
        #expect(try right.read(upTo: 100) == Array("one".utf8))
        #expect(try right.read(upTo: 100) == Array("two".utf8))
    }

    @Test("closing twice reports EBADF the second time")
    func doubleClose() throws {
        let (read, write) = try FileDescriptor.pipe()
        try write.close()
        try read.close()
        #expect(throws: Errno.badFileDescriptor) { try read.close() }
    }

    @Test("openat2 with RESOLVE_IN_ROOT keeps .. and absolute symlinks inside the directory")
    func resolveInRoot() throws {
        try withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/etc", withIntermediateDirectories: true)
            try "inside\n".write(toFile: dir + "/etc/passwd", atomically: false, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: dir + "/escape", withDestinationPath: "/etc/passwd")
            let root = try FileDescriptor.open(dir, options: [.directory, .path])
            defer { try? root.close() }
            for path in ["../../../../etc/passwd", "/etc/passwd", "escape", "etc/../../etc/passwd"] {
                let fd = try FileDescriptor.open(path, in: root, resolve: .inRoot)
                let text = try fd.closeAfter { String(decoding: try fd.readAll(), as: UTF8.self) }
                #expect(text == "inside\n", "\(path) resolved outside the root")
            }
            #expect(throws: Errno.crossDevice) {
                try FileDescriptor.open("../etc/passwd", in: root, resolve: .beneath)
            }
        }
    }

    @Test("openat2 can create a file inside the root")
    func resolveInRootCreate() throws {
        try withTemporaryDirectory { dir in
            let root = try FileDescriptor.open(dir, options: [.directory, .path])
            defer { try? root.close() }
            let fd = try FileDescriptor.open(
                "/../new", .writeOnly, options: [.create, .exclusive], permissions: 0o600,
                in: root, resolve: .inRoot)
            try fd.close()
            #expect(FileManager.default.fileExists(atPath: dir + "/new"))
        }
    }

    @Test("mkdirat creates a directory and reports EEXIST the second time")
    func makeDirectory() throws {
        try withTemporaryDirectory { dir in
            let parent = try FileDescriptor.open(dir, options: [.directory])
            defer { try? parent.close() }
            try FileSystem.makeDirectory("sub", permissions: 0o700, in: parent)
            var info = stat()
            #expect(stat(dir + "/sub", &info) == 0)
            #expect(info.st_mode & 0o777 == 0o700)
            #expect(throws: Errno.fileExists) { try FileSystem.makeDirectory(dir + "/sub") }
        }
    }

    @Test("the current directory is reported by the kernel")
    func currentDirectory() throws {
        #expect(try FileSystem.currentDirectory() == FileManager.default.currentDirectoryPath)
    }

    @Test("chdir to a missing directory fails with ENOENT")
    func changeDirectoryMissing() {
        #expect(throws: Errno.noSuchFileOrDirectory) {
            try FileSystem.changeDirectory(to: "/nonexistent/\(getpid())")
        }
    }
}

@Suite("Nodes and links")
struct NodeTests {
    @Test("device numbers match what the kernel reports for the host's /dev")
    func deviceNumbers() {
        for (path, major, minor) in [("/dev/null", 1, 3), ("/dev/ptmx", 5, 2), ("/dev/urandom", 1, 9)] as [(String, UInt32, UInt32)] {
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(info.st_rdev == FileSystem.deviceNumber(major: major, minor: minor), "\(path)")
        }
        // Minor numbers above 255 spill into the high bits: 136:300 is 0x10882c.
        #expect(FileSystem.deviceNumber(major: 136, minor: 300) == 0x10_882c)
    }

    @Test("mknod creates a character device the kernel reports back", .enabled(if: isRoot, "CAP_MKNOD"))
    func characterDevice() throws {
        try withTemporaryDirectory { dir in
            try FileSystem.makeNode(dir + "/null", type: S_IFCHR, permissions: 0o666, major: 1, minor: 3)
            var info = stat()
            #expect(stat(dir + "/null", &info) == 0)
            #expect(info.st_mode & S_IFMT == S_IFCHR)
            #expect(info.st_rdev == FileSystem.deviceNumber(major: 1, minor: 3))
        }
    }

    @Test("a FIFO needs no privilege; a symbolic link stores its target; remove deletes both")
    func fifoAndLink() throws {
        try withTemporaryDirectory { dir in
            try FileSystem.makeNode(dir + "/fifo", type: S_IFIFO, permissions: 0o600)
            try FileSystem.makeSymbolicLink(dir + "/link", to: "/proc/self/fd")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link") == "/proc/self/fd")
            try FileSystem.remove(dir + "/fifo")
            try FileSystem.remove(dir + "/link")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
            #expect(throws: Errno.noSuchFileOrDirectory) { try FileSystem.remove(dir + "/link") }
        }
    }
}

@Suite("Limits and passing descriptors")
struct LockTests {
    @Test("a resource limit set by the process is what getrlimit reports")
    func resourceLimit() throws {
        let nofile = ResourceLimit.resources["RLIMIT_NOFILE"]!
        #expect(try helper("rlimit") == "512 1024")
        let ours = try ResourceLimit.get(nofile)
        #expect(ours.soft <= ours.hard)
    }

    @Test("a descriptor sent over a Unix socket arrives as a working copy")
    func passDescriptor() throws {
        let (left, right) = try FileDescriptor.socketPair(type: CInt(SOCK_STREAM.rawValue))
        let (read, write) = try FileDescriptor.pipe()
        defer { for fd in [left, right, read] { try? fd.close() } }
        try left.sendDescriptor(write)
        try write.close()
        let received = try right.receiveDescriptor()
        #expect(try received.isCloseOnExec)
        try received.writeAll("through the socket")
        try received.close()
        #expect(String(decoding: try read.readAll(), as: UTF8.self) == "through the socket")
    }
}

@Suite("Unix sockets")
struct UnixSocketTests {
    @Test("a client connects to a listener by path and they talk")
    func connectAndAccept() throws {
        try withTemporaryDirectory { dir in
            let listener = try FileDescriptor.listen(unixSocket: dir + "/socket")
            defer { try? listener.close() }
            let client = try FileDescriptor.connect(unixSocket: dir + "/socket")
            let server = try listener.accept()
            defer { try? client.close(); try? server.close() }
            try client.writeAll("hello")
            #expect(try server.read(upTo: 10) == Array("hello".utf8))
            #expect(try server.isCloseOnExec && client.isCloseOnExec)
            #expect(throws: Errno.noSuchFileOrDirectory) { try FileDescriptor.connect(unixSocket: dir + "/nobody").close() }
        }
    }
}
