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
        #expect(ExitStatus(waitStatus: 0x0000) == .exited(0))
        #expect(ExitStatus(waitStatus: 0x2a00) == .exited(42))
        #expect(ExitStatus(waitStatus: 0x0009) == .signaled(.kill, coreDumped: false))
        #expect(ExitStatus(waitStatus: 0x008b) == .signaled(.segmentationFault, coreDumped: true))
        #expect(ExitStatus.signaled(.kill, coreDumped: false).shellCode == 137)
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
