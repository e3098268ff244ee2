import Glibc
import Testing
@testable import Runtime

@Suite("Docker's default seccomp profile")
struct SeccompProfileTests {
    static let defaultCapabilities: Set<String> = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "AUDIT_WRITE",
    ]
    static let allCapabilities = Set(SeccompProfile.allowedWithCapability.map(\.key))

    static let allow = SeccompAction.allow.returnValue
    static let eperm = SeccompAction.errno(UInt16(EPERM)).returnValue
    static let enosys = SeccompAction.errno(UInt16(ENOSYS)).returnValue

    /// What the compiled default profile answers for call `name` with `args`.
    static func verdict(_ name: String, args: [UInt64] = [], capabilities: Set<String> = defaultCapabilities,
                        architecture: SeccompArchitecture = .x86_64) throws -> UInt32 {
        let filter = try SeccompCompiler.compile(SeccompProfile.dockerDefault(capabilities: capabilities, architecture: architecture),
                                                 for: architecture)
        let number = try #require(architecture.number(of: name), "no \(name) on \(architecture)")
        return try SeccompTesting.run(filter.program, nr: number, arch: architecture.auditValue, args: args)
    }

    @Test("the compiled profile stays well under the kernel's 4096 instructions",
          arguments: SeccompArchitecture.allCases, [defaultCapabilities, allCapabilities])
    func instructionCount(architecture: SeccompArchitecture, capabilities: Set<String>) throws {
        let filter = try SeccompCompiler.compile(SeccompProfile.dockerDefault(capabilities: capabilities, architecture: architecture),
                                                 for: architecture)
        #expect(filter.program.count < 1024, "\(filter.program.count) instructions")
        #expect(filter.program.count > 300)
    }

    @Test("what containers need is allowed", arguments: [
        "read", "write", "openat", "execve", "mmap", "futex", "epoll_wait", "socketpair", "wait4",
        "setuid", "chown", "mknod", "chroot", "kill", "ptrace", "arch_prctl", "capset", "prctl",
    ])
    func allowed(name: String) throws {
        #expect(try Self.verdict(name) == Self.allow)
    }

    @Test("what reaches past the container fails with EPERM", arguments: [
        "keyctl", "add_key", "request_key", "kexec_load", "kexec_file_load", "init_module", "finit_module",
        "delete_module", "bpf", "perf_event_open", "mount", "umount2", "unshare", "setns", "pivot_root",
        "reboot", "swapon", "sethostname", "open_by_handle_at", "userfaultfd", "acct", "settimeofday",
        "iopl", "syslog", "fsopen", "move_mount", "lookup_dcookie",
    ])
    func denied(name: String) throws {
        #expect(try Self.verdict(name) == Self.eperm)
    }

    @Test("capabilities bring back the calls they guard", arguments: [
        ("CAP_SYS_ADMIN", "mount"), ("CAP_SYS_ADMIN", "unshare"), ("CAP_SYS_ADMIN", "setns"),
        ("SYS_ADMIN", "umount2"), ("CAP_SYS_BOOT", "reboot"), ("CAP_SYS_MODULE", "finit_module"),
        ("CAP_SYS_PTRACE", "kcmp"), ("CAP_SYS_TIME", "settimeofday"), ("CAP_SYS_NICE", "mbind"),
        ("CAP_BPF", "bpf"), ("CAP_PERFMON", "perf_event_open"), ("CAP_SYSLOG", "syslog"),
        ("CAP_DAC_READ_SEARCH", "open_by_handle_at"), ("CAP_SYS_RAWIO", "iopl"),
    ])
    func withCapability(capability: String, name: String) throws {
        #expect(try Self.verdict(name) == Self.eperm)
        #expect(try Self.verdict(name, capabilities: Self.defaultCapabilities.union([capability])) == Self.allow)
    }

    @Test("kexec stays denied whatever the capabilities, as in Docker's profile")
    func kexecNever() throws {
        #expect(try Self.verdict("kexec_load", capabilities: Self.allCapabilities) == Self.eperm)
        #expect(try Self.verdict("keyctl", capabilities: Self.allCapabilities) == Self.eperm)
    }

    @Test("clone may not ask for new namespaces without CAP_SYS_ADMIN; clone3 answers ENOSYS")
    func clone() throws {
        let fork: UInt64 = 0x0120_0011  // CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD, as glibc's fork
        let thread: UInt64 = 0x003d_0f00  // pthread_create's flags
        #expect(try Self.verdict("clone", args: [fork]) == Self.allow)
        #expect(try Self.verdict("clone", args: [thread]) == Self.allow)
        for flag: UInt64 in [0x0002_0000, 0x0400_0000, 0x0800_0000, 0x1000_0000, 0x2000_0000, 0x4000_0000, 0x0200_0000] {
            #expect(try Self.verdict("clone", args: [fork | flag]) == Self.eperm)
        }
        #expect(try Self.verdict("clone3") == Self.enosys)
        let admin = Self.defaultCapabilities.union(["CAP_SYS_ADMIN"])
        #expect(try Self.verdict("clone", args: [fork | 0x1000_0000], capabilities: admin) == Self.allow)
        #expect(try Self.verdict("clone3", capabilities: admin) == Self.allow)
    }

    @Test("sockets of ordinary families are allowed, AF_ALG and AF_VSOCK are not")
    func sockets() throws {
        for domain: UInt64 in [1, 2, 10, 16, 17] {  // unix, inet, inet6, netlink, packet
            #expect(try Self.verdict("socket", args: [domain]) == Self.allow)
        }
        for domain: UInt64 in [38, 40, 12, 46, 0x1_0000_0002] {
            #expect(try Self.verdict("socket", args: [domain]) == Self.eperm)
        }
    }

    @Test("personality only asks, or sets Linux")
    func personality() throws {
        #expect(try Self.verdict("personality", args: [0xffff_ffff]) == Self.allow)
        #expect(try Self.verdict("personality", args: [0]) == Self.allow)
        #expect(try Self.verdict("personality", args: [0x0040000]) == Self.eperm)  // ADDR_NO_RANDOMIZE
    }

    @Test("a foreign ABI is killed; a call newer than the table gets ENOSYS")
    func architectureAndNewCalls() throws {
        let filter = try SeccompCompiler.compile(SeccompProfile.dockerDefault(capabilities: Self.defaultCapabilities, architecture: .x86_64),
                                                 for: .x86_64)
        let kill = SeccompAction.killProcess.returnValue
        #expect(try SeccompTesting.run(filter.program, nr: 20, arch: 0x4000_0003) == kill)  // i386's getpid
        #expect(try SeccompTesting.run(filter.program, nr: 0x4000_0027) == kill)            // x32's getpid
        #expect(try SeccompTesting.run(filter.program, nr: 0xffff_ffff) == Self.enosys)     // -1: no such call
        #expect(try SeccompTesting.run(filter.program, nr: 452) == Self.enosys)             // fchmodat2, newer than the headers
        #expect(try SeccompTesting.run(filter.program, nr: 450) == Self.eperm)              // set_mempolicy_home_node
    }

    @Test("every name of the allowlist that x86_64 has is allowed")
    func everyAllowedName() throws {
        let filter = try SeccompCompiler.compile(SeccompProfile.dockerDefault(capabilities: Self.defaultCapabilities, architecture: .x86_64),
                                                 for: .x86_64)
        for name in SeccompProfile.allowed {
            guard let number = SeccompArchitecture.x86_64.number(of: name) else { continue }
            #expect(try SeccompTesting.run(filter.program, nr: number) == Self.allow, "\(name)")
        }
    }
}
