import FoundationEssentials
import Glibc
import Syscalls

/// Content-addressed files: a blob lives at `blobs/sha256/<hex>` and its name is the SHA-256
/// of its bytes, so a name either means exactly those bytes or nothing.
///
/// Blobs are written through a `BlobWriter`: into a temporary file in the store's `tmp/`,
/// hashed while written, and renamed into place only if the digest is the one expected.
/// A reader therefore never sees a partial or wrong blob, and a writer that dies leaves
/// only a temporary file, which garbage collection removes.
///
///     let store = BlobStore(root: "/var/lib/dosirak")
///     let digest = try store.put(Array("hello".utf8))
///     try store.read(digest)    // the same five bytes
public struct BlobStore: Sendable {
    /// The store's top directory.
    public let root: String

    public init(root: String) { self.root = root }

    var directory: String { root + "/blobs/sha256" }
    var temporaryDirectory: String { root + "/tmp" }

    /// Where the blob named `digest` lives (whether or not it is there).
    public func path(of digest: Digest) -> String { directory + "/" + digest.hex }

    /// Whether the blob is in the store.
    public func contains(_ digest: Digest) -> Bool { access(path(of: digest), F_OK) == 0 }

    /// The blob's size in bytes.
    public func size(of digest: Digest) throws -> Int64 {
        var info = stat()
        guard stat(path(of: digest), &info) == 0 else { throw LayersError.blobNotFound(digest) }
        return Int64(info.st_size)
    }

    /// Creates the store's directories if they are missing.
    public func prepare() throws {
        for path in [root, root + "/blobs", directory, temporaryDirectory] {
            if mkdir(path, 0o700) == -1 && errno != EEXIST { throw LayersError.file("mkdir", path, Errno.current) }
        }
    }

    /// A writer for a new blob. With `expected`, `commit()` refuses any other content;
    /// with `expectedSize`, writing past it fails at once.
    public func writer(expecting expected: Digest? = nil, size expectedSize: Int64? = nil) throws -> BlobWriter {
        try prepare()
        return try BlobWriter(store: self, expected: expected, expectedSize: expectedSize)
    }

    /// Stores `bytes` and returns their digest (a blob already there is left as it is).
    @discardableResult
    public func put(_ bytes: [UInt8], expecting expected: Digest? = nil) throws -> Digest {
        let digest = SHA256.hash(bytes)
        if let expected, expected != digest { throw LayersError.digestMismatch(expected: expected, actual: digest) }
        if contains(digest) { return digest }
        let writer = try writer(expecting: digest, size: Int64(bytes.count))
        try bytes.withUnsafeBytes { try writer.write($0) }
        return try writer.commit()
    }

    /// Stores the file at `path`, hashing it as it is copied.
    @discardableResult
    public func put(fileAt path: String, expecting expected: Digest? = nil) throws -> Digest {
        let input: FileDescriptor
        do { input = try FileDescriptor.open(path) } catch let error as Errno { throw LayersError.file("open", path, error) }
        defer { try? input.close() }
        let writer = try writer(expecting: expected)
        try writer.copy(from: input, name: path)
        return try writer.commit()
    }

    /// The whole blob, checked against its name.
    public func read(_ digest: Digest) throws -> [UInt8] {
        let fd = try open(digest)
        let bytes = try fd.closeAfter { try fd.readAll() }
        let actual = SHA256.hash(bytes)
        guard actual == digest else { throw LayersError.digestMismatch(expected: digest, actual: actual) }
        return bytes
    }

    /// Opens the blob for reading.
    public func open(_ digest: Digest) throws -> FileDescriptor {
        do {
            return try FileDescriptor.open(path(of: digest))
        } catch Errno.noSuchFileOrDirectory {
            throw LayersError.blobNotFound(digest)
        } catch let error as Errno {
            throw LayersError.file("open", path(of: digest), error)
        }
    }

    /// Every blob in the store.
    public func all() throws -> [Digest] {
        guard let names = try? FileSystem.entries(of: directory) else { return [] }
        return names.compactMap { try? Digest(parsing: "sha256:" + $0.name) }.sorted()
    }

    /// Removes a blob (nothing happens if it is not there).
    public func remove(_ digest: Digest) throws {
        if unlink(path(of: digest)) == -1 && errno != ENOENT {
            throw LayersError.file("unlink", path(of: digest), Errno.current)
        }
    }

    /// Removes temporary files whose writer is gone (its process has exited).
    public func removeAbandonedTemporaryFiles() throws {
        guard let names = try? FileSystem.entries(of: temporaryDirectory) else { return }
        for entry in names {
            guard let pid = Int32(entry.name.prefix { $0 != "." }), kill(pid, 0) == -1, errno == ESRCH else { continue }
            let path = temporaryDirectory + "/" + entry.name
            if entry.kind == .directory {
                try? FileManager.default.removeItem(atPath: path)
            } else {
                unlink(path)
            }
        }
    }

    /// A fresh name in `tmp/` that says which process owns it: `<pid>.<random>`. (Garbage
    /// collection removes it once that process is gone.)
    public func temporaryPath(_ suffix: String = "") -> String {
        temporaryDirectory + "/\(getpid()).\(UUID().uuidString.prefix(13).lowercased())\(suffix)"
    }
}
