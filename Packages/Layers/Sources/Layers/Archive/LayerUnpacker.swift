import Dispatch
import FoundationEssentials
import Glibc
import Syscalls

/// Unpacks one layer while its bytes arrive: compressed bytes go in through `write`, a
/// decompression tool (when the layer is compressed) turns them into a tar stream, and a
/// thread of ours reads that stream, hashes it (the layer's diff ID) and extracts it. The
/// three run at the same time, so a layer is on disk about when its last byte has arrived,
/// and no copy of it is ever kept in between.
///
///     let unpacker = try LayerUnpacker(compression: .gzip, into: directory)
///     try unpacker.write(chunk)             // as the download delivers
///     let result = try unpacker.finish()    // diff ID, entries and bytes extracted
package final class LayerUnpacker: @unchecked Sendable {
    package struct Result: Sendable {
        let diffID: Digest
        let entries: Int
        let bytes: Int64
        /// Length of the uncompressed tar stream.
        let tarSize: Int64
    }

    private let filter: FilterProcess?
    /// Where compressed bytes are written: the tool's stdin, or straight into our reader's pipe.
    private let input: FileDescriptor
    private let done = DispatchSemaphore(value: 0)
    private let lock = Lock()
    private var outcome: Swift.Result<Result, any Error>?
    private var inputClosed = false

    package init(compression: Compression, into directory: String, whiteouts: Extractor.Whiteouts = .overlay,
         preserveOwners: Bool = geteuid() == 0) throws {
        signal(SIGPIPE, SIG_IGN)  // a failed extraction closes the pipe: see EPIPE, don't die
        let extractor = try Extractor(into: directory, whiteouts: whiteouts, preserveOwners: preserveOwners)
        let source: FileDescriptor
        if compression == .none {
            let (read, write) = try FileDescriptor.pipe()
            input = write
            source = read
            filter = nil
        } else {
            let filter = try FilterProcess(try compression.decompressor())
            self.filter = filter
            input = filter.input!
            source = filter.output
        }
        let name = filter.map { $0.command.joined(separator: " ") } ?? "layer"
        let ownsSource = compression == .none
        try PosixThread.detach(stackSize: 1 << 20) { [self] in
            let result = Swift.Result<Result, any Error> {
                defer { extractor.close() }
                let digesting = DigestingSource(FileSource(source, name: name))
                let reader = TarReader(digesting)
                try extractor.extract(reader)
                let diffID = try digesting.finish()
                return Result(diffID: diffID, entries: extractor.entryCount, bytes: extractor.byteCount,
                              tarSize: Int64(digesting.hash.count))
            }
            // On failure the writer must not block: closing our pipe (or killing the tool,
            // whose stdin then closes) makes its next write fail with EPIPE.
            if ownsSource { try? source.close() } else if case .failure = result { filter?.terminate() }
            lock.withLock { outcome = result }
            done.signal()
        }
    }

    /// Feeds compressed bytes. Fails if the extraction has already failed (its error is
    /// reported by `finish`).
    package func write(_ buffer: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(input.rawValue, buffer.baseAddress! + offset, buffer.count - offset)
            if n == -1 {
                if errno == EINTR { continue }
                let error = Errno.current
                closeInput()
                if let failure = failure() { throw failure }
                throw LayersError.file("write", "layer pipe", error)
            }
            offset += n
        }
    }

    private func failure() -> (any Error)? {
        // The extraction stops reading when it fails; wait for it to say why.
        done.wait()
        done.signal()
        return lock.withLock {
            if case .failure(let error) = outcome { return error }
            return nil
        }
    }

    private func closeInput() {
        if !inputClosed {
            inputClosed = true
            if let filter { filter.closeInput() } else { try? input.close() }
        }
    }

    /// Ends the input and waits for the extraction; returns the diff ID of the tar stream.
    package func finish() throws -> Result {
        closeInput()
        done.wait()
        done.signal()
        let outcome = lock.withLock { self.outcome! }
        switch outcome {
        case .success(let result):
            try filter?.wait()
            return result
        case .failure(let error):
            // A decompression error explains a broken tar stream better than the tar reader.
            filter?.kill()
            throw error
        }
    }

    /// Stops everything after an error elsewhere (a failed download).
    package func cancel() {
        closeInput()
        filter?.kill()
        done.wait()
        done.signal()
    }

    /// Unpacks a whole layer from an open file (a blob in the store, a file on disk).
    package static func unpack(file: FileDescriptor, name: String, compression: Compression, into directory: String,
                       whiteouts: Extractor.Whiteouts = .overlay, preserveOwners: Bool = geteuid() == 0) throws -> Result {
        let unpacker = try LayerUnpacker(compression: compression, into: directory, whiteouts: whiteouts, preserveOwners: preserveOwners)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        do {
            while true {
                let n: Int
                do { n = try file.read(into: buffer) } catch let error as Errno { throw LayersError.file("read", name, error) }
                if n == 0 { break }
                try unpacker.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            }
        } catch {
            unpacker.cancel()
            throw error
        }
        return try unpacker.finish()
    }
}
