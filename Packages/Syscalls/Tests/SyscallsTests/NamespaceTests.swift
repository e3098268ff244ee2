import Foundation
import Glibc
import Testing
@testable import Syscalls

@Suite("Namespaces")
struct NamespaceTests {
    @Test("each namespace kind has its clone flag and /proc name")
    func flagsAndNames() {
        #expect(Namespace.uts.cloneFlag == 0x0400_0000)
        #expect(Namespace.mount.procName == "mnt")
        #expect(Namespace.network.procName == "net")
        #expect(Namespace.cloneFlags([.uts, .pid]) == 0x0400_0000 | 0x2000_0000)
    }

    @Test("the hostname matches what the kernel reports in /proc")
    func hostname() throws {
        let proc = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
        #expect(try Hostname.get() == proc.trimmingCharacters(in: .newlines))
    }

    @Test("the helper runs with exactly one thread; the test runner with more")
    func singleThreaded() throws {
        #expect(try helper("threads") == "1")
        #expect(try CurrentProcess.threadCount() >= 1)
    }

    @Test("unshare(CLONE_NEWUTS) gives a private hostname", .enabled(if: isRoot, "needs root"))
    func unshareUTS() throws {
        let host = try Hostname.get()
        #expect(try helper("unshare-uts", "dosirak-test") == "dosirak-test")
        #expect(try Hostname.get() == host)
    }

    @Test("setns joins another process's UTS namespace", .enabled(if: isRoot, "needs root"))
    func joinUTS() throws {
        var spawn = Spawn("/bin/sh", arguments: ["-c", "hostname joined-ns && exec sleep 10"])
        spawn.namespaces = [.uts]
        let child = try spawn.start()
        defer { try? child.pid.send(.kill); _ = try? child.wait() }
        // Wait until the child has renamed its namespace.
        var seen = ""
        for _ in 0..<200 {
            seen = try helper("join-uts", "\(child.pid)")
            if seen == "joined-ns" { break }
            usleep(10_000)
        }
        #expect(seen == "joined-ns")
        #expect(try Namespace.uts.identity(of: child.pid.rawValue) != Namespace.uts.identity(of: getpid()))
    }

    @Test("setns with a namespace file of the wrong kind fails with EINVAL", .enabled(if: isRoot, "needs root"))
    func joinWrongKind() throws {
        #expect(try helper("join-wrong-kind") == "EINVAL")
    }

    @Test("setns on a descriptor that is not a namespace fails with EINVAL")
    func joinNotNamespace() throws {
        let fd = try FileDescriptor.open("/proc/self/status")
        defer { try? fd.close() }
        #expect(throws: Errno.invalidArgument) { try Namespace.join(fd) }
    }
}

@Suite("Credentials and interfaces", .enabled(if: isRoot, "needs root"))
struct CredentialTests {
    @Test("setresuid and setresgid leave root behind, and every capability with it")
    func becomeNobody() throws {
        #expect(try helper("become-nobody") == "65534 65534 65534 65534 0 0")
    }

    @Test("lo starts down in a new network namespace and comes up")
    func loopbackUp() throws {
        #expect(try helper("loopback-up") == "false true")
    }

    @Test("an unknown interface is ENODEV")
    func unknownInterface() {
        #expect(throws: Errno(rawValue: ENODEV)) { try NetworkInterface.isUp("nosuchif0") }
    }
}
