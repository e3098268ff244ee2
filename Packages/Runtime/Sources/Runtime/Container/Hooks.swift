import FoundationEssentials
import Glibc
import Syscalls

/// Running OCI hooks: each is a program given the container's State as JSON on its
/// standard input, which must exit 0 within its timeout.
enum Hooks {
    /// Runs `hooks` in order; the first that fails (non-zero exit, or too slow) stops the
    /// rest, and its output ends the error message.
    static func run(_ hooks: [Spec.Hook], state: State?) throws {
        for hook in hooks { try run(hook, state: state) }
    }

    static func run(_ hook: Spec.Hook, state: State?) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let input = try state.map { try encoder.encode($0) } ?? Data()
        let (stdinRead, stdinWrite) = try FileDescriptor.pipe()
        let (outputRead, outputWrite) = try FileDescriptor.pipe()
        var spawn = Spawn(hook.path, environment: hook.env ?? [])
        // args[0] is argv[0], as execv(3) has it.
        spawn.arguments = hook.args.flatMap { $0.isEmpty ? nil : $0 } ?? [hook.path]
        spawn.fileDescriptors = [0: stdinRead, 1: outputWrite, 2: outputWrite]
        let child: SpawnedProcess
        do {
            defer { try? stdinRead.close(); try? outputWrite.close() }
            child = try spawn.start()
        } catch {
            try? stdinWrite.close()
            try? outputRead.close()
            throw RuntimeError.hook("\(hook.path): \(error)")
        }
        try? stdinWrite.writeAll(Array(input))  // a hook may ignore its input and exit
        try? stdinWrite.close()
        defer { try? outputRead.close() }

        let deadline = hook.timeout.map { Date().addingTimeInterval(Double($0)) }
        var output: [UInt8] = []
        while true {
            let wait = deadline.map { max(0, Int32($0.timeIntervalSinceNow * 1000)) } ?? -1
            var poller = pollfd(fd: outputRead.rawValue, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, wait)
            if ready == 0 {
                try? child.pid.send(.kill)
                _ = try? child.wait()
                throw RuntimeError.hook("\(hook.path): timed out after \(hook.timeout ?? 0) s")
            }
            if ready < 0 && errno == EINTR { continue }
            let chunk = try outputRead.read(upTo: 4096)
            if chunk.isEmpty { break }
            output += chunk.suffix(4096)
        }
        let status = try child.wait()
        guard status == .exited(0) else {
            let text = String(decoding: output.suffix(400), as: UTF8.self).trimmingWhitespace()
            throw RuntimeError.hook("\(hook.path) \(status)\(text.isEmpty ? "" : ": " + text.replacing("\n", with: " "))")
        }
    }
}
