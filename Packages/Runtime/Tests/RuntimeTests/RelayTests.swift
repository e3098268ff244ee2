import Foundation
import Glibc
import Syscalls
import Testing
@testable import Relay
@testable import Runtime

@Suite("The relay's command line")
struct RelayTests {
    @Test("what the monitor writes, the relay reads back; the exit command follows --")
    func roundTrip() throws {
        let relay = Relay(initProcess: ProcessID(rawValue: 4711), initHandle: ProcessDescriptor(FileDescriptor(rawValue: 5)),
                          outputs: [(FileDescriptor(rawValue: 6), "stdout"), (FileDescriptor(rawValue: 7), "stderr")],
                          input: FileDescriptor(rawValue: 8), terminal: nil, listener: FileDescriptor(rawValue: 9),
                          socketPath: "/run/x.sock", log: nil)
        let arguments = relay.arguments(exitCommand: ["/bin/dosirak", "monitor", "abc", "--started", "1.5"])
        #expect(arguments == ["--init", "4711:5", "--output", "6:stdout", "--output", "7:stderr", "--input", "8",
                              "--listener", "9", "--socket", "/run/x.sock", "--", "/bin/dosirak", "monitor", "abc", "--started", "1.5"])
        let (parsed, exitCommand) = try Relay.parse(arguments)
        #expect(parsed.initProcess.rawValue == 4711 && parsed.initHandle?.fileDescriptor.rawValue == 5)
        #expect(parsed.outputs.map { "\($0.fd.rawValue):\($0.stream)" } == ["6:stdout", "7:stderr"])
        #expect(parsed.input?.rawValue == 8 && parsed.terminal == nil && parsed.listener.rawValue == 9)
        #expect(exitCommand == ["/bin/dosirak", "monitor", "abc", "--started", "1.5"])
    }

    @Test("a command line the relay cannot use is refused with a clear error", arguments: [
        ([String](), "expected options, then -- and the exit command"),
        (["--init", "1", "--listener", "3", "--socket", "/s"], "expected options, then -- and the exit command"),
        (["--listener", "3", "--socket", "/s", "--", "x"], "--init is required"),
        (["--init", "0", "--listener", "3", "--socket", "/s", "--", "x"], "not a PID: 0"),
        (["--init", "1", "--output", "4", "--listener", "3", "--socket", "/s", "--", "x"], "--output takes FD:STREAM, not 4"),
        (["--init", "1", "--listener", "-3", "--socket", "/s", "--", "x"], "not a descriptor number: -3"),
        (["--init", "1", "--colour", "red", "--", "x"], "unknown option --colour"),
        (["--init", "1", "--", "x"], "--listener and --socket are required"),
    ])
    func refused(arguments: [String], message: String) {
        #expect(throws: Relay.UsageError.self) { try Relay.parse(arguments) }
        do { _ = try Relay.parse(arguments) } catch { #expect(error.description == message) }
    }

    @Test("the program says what was wrong and exits 2, running nothing")
    func program() throws {
        var spawn = Spawn(builtExecutable("dosirak-relay"), arguments: ["--init", "1"])
        let (read, write) = try FileDescriptor.pipe()
        let null = try FileDescriptor.open("/dev/null", .readWrite)
        defer { try? null.close(); try? read.close() }
        spawn.fileDescriptors = [0: null, 1: null, 2: write]
        let child = try spawn.start()
        try write.close()
        let output = String(decoding: try read.readAll(), as: UTF8.self)
        #expect(try child.wait() == .exited(2))
        #expect(output == "dosirak-relay: expected options, then -- and the exit command\n")
    }

    @Test("the relay logs the output, and leaves the exit command nothing but stdin, stdout and stderr")
    func exitCommandDescriptors() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("relay-exit-\(getpid())").path
        defer { for suffix in [".log", ".sock"] { unlink(file + suffix) } }
        var spawn = Spawn(builtExecutable("runtime-test-helper"), arguments: ["relay-exit", builtExecutable("dosirak-relay"), file])
        let null = try FileDescriptor.open("/dev/null", .readWrite)
        defer { try? null.close() }
        let (listing, listingWrite) = try FileDescriptor.pipe()
        defer { try? listing.close() }
        spawn.fileDescriptors = [0: null, 1: listingWrite, 2: null]
        let helper = try spawn.start()
        try listingWrite.close()
        let held = String(decoding: try listing.readAll(), as: UTF8.self).split(separator: "\n")
        #expect(try helper.wait() == .exited(0))
        // What the kernel says the exit command (`ls /proc/self/fd`) held: stdin, stdout,
        // stderr, and 3, the directory ls reads. The pipe, the pidfd, the socket and the log
        // all stayed with the relay.
        #expect(held == ["0", "1", "2", "3"])
        #expect(try JSONFileLog.read(file + ".log").map(\.log) == ["out\n"])
        #expect(!FileManager.default.fileExists(atPath: file + ".sock"))
    }

    @Test("the relay's report reads back as the monitor's exit record")
    func report() {
        var finished = timespec()
        finished.tv_sec = 1_795_948_408
        finished.tv_nsec = 5_000_000
        let added = Relay.exitArguments(.signaled(.kill, coreDumped: false), finished: finished)
        #expect(added == ["--exit-code", "137", "--signal", "9", "--finished", "1795948408.005000000"])
        let report = Relay.Report(arguments: Relay.startedArguments(1_795_948_407.25) + added)
        #expect(report?.status == .signaled(.kill, coreDumped: false))
        #expect(report?.started == 1_795_948_407.25)
        #expect(abs((report?.finished ?? 0) - 1_795_948_408.005) < 0.000001)
        #expect(Relay.Report(arguments: ["--exit-code", "0"]) == nil)
        #expect(Relay.Report(arguments: []) == nil)
    }

    @Test("log lines are escaped as Docker escapes them")
    func logLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("relay-log-\(getpid()).json").path
        defer { unlink(path) }
        let log = try JSONFileLog(path: path)
        log.write(Array("a \"quoted\" <tag> & \\ \u{1}\n".utf8), stream: "stdout")
        let line = try String(contentsOfFile: path, encoding: .utf8)
        #expect(line.hasPrefix(#"{"log":"a \"quoted\" \u003ctag\u003e \u0026 \\ \u0001\n","stream":"stdout","time":""#))
        #expect(try JSONFileLog.read(path).map(\.log) == ["a \"quoted\" <tag> & \\ \u{1}\n"])
    }
}
