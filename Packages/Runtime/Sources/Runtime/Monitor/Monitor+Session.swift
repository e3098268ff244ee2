import Cgroups
import FoundationEssentials
import Glibc
import Namespaces
import Syscalls

extension Monitor {
    /// One run of the container under the monitor: its pipes or terminal, its log, and the
    /// clients attached to it.
    final class Session {
        var container: Container
        let process: IsolatedProcess
        let log: JSONFileLog?
        let listener: FileDescriptor
        let socketPath: String
        /// What the container writes: its terminal, or its stdout and stderr pipes.
        var outputs: [(fd: FileDescriptor, stream: String)] = []
        /// Where attached clients' input goes: the terminal, or the stdin pipe.
        var input: FileDescriptor?
        let terminal: FileDescriptor?
        var clients: [(fd: FileDescriptor, buffer: [UInt8])] = []
        var startedAt = Date()

        init(_ options: MonitorOptions, store: ContainerStore) throws {
            let (spec, specText) = try Spec.loadWithText(bundle: options.bundle)
            let null = try FileDescriptor.open("/dev/null", .readWrite)
            defer { try? null.close() }
            var createOptions = Container.CreateOptions(bundle: options.bundle)
            createOptions.handOff = false
            createOptions.spec = spec
            createOptions.specText = specText
            createOptions.initExecutable = options.initExecutable
            createOptions.initArguments = options.initArguments
            var childEnds: [FileDescriptor] = []
            defer { for fd in childEnds { try? fd.close() } }
            var outputs: [(FileDescriptor, String)] = []
            var input: FileDescriptor?
            if spec.process?.terminal != true {
                let (outRead, outWrite) = try FileDescriptor.pipe()
                let (errRead, errWrite) = try FileDescriptor.pipe()
                childEnds += [outWrite, errWrite]
                outputs = [(outRead, "stdout"), (errRead, "stderr")]
                var stdin = null
                if options.interactive {
                    let (inRead, inWrite) = try FileDescriptor.pipe()
                    childEnds.append(inRead)
                    stdin = inRead
                    input = inWrite
                }
                createOptions.stdio = [0: stdin, 1: outWrite, 2: errWrite]
            } else {
                createOptions.stdio = [0: null, 1: null, 2: null]
            }
            unlink(options.attachSocket)
            listener = try FileDescriptor.listen(unixSocket: options.attachSocket)
            socketPath = options.attachSocket
            log = try options.logPath.map { try JSONFileLog(path: $0) }
            let attached: Container.Attached
            do {
                attached = try Container.create(id: options.id, options: createOptions, store: store)
            } catch {
                try? listener.close()
                unlink(options.attachSocket)
                for (fd, _) in outputs { try? fd.close() }
                try? input?.close()
                throw error
            }
            container = attached.container
            process = attached.process
            terminal = attached.terminal
            if let terminal {
                self.outputs = [(terminal, "stdout")]
                self.input = terminal
            } else {
                self.outputs = outputs.map { ($0.0, $0.1) }
                self.input = input
            }
        }

        func start() throws {
            try process.start()
            startedAt = Date()
            try container.didStart()
        }

        /// Relays output to the log and to clients, clients' input to the container, and
        /// reaps orphans, until the container's init exits. Then records, deletes, returns.
        func relayUntilExit() -> ExitRecord {
            var ended = false
            var buffer = [UInt8](repeating: 0, count: 65536)
            while !ended {
                var polls: [pollfd] = []
                let initHandle = process.handle
                polls.append(pollfd(fd: initHandle?.rawValue ?? -1, events: Int16(POLLIN), revents: 0))
                for output in outputs { polls.append(pollfd(fd: output.fd.rawValue, events: Int16(POLLIN), revents: 0)) }
                polls.append(pollfd(fd: listener.rawValue, events: Int16(POLLIN), revents: 0))
                for client in clients { polls.append(pollfd(fd: client.fd.rawValue, events: Int16(POLLIN), revents: 0)) }
                // Without a pidfd (old kernels), check the init every second.
                _ = poll(&polls, nfds_t(polls.count), initHandle == nil ? 1000 : -1)
                reapOrphans()
                if polls[0].revents != 0 || (initHandle == nil && (try? process.pid.waitIfEnded()) != nil) { ended = true }

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
                for position in closed.reversed() { outputs.remove(at: position) }
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
            }
            let status = (try? process.wait()) ?? .exited(255)
            drainOutputs()
            log?.flush()
            let oomKilled = ((try? container.cgroup.stats().oomKills) ?? 0) > 0
            let record = ExitRecord(exitCode: status.shellCode, signal: { if case .signaled(let s, _) = status { return s.rawValue } else { return nil } }(),
                                    startedAt: startedAt, finishedAt: Date(), oomKilled: oomKilled)
            for client in clients {
                try? client.fd.writeAll(AttachFrame.exit(record.exitCode).encoded)
            }
            try? container.delete(force: true)
            return record
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

        /// Reaps every ended child but the container's init (waited for through its pidfd).
        /// A zombie of the container's PID namespace keeps that namespace's init from dying.
        func reapOrphans() {
            while let pid = try? ProcessID.endedChild(), pid != process.pid {
                _ = try? pid.wait()
            }
        }

        func close() {
            for client in clients { try? client.fd.close() }
            clients = []
            for output in outputs where output.fd != terminal { try? output.fd.close() }
            try? terminal?.close()
            if input != terminal { try? input?.close() }
            try? listener.close()
            unlink(socketPath)
        }
    }
}
