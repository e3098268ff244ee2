import FoundationEssentials
import Glibc
import Syscalls

extension Container {
    /// `start`: lets init exec the user's program. Init is blocked opening the exec FIFO
    /// for writing; opening it for reading releases it, and the byte it writes says so.
    public mutating func start() throws {
        let lock = try store.lock(id)
        defer { lock.release() }
        record = try store.load(id)
        try require(.start, status)

        let fifo: FileDescriptor
        do {
            fifo = try FileDescriptor.open(startFIFO, options: [.nonBlocking])
        } catch let errno as Errno {
            throw RuntimeError.failed("start \(id): open \(startFIFO): \(errno)")
        }
        defer { try? fifo.close() }
        var started = false
        for _ in 0..<1000 {  // ten seconds, checking that init is still there
            var poller = pollfd(fd: fifo.rawValue, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 10) > 0, let byte = try? fifo.read(upTo: 1), !byte.isEmpty {
                started = true
                break
            }
            guard record.process?.isAlive == true else { break }
        }
        guard started else { throw RuntimeError.failed("start \(id): init exited before it could run the command") }
        unlink(startFIFO)
        try didStart()
    }

    /// Records that the command runs, and runs the poststart hooks (in the runtime's
    /// namespaces; a failure there is only a warning, the spec says).
    mutating func didStart() throws {
        record.status = .running
        try store.save(record)
        for hook in record.spec.hooks?.poststart ?? [] {
            do { try Hooks.run(hook, state: state) } catch { warn("\(error)") }
        }
    }
}

/// A warning on stderr, for what the spec says must not fail an operation.
func warn(_ message: String) {
    try? FileDescriptor.standardError.writeAll("dosirak-runtime: warning: \(message)\n")
}
