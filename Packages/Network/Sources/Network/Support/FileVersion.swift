import Glibc

/// What identifies a version of a file: its inode (a rename gives a new one) and mtime.
struct FileVersion: Equatable {
    let inode: UInt64
    let seconds: Int
    let nanoseconds: Int

    init?(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        inode = UInt64(info.st_ino)
        seconds = info.st_mtim.tv_sec
        nanoseconds = info.st_mtim.tv_nsec
    }
}
