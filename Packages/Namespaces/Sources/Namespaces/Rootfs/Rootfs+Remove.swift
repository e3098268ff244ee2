import Glibc
import Syscalls

extension Rootfs {
    /// Deletes the root filesystem. It never descends into a mount point: if a /proc is
    /// still mounted inside, removal stops with `EBUSY` rather than walk into the host's
    /// /proc (or a bind-mounted host directory) and delete what is there.
    public func remove() throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw Error.failed("lstat", path, Errno.current)
        }
        try Rootfs.removeTree(path, device: info.st_dev)
    }

    static func removeTree(_ directory: String, device: dev_t) throws {
        try walk(directory) { entry, isDirectory in
            if isDirectory {
                var info = stat()
                try step("lstat", entry) { lstat(entry, &info) }
                if info.st_dev != device { throw Error.failed("remove", entry, .busy) }
                try removeTree(entry, device: device)
            } else {
                try step("unlink", entry) { unlink(entry) }
            }
        }
        try step("rmdir", directory) { rmdir(directory) }
    }

    /// Calls `body` with the full path of each entry of `directory` and whether it is a
    /// directory (not following symbolic links).
    static func walk(_ directory: String, _ body: (String, Bool) throws -> Void) throws {
        let entries: [FileSystem.DirectoryEntry]
        do {
            entries = try FileSystem.entries(of: directory)
        } catch let errno as Errno {
            throw Error.failed("opendir", directory, errno)
        }
        for entry in entries { try body(directory + "/" + entry.name, entry.kind == .directory) }
    }
}
