import Syscalls

/// A compiled seccomp filter: the BPF program the kernel will run on every system call of
/// the process that installs it, and of everything that process starts.
///
///     let filter = try SeccompCompiler.compile(SeccompProfile.dockerDefault(capabilities: caps))
///     try CurrentProcess.setNoNewPrivileges()
///     try filter.install()        // the last step before execve
///     print(filter.disassembly)   // ld [4] / jeq #0xc000003e, 1, 0 / ret KILL_PROCESS / ...
public struct SeccompFilter: Sendable, Equatable {
    /// The instructions, at most `SeccompFilter.maximumLength`.
    public var program: [BPFInstruction]
    /// The ABI the program lets through; calls through any other kill the process.
    public var architecture: SeccompArchitecture
    /// Apply to every thread of the process (`SECCOMP_FILTER_FLAG_TSYNC`).
    public var synchronizeThreads: Bool
    /// Names in the profile that this architecture has no number for (`"arch_prctl"` on
    /// aarch64, or a call newer than the kernel headers the table came from). They were left
    /// out, as libseccomp leaves them out.
    public var skippedNames: [String]

    /// The kernel refuses longer programs (`BPF_MAXINSNS`).
    public static let maximumLength = 4096

    /// Installs the filter on the calling process. It cannot be removed afterwards, only
    /// narrowed by further filters. The kernel demands `no_new_privs` first (or
    /// `CAP_SYS_ADMIN`), so that a filter cannot trick a set-user-ID program.
    ///
    /// The corresponding system call is `seccomp(2)` with `SECCOMP_SET_MODE_FILTER`.
    public func install() throws {
        try Syscalls.Seccomp.install(program.map(\.kernelInstruction), synchronizeThreads: synchronizeThreads)
    }

    /// The program, one instruction a line, numbered.
    public var disassembly: String {
        let width = String(program.count).count
        return program.enumerated().map { index, instruction in
            String(repeating: " ", count: width - String(index).count) + "\(index): \(instruction)"
        }.joined(separator: "\n")
    }
}
