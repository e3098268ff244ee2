import FoundationEssentials
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
public struct BPFInstruction: Hashable, Sendable, CustomStringConvertible {
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

/// A compiled program as it travels to init (and to `exec`'s helper) inside their JSON: one
/// base64 string of the kernel's 8-byte instructions (`struct sock_filter`: code, jt, jf,
/// k, little end first). Docker's profile compiles to some 500 instructions; one string
/// decodes in a single pass, where a number per instruction cost about a millisecond to
/// encode and another to decode, on the way of every container's start.
public struct BPFProgram: Codable, Sendable, Equatable {
    public var instructions: [BPFInstruction]

    public init(_ instructions: [BPFInstruction]) {
        self.instructions = instructions
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let bytes = Data(base64Encoded: try container.decode(String.self)), bytes.count % 8 == 0 else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a BPF program (base64 of 8-byte instructions)")
        }
        instructions = stride(from: 0, to: bytes.count, by: 8).map { start in
            func byte(_ index: Int) -> UInt32 { UInt32(bytes[bytes.startIndex + start + index]) }
            return BPFInstruction(code: UInt16(byte(0) | byte(1) << 8), jt: UInt8(byte(2)), jf: UInt8(byte(3)),
                                  k: byte(4) | byte(5) << 8 | byte(6) << 16 | byte(7) << 24)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(instructions.count * 8)
        for instruction in instructions {
            bytes += [UInt8(truncatingIfNeeded: instruction.code), UInt8(truncatingIfNeeded: instruction.code >> 8),
                      instruction.jt, instruction.jf]
            bytes += (0..<4).map { UInt8(truncatingIfNeeded: instruction.k >> (8 * $0)) }
        }
        var container = encoder.singleValueContainer()
        try container.encode(Data(bytes).base64EncodedString())
    }

    /// The kernel's form of the program, for `seccomp(2)`.
    public var kernelInstructions: [Syscalls.Seccomp.Instruction] { instructions.map(\.kernelInstruction) }
}
