import Glibc
import Syscalls

/// How many bytes the files under a directory hold (their sizes, each hard-linked file
/// once), for `ps --size` and `system df`.
enum DiskUsage {
    static func bytes(under path: String) -> Int64 {
        var seen = Set<UInt64>()
        var total: Int64 = 0
        func walk(_ directory: String) {
            for entry in (try? FileSystem.entries(of: directory)) ?? [] {
                let child = directory + "/" + entry.name
                var info = stat()
                guard lstat(child, &info) == 0 else { continue }
                if entry.kind == .directory {
                    walk(child)
                } else if info.st_nlink < 2 || seen.insert(UInt64(info.st_ino)).inserted {
                    total += Int64(info.st_size)
                }
            }
        }
        walk(path)
        return total
    }
}
