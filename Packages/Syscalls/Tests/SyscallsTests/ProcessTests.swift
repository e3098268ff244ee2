import Foundation
import Glibc
import Testing
@testable import Syscalls

@Suite("Processes and signals")
struct ProcessTests {
    @Test("signal names parse as kill accepts them", arguments: [
        ("TERM", SIGTERM), ("SIGKILL", SIGKILL), ("hup", SIGHUP), ("9", SIGKILL), ("RTMIN+2", 36), ("SIGRTMAX", 64),
    ])
    func parseSignals(text: String, number: CInt) {
        #expect(Signal(parsing: text)?.rawValue == number)
    }

    @Test("nonsense is not a signal", arguments: ["SIGNOPE", "0", "65", "-1", "", "RTMIN+40"])
    func rejectSignals(text: String) {
        #expect(Signal(parsing: text) == nil)
    }

    @Test("wait status words decode like WIFEXITED and WTERMSIG")
    func decodeWaitStatus() {
        #expect(WaitStatus(waitStatus: 0x0000) == .exited(0))
        #expect(WaitStatus(waitStatus: 0x2a00) == .exited(42))
        #expect(WaitStatus(waitStatus: 0x0009) == .signaled(.kill, coreDumped: false))
        #expect(WaitStatus(waitStatus: 0x008b) == .signaled(.segmentationFault, coreDumped: true))
        #expect(WaitStatus.signaled(.kill, coreDumped: false).shellCode == 137)
    }

    @Test("kill delivers a signal and waitpid reports it")
    func killAndWait() throws {
        let child = try Spawn("/bin/sleep", arguments: ["10"]).start()
        #expect(child.pid.exists)
        try child.pid.send(.terminate)
        #expect(try child.pid.wait() == .signaled(.terminate, coreDumped: false))
        try? child.descriptor?.close()
        #expect(throws: Errno.noSuchProcess) { try child.pid.send(.terminate) }
    }

    @Test("waitForExit times out on a running process and returns once it ends")
    func waitForExit() throws {
        let child = try Spawn("/bin/sleep", arguments: ["10"]).start()
        defer { try? child.descriptor?.close() }
        let identity = try #require(ProcessIdentity.of(child.pid.rawValue))
        #expect(!identity.waitForExit(milliseconds: 50))
        try child.pid.send(.kill)
        #expect(identity.waitForExit(milliseconds: 5000))
        _ = try child.pid.wait()
        #expect(identity.waitForExit(milliseconds: 0))  // gone, PID perhaps reused: still ended
    }

    @Test("a pidfd signals and waits for exactly its process")
    func processDescriptor() throws {
        let child = try Spawn("/bin/sleep", arguments: ["10"]).start()
        let opened = try ProcessDescriptor.open(child.pid)
        defer { try? opened.close() }
        #expect(try opened.waitIfEnded() == nil)
        try opened.send(.kill)
        #expect(try child.wait() == .signaled(.kill, coreDumped: false))
        // The process is reaped; the pidfd still names it, and says it is gone.
        #expect(throws: Errno.noSuchProcess) { try opened.send(.kill) }
    }

    @Test("prctl: no_new_privs is set and reads back")
    func noNewPrivileges() throws {
        #expect(try helper("no-new-privs") == "false true")
    }

    @Test("prctl: a process becomes a child subreaper")
    func subreaper() throws {
        #expect(try helper("subreaper") == "false true")
    }

    @Test("prctl: keepcaps is set")
    func keepCapabilities() throws {
        #expect(try helper("keepcaps") == "true")
    }

    @Test("prctl: the process name shows in /proc/PID/comm")
    func processName() throws {
        #expect(try helper("name", "dosirak:[test]") == "dosirak:[test]")
    }

    @Test("exec replaces the program and passes the environment")
    func exec() throws {
        #expect(try helper("exec", "/bin/sh", "-c", "echo $FROM") == "exec")
    }

    @Test("a seccomp filter makes one system call fail with EPERM")
    func seccomp() throws {
        #expect(try helper("seccomp") == "2 EPERM")
    }
}

@Suite("Process helpers")
struct ProcessHelperTests {
    @Test("reapAnyChild collects every ended child and then reports none")
    func reapAny() throws {
        #expect(try helper("reap") == "first exited with code 3, second killed by SIGTERM true")
    }

    @Test("fchdir moves to the directory a descriptor is open on")
    func changeDirectoryByDescriptor() throws {
        #expect(try helper("fchdir", "/proc/self") .hasPrefix("/proc/"))
    }

    @Test("a command is looked up in PATH; a path is taken as it is; a missing one is nil")
    func lookUp() {
        #expect(CurrentProcess.lookUp("sh", path: "/nonexistent:/bin") == "/bin/sh")
        #expect(CurrentProcess.lookUp("./x") == "./x")
        #expect(CurrentProcess.lookUp("no-such-command-here") == nil)
        // A directory named like the command is skipped.
        #expect(CurrentProcess.lookUp("bin", path: "/") == nil)
        #expect(CurrentProcess.path(in: ["A=1", "PATH=/x:/y"]) == "/x:/y")
        #expect(CurrentProcess.path(in: []) == CurrentProcess.defaultPath)
    }

    @Test("waitIfEnded is nil while a child runs and its status once it has ended")
    func waitIfEnded() throws {
        let child = try Spawn("/bin/sleep", arguments: ["10"]).start()
        #expect(try child.pid.waitIfEnded() == nil)
        try child.pid.send(.kill)
        var status: WaitStatus?
        for _ in 0..<500 {
            guard status == nil else { break }
            status = try child.pid.waitIfEnded()
            usleep(2000)
        }
        try? child.descriptor?.close()
        #expect(status == .signaled(.kill, coreDumped: false))
    }
}

@Suite("Sockets")
struct SocketTests {
    @Test("sending to a peer that has gone reports EPIPE instead of killing us with SIGPIPE")
    func brokenPipe() throws {
        let (left, right) = try FileDescriptor.socketPair()
        try right.close()
        #expect(throws: Errno.brokenPipe) { try left.sendMessage(Array("hello".utf8)) }
        try left.close()
    }

    @Test("directory entries list names and kinds without . and ..")
    func directoryEntries() throws {
        try withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/d", withIntermediateDirectories: false)
            try "x".write(toFile: dir + "/f", atomically: false, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: dir + "/l", withDestinationPath: "/nonexistent")
            let entries = try FileSystem.entries(of: dir).sorted { $0.name < $1.name }
            #expect(entries.map(\.name) == ["d", "f", "l"])
            #expect(entries.map(\.kind) == [.directory, .regular, .symbolicLink])
        }
    }
}
