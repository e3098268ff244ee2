import Glibc
import Syscalls

/// Somewhere bytes come from: a file, a pipe from `gzip -dc`, a buffer in memory.
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; 0 means the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Somewhere bytes go: a file, a pipe, a blob being written, a buffer in memory.
public protocol ByteSink: AnyObject {
    func write(_ buffer: UnsafeRawBufferPointer) throws
}

/// Reads from a file descriptor (it is not closed here).
public final class FileSource: ByteSource {
    public let fd: FileDescriptor
    public let name: String

    public init(_ fd: FileDescriptor, name: String) {
        self.fd = fd
        self.name = name
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        do { return try fd.read(into: buffer) } catch let error as Errno { throw LayersError.file("read", name, error) }
    }
}

/// Writes to a file descriptor (it is not closed here).
public final class FileSink: ByteSink {
    public let fd: FileDescriptor
    public let name: String

    public init(_ fd: FileDescriptor, name: String) {
        self.fd = fd
        self.name = name
    }

    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(fd.rawValue, buffer.baseAddress! + offset, buffer.count - offset)
            if n == -1 {
                if errno == EINTR { continue }
                throw LayersError.file("write", name, Errno.current)
            }
            offset += n
        }
    }
}

/// Bytes in memory, read from the start.
public final class MemorySource: ByteSource {
    public let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        if n > 0 {
            bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
            offset += n
        }
        return n
    }
}

/// Collects what is written, in memory.
public final class MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public func write(_ buffer: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: buffer) }
}

/// Passes bytes through while hashing them: the digest of an uncompressed layer (its
/// diff ID) is taken this way while the layer is being extracted.
public final class DigestingSource: ByteSource {
    public let source: any ByteSource
    public private(set) var hash = SHA256()

    public init(_ source: any ByteSource) { self.source = source }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try source.read(into: buffer)
        hash.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        return n
    }

    /// Reads and hashes whatever is left, then returns the digest of everything.
    public func finish() throws -> Digest {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while try read(into: buffer) > 0 {}
        var copy = hash
        return copy.finalize()
    }
}

/// Hashes (and counts) what passes through on its way to another sink.
public final class DigestingSink: ByteSink {
    public let sink: any ByteSink
    public private(set) var hash = SHA256()

    public init(_ sink: any ByteSink) { self.sink = sink }

    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        hash.update(buffer)
        try sink.write(buffer)
    }

    public var digest: Digest {
        var copy = hash
        return copy.finalize()
    }
    public var count: Int64 { Int64(hash.count) }
}

extension BlobWriter: ByteSink {}
