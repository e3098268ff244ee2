import Glibc
import Syscalls

/// A compression tool running as a filter, started with `Spawn`: bytes written to `input`
/// come out transformed on `output`. Both ends are pipes, so the data streams through
/// without a temporary file; the tool runs on another core while we hash and extract.
///
///     let gunzip = try FilterProcess(Compression.gzip.decompressor())
///     // one thread: try gunzip.input!.writeAll(compressed); try gunzip.closeInput()
///     // another:   TarReader(FileSource(gunzip.output, name: "gzip -dc"))
///     try gunzip.wait()
final class FilterProcess: @unchecked Sendable {
    let command: [String]
    /// Our end of the tool's standard input (nil when it reads a file of ours directly).
    private(set) var input: FileDescriptor?
    /// Our end of the tool's standard output.
    let output: FileDescriptor
    private let errors: FileDescriptor
    private let child: SpawnedProcess
    private var waited = false

    /// Starts `command`. With `reading`, the tool reads that descriptor (a file) as its
    /// standard input instead of a pipe from us.
    init(_ command: [String], reading file: FileDescriptor? = nil) throws {
        self.command = command
        let inRead: FileDescriptor
        var inWrite: FileDescriptor?
        if let file {
            inRead = file
        } else {
            (inRead, inWrite) = try FileDescriptor.pipe()
        }
        let (outRead, outWrite) = try FileDescriptor.pipe()
        let (errRead, errWrite) = try FileDescriptor.pipe()
        var spawn = Spawn(command[0], arguments: Array(command.dropFirst()))
        spawn.fileDescriptors = [0: inRead, 1: outWrite, 2: errWrite]
        do {
            child = try spawn.start()
        } catch {
            if file == nil { try? inRead.close(); try? inWrite?.close() }
            for fd in [outRead, outWrite, errRead, errWrite] { try? fd.close() }
            throw LayersError.tool(command[0], "\(error)")
        }
        if file == nil {
            try? inRead.close()
            input = inWrite
        }
        try? outWrite.close()
        try? errWrite.close()
        output = outRead
        errors = errRead
    }

    deinit {
        if !waited { kill() }
    }

    /// Ends the input: the tool sees end of file, finishes, and closes its output.
    func closeInput() {
        try? input?.close()
        input = nil
    }

    /// Waits for the tool and throws if it failed, with the first line it printed to stderr.
    func wait() throws {
        closeInput()
        guard !waited else { return }
        waited = true
        let message = (try? errors.readAll()).map { String(decoding: $0, as: UTF8.self) } ?? ""
        try? errors.close()
        try? output.close()
        let status = try child.wait()
        guard status == .exited(0) else {
            let name = toolName(command[0])
            var line = message.split(separator: "\n").first.map(String.init) ?? "\(status)"
            if line.hasPrefix(name + ": ") { line.removeFirst(name.count + 2) }  // said once is enough
            throw LayersError.tool(name, line)
        }
    }

    /// Sends the tool SIGKILL and nothing else (safe while another thread writes to it).
    func terminate() {
        try? child.descriptor?.send(.kill)
    }

    /// Stops the tool (on an error elsewhere) and reaps it.
    func kill() {
        guard !waited else { return }
        waited = true
        closeInput()
        try? child.descriptor?.send(.kill)
        if child.descriptor == nil { try? child.pid.send(.kill) }
        _ = try? child.wait()
        try? errors.close()
        try? output.close()
    }
}

/// The base name of a tool's path, for messages: `gzip`, not `/usr/bin/gzip`.
private func toolName(_ path: String) -> String { String(path.split(separator: "/").last ?? Substring(path)) }
