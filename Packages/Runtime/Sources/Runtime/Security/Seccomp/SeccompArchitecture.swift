/// A system call ABI, as a seccomp filter tells them apart: by `seccomp_data.arch`, the
/// `AUDIT_ARCH_*` value the kernel puts there. The same number means different calls on
/// different ABIs (165 is `mount` on x86_64 and `getrusage` on aarch64), so a filter must
/// check the ABI before it looks at the number.
///
///     SeccompArchitecture.current            // .x86_64 on a PC
///     SeccompArchitecture.x86_64.auditValue  // 0xc000003e
public enum SeccompArchitecture: String, Sendable, CaseIterable {
    case x86_64 = "SCMP_ARCH_X86_64"
    case aarch64 = "SCMP_ARCH_AARCH64"

    /// The ABI this program was built for. A filter compiled here lets only its calls through.
    public static var current: SeccompArchitecture {
        #if arch(x86_64)
        .x86_64
        #elseif arch(arm64)
        .aarch64
        #else
        #error("Dosirak's seccomp compiler knows x86_64 and aarch64 only")
        #endif
    }

    /// `AUDIT_ARCH_X86_64` or `AUDIT_ARCH_AARCH64`: the ELF machine number (62, 183) with
    /// the 64-bit and little-endian bits set (0x80000000 | 0x40000000).
    public var auditValue: UInt32 {
        switch self {
        case .x86_64: 0xc000_003e
        case .aarch64: 0xc000_00b7
        }
    }

    /// The number of system call `name` on this ABI (`"mount"` is 165 on x86_64), or nil when
    /// Dosirak's table has no such call for it.
    public func number(of name: String) -> UInt32? {
        SyscallTable.number(of: name, on: self)
    }

    /// Every `SCMP_ARCH_*` name the OCI runtime specification lists. A profile may name any of
    /// them; Dosirak compiles rules for the native one only, and kills a process that makes a
    /// call through another ABI (a 32-bit program on a 64-bit kernel, x32).
    static let specificationNames: Set<String> = [
        "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
        "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
        "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC",
        "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
        "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
    ]
}
