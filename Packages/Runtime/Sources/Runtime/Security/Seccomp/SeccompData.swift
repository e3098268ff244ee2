/// Offsets of the fields of `struct seccomp_data`, what a filter's `ld` instructions read:
///
///     struct seccomp_data {
///         int   nr;                    // offset 0
///         __u32 arch;                  // offset 4
///         __u64 instruction_pointer;   // offset 8
///         __u64 args[6];               // offset 16, 24, ... 56
///     };
///
/// The accumulator holds 32 bits, so a 64-bit argument is read in two halves; both
/// architectures Dosirak supports are little-endian, so the low half comes first.
public enum SeccompData {
    public static let nr: UInt32 = 0
    public static let arch: UInt32 = 4

    /// Where the low 32 bits of argument `index` (0-5) are.
    public static func argumentLow(_ index: UInt32) -> UInt32 { 16 + 8 * index }

    /// Where the high 32 bits of argument `index` (0-5) are.
    public static func argumentHigh(_ index: UInt32) -> UInt32 { 16 + 8 * index + 4 }
}
