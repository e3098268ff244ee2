import Dispatch
import FoundationEssentials
import Glibc
import Syscalls

/// Writes a new layer into the blob store: tar bytes go in, their digest is taken (the diff
/// ID), a compression tool (`gzip -n`, for the same bytes every time) squeezes them on
/// another core, and a thread of ours stores what comes out as a blob.
///
///     let compressor = try LayerCompressor(compression: .gzip, store: blobs)
///     let writer = TarWriter(compressor)
///     try writer.add(...); try writer.finish()
///     let layer = try compressor.finish()     // descriptor of the blob, and the diff ID
final class LayerCompressor: ByteSink, @unchecked Sendable {
    struct Result {
        let descriptor: Descriptor
        let diffID: Digest
        let uncompressedSize: Int64
    }

    private let compression: Compression
    private let blob: BlobWriter
    private let filter: FilterProcess?
    private var hash = SHA256()
    private let done = DispatchSemaphore(value: 0)
    private var copyError: (any Error)?

    init(compression: Compression, store: BlobStore) throws {
        signal(SIGPIPE, SIG_IGN)
        self.compression = compression
        blob = try store.writer()
        if compression == .none {
            filter = nil
            done.signal()
        } else {
            // Plain gzip, not pigz: the same tar must give the same blob on every machine.
            let command = compression == .gzip ? ["/bin/gzip", "-c", "-n", "-6"] : try compression.compressor()
            let filter = try FilterProcess(access(command[0], X_OK) == 0 ? command : try compression.compressor())
            self.filter = filter
            let blob = self.blob
            try PosixThread.detach { [self] in
                do { try blob.copy(from: filter.output, name: filter.command[0]) } catch { copyError = error; filter.terminate() }
                done.signal()
            }
        }
    }

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        hash.update(buffer)
        if let filter {
            do { try FileSink(filter.input!, name: filter.command[0]).write(buffer) } catch {
                done.wait()
                throw copyError ?? error
            }
        } else {
            try blob.write(buffer)
        }
    }

    func finish() throws -> Result {
        let diffID = hash.finalize()
        if let filter {
            filter.closeInput()
            done.wait()
            if let copyError { filter.kill(); blob.abort(); throw copyError }
            do { try filter.wait() } catch { blob.abort(); throw error }
        }
        let size = blob.size
        let digest = try blob.commit()
        return Result(descriptor: Descriptor(mediaType: MediaType.layer(compression), digest: digest, size: size),
                      diffID: diffID, uncompressedSize: Int64(hash.count))
    }

    func abort() {
        filter?.kill()
        done.wait()
        blob.abort()
    }
}
