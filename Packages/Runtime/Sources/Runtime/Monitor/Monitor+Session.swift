import Cgroups
import FoundationEssentials
import Glibc
import Namespaces
import Relay
import Syscalls

extension Monitor {
    /// One run of the container under the monitor: its pipes or terminal, its log, and the
    /// clients attached to it.
    final class Session {
        var container: Container
        let process: IsolatedProcess
        /// The container's output, input and attached clients: relayed here, or handed over
        /// to `dosirak-relay` (see `handOver`).
        let relay: Relay
        var startedAt = Date()

        init(_ options: MonitorOptions, store: ContainerStore, whileCreating: @escaping @Sendable (ProcessID) throws -> Void) throws {
            let specFile = try options.specFile ?? Spec.loadWithText(bundle: options.bundle)
            let spec = specFile.spec
            let null = try FileDescriptor.open("/dev/null", .readWrite)
            defer { try? null.close() }
            var createOptions = Container.CreateOptions(bundle: options.bundle)
            createOptions.handOff = false
            createOptions.specFile = specFile
            createOptions.initExecutable = options.initExecutable
            createOptions.initArguments = options.initArguments
            createOptions.whileInitPrepares = whileCreating
            var childEnds: [FileDescriptor] = []
            defer { for fd in childEnds { try? fd.close() } }
            var outputs: [(fd: FileDescriptor, stream: String)] = []
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
            let listener = try FileDescriptor.listen(unixSocket: options.attachSocket)
            let log: JSONFileLog?
            let attached: Container.Attached
            do {
                log = try options.logPath.map { try JSONFileLog(path: $0) }
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
            if let terminal = attached.terminal {
                outputs = [(terminal, "stdout")]
                input = terminal
            }
            // The relay owns what it is given, so it gets a pidfd of its own (the process closes
            // its one). Without one it looks at init once a second, as on kernels before 5.3.
            let initHandle = process.handle.flatMap { try? $0.duplicate() }.map(ProcessDescriptor.init)
            relay = Relay(initProcess: process.pid, initHandle: initHandle,
                          outputs: outputs, input: input, terminal: attached.terminal, listener: listener,
                          socketPath: options.attachSocket, log: log)
        }

        func start() throws {
            try process.start()
            startedAt = Date()
            try container.didStart()
        }

        /// Relays output to the log and to clients, clients' input to the container, and
        /// reaps orphans, until the container's init exits. Then records, deletes, returns.
        func relayUntilExit() -> ExitRecord {
            let status = relay.run()
            let finishedAt = Date()
            return Monitor.afterRelay(container, status: status, startedAt: startedAt, finishedAt: finishedAt)
        }

        /// Becomes `relayExecutable` (dosirak-relay), which relays in a fraction of this
        /// program's memory, and at the exit runs `exitCommand` with `--started` and the relay's
        /// report added (see `Relay.arguments`). Returns only if the exec failed.
        func handOver(to relayExecutable: String, exitCommand: [String]) throws {
            for fd in relay.descriptors { try fd.setCloseOnExec(false) }
            let arguments = relay.arguments(exitCommand: exitCommand + Relay.startedArguments(startedAt.timeIntervalSince1970))
            do {
                try CurrentProcess.exec(relayExecutable, arguments: [relayExecutable] + arguments,
                                        environment: CurrentProcess.environment())
            } catch {
                for fd in relay.descriptors { try? fd.setCloseOnExec(true) }
                throw error
            }
        }

        func close() {
            relay.close()
        }
    }
}
