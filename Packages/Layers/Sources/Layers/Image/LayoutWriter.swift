import FoundationEssentials
import Glibc
import Syscalls

/// Where `save` puts an image layout: into a tar archive (`docker save`'s format) or a
/// directory (an OCI image layout on disk). Files are added by path inside the layout.
protocol LayoutWriter {
    func add(_ path: String, bytes: [UInt8]) throws
    /// A file of `size` bytes whose contents `produce` emits.
    func add(_ path: String, size: Int64, produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws
    func finish() throws
}

final class TarLayoutWriter: LayoutWriter {
    private let tar: TarWriter
    private var directories: Set<String> = []
    private let time = Int64(Date().timeIntervalSince1970)

    init(_ sink: any ByteSink) { tar = TarWriter(sink) }

    private func parents(of path: String) throws {
        var prefix = ""
        for component in path.split(separator: "/").dropLast() {
            prefix += component + "/"
            if directories.insert(prefix).inserted {
                var entry = TarEntry(path: prefix, kind: .directory, mode: 0o755)
                entry.modificationTime = time
                try tar.add(entry)
            }
        }
    }

    func add(_ path: String, bytes: [UInt8]) throws {
        try parents(of: path)
        var entry = TarEntry(path: path, kind: .regular, mode: 0o644)
        entry.modificationTime = time
        try tar.add(entry, contents: bytes)
    }

    func add(_ path: String, size: Int64, produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try parents(of: path)
        var entry = TarEntry(path: path, kind: .regular, mode: 0o644, size: size)
        entry.modificationTime = time
        try tar.add(entry, contents: produce)
    }

    func finish() throws { try tar.finish() }
}

final class DirectoryLayoutWriter: LayoutWriter {
    let root: String

    init(_ root: String) throws {
        self.root = root
        try FileManager.default.createDirectory(atPath: root + "/blobs/sha256", withIntermediateDirectories: true)
    }

    func add(_ path: String, bytes: [UInt8]) throws {
        try add(path, size: Int64(bytes.count)) { emit in try bytes.withUnsafeBytes { try emit($0) } }
    }

    func add(_ path: String, size: Int64, produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let target = root + "/" + path
        let fd: FileDescriptor
        do { fd = try FileDescriptor.open(target, .writeOnly, options: [.create, .truncate]) } catch let error as Errno {
            throw LayersError.file("open", target, error)
        }
        defer { try? fd.close() }
        let sink = FileSink(fd, name: target)
        var written: Int64 = 0
        try produce { piece in
            written += Int64(piece.count)
            try sink.write(piece)
        }
        guard written == size else { throw LayersError.context(target, "wrote \(written) bytes, expected \(size)") }
    }

    func finish() throws {}
}
