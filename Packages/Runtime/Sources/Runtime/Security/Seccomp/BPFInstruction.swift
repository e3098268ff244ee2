import Syscalls

/// One instruction of classic BPF, the small machine a seccomp filter is written for: a
/// 16-bit opcode, two 8-bit jump offsets (taken when a comparison is true or false) and a
/// 32-bit constant. It has one 32-bit register, the accumulator, and can load 32-bit words
/// of `struct seccomp_data`; every path ends in `ret`, whose value is the verdict.
///
///     BPFInstruction.load(SeccompData.nr)             // ld [0]
///     BPFInstruction.jumpIfEqual(165, then: 0, else: 1)   // jeq #165, 0, 1
///     BPFInstruction.return(0x7fff_0000)              // ret #0x7fff0000 (allow)
///
/// Jumps go forward only, by the offset counted from the next instruction, so a program
/// cannot loop. Conditional offsets are 8 bits (255 at most); `jump(by:)` reaches further.
public struct BPFInstruction: Hashable, Codable, Sendable, CustomStringConvertible {
    public var code: UInt16
    public var jt: UInt8
    public var jf: UInt8
    public var k: UInt32

    public init(code: UInt16, jt: UInt8 = 0, jf: UInt8 = 0, k: UInt32 = 0) {
        self.code = code
        self.jt = jt
        self.jf = jf
        self.k = k
    }

    /// In JSON an instruction is one number, the 64 bits of `struct sock_filter` (code, jt,
    /// jf, k, little end first): a compiled filter travels to init with every container,
    /// and a number per instruction decodes several times faster than an object.
    public init(from decoder: any Decoder) throws {
        let bits = try decoder.singleValueContainer().decode(UInt64.self)
        self.init(code: UInt16(truncatingIfNeeded: bits), jt: UInt8(truncatingIfNeeded: bits >> 16),
                  jf: UInt8(truncatingIfNeeded: bits >> 24), k: UInt32(truncatingIfNeeded: bits >> 32))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(UInt64(code) | UInt64(jt) << 16 | UInt64(jf) << 24 | UInt64(k) << 32)
    }

    // Opcode parts, from <linux/bpf_common.h> and <linux/filter.h>.
    static let ld: UInt16 = 0x00, alu: UInt16 = 0x04, jmp: UInt16 = 0x05, ret: UInt16 = 0x06
    static let word: UInt16 = 0x00, absolute: UInt16 = 0x20
    static let and: UInt16 = 0x50
    static let ja: UInt16 = 0x00, jeq: UInt16 = 0x10, jgt: UInt16 = 0x20, jge: UInt16 = 0x30
    static let constant: UInt16 = 0x00

    /// `A = *(u32 *)(seccomp_data + offset)`.
    public static func load(_ offset: UInt32) -> BPFInstruction {
        BPFInstruction(code: ld | word | absolute, k: offset)
    }

    /// `A &= mask`.
    public static func and(_ mask: UInt32) -> BPFInstruction {
        BPFInstruction(code: alu | and | constant, k: mask)
    }

    /// `pc += A == value ? then : else`.
    public static func jumpIfEqual(_ value: UInt32, then: UInt8, else otherwise: UInt8) -> BPFInstruction {
        BPFInstruction(code: jmp | jeq | constant, jt: then, jf: otherwise, k: value)
    }

    /// `pc += A > value ? then : else` (unsigned).
    public static func jumpIfGreater(_ value: UInt32, then: UInt8, else otherwise: UInt8) -> BPFInstruction {
        BPFInstruction(code: jmp | jgt | constant, jt: then, jf: otherwise, k: value)
    }

    /// `pc += A >= value ? then : else` (unsigned).
    public static func jumpIfGreaterOrEqual(_ value: UInt32, then: UInt8, else otherwise: UInt8) -> BPFInstruction {
        BPFInstruction(code: jmp | jge | constant, jt: then, jf: otherwise, k: value)
    }

    /// `pc += offset`: the only jump that reaches past 255 instructions.
    public static func jump(by offset: UInt32) -> BPFInstruction {
        BPFInstruction(code: jmp | ja, k: offset)
    }

    /// Ends the filter with `value`, a `SECCOMP_RET_*` action and its data.
    public static func `return`(_ value: UInt32) -> BPFInstruction {
        BPFInstruction(code: ret | constant, k: value)
    }

    /// The kernel's form of this instruction (`struct sock_filter`).
    public var kernelInstruction: Syscalls.Seccomp.Instruction {
        Syscalls.Seccomp.Instruction(code: code, jt: jt, jf: jf, k: k)
    }

    /// The instruction in the notation of the kernel's `bpf_dbg` and `seccomp-tools`.
    public var description: String {
        let hex = "#0x" + String(k, radix: 16)
        switch code {
        case BPFInstruction.ld | BPFInstruction.word | BPFInstruction.absolute: return "ld [\(k)]"
        case BPFInstruction.alu | BPFInstruction.and: return "and \(hex)"
        case BPFInstruction.jmp | BPFInstruction.ja: return "ja +\(k)"
        case BPFInstruction.jmp | BPFInstruction.jeq: return "jeq \(hex), \(jt), \(jf)"
        case BPFInstruction.jmp | BPFInstruction.jgt: return "jgt \(hex), \(jt), \(jf)"
        case BPFInstruction.jmp | BPFInstruction.jge: return "jge \(hex), \(jt), \(jf)"
        case BPFInstruction.ret: return "ret \(SeccompAction(returnValue: k).map(String.init(describing:)) ?? hex)"
        default: return "code 0x\(String(code, radix: 16)) \(jt) \(jf) \(hex)"
        }
    }
}
