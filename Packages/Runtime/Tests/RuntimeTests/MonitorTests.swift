import Foundation
import Glibc
import Syscalls
import Testing
@testable import Relay
@testable import Runtime

/// Starts the test helper as a container's monitor, in a session of its own, the way the
/// `dosirak` command does; returns once the container has started (or failed).
struct LaunchedMonitor {
    let options: MonitorOptions
    let monitor: SpawnedProcess
    let pid: Int32

    /// `relayed`: the monitor hands the running container over to `dosirak-relay`.
    init(_ sandbox: Sandbox, id: String, interactive: Bool = false, relayed: Bool = false,
         attachFirst: ((String) throws -> Void)? = nil) throws {
        var options = MonitorOptions(id: id, bundle: sandbox.bundle, runtimeRoot: sandbox.root,
                                     logPath: sandbox.directory + "/\(id)-json.log",
                                     attachSocket: sandbox.directory + "/\(id).sock", interactive: interactive)
        if relayed { options.relayExecutable = builtExecutable("dosirak-relay") }
        self.options = options
        let (ours, theirs) = try FileDescriptor.socketPair()
        defer { try? ours.close() }
        let null = try FileDescriptor.open("/dev/null", .readWrite)
        defer { try? null.close() }
        var spawn = Spawn(builtExecutable("runtime-test-helper"),
                          arguments: ["monitor", String(decoding: try JSONEncoder().encode(options), as: UTF8.self)])
        // The monitor's own stderr (a crash would show there) goes to a file in the sandbox.
        let errors = try FileDescriptor.open(sandbox.directory + "/monitor-\(id).err", .writeOnly, options: [.create])
        defer { try? errors.close() }
        spawn.fileDescriptors = [0: null, 1: null, 2: errors, 3: theirs]
        spawn.newSession = true
        let started: SpawnedProcess
        do {
            defer { try? theirs.close() }
            started = try spawn.start()
        }
        monitor = started
        func next() throws -> MonitorMessage {
            let bytes = try ours.read(upTo: 65536)
            guard !bytes.isEmpty else { throw RuntimeError.failed("the monitor ended: \(try started.wait())") }
            return try JSONDecoder().decode(MonitorMessage.self, from: Data(bytes))
        }
        guard case .created = try next() else { throw RuntimeError.failed("monitor: not created") }
        try attachFirst?(options.attachSocket)
        try ours.sendMessage(Array(try JSONEncoder().encode(MonitorMessage.start)))
        let reply = try next()
        guard case .started(let pid) = reply else {
            if case .failed(let message, _) = reply { throw RuntimeError.failed(message) }
            throw RuntimeError.failed("monitor: unexpected message")
        }
        self.pid = pid
        sandbox.adopted.insert(pid)
    }

    /// Whether the monitor's process runs a program whose path ends in `suffix` within 2 s
    /// (it says `started` just before it hands over, so give the exec a moment).
    func program(becomes suffix: String) -> Bool {
        for _ in 0..<200 {
            let program = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(monitor.pid)/exe")) ?? ""
            if program.hasSuffix(suffix) { return true }
            usleep(10_000)
        }
        return false
    }
}

@Suite("The monitor", .enabled(if: canRunContainers, "needs root and busybox-static"))
struct MonitorTests {
    @Test("a detached container's output goes to a json-file log, stdout and stderr apart; the exit is recorded", arguments: [false, true])
    func logs(relayed: Bool) throws {
        let sandbox = try Sandbox("echo one; echo two >&2; printf 'no newline'; exit 3")
        let id = "m-\(sandbox.tag)"
        let launched = try LaunchedMonitor(sandbox, id: id, relayed: relayed)
        #expect(try launched.monitor.wait() == .exited(0))
        let entries = try JSONFileLog.read(launched.options.logPath!)
        #expect(entries.map { "\($0.stream):\($0.log)" }.sorted() == ["stderr:two\n", "stdout:no newline", "stdout:one\n"])
        #expect(entries.allSatisfy { $0.time.hasSuffix("Z") && $0.time.count == 30 })
        // The OCI container is gone once the monitor is done with it, and so is its socket.
        #expect(try sandbox.runtimeCommand("state", id).status == .exited(1))
        #expect(!FileManager.default.fileExists(atPath: launched.options.attachSocket))
    }

    @Test("an attached client gets the output, feeds stdin, and receives the exit code", arguments: [false, true])
    func attachInteractive(relayed: Bool) throws {
        let sandbox = try Sandbox("read line; echo got $line; echo err >&2; exit 9")
        let id = "ma-\(sandbox.tag)"
        var connection: FileDescriptor?
        let launched = try LaunchedMonitor(sandbox, id: id, interactive: true, relayed: relayed) { socket in
            connection = try FileDescriptor.connect(unixSocket: socket)
        }
        let socket = try #require(connection)
        defer { try? socket.close() }
        // A client attached from the start: the monitor relays itself (no relay, no exec),
        // even with a relay to hand over to. (It decides before it says `started`.)
        usleep(100_000)
        #expect(launched.program(becomes: "/runtime-test-helper"))
        let (input, feed) = try FileDescriptor.pipe()
        let (output, outputWrite) = try FileDescriptor.pipe()
        let (errors, errorsWrite) = try FileDescriptor.pipe()
        try feed.writeAll("lunchbox\n")
        try feed.close()
        let code = try AttachClient.relay(socket, stdin: true, tty: false, input: input, output: outputWrite, errors: errorsWrite)
        try outputWrite.close()
        try errorsWrite.close()
        #expect(code == 9)
        #expect(String(decoding: try output.readAll(), as: UTF8.self) == "got lunchbox\n")
        #expect(String(decoding: try errors.readAll(), as: UTF8.self) == "err\n")
        for fd in [input, output, errors] { try? fd.close() }
        #expect(try launched.monitor.wait() == .exited(0))
    }

    @Test("with a terminal, the client drives the container's shell through the monitor", arguments: [false, true])
    func attachTerminal(relayed: Bool) throws {
        let sandbox = try Sandbox("true", terminal: true)
        sandbox.spec.process?.args = ["sh"]
        try sandbox.save()
        let id = "mt-\(sandbox.tag)"
        let launched = try LaunchedMonitor(sandbox, id: id, interactive: true, relayed: relayed)
        // No client before the start: handed over, and the client talks to the relay.
        #expect(launched.program(becomes: relayed ? "/dosirak-relay" : "/runtime-test-helper"))
        let socket = try FileDescriptor.connect(unixSocket: launched.options.attachSocket)
        defer { try? socket.close() }
        let (input, feed) = try FileDescriptor.pipe()
        let (output, outputWrite) = try FileDescriptor.pipe()
        try feed.writeAll("tty; exit 4\n")
        try feed.close()
        let code = try AttachClient.relay(socket, stdin: true, tty: true, input: input, output: outputWrite, errors: outputWrite)
        try outputWrite.close()
        #expect(code == 4)
        #expect(String(decoding: try output.readAll(), as: UTF8.self).contains("/dev/pts/0"))
        try? input.close()
        try? output.close()
        #expect(try launched.monitor.wait() == .exited(0))
    }

    @Test("killing the monitor ends its container, even with an exec'd process; nothing is left", arguments: [false, true])
    func monitorKilled(relayed: Bool) throws {
        let sandbox = try Sandbox("exec sleep 30")
        let id = "mk-\(sandbox.tag)"
        let launched = try LaunchedMonitor(sandbox, id: id, relayed: relayed)
        // A detached exec'd process is adopted by whoever ran `exec` (here this test, as a
        // subreaper, like a shim): until it is reaped, the container's PID namespace, and so
        // its init, cannot finish dying.
        let pidFile = sandbox.directory + "/exec.pid"
        #expect(try sandbox.runtimeCommand("exec", "--detach", "--pid-file", pidFile, id, "sh", "-c", "sleep 20").status == .exited(0))
        if let pid = Int32(try String(contentsOfFile: pidFile, encoding: .utf8)) { sandbox.adopted.insert(pid) }
        // Handed over, the monitor's PID runs dosirak-relay (and the container's init is still its child).
        #expect(launched.program(becomes: relayed ? "/dosirak-relay" : "/runtime-test-helper"))
        if relayed {
            // The launcher's socket (descriptor 3) stayed behind: only what the relay was handed.
            let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(launched.monitor.pid)/fd")
            #expect(!descriptors.contains("3"))
        }
        try launched.monitor.pid.send(.kill)
        _ = try launched.monitor.wait()
        for _ in 0..<300 {
            guard ProcessIdentity.of(launched.pid)?.isAlive == true else { break }
            sandbox.reapAdopted()
            usleep(10_000)
        }
        #expect(try sandbox.state(id).status == .stopped)
        #expect(try sandbox.runtimeCommand("delete", id).status == .exited(0))
        #expect(try !Cgroups.exists("dosirak/\(id)"))
    }
}
