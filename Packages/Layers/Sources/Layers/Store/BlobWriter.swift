import Glibc
import Syscalls

/// A blob being written: bytes go to a temporary file in the store and through SHA-256 at
/// the same time. `commit()` checks the digest (and size) and renames the file into
/// `blobs/sha256/<hex>`; `abort()`, a failed check, or dropping the writer removes it.
///
///     let writer = try store.writer(expecting: digest, size: 1234)
///     try writer.write(chunk)   // as many times as chunks arrive
///     try writer.commit()       // throws digestMismatch, and stores nothing, if wrong
public final class BlobWriter: @unchecked Sendable {
    public let store: BlobStore
    public let expected: Digest?
    public let expectedSize: Int64?
    /// The temporary file, until commit or abort.
    public let temporaryPath: String
    private let fd: FileDescriptor
    private var hash = SHA256()
    private var finished = false
    /// Bytes written so far.
    public private(set) var size: Int64 = 0

    init(store: BlobStore, expected: Digest?, expectedSize: Int64?) throws {
        self.store = store
        self.expected = expected
        self.expectedSize = expectedSize
        temporaryPath = store.temporaryPath()
        do {
            fd = try FileDescriptor.open(temporaryPath, .writeOnly, options: [.create, .exclusive], permissions: 0o644)
        } catch let error as Errno {
            throw LayersError.file("open", temporaryPath, error)
        }
    }

    deinit { if !finished { abort() } }

    /// Appends `buffer` to the blob.
    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard buffer.count > 0 else { return }
        size += Int64(buffer.count)
        if let expectedSize, size > expectedSize, let expected {
            throw LayersError.sizeMismatch(digest: expected, expected: expectedSize, actual: size)
        }
        hash.update(buffer)
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(fd.rawValue, buffer.baseAddress! + offset, buffer.count - offset)
            if n == -1 {
                if errno == EINTR { continue }
                throw LayersError.file("write", temporaryPath, Errno.current)
            }
            offset += n
        }
    }

    /// Appends everything `input` holds until its end.
    public func copy(from input: FileDescriptor, name: String) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n: Int
            do { n = try input.read(into: buffer) } catch let error as Errno { throw LayersError.file("read", name, error) }
            if n == 0 { return }
            try write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// The digest of what was written so far (the writer goes on working).
    public var digestSoFar: Digest {
        var copy = hash
        return copy.finalize()
    }

    /// Checks the content and moves it into place. Returns its digest.
    @discardableResult
    public func commit() throws -> Digest {
        guard !finished else { throw LayersError.archive("blob writer used after commit") }
        let digest = digestSoFar
        do {
            if let expectedSize, size != expectedSize {
                throw LayersError.sizeMismatch(digest: expected ?? digest, expected: expectedSize, actual: size)
            }
            if let expected, expected != digest { throw LayersError.digestMismatch(expected: expected, actual: digest) }
            try check("fsync", temporaryPath) { fsync(fd.rawValue) }
            try? fd.close()
            finished = true
            try check("rename", store.path(of: digest)) { rename(temporaryPath, store.path(of: digest)) }
        } catch {
            abort()
            throw error
        }
        return digest
    }

    /// Throws the partial blob away.
    public func abort() {
        if !finished { try? fd.close() }
        finished = true
        unlink(temporaryPath)
    }
}
