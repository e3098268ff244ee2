import Glibc
import Syscalls

/// A minimal root filesystem: the host's static busybox, its applets as links, and the few
/// files and directories a shell expects to find.
///
///     let rootfs = try Rootfs.build(at: "/tmp/jail")
///     // /tmp/jail/bin/sh, /tmp/jail/etc/passwd, /tmp/jail/proc, ...
///     try rootfs.remove()
///
/// Every later chapter and test stands a container on one of these.
public struct Rootfs: Sendable {
    /// Where the root filesystem lives on the host.
    public let path: String

    public init(path: String) { self.path = path }

    /// Places busybox-static is installed by Debian and most distributions.
    public static let busyboxCandidates = ["/bin/busybox", "/usr/bin/busybox", "/sbin/busybox"]

    /// The host's busybox, if one is installed.
    public static func findBusybox() -> String? {
        busyboxCandidates.first { access($0, X_OK) == 0 }
    }

    /// The directories of the layout, with their permissions.
    static let directories: [(String, mode_t)] = [
        ("bin", 0o755), ("sbin", 0o755), ("usr", 0o755), ("usr/bin", 0o755), ("usr/sbin", 0o755),
        ("etc", 0o755), ("root", 0o700), ("home", 0o755), ("var", 0o755), ("run", 0o755),
        ("proc", 0o555), ("sys", 0o555), ("dev", 0o755), ("tmp", 0o1777),
    ]

    /// The accounts a container's tools look up by name.
    static let files: [(String, String)] = [
        ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"),
        ("etc/group", "root:x:0:\nnogroup:x:65534:\n"),
    ]

    /// Lays out a root filesystem at `path`, which must not exist yet. It is built in a
    /// sibling directory and renamed into place, so `path` is either complete or absent.
    /// With `owner`, every file belongs to that uid and gid (for a user namespace whose
    /// root is mapped to, say, 100000 on the host).
    public static func build(
        at path: String, busybox: String? = nil, owner: (uid: uid_t, gid: gid_t)? = nil
    ) throws -> Rootfs {
        guard let busybox = busybox ?? findBusybox() else { throw Error.busyboxNotFound(nil) }
        guard access(busybox, X_OK) == 0 else { throw Error.busyboxNotFound(busybox) }
        try requireStatic(busybox)
        let applets = try applets(of: busybox)
        if access(path, F_OK) == 0 { throw Error.exists(path) }

        let partial = Rootfs(path: "\(path).partial-\(getpid())")
        do {
            try partial.layOut(busybox: busybox, applets: applets, owner: owner)
            try step("rename", path) { rename(partial.path, path) }
        } catch {
            try? partial.remove()
            throw error
        }
        return Rootfs(path: path)
    }

    private func layOut(busybox: String, applets: [String], owner: (uid: uid_t, gid: gid_t)?) throws {
        // The modes are set with chmod, which the umask does not touch (changing the
        // umask instead would race with other threads of a multithreaded caller).
        try Rootfs.step("mkdir", path) { mkdir(path, 0o755) }
        try Rootfs.step("chmod", path) { chmod(path, 0o755) }
        for (directory, mode) in Rootfs.directories {
            try Rootfs.step("mkdir", directory) { mkdir(path + "/" + directory, mode) }
            try Rootfs.step("chmod", directory) { chmod(path + "/" + directory, mode) }
        }
        try copyFile(busybox, to: path + "/bin/busybox", permissions: 0o755)
        for applet in applets where applet != "bin/busybox" {
            try Rootfs.step("symlink", applet) { symlink("/bin/busybox", path + "/" + applet) }
        }
        for (file, contents) in Rootfs.files {
            let fd = try FileDescriptor.open(path + "/" + file, .writeOnly, options: [.create, .exclusive])
            try fd.closeAfter { try fd.writeAll(contents) }
        }
        if let owner { try changeOwner(path, to: owner) }
    }

    /// busybox's own list of its applets with their usual places: `bin/ls`, `usr/bin/env`, ...
    public static func applets(of busybox: String) throws -> [String] {
        let (status, output) = try Spawn(busybox, arguments: ["--list-full"], environment: []).output()
        guard status == .exited(0) else { throw Error.busyboxFailed(busybox, status) }
        // Keep applets that live in a directory (not /linuxrc, which is for an initrd).
        return output.split(separator: "\n").map(String.init).filter {
            $0.contains("/") && !$0.hasPrefix("/") && !$0.contains("..")
        }
    }

    /// Refuses a dynamically linked busybox: inside the jail there is no C library for it.
    /// A dynamic ELF executable has a program header of type PT_INTERP naming its loader.
    static func requireStatic(_ binary: String) throws {
        let fd = try FileDescriptor.open(binary)
        let header = try fd.closeAfter { try fd.read(upTo: 4096) }
        guard header.count >= 64, header[0..<4] == [0x7f, 0x45, 0x4c, 0x46], header[4] == 2 else {
            throw Error.notStatic(binary)  // not a 64-bit ELF file
        }
        func integer(_ offset: Int, _ size: Int) -> Int {
            (0..<size).reduce(0) { $0 | Int(header[offset + $1]) << (8 * $1) }  // little-endian
        }
        let programHeaders = integer(32, 8), entrySize = integer(54, 2), count = integer(56, 2)
        for index in 0..<count {
            let offset = programHeaders + index * entrySize
            guard offset + 4 <= header.count else { break }
            if integer(offset, 4) == 3 { throw Error.notStatic(binary) }  // PT_INTERP
        }
    }

    private func copyFile(_ source: String, to target: String, permissions: mode_t) throws {
        let input = try FileDescriptor.open(source)
        defer { try? input.close() }
        let output = try FileDescriptor.open(target, .writeOnly, options: [.create, .exclusive], permissions: permissions)
        defer { try? output.close() }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
            if n == 0 { break }
            try output.writeAll(buffer[0..<n])
        }
    }

    private func changeOwner(_ directory: String, to owner: (uid: uid_t, gid: gid_t)) throws {
        try Rootfs.step("lchown", directory) { lchown(directory, owner.uid, owner.gid) }
        try Rootfs.walk(directory) { entry, isDirectory in
            try Rootfs.step("lchown", entry) { lchown(entry, owner.uid, owner.gid) }
            if isDirectory { try changeOwner(entry, to: owner) }
        }
    }

    static func step(_ call: String, _ path: String, _ body: () -> CInt) throws {
        if body() == -1 { throw Error.failed(call, path, Errno.current) }
    }
}
