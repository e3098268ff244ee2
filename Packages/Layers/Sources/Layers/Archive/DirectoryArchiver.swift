import Glibc
import Syscalls

/// Writes a directory tree as a tar archive: the way a container's upperdir becomes a layer
/// (for `commit` and `build`), and the way the tests make archives from real files.
///
///     let archiver = DirectoryArchiver(whiteouts: .fromOverlay)
///     try archiver.archive("/var/lib/dosirak/containers/abc/upper", to: TarWriter(sink))
///
/// Entries are written in sorted order with owners, modes, times, extended attributes and
/// device numbers, so the same tree always gives the same bytes (and the same digest).
/// A file with more than one link is written once and then as hard links to it. With
/// `whiteouts: .fromOverlay`, overlayfs's marks become OCI whiteouts again: a 0/0
/// character device NAME becomes an empty file `.wh.NAME`, and a directory with
/// `trusted.overlay.opaque=y` gets a `.wh..wh..opq` entry.
public struct DirectoryArchiver: Sendable {
    public enum Whiteouts: Sendable {
        case fromOverlay
        case keep
    }

    public var whiteouts: Whiteouts
    /// When set, every entry gets this modification time (reproducible archives).
    public var fixedTime: Int64?
    /// Paths (relative to the directory archived, like `etc/hosts`) left out, with everything
    /// below them: the mount points a runtime made in a container's upper directory.
    public var excluding: Set<String>

    public init(whiteouts: Whiteouts = .keep, fixedTime: Int64? = nil, excluding: Set<String> = []) {
        self.whiteouts = whiteouts
        self.fixedTime = fixedTime
        self.excluding = excluding
    }

    /// Archives the tree below `directory` (its entries, without a `./` prefix) and ends the
    /// archive unless `finish` is false.
    public func archive(_ directory: String, to writer: TarWriter, finish: Bool = true) throws {
        var links: [String: String] = [:]  // "dev:ino" -> first path
        try walk(directory, relative: "", writer: writer, links: &links)
        if finish { try writer.finish() }
    }

    /// Archives one file, link or directory (with its tree) under the name `name`: how
    /// `dosirak cp` sends `/etc/motd` as `motd`, or a directory under the name it will have
    /// at the destination.
    ///
    ///     try DirectoryArchiver().archive(item: "/srv/site", as: "site", to: TarWriter(sink))
    public func archive(item path: String, as name: String, to writer: TarWriter, finish: Bool = true) throws {
        guard !name.hasPrefix("/"), try !Extractor.clean(name).isEmpty else { throw LayersError.archive("\(path): no name to archive it under") }
        var links: [String: String] = [:]
        try add(path, as: name, writer: writer, links: &links)
        if finish { try writer.finish() }
    }

    private func walk(_ directory: String, relative: String, writer: TarWriter, links: inout [String: String]) throws {
        let names: [String]
        do { names = try FileSystem.entries(of: directory).map(\.name).sorted() } catch let error as Errno {
            throw LayersError.file("opendir", directory, error)
        }
        for name in names {
            let archivePath = relative.isEmpty ? name : relative + "/" + name
            if excluding.contains(archivePath) { continue }
            try add(directory + "/" + name, as: archivePath, writer: writer, links: &links)
        }
    }

    /// Writes the entry for `path` as `archivePath`, and a directory's tree after it.
    private func add(_ path: String, as archivePath: String, writer: TarWriter, links: inout [String: String]) throws {
        let name = String(archivePath.split(separator: "/").last ?? "")
        let relative = archivePath.split(separator: "/").dropLast().joined(separator: "/")
        var info = stat()
        try check("lstat", path) { lstat(path, &info) }
        let type = info.st_mode & S_IFMT
        var entry = TarEntry(path: archivePath, kind: .regular, mode: UInt32(info.st_mode & 0o7777))
        entry.uid = info.st_uid
        entry.gid = info.st_gid
        entry.modificationTime = fixedTime ?? Int64(info.st_mtim.tv_sec)  // whole seconds, as docker writes
        entry.extendedAttributes = try attributes(of: path)
        switch type {
        case S_IFDIR:
            entry.kind = .directory
            entry.path += "/"
            let opaque = entry.extendedAttributes.removeValue(forKey: "trusted.overlay.opaque")
            try writer.add(entry)
            if whiteouts == .fromOverlay && opaque == Array("y".utf8) {
                var marker = TarEntry(path: archivePath + "/.wh..wh..opq", kind: .regular, mode: 0)
                marker.modificationTime = entry.modificationTime
                try writer.add(marker)
            }
            try walk(path, relative: archivePath, writer: writer, links: &links)
        case S_IFCHR where whiteouts == .fromOverlay && major(info.st_rdev) == 0 && minor(info.st_rdev) == 0:
            var marker = TarEntry(path: (relative.isEmpty ? "" : relative + "/") + ".wh." + name, kind: .regular, mode: 0)
            marker.modificationTime = entry.modificationTime
            try writer.add(marker)
        case S_IFREG:
            if info.st_nlink > 1 {
                let key = "\(info.st_dev):\(info.st_ino)"
                if let first = links[key] {
                    entry.kind = .hardLink
                    entry.linkTarget = first
                    try writer.add(entry)
                    return
                }
                links[key] = archivePath
            }
            entry.size = Int64(info.st_size)
            let fd: FileDescriptor
            do { fd = try FileDescriptor.open(path, options: .noFollow) } catch let error as Errno {
                throw LayersError.file("open", path, error)
            }
            defer { try? fd.close() }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
            defer { buffer.deallocate() }
            try writer.add(entry) { emit in
                var left = entry.size
                while left > 0 {
                    let n = try FileSource(fd, name: path).read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(min(Int64(buffer.count), left))]))
                    if n == 0 { throw LayersError.archive("\(path): shrank while being archived") }
                    try emit(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                    left -= Int64(n)
                }
            }
        case S_IFLNK:
            var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(path, &target, target.count - 1)
            guard n >= 0 else { throw LayersError.file("readlink", path, Errno.current) }
            entry.kind = .symbolicLink
            entry.linkTarget = String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            try writer.add(entry)
        case S_IFCHR, S_IFBLK:
            entry.kind = type == S_IFCHR ? .characterDevice : .blockDevice
            entry.deviceMajor = major(info.st_rdev)
            entry.deviceMinor = minor(info.st_rdev)
            try writer.add(entry)
        case S_IFIFO:
            entry.kind = .fifo
            try writer.add(entry)
        default:
            return  // sockets have no place in an archive
        }
    }

    private func attributes(of path: String) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        guard let names = try? FileSystem.extendedAttributeNames(of: path) else { return [:] }
        for name in names where name != "security.selinux" {
            if name.hasPrefix("trusted.overlay.") && name != "trusted.overlay.opaque" { continue }
            if let value = try? FileSystem.extendedAttribute(name, of: path) { result[name] = value }
        }
        return result
    }
}

func major(_ device: dev_t) -> UInt32 { UInt32((device >> 8) & 0xfff) | UInt32((device >> 32) & 0xffff_f000) }
func minor(_ device: dev_t) -> UInt32 { UInt32(device & 0xff) | UInt32((device >> 12) & 0xffff_ff00) }
