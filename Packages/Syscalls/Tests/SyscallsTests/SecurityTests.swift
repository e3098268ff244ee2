import Glibc
import Testing
@testable import Syscalls

@Suite("Capabilities")
struct CapabilityTests {
    @Test("capability names parse with or without the CAP_ prefix")
    func names() {
        #expect(Capability(name: "NET_ADMIN")?.rawValue == 12)
        #expect(Capability(name: "cap_sys_admin")?.rawValue == 21)
        #expect(Capability(name: "CAP_NOPE") == nil)
        #expect(Capability(rawValue: 0).description == "CAP_CHOWN")
    }

    @Test("a set holds one bit per capability")
    func sets() {
        let set = CapabilitySet([Capability(rawValue: 0), Capability(rawValue: 21)])
        #expect(set.rawValue == 1 | 1 << 21)
        #expect(set.members.map(\.name) == ["CAP_CHOWN", "CAP_SYS_ADMIN"])
        #expect(Capability.all().count >= 41)
    }

    @Test("root's effective set holds CAP_SYS_ADMIN, as /proc/self/status says", .enabled(if: isRoot, "needs root"))
    func rootCapabilities() throws {
        let caps = try Capabilities.of()
        #expect(caps.effective.contains(Capability(name: "SYS_ADMIN")!))
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("CapEff:") }!
        #expect(UInt64(line.split(separator: "\t").last!, radix: 16) == caps.effective.rawValue)
    }

    @Test("a dropped capability leaves every set and the bounding set", .enabled(if: isRoot, "needs root"))
    func dropCapability() throws {
        #expect(try helper("drop-capabilities") == "false false false")
    }

    @Test("the ambient set is raised and cleared", .enabled(if: isRoot, "needs root"))
    func ambient() throws {
        #expect(try helper("ambient") == "true false")
    }
}

@Suite("Terminals")
struct TerminalTests {
    @Test("a new pseudo-terminal carries a window size and bytes between its ends")
    func pseudoTerminal() throws {
        let (controller, peer) = try Terminal.openPseudoTerminal()
        defer { try? controller.close(); try? peer.close() }
        #expect(isatty(peer.rawValue) == 1)
        #expect(try controller.isCloseOnExec && peer.isCloseOnExec)
        try Terminal.setWindowSize(.init(rows: 40, columns: 132), of: controller)
        #expect(try Terminal.windowSize(of: peer) == .init(rows: 40, columns: 132))
        try controller.writeAll("x\n")
        #expect(try peer.read(upTo: 10) == Array("x\n".utf8))
    }

    @Test("a spawned child in a new session takes the pty as controlling terminal")
    func controllingTerminal() throws {
        let (controller, peer) = try Terminal.openPseudoTerminal()
        defer { try? controller.close() }
        var spawn = Spawn("/bin/sh", arguments: ["-c", "tty"])
        spawn.fileDescriptors = [0: peer, 1: peer, 2: peer]
        spawn.newSession = true
        spawn.controllingTerminal = 0
        let child = try spawn.start()
        try peer.close()
        #expect(try child.wait() == .exited(0))
        let output = String(decoding: try controller.read(upTo: 200), as: UTF8.self)
        #expect(output.hasPrefix("/dev/pts/"))
    }

    @Test("a descriptor that is not a terminal has no window size")
    func notATerminal() throws {
        let (read, write) = try FileDescriptor.pipe()
        defer { try? read.close(); try? write.close() }
        #expect(throws: Errno(rawValue: ENOTTY)) { try Terminal.windowSize(of: read) }
    }
}
