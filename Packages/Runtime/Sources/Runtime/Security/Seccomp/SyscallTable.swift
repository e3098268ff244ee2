/// System call numbers by name, per architecture: a seccomp profile names calls
/// (`"mount"`), the kernel's filter sees numbers (`seccomp_data.nr`, 165 on x86_64).
///
/// The tables are generated from the kernel's UAPI headers by
/// `Packages/Runtime/Scripts/generate-syscall-tables.sh`; see `SyscallTable+X86_64.swift`.
///
///     SyscallTable.number(of: "mount", on: .x86_64)   // 165
enum SyscallTable {
    /// The number of `name` on `architecture`, or nil when that architecture has no such
    /// call (`"arch_prctl"` on aarch64) or the headers the table came from are older than it.
    static func number(of name: String, on architecture: SeccompArchitecture) -> UInt32? {
        numbers(on: architecture)[name]
    }

    /// The highest number the table knows: calls above it are newer than the table.
    static func highestNumber(on architecture: SeccompArchitecture) -> UInt32 {
        numbers(on: architecture).values.max() ?? 0
    }

    static func numbers(on architecture: SeccompArchitecture) -> [String: UInt32] {
        switch architecture {
        case .x86_64: x86_64
        case .aarch64: aarch64
        }
    }
}
