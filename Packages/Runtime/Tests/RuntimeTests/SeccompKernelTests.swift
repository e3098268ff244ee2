import Foundation
import Glibc
import Syscalls
import Testing
@testable import Runtime

/// Filters installed for real, in runtime-test-helper (a filter is for life, and the test
/// runner is multithreaded); what is asserted is what the kernel answered the helper.
@Suite("Seccomp filters in the kernel", .enabled(if: SeccompTesting.kernelHasSeccomp, "needs a kernel with seccomp filters"))
struct SeccompKernelTests {
    typealias Syscall = Spec.Seccomp.Syscall
    typealias Arg = Spec.Seccomp.Arg

    static let escapes = ["keyctl", "unshare-user", "mount", "umount", "kexec_load", "bpf", "perf_event_open",
                          "clone-newuser", "personality-no-aslr", "socket-alg"]
    static let everyday = ["getpid", "clone", "personality-query", "socket-unix", "socket-inet"]

    @Test("under Docker's default profile keyctl, unshare -U, mount, kexec_load and bpf fail with EPERM")
    func dockerDefault() throws {
        let results = try SeccompTesting.probeResults("docker-default", Self.everyday + Self.escapes + ["clone3", "chroot", "status"])
        for probe in Self.escapes {
            #expect(results[probe] == "EPERM", "\(probe)")
        }
        for probe in Self.everyday {
            #expect(results[probe] == "ok", "\(probe)")  // clone: Spawn fell back from clone3
        }
        #expect(results["clone3"] == "ENOSYS")
        if SeccompTesting.isRoot {
            #expect(results["chroot"] == "ok")  // CAP_SYS_CHROOT is in the default set
        }
        #expect(results["status"] == "NoNewPrivs=1 Seccomp=2")
    }

    @Test("those failures come from the filter: with another default errno, they report that errno")
    func denialsComeFromTheFilter() throws {
        var profile = SeccompProfile.dockerDefault(capabilities: ["CAP_CHOWN", "CAP_SYS_CHROOT"])
        profile.defaultErrnoRet = UInt32(ENOTRECOVERABLE)
        let results = try SeccompTesting.probeResults(try SeccompTesting.json(profile), Self.escapes + ["getpid"])
        for probe in Self.escapes {
            #expect(results[probe] == Errno(rawValue: ENOTRECOVERABLE).name, "\(probe)")
        }
        #expect(results["getpid"] == "ok")
    }

    @Test("with CAP_SYS_ADMIN the default profile lets mount and unshare reach the kernel",
          .enabled(if: SeccompTesting.isRoot, "needs root, so the kernel's own answer is not EPERM"))
    func withSysAdmin() throws {
        // unshare-user last: once in a new user namespace, the host's mounts are out of reach.
        let results = try SeccompTesting.probeResults("docker-default+CAP_SYS_ADMIN", ["mount", "umount", "clone-newuser", "clone3", "unshare-user"])
        #expect(results["mount"] == "ENOENT")  // no such mount point: the kernel's answer
        #expect(results["umount"] == "ENOENT")
        #expect(results["clone-newuser"] == "ok")
        #expect(results["clone3"] == "EINVAL")  // a zero-sized clone_args, judged by the kernel
        #expect(results["unshare-user"] == "ok")
    }

    @Test("argument rules match only the values they name, in both 32-bit halves")
    func argumentRules() throws {
        let profile = Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            Syscall(names: ["getpid"], action: "SCMP_ACT_ERRNO", errnoRet: UInt32(ENOMSG), args: [
                Arg(index: 0, value: 0x1_0000_0002, op: "SCMP_CMP_EQ"),
                Arg(index: 1, value: 0xff00, valueTwo: 0x1200, op: "SCMP_CMP_MASKED_EQ"),
            ]),
            Syscall(names: ["getpid"], action: "SCMP_ACT_ERRNO", errnoRet: UInt32(EIDRM), args: [
                Arg(index: 2, value: 0xffff_ffff, op: "SCMP_CMP_GT"),
            ]),
        ])
        let results = try SeccompTesting.probeResults(try SeccompTesting.json(profile), [
            "call=getpid,0x100000002,0x1234", "call=getpid,0x2,0x1234", "call=getpid,0x100000002,0x1334",
            "call=getpid,0,0,0x100000000", "call=getpid,0,0,0xffffffff", "call=getpid",
        ])
        #expect(results["call=getpid,0x100000002,0x1234"] == Errno(rawValue: ENOMSG).name)
        #expect(results["call=getpid,0x2,0x1234"] == "ok")          // the high half differs
        #expect(results["call=getpid,0x100000002,0x1334"] == "ok")  // the second comparison fails
        #expect(results["call=getpid,0,0,0x100000000"] == Errno(rawValue: EIDRM).name)
        #expect(results["call=getpid,0,0,0xffffffff"] == "ok")
        #expect(results["call=getpid"] == "ok")
    }

    @Test("ERRNO returns its errnoRet, TRACE without a tracer ENOSYS, LOG lets the call run")
    func returningActions() throws {
        let profile = Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            Syscall(names: ["getpid"], action: "SCMP_ACT_ERRNO", errnoRet: UInt32(EXDEV)),
            Syscall(names: ["getppid"], action: "SCMP_ACT_TRACE"),
            Syscall(names: ["getuid"], action: "SCMP_ACT_LOG"),
        ])
        let results = try SeccompTesting.probeResults(try SeccompTesting.json(profile), ["call=getpid", "call=getppid", "call=getuid"])
        #expect(results["call=getpid"] == "EXDEV")
        #expect(results["call=getppid"] == "ENOSYS")
        #expect(results["call=getuid"] == "ok")
    }

    @Test("KILL_PROCESS, KILL_THREAD and TRAP end the helper with SIGSYS",
          arguments: ["SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL", "SCMP_ACT_TRAP"])
    func killingActions(action: String) throws {
        let profile = Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [Syscall(names: ["getppid"], action: action)])
        let (status, results) = try SeccompTesting.probe(try SeccompTesting.json(profile), ["getpid", "call=getppid", "getpid"])
        guard case .signaled(let signal, _) = status else {
            Issue.record("helper \(status)")
            return
        }
        #expect(signal.rawValue == SIGSYS)
        #expect(results["getpid"] == "ok")
        #expect(results["call=getppid"] == nil)  // it never returned
    }

    @Test("a call through the x32 ABI kills the process", .enabled(if: SeccompArchitecture.current == .x86_64, "x86_64 only"))
    func x32() throws {
        let (status, _) = try SeccompTesting.probe("docker-default", ["x32-getpid"])
        #expect(status == .signaled(Signal(rawValue: SIGSYS), coreDumped: false)
            || status == .signaled(Signal(rawValue: SIGSYS), coreDumped: true))
    }
}

/// The default profile seen by a real program: busybox exec'd after the filter is installed.
@Suite("Seccomp filters and busybox",
       .enabled(if: SeccompTesting.kernelHasSeccomp, "needs a kernel with seccomp filters"),
       .enabled(if: SeccompTesting.hasBusybox, "needs /bin/busybox (busybox-static)"))
struct SeccompBusyboxTests {
    static func busybox(_ profile: String, _ arguments: String...) throws -> (status: WaitStatus, output: String) {
        try Spawn(SeccompTesting.helperPath, arguments: ["seccomp-exec", profile, "/bin/busybox"] + arguments)
            .output(includeErrors: true)
    }

    @Test("unshare -U fails under the default profile")
    func unshareUser() throws {
        let (status, output) = try Self.busybox("docker-default", "unshare", "-U", "true")
        #expect(status != .exited(0))
        #expect(output.contains("Operation not permitted"), "\(output)")
        if SeccompTesting.isRoot {
            #expect(try Self.busybox("none", "unshare", "-U", "true").status == .exited(0))
        }
    }

    @Test("mount -t tmpfs fails under the default profile, and nothing is mounted")
    func mount() throws {
        let target = NSTemporaryDirectory() + "dosirak-seccomp-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        defer {
            if (try? Self.isMountPoint(target)) == true { _ = umount2(target, CInt(MNT_DETACH)) }
            try? FileManager.default.removeItem(atPath: target)
        }
        let (status, output) = try Self.busybox("docker-default", "mount", "-t", "tmpfs", "none", target)
        #expect(status != .exited(0))
        #expect(output.contains("permission denied"), "\(output)")  // busybox's words for EPERM
        #expect(try Self.isMountPoint(target) == false)
        if SeccompTesting.isRoot {
            // The same command with CAP_SYS_ADMIN in the profile: the kernel mounts it.
            let (status, output) = try Self.busybox("docker-default+CAP_SYS_ADMIN", "mount", "-t", "tmpfs", "none", target)
            #expect(status == .exited(0), "\(output)")
            #expect(try Self.isMountPoint(target))
            #expect(umount2(target, 0) == 0)
        }
    }

    @Test("a shell runs, forks and pipes under the default profile, and sees Seccomp: 2")
    func everyday() throws {
        let (status, output) = try Self.busybox("docker-default", "sh", "-c",
                                                "echo forked | cat; grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status")
        #expect(status == .exited(0), "\(output)")
        #expect(output == "forked\nNoNewPrivs:\t1\nSeccomp:\t2\n")
    }

    static func isMountPoint(_ path: String) throws -> Bool {
        try procText("/proc/self/mountinfo")
            .split(separator: "\n").contains { $0.split(separator: " ")[4] == path }
    }
}
