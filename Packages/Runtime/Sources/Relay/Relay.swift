import Glibc
import Syscalls

/// The half of a container's monitor that lives as long as the container: it relays the
/// container's output to the log and to attached clients, the clients' input to the
/// container, reaps orphans, and waits for the container's init to end.
///
/// The monitor (`Monitor`) creates and starts the container, then becomes `dosirak-relay`
/// with `execve`, handing over its descriptors by number: everything here uses Syscalls
/// only, no Foundation, so the program that sits beside every running container is small.
/// When the init has ended, the relay runs the monitor's program again (the *exit command*,
/// as conmon calls it) to record the exit and clean up. The PID stays the same throughout.
public final class Relay {
    /// The container's init: our child.
    public let initProcess: ProcessID
    /// Its pidfd, readable once it has ended; nil on kernels before 5.3 (checked every second).
    /// The relay's own: `close` closes it.
    public let initHandle: ProcessDescriptor?
    /// What the container writes: its terminal, or its stdout and stderr pipes.
    public private(set) var outputs: [(fd: FileDescriptor, stream: String)]
    /// Where attached clients' input goes: the terminal, or the stdin pipe.
    public private(set) var input: FileDescriptor?
    public let terminal: FileDescriptor?
    /// The attach socket, listening, and its path (removed at the end).
    public let listener: FileDescriptor
    public let socketPath: String
    public let log: JSONFileLog?
    var clients: [(fd: FileDescriptor, buffer: [UInt8])] = []

    public init(initProcess: ProcessID, initHandle: ProcessDescriptor?, outputs: [(fd: FileDescriptor, stream: String)],
                input: FileDescriptor?, terminal: FileDescriptor?, listener: FileDescriptor, socketPath: String,
                log: JSONFileLog?) {
        self.initProcess = initProcess
        self.initHandle = initHandle
        self.outputs = outputs
        self.input = input
        self.terminal = terminal
        self.listener = listener
        self.socketPath = socketPath
        self.log = log
    }

    /// Whether a client has connected and waits to be accepted (someone who attached before
    /// the start, to watch this run in the foreground).
    public var hasWaitingClient: Bool {
        var poller = pollfd(fd: listener.rawValue, events: Int16(POLLIN), revents: 0)
        return poll(&poller, 1, 0) > 0
    }

    /// Relays until the init exits, then delivers what is left in the pipes, tells the
    /// attached clients the exit code, and returns how the init ended.
    public func run() -> WaitStatus {
        var ended = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !ended {
            var polls: [pollfd] = []
            polls.append(pollfd(fd: initHandle?.fileDescriptor.rawValue ?? -1, events: Int16(POLLIN), revents: 0))
            for output in outputs { polls.append(pollfd(fd: output.fd.rawValue, events: Int16(POLLIN), revents: 0)) }
            polls.append(pollfd(fd: listener.rawValue, events: Int16(POLLIN), revents: 0))
            for client in clients { polls.append(pollfd(fd: client.fd.rawValue, events: Int16(POLLIN), revents: 0)) }
            _ = poll(&polls, nfds_t(polls.count), initHandle == nil ? 1000 : -1)
            reapOrphans()
            if polls[0].revents != 0 { ended = true }

            // A client that connected before the start gets everything: it is accepted
            // before this round's output is delivered.
            let listenerIndex = 1 + outputs.count
            let known = clients.count
            if polls[listenerIndex].revents != 0, let newcomer = try? listener.accept() { clients.append((newcomer, [])) }

            var index = 1
            var closed: [Int] = []
            for (position, output) in outputs.enumerated() {
                if polls[index].revents != 0 {
                    let n = (try? buffer.withUnsafeMutableBytes { try output.fd.read(into: $0) }) ?? 0
                    if n > 0 { deliver(Array(buffer[0..<n]), stream: output.stream) } else { closed.append(position) }
                }
                index += 1
            }
            for position in closed.reversed() {
                // The terminal is also the input: it stays open until `close`.
                if outputs[position].fd != terminal { try? outputs[position].fd.close() }
                outputs.remove(at: position)
            }
            index += 1  // the listener's, handled above
            var gone: [Int] = []
            for position in 0..<known {
                if polls[index + position].revents != 0 {
                    let bytes = (try? clients[position].fd.read(upTo: 65536)) ?? []
                    if bytes.isEmpty { gone.append(position); continue }
                    clients[position].buffer += bytes
                    for frame in AttachFrame.decode(&clients[position].buffer) { handle(frame) }
                }
            }
            for position in gone.reversed() {
                try? clients[position].fd.close()
                clients.remove(at: position)
            }
            // Without a pidfd, look at the init once a round.
            if initHandle == nil, let status = try? initProcess.waitIfEnded() { return finish(status) }
        }
        return finish((try? initHandle?.wait() ?? initProcess.wait()) ?? .exited(255))
    }

    func finish(_ status: WaitStatus) -> WaitStatus {
        drainOutputs()
        log?.flush()
        for client in clients {
            try? client.fd.writeAll(AttachFrame.exit(status.shellCode).encoded)
        }
        return status
    }

    /// After the exit: what is still in the pipes (the terminal reports EIO once empty).
    func drainOutputs() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        for output in outputs {
            while true {
                var poller = pollfd(fd: output.fd.rawValue, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 50) > 0 else { break }
                let n = (try? buffer.withUnsafeMutableBytes { try output.fd.read(into: $0) }) ?? 0
                if n <= 0 { break }
                deliver(Array(buffer[0..<n]), stream: output.stream)
            }
        }
    }

    func deliver(_ bytes: [UInt8], stream: String) {
        log?.write(bytes, stream: stream)
        let frame = (stream == "stderr" ? AttachFrame.stderr(bytes) : .stdout(bytes)).encoded
        for client in clients { try? client.fd.writeAll(frame) }
    }

    func handle(_ frame: AttachFrame) {
        switch frame {
        case .stdin(let bytes): try? input?.writeAll(bytes)
        case .resize(let size): if let terminal { try? Terminal.setWindowSize(size, of: terminal) }
        case .closeStdin:
            if terminal == nil {
                try? input?.close()
                input = nil
            }
        default: break
        }
    }

    /// Reaps every ended child but the container's init (waited for at the end).
    /// A zombie of the container's PID namespace keeps that namespace's init from dying.
    func reapOrphans() {
        while let pid = try? ProcessID.endedChild(), pid != initProcess {
            _ = try? pid.wait()
        }
    }

    /// Closes every descriptor it holds (it owns them all) and removes the attach socket.
    public func close() {
        for client in clients { try? client.fd.close() }
        clients = []
        for fd in descriptors where fd != log?.file { try? fd.close() }
        log?.close()
        unlink(socketPath)
    }
}
