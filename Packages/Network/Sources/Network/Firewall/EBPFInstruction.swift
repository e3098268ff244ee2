/// One instruction of eBPF, the machine the kernel's socket hooks run: an 8-bit opcode, a
/// destination and a source register (4 bits each), a 16-bit offset and a 32-bit constant.
/// Unlike seccomp's classic BPF it has eleven 64-bit registers: `r1` holds the hook's
/// context when the program starts, `r0` its result when it ends, `r6` to `r9` survive a
/// call to one of the kernel's helper functions, which takes its arguments in `r1` to `r5`.
///
///     EBPFInstruction.load32(into: 2, from: 6, offset: 4)   // w2 = *(u32 *)(r6 + 4)
///     EBPFInstruction.jumpIfNotEqual32(2, 0x0100007f, by: 5) // if w2 != 0x100007f goto +5
///     EBPFInstruction.exit                                  // return r0
///
/// A jump's offset counts from the next instruction. The verifier refuses a program that
/// could loop, read what it has not written, or touch memory it was not given.
struct EBPFInstruction: Hashable, Sendable {
    var code: UInt8
    var destination: UInt8
    var source: UInt8 = 0
    var offset: Int16 = 0
    var immediate: Int32 = 0

    // Opcode parts, from <linux/bpf.h> and <linux/bpf_common.h>.
    static let ld: UInt8 = 0x00, ldx: UInt8 = 0x01, st: UInt8 = 0x02, stx: UInt8 = 0x03
    static let jmp: UInt8 = 0x05, jmp32: UInt8 = 0x06, alu64: UInt8 = 0x07
    static let immediate64: UInt8 = 0x18, word: UInt8 = 0x00, doubleWord: UInt8 = 0x18, memory: UInt8 = 0x60
    static let add: UInt8 = 0x00, mov: UInt8 = 0xb0
    static let ja: UInt8 = 0x00, jeq: UInt8 = 0x10, jne: UInt8 = 0x50, callOperation: UInt8 = 0x80, exitOperation: UInt8 = 0x90
    static let constant: UInt8 = 0x00, register: UInt8 = 0x08

    /// `rD = rS`.
    static func move(_ destination: UInt8, _ source: UInt8) -> EBPFInstruction {
        EBPFInstruction(code: alu64 | mov | register, destination: destination, source: source)
    }

    /// `rD = value`.
    static func move(_ destination: UInt8, value: Int32) -> EBPFInstruction {
        EBPFInstruction(code: alu64 | mov | constant, destination: destination, immediate: value)
    }

    /// `rD = value`, a 64-bit constant: the one instruction that takes two slots.
    static func load64(_ destination: UInt8, _ value: UInt64) -> [EBPFInstruction] {
        [EBPFInstruction(code: ld | immediate64, destination: destination, immediate: Int32(bitPattern: UInt32(truncatingIfNeeded: value))),
         EBPFInstruction(code: 0, destination: 0, immediate: Int32(bitPattern: UInt32(truncatingIfNeeded: value >> 32)))]
    }

    /// `rD += value`.
    static func add(_ destination: UInt8, value: Int32) -> EBPFInstruction {
        EBPFInstruction(code: alu64 | add | constant, destination: destination, immediate: value)
    }

    /// `rD = MAP`: the map whose descriptor is `fd` (a 64-bit load marked `BPF_PSEUDO_MAP_FD`
    /// in the source register, which the kernel replaces by the map's address at load time).
    static func loadMap(_ destination: UInt8, fd: Int32) -> [EBPFInstruction] {
        [EBPFInstruction(code: ld | immediate64, destination: destination, source: 1, immediate: fd),
         EBPFInstruction(code: 0, destination: 0)]
    }

    /// `wD = *(u32 *)(rS + offset)`: a 32-bit load, the upper half of rD cleared.
    static func load32(into destination: UInt8, from source: UInt8, offset: Int16) -> EBPFInstruction {
        EBPFInstruction(code: ldx | memory | word, destination: destination, source: source, offset: offset)
    }

    /// `*(u32 *)(rD + offset) = value`.
    static func store32(_ value: UInt32, into destination: UInt8, offset: Int16) -> EBPFInstruction {
        EBPFInstruction(code: st | memory | word, destination: destination, offset: offset,
                        immediate: Int32(bitPattern: value))
    }

    /// `*(u32 *)(rD + offset) = wS`.
    static func store32(register source: UInt8, into destination: UInt8, offset: Int16) -> EBPFInstruction {
        EBPFInstruction(code: stx | memory | word, destination: destination, source: source, offset: offset)
    }

    /// `*(u64 *)(rD + offset) = rS`.
    static func store64(register source: UInt8, into destination: UInt8, offset: Int16) -> EBPFInstruction {
        EBPFInstruction(code: stx | memory | doubleWord, destination: destination, source: source, offset: offset)
    }

    /// `if rD == value goto +offset`.
    static func jumpIfEqual(_ destination: UInt8, _ value: Int32, by offset: Int16) -> EBPFInstruction {
        EBPFInstruction(code: jmp | jeq | constant, destination: destination, offset: offset, immediate: value)
    }

    /// `if wD != value goto +offset`, comparing the lower 32 bits only (JMP32): a 32-bit
    /// constant is not sign-extended to meet a 64-bit register.
    static func jumpIfNotEqual32(_ destination: UInt8, _ value: UInt32, by offset: Int16) -> EBPFInstruction {
        EBPFInstruction(code: jmp32 | jne | constant, destination: destination, offset: offset,
                        immediate: Int32(bitPattern: value))
    }

    /// `if rD != rS goto +offset`, all 64 bits.
    static func jumpIfNotEqual(_ destination: UInt8, _ source: UInt8, by offset: Int16) -> EBPFInstruction {
        EBPFInstruction(code: jmp | jne | register, destination: destination, source: source, offset: offset)
    }

    /// `goto +offset`.
    static func jump(by offset: Int16) -> EBPFInstruction {
        EBPFInstruction(code: jmp | ja, destination: 0, offset: offset)
    }

    /// `r0 = helper(r1, ..., r5)`: one of the kernel's helper functions, by number.
    static func call(_ helper: Int32) -> EBPFInstruction {
        EBPFInstruction(code: jmp | callOperation, destination: 0, immediate: helper)
    }

    /// `return r0`.
    static let exit = EBPFInstruction(code: jmp | exitOperation, destination: 0)

    /// The kernel's `struct bpf_insn`, as one 64-bit word of this (little-endian) machine:
    /// opcode, registers (destination in the low four bits), offset, constant.
    var encoded: UInt64 {
        UInt64(code) | UInt64(destination & 0xf | source << 4) << 8 |
            UInt64(UInt16(bitPattern: offset)) << 16 | UInt64(UInt32(bitPattern: immediate)) << 32
    }
}
