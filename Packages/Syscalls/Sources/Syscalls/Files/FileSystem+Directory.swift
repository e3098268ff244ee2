import Glibc

extension FileSystem {
    /// One name in a directory, with its type when the file system reports it.
    public struct DirectoryEntry: Hashable, Sendable {
        public enum Kind: Sendable { case directory, regular, symbolicLink, other }
        public let name: String
        public let kind: Kind
    }

    /// The entries of the directory at `path`, without `.` and `..`, in no particular order.
    /// Symbolic links are reported as links, not followed.
    ///
    /// The corresponding calls are `opendir(3)` and `readdir(3)`, over `getdents64(2)`.
    public static func entries(of path: String) throws -> [DirectoryEntry] {
        guard let dir = opendir(path) else { throw Errno.current }
        defer { closedir(dir) }
        var result: [DirectoryEntry] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var type = Int(entry.pointee.d_type)
            if type == DT_UNKNOWN {  // some file systems leave the type to lstat
                var info = stat()
                if lstat(path + "/" + name, &info) == 0 { type = Int((info.st_mode & S_IFMT) >> 12) }
            }
            let kind: DirectoryEntry.Kind = switch type {
            case DT_DIR: .directory
            case DT_REG: .regular
            case DT_LNK: .symbolicLink
            default: .other
            }
            result.append(DirectoryEntry(name: name, kind: kind))
        }
        return result
    }
}
