import Glibc
import Syscalls

/// Unpacks a tar archive into a directory, and never outside it.
///
/// A layer comes from the network: its paths may say `../../etc/passwd`, `/etc/passwd`, or
/// run through a symbolic link that an earlier entry planted (`etc -> /etc`, then
/// `etc/passwd`). Every entry's parent directory is therefore opened with `openat2(2)` and
/// `RESOLVE_IN_ROOT`: the kernel resolves the path as if the target directory were `/`, so
/// `..` stops at it and an absolute symlink lands inside it. The entry itself is then made
/// by name, relative to that open directory (`mkdirat`, `openat` with `O_NOFOLLOW`,
/// `symlinkat`, `linkat`, `mknodat`), and a hard link may only point at a file found the
/// same way. A path whose `..` climbs above the top is refused outright.
///
///     let extractor = try Extractor(into: "/var/lib/dosirak/snapshots/tmp/fs")
///     defer { extractor.close() }
///     try extractor.extract(TarReader(source))
///
/// With `whiteouts: .overlay`, OCI whiteout files become what overlayfs understands:
/// `.wh.NAME` a 0/0 character device named NAME, `.wh..wh..opq` the directory's
/// `trusted.overlay.opaque=y` attribute.
public final class Extractor: @unchecked Sendable {  // used by one thread at a time
    public enum Whiteouts: Sendable {
        /// Turn OCI whiteouts into overlayfs whiteouts (how snapshots are unpacked).
        case overlay
        /// Extract `.wh.*` files as the plain files they are.
        case keep
    }

    public let path: String
    public let whiteouts: Whiteouts
    /// Give entries their owners from the archive (needs root; on by default for root).
    public let preserveOwners: Bool
    private let root: FileDescriptor
    private var cachedParent: (key: String, fd: FileDescriptor)?
    private var directories: [(components: [String], entry: TarEntry)] = []
    /// Entries and content bytes written, for progress and statistics.
    public private(set) var entryCount = 0
    public private(set) var byteCount: Int64 = 0

    public init(into path: String, whiteouts: Whiteouts = .overlay, preserveOwners: Bool = geteuid() == 0) throws {
        self.path = path
        self.whiteouts = whiteouts
        self.preserveOwners = preserveOwners
        do {
            root = try FileDescriptor.open(path, options: [.directory, .path])
        } catch let error as Errno {
            throw LayersError.file("open", path, error)
        }
    }

    deinit { close() }

    private var closed = false
    public func close() {
        guard !closed else { return }
        closed = true
        dropCache()
        try? root.close()
    }

    /// Extracts every entry the reader yields, then sets the directories' modes and times
    /// (last, because creating their contents changed them).
    public func extract(_ reader: TarReader) throws {
        while let entry = try reader.next() {
            try extract(entry, reader: reader)
        }
        try finishDirectories()
    }

    /// Extracts one entry (its contents come from `reader`).
    public func extract(_ entry: TarEntry, reader: TarReader) throws {
        var components = try Extractor.clean(entry.path)
        entryCount += 1
        if components.isEmpty {
            guard entry.kind == .directory else { throw LayersError.entry(entry.path, "names the top directory but is not a directory") }
            directories.append(([], entry))
            return
        }
        let name = components.removeLast()
        if whiteouts == .overlay && name.hasPrefix(".wh.") {
            try whiteout(name: name, in: components, entry: entry)
            return
        }
        let key = components.joined(separator: "/")
        let full = key.isEmpty ? name : key + "/" + name
        if let cached = cachedParent?.key, cached == full || cached.hasPrefix(full + "/") { dropCache() }
        let parent = try openParent(components, entryPath: entry.path)
        let subject = "\(parent.rawValue)"  // for /proc/self/fd paths
        switch entry.kind {
        case .directory:
            if mkdirat(parent.rawValue, name, 0o700) == -1 {
                let error = Errno.current
                guard error == .fileExists else { throw fail("mkdir", entry, error) }
                var info = stat()
                if fstatat(parent.rawValue, name, &info, AT_SYMLINK_NOFOLLOW) == 0 && info.st_mode & S_IFMT != S_IFDIR {
                    try removeExisting(name, in: parent, entry: entry)
                    guard mkdirat(parent.rawValue, name, 0o700) == 0 else { throw fail("mkdir", entry, Errno.current) }
                }
            }
            try setOwnerAndAttributes(name, in: parent, entry: entry, procPath: subject)
            directories.append((components + [name], entry))
        case .regular:
            // Nearly every file is new: create it, and clear the way only if something is there
            // (an earlier entry of the same name), instead of one failing unlink per file.
            let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
            var fd = openat(parent.rawValue, name, flags, 0o600)
            if fd < 0 && errno == EEXIST {
                try removeExisting(name, in: parent, entry: entry)
                fd = openat(parent.rawValue, name, flags, 0o600)
            }
            guard fd >= 0 else { throw fail("open", entry, Errno.current) }
            defer { Glibc.close(fd) }
            let sink = FileSink(FileDescriptor(rawValue: fd), name: entry.path)
            try reader.withContents { piece in
                try sink.write(piece)
                byteCount += Int64(piece.count)
            }
            if preserveOwners && (entry.uid != 0 || entry.gid != 0 || geteuid() != 0) {
                guard fchown(fd, entry.uid, entry.gid) == 0 else { throw fail("chown", entry, Errno.current) }
            }
            guard fchmod(fd, mode_t(entry.mode & 0o7777)) == 0 else { throw fail("chmod", entry, Errno.current) }
            try setAttributes(name, entry: entry, procPath: subject)
            try setTimes(name, in: parent, entry: entry)
        case .symbolicLink:
            try removeExisting(name, in: parent, entry: entry)
            guard symlinkat(entry.linkTarget, parent.rawValue, name) == 0 else { throw fail("symlink", entry, Errno.current) }
            try setOwnerAndAttributes(name, in: parent, entry: entry, procPath: subject)
            try setTimes(name, in: parent, entry: entry)
        case .hardLink:
            let target = try Extractor.clean(entry.linkTarget)
            guard !target.isEmpty else { throw LayersError.entry(entry.path, "hard link to the top directory") }
            let source: FileDescriptor
            do {
                source = try FileDescriptor.open(target.joined(separator: "/"), options: [.path, .noFollow], in: root, resolve: .inRoot)
            } catch let error as Errno {
                throw LayersError.entry(entry.path, "hard link target \(quote(entry.linkTarget)) is not in the archive (\(error))")
            }
            defer { try? source.close() }
            try removeExisting(name, in: parent, entry: entry)
            // Linking the O_PATH descriptor's file (through its /proc/self/fd link) links
            // exactly the file found inside the root.
            guard linkat(AT_FDCWD, "/proc/self/fd/\(source.rawValue)", parent.rawValue, name, AT_SYMLINK_FOLLOW) == 0 else {
                throw fail("link", entry, Errno.current)
            }
        case .characterDevice, .blockDevice, .fifo:
            try removeExisting(name, in: parent, entry: entry)
            let type: mode_t = entry.kind == .fifo ? S_IFIFO : (entry.kind == .characterDevice ? S_IFCHR : S_IFBLK)
            do {
                try FileSystem.makeNode(name, type: type, permissions: mode_t(entry.mode & 0o7777),
                                        major: entry.deviceMajor, minor: entry.deviceMinor, in: parent)
            } catch let error as Errno {
                throw fail("mknod", entry, error)
            }
            try setOwnerAndAttributes(name, in: parent, entry: entry, procPath: subject)
            guard fchmodat(parent.rawValue, name, mode_t(entry.mode & 0o7777), 0) == 0 else { throw fail("chmod", entry, Errno.current) }
            try setTimes(name, in: parent, entry: entry)
        }
    }

    /// Sets the directories' modes and times, deepest first.
    public func finishDirectories() throws {
        dropCache()
        for (components, entry) in directories.reversed() {
            let fd: FileDescriptor
            do {
                fd = try FileDescriptor.open(components.isEmpty ? "." : components.joined(separator: "/"),
                                             options: [.directory, .noFollow], in: root, resolve: .inRoot)
            } catch let error as Errno {
                throw fail("open", entry, error)
            }
            defer { try? fd.close() }
            if components.isEmpty && preserveOwners {
                guard fchown(fd.rawValue, entry.uid, entry.gid) == 0 else { throw fail("chown", entry, Errno.current) }
            }
            guard fchmod(fd.rawValue, mode_t(entry.mode & 0o7777)) == 0 else { throw fail("chmod", entry, Errno.current) }
            var times = [timespec(tv_sec: Int(entry.modificationTime), tv_nsec: Int(entry.modificationNanoseconds)),
                         timespec(tv_sec: Int(entry.modificationTime), tv_nsec: Int(entry.modificationNanoseconds))]
            guard futimens(fd.rawValue, &times) == 0 else { throw fail("utimens", entry, Errno.current) }
        }
        directories.removeAll()
    }

    // MARK: - Paths

    /// The components of an archive path, with `.` and empty parts dropped and `..` applied.
    /// A leading `/` is ignored (the path is inside the target anyway); a `..` that climbs
    /// above the top is an error.
    public static func clean(_ path: String) throws -> [String] {
        var components: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                guard !components.isEmpty else { throw LayersError.entry(path, "climbs out of the target directory") }
                components.removeLast()
                continue
            }
            components.append(String(part))
        }
        return components
    }

    /// The open parent directory of an entry, resolved inside the root; missing directories
    /// on the way are created (tar archives need not list every parent).
    private func openParent(_ components: [String], entryPath: String) throws -> FileDescriptor {
        if components.isEmpty { return root }
        let key = components.joined(separator: "/")
        if let cached = cachedParent, cached.key == key { return cached.fd }
        dropCache()
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(key, options: [.directory, .path], in: root, resolve: .inRoot)
        } catch Errno.noSuchFileOrDirectory {
            fd = try makeParents(components, entryPath: entryPath)
        } catch let error as Errno {
            throw LayersError.entry(entryPath, "parent \(quote(key)): \(error)")
        }
        cachedParent = (key, fd)
        return fd
    }

    private func makeParents(_ components: [String], entryPath: String) throws -> FileDescriptor {
        var current = try root.duplicate()
        for index in components.indices {
            let prefix = components[...index].joined(separator: "/")
            let next: FileDescriptor
            do {
                next = try FileDescriptor.open(prefix, options: [.directory, .path], in: root, resolve: .inRoot)
            } catch Errno.noSuchFileOrDirectory {
                if mkdirat(current.rawValue, components[index], 0o755) == -1 && errno != EEXIST {
                    let error = Errno.current
                    try? current.close()
                    throw LayersError.entry(entryPath, "mkdir \(quote(prefix)): \(error)")
                }
                do {
                    next = try FileDescriptor.open(prefix, options: [.directory, .path], in: root, resolve: .inRoot)
                } catch let error as Errno {
                    try? current.close()
                    throw LayersError.entry(entryPath, "parent \(quote(prefix)): \(error)")
                }
            } catch let error as Errno {
                try? current.close()
                throw LayersError.entry(entryPath, "parent \(quote(prefix)): \(error)")
            }
            try? current.close()
            current = next
        }
        return current
    }

    private func dropCache() {
        if let cached = cachedParent { try? cached.fd.close() }
        cachedParent = nil
    }

    // MARK: - Entries

    private func whiteout(name: String, in components: [String], entry: TarEntry) throws {
        if name == ".wh..wh..opq" {
            // An opaque directory: it hides everything below it in lower layers.
            let directory = try openParent(components, entryPath: entry.path)
            do {
                try FileSystem.setExtendedAttribute("trusted.overlay.opaque", to: Array("y".utf8),
                                                    of: "/proc/self/fd/\(directory.rawValue)/.")
            } catch let error as Errno {
                throw fail("setxattr trusted.overlay.opaque", entry, error)
            }
            return
        }
        // `.wh.NAME` hides NAME: overlayfs's sign for that is a 0/0 character device.
        let hidden = String(name.dropFirst(4))
        guard !hidden.isEmpty, hidden != ".", hidden != ".." else { throw LayersError.entry(entry.path, "whiteout of nothing") }
        let full = (components + [hidden]).joined(separator: "/")
        if let cached = cachedParent?.key, cached == full || cached.hasPrefix(full + "/") { dropCache() }
        let parent = try openParent(components, entryPath: entry.path)
        try removeExisting(hidden, in: parent, entry: entry)
        do {
            try FileSystem.makeNode(hidden, type: S_IFCHR, permissions: 0, major: 0, minor: 0, in: parent)
        } catch let error as Errno {
            throw fail("mknod whiteout", entry, error)
        }
    }

    /// Removes what is at `name` so that an entry can take its place (a file or an empty
    /// directory; replacing a directory that has contents is refused).
    private func removeExisting(_ name: String, in parent: FileDescriptor, entry: TarEntry) throws {
        if unlinkat(parent.rawValue, name, 0) == 0 { return }
        let error = Errno.current
        if error == .noSuchFileOrDirectory { return }
        if error == .isDirectory || error == .notPermitted {
            if unlinkat(parent.rawValue, name, AT_REMOVEDIR) == 0 { return }
            throw fail("replace directory", entry, Errno.current)
        }
        throw fail("unlink", entry, error)
    }

    private func setOwnerAndAttributes(_ name: String, in parent: FileDescriptor, entry: TarEntry, procPath: String) throws {
        if preserveOwners {
            guard fchownat(parent.rawValue, name, entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw fail("chown", entry, Errno.current)
            }
        }
        try setAttributes(name, entry: entry, procPath: procPath)
    }

    private func setAttributes(_ name: String, entry: TarEntry, procPath: String) throws {
        for (key, value) in entry.extendedAttributes.sorted(by: { $0.key < $1.key }) {
            // overlayfs's own marks are never taken from an archive.
            if key.hasPrefix("trusted.overlay.") { continue }
            do {
                try FileSystem.setExtendedAttribute(key, to: value, of: "/proc/self/fd/\(procPath)/\(name)")
            } catch let error as Errno {
                if error == .notSupported && !key.hasPrefix("security.") { continue }
                throw fail("setxattr \(key)", entry, error)
            }
        }
    }

    private func setTimes(_ name: String, in parent: FileDescriptor, entry: TarEntry) throws {
        var times = [timespec(tv_sec: Int(entry.modificationTime), tv_nsec: Int(entry.modificationNanoseconds)),
                     timespec(tv_sec: Int(entry.modificationTime), tv_nsec: Int(entry.modificationNanoseconds))]
        guard utimensat(parent.rawValue, name, &times, AT_SYMLINK_NOFOLLOW) == 0 else { throw fail("utimens", entry, Errno.current) }
    }

    private func fail(_ call: String, _ entry: TarEntry, _ error: Errno) -> LayersError {
        .entry(entry.path, "\(call): \(error)")
    }
}
