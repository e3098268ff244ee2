import Foundation
import Glibc
import Testing
@testable import Runtime

@Suite("Seccomp compiler")
struct SeccompCompilerTests {
    typealias Syscall = Spec.Seccomp.Syscall
    typealias Arg = Spec.Seccomp.Arg

    static let allow = SeccompAction.allow.returnValue
    static let eperm = SeccompAction.errno(UInt16(EPERM)).returnValue
    static let killProcess = SeccompAction.killProcess.returnValue

    @Test("a program travels to init as base64 of the kernel's bytes, and back unchanged")
    func programInJSON() throws {
        let program = BPFProgram([.load(4), .jumpIfEqual(0xc000_003e, then: 1, else: 2), .return(Self.killProcess)])
        let json = String(decoding: try JSONEncoder().encode(program), as: UTF8.self)
        // ld [4]: code 0x20, k 4; jeq: code 0x15, jt 1, jf 2, k 0xc000003e; ret: code 0x06.
        let bytes: [UInt8] = [0x20, 0, 0, 0, 4, 0, 0, 0, 0x15, 0, 1, 2, 0x3e, 0, 0, 0xc0, 0x06, 0, 0, 0, 0, 0, 0, 0x80]
        #expect(json == "\"" + Data(bytes).base64EncodedString() + "\"")
        #expect(try JSONDecoder().decode(BPFProgram.self, from: Data(json.utf8)) == program)
        #expect(program.kernelInstructions.map(\.k) == [4, 0xc000_003e, Self.killProcess])
        let compiled = try SeccompCompiler.compile(SeccompProfile.dockerDefault(capabilities: []), for: .x86_64).program
        let decoded = try JSONDecoder().decode(BPFProgram.self, from: try JSONEncoder().encode(BPFProgram(compiled)))
        #expect(decoded.instructions == compiled)
        for damaged in ["\"AAAA\"", "\"not base64!\"", "12"] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(BPFProgram.self, from: Data(damaged.utf8)) }
        }
    }

    @Test("a tiny profile compiles to exactly the expected instructions")
    func tinyProfile() throws {
        let profile = Spec.Seccomp(defaultAction: "SCMP_ACT_ERRNO", syscalls: [
            Syscall(names: ["read", "write"], action: "SCMP_ACT_ALLOW"),
            Syscall(names: ["personality"], action: "SCMP_ACT_ALLOW", args: [Arg(index: 0, value: 8, op: "SCMP_CMP_EQ")]),
        ])
        let filter = try SeccompCompiler.compile(profile, for: .x86_64)
        let expected: [BPFInstruction] = [
            .load(4),                                          // arch
            .jumpIfEqual(0xc000_003e, then: 1, else: 0),
            .return(Self.killProcess),
            .load(0),                                          // nr
            .jumpIfGreaterOrEqual(0x4000_0000, then: 0, else: 2),
            .jumpIfEqual(0xffff_ffff, then: 1, else: 0),
            .return(Self.killProcess),
            .jumpIfEqual(135, then: 0, else: 6),               // personality
            .load(20), .jumpIfEqual(0, then: 0, else: 3),      //   args[0] high half == 0
            .load(16), .jumpIfEqual(8, then: 0, else: 1),      //   args[0] low half == 8
            .return(Self.allow),
            .return(Self.eperm),                               //   no rule matched
            .jumpIfEqual(0, then: 1, else: 0),                 // read
            .jumpIfEqual(1, then: 0, else: 1),                 // write
            .return(Self.allow),
            .jumpIfGreater(450, then: 0, else: 1),             // newer than the table
            .return(SeccompAction.errno(UInt16(ENOSYS)).returnValue),
            .return(Self.eperm),                               // the default action
        ]
        #expect(filter.program == expected, "\(filter.disassembly)")
        #expect(filter.architecture == .x86_64)
        #expect(filter.synchronizeThreads == false)
    }

    @Test("the disassembly reads like bpf_dbg")
    func disassembly() throws {
        let filter = try SeccompCompiler.compile(Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            Syscall(names: ["mount"], action: "SCMP_ACT_ERRNO"),
        ]), for: .x86_64)
        #expect(filter.disassembly == """
             0: ld [4]
             1: jeq #0xc000003e, 1, 0
             2: ret KILL_PROCESS
             3: ld [0]
             4: jge #0x40000000, 0, 2
             5: jeq #0xffffffff, 1, 0
             6: ret KILL_PROCESS
             7: jeq #0xa5, 0, 1
             8: ret ERRNO(EPERM)
             9: ret ALLOW
            """)
    }

    @Test("aarch64 checks its own AUDIT_ARCH, numbers its calls its own way, and has no x32 check")
    func aarch64() throws {
        let filter = try SeccompCompiler.compile(Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            Syscall(names: ["mount"], action: "SCMP_ACT_ERRNO"),
        ]), for: .aarch64)
        #expect(filter.program == [
            .load(4), .jumpIfEqual(0xc000_00b7, then: 1, else: 0), .return(Self.killProcess), .load(0),
            .jumpIfEqual(40, then: 0, else: 1), .return(Self.eperm), .return(Self.allow),
        ])
    }

    @Test("actions encode as the kernel's SECCOMP_RET values", arguments: [
        ("SCMP_ACT_ALLOW", nil, 0x7fff_0000),
        ("SCMP_ACT_ERRNO", nil, 0x0005_0001),          // EPERM unless told
        ("SCMP_ACT_ERRNO", 38, 0x0005_0026),           // ENOSYS
        ("SCMP_ACT_ERRNO", 0, 0x0005_0000),
        ("SCMP_ACT_KILL", nil, 0x0000_0000),
        ("SCMP_ACT_KILL_THREAD", nil, 0x0000_0000),
        ("SCMP_ACT_KILL_PROCESS", nil, 0x8000_0000),
        ("SCMP_ACT_TRAP", nil, 0x0003_0000),
        ("SCMP_ACT_LOG", nil, 0x7ffc_0000),
        ("SCMP_ACT_TRACE", nil, 0x7ff0_0001),
        ("SCMP_ACT_TRACE", 7, 0x7ff0_0007),
    ] as [(String, UInt32?, UInt32)])
    func actions(name: String, errnoRet: UInt32?, value: UInt32) throws {
        #expect(try SeccompAction(name: name, errnoRet: errnoRet).returnValue == value)
        // The same value, as a rule's action and as the default action.
        let filter = try SeccompCompiler.compile(Spec.Seccomp(defaultAction: name, defaultErrnoRet: errnoRet, syscalls: [
            Syscall(names: ["getpid"], action: name, errnoRet: errnoRet, args: [Arg(index: 0, value: 1, op: "SCMP_CMP_EQ")]),
        ]), for: .x86_64)
        #expect(try SeccompTesting.run(filter.program, nr: 39, args: [1]) == value)
        #expect(try SeccompTesting.run(filter.program, nr: 39, args: [2]) == value)
    }

    @Test("what a profile may not say is refused with a message naming it", arguments: [
        (Spec.Seccomp(defaultAction: "SCMP_ACT_NOTIFY"), "unsupported: linux.seccomp: SCMP_ACT_NOTIFY needs a seccomp agent, which Dosirak does not run"),
        (Spec.Seccomp(defaultAction: "SCMP_ACT_MAYBE"), "bundle: linux.seccomp: unknown action \"SCMP_ACT_MAYBE\""),
        (Spec.Seccomp(defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 5000), "bundle: linux.seccomp: errnoRet 5000 for SCMP_ACT_ERRNO is out of range (0-4095)"),
        (Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", defaultErrnoRet: 1), "bundle: linux.seccomp: errnoRet is only meaningful with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW"),
        (Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_Z80"]), "bundle: linux.seccomp: unknown architecture \"SCMP_ARCH_Z80\""),
        (Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_LOG"]), "unsupported: linux.seccomp.flags: SECCOMP_FILTER_FLAG_LOG is not supported (only SECCOMP_FILTER_FLAG_TSYNC is)"),
        (Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"]), "unsupported: linux.seccomp.flags: SECCOMP_FILTER_FLAG_SPEC_ALLOW is not supported (only SECCOMP_FILTER_FLAG_TSYNC is)"),
        (Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_FAST"]), "bundle: linux.seccomp.flags: unknown flag \"SECCOMP_FILTER_FLAG_FAST\""),
        (Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [Syscall(names: ["read"], action: "SCMP_ACT_ERRNO", args: [Arg(index: 6, value: 0, op: "SCMP_CMP_EQ")])]),
         "bundle: linux.seccomp.syscalls[0]: argument index 6 is out of range (0-5)"),
        (Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [Syscall(names: ["read"], action: "SCMP_ACT_ERRNO", args: [Arg(index: 0, value: 0, op: "SCMP_CMP_ABOUT")])]),
         "bundle: linux.seccomp.syscalls[0]: unknown operator \"SCMP_CMP_ABOUT\""),
    ])
    func refused(profile: Spec.Seccomp, message: String) {
        #expect {
            try SeccompCompiler.compile(profile, for: .x86_64)
        } throws: { error in
            "\(error)" == message
        }
    }

    @Test("SECCOMP_FILTER_FLAG_TSYNC asks for every thread")
    func synchronizeThreads() throws {
        let profile = Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_TSYNC"])
        #expect(try SeccompCompiler.compile(profile).synchronizeThreads)
    }

    @Test("names this architecture lacks are skipped, not an error")
    func unknownNames() throws {
        let profile = Spec.Seccomp(defaultAction: "SCMP_ACT_ERRNO", syscalls: [
            Syscall(names: ["read", "no_such_call", "arch_prctl", "chown32"], action: "SCMP_ACT_ALLOW"),
        ])
        let x86 = try SeccompCompiler.compile(profile, for: .x86_64)
        #expect(x86.skippedNames == ["no_such_call", "chown32"])
        #expect(try SeccompTesting.run(x86.program, nr: 158) == Self.allow)  // arch_prctl
        let arm = try SeccompCompiler.compile(profile, for: .aarch64)
        #expect(arm.skippedNames == ["no_such_call", "arch_prctl", "chown32"])
        #expect(try SeccompTesting.run(arm.program, nr: 63, arch: SeccompArchitecture.aarch64.auditValue) == Self.allow)  // read
    }

    /// Every operator against values around the compared one, in both 32-bit halves.
    static let comparisonCases: [(String, UInt64, UInt64)] = {
        let ops = ["SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_GT", "SCMP_CMP_GE", "SCMP_CMP_MASKED_EQ"]
        let values: [UInt64] = [0, 1, 0xffff_ffff, 0x1_0000_0000, 0x1_0000_0005, 0xffff_ffff_ffff_ffff, 0x8000_0000_0000_0000]
        return ops.flatMap { op in values.map { (op, $0, $0 &* 3 | 0x10) } }
    }()

    @Test("argument comparisons are 64-bit and unsigned, like libseccomp's", arguments: comparisonCases)
    func comparison(op: String, value: UInt64, valueTwo: UInt64) throws {
        let profile = Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            Syscall(names: ["getpid"], action: "SCMP_ACT_ERRNO", errnoRet: 99, args: [Arg(index: 2, value: value, valueTwo: valueTwo, op: op)]),
        ])
        let program = try SeccompCompiler.compile(profile, for: .x86_64).program
        var probes: Set<UInt64> = [0, 1, 0xffff_ffff, 0x1_0000_0000, UInt64.max, valueTwo]
        for delta: UInt64 in [0, 1, 0x1_0000_0000] {
            probes.formUnion([value &+ delta, value &- delta, value ^ delta])
        }
        for argument in probes {
            let expected: Bool = switch op {
            case "SCMP_CMP_EQ": argument == value
            case "SCMP_CMP_NE": argument != value
            case "SCMP_CMP_LT": argument < value
            case "SCMP_CMP_LE": argument <= value
            case "SCMP_CMP_GT": argument > value
            case "SCMP_CMP_GE": argument >= value
            default: argument & value == valueTwo
            }
            let result = try SeccompTesting.run(program, nr: 39, args: [0, 0, argument])
            #expect(result == (expected ? SeccompAction.errno(99).returnValue : Self.allow),
                    "\(op) \(String(value, radix: 16)) on \(String(argument, radix: 16))")
        }
    }

    @Test("the comparisons of one rule are AND-ed, rules for one call are OR-ed in order, a rule without args is the fallback")
    func andOr() throws {
        let profile = Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            Syscall(names: ["getpid"], action: "SCMP_ACT_ERRNO", errnoRet: 1, args: [
                Arg(index: 0, value: 7, op: "SCMP_CMP_EQ"), Arg(index: 1, value: 0xf0, valueTwo: 0x30, op: "SCMP_CMP_MASKED_EQ"),
            ]),
            Syscall(names: ["getpid"], action: "SCMP_ACT_ERRNO", errnoRet: 3, args: [Arg(index: 5, value: 100, op: "SCMP_CMP_GE")]),
            Syscall(names: ["getpid"], action: "SCMP_ACT_ERRNO", errnoRet: 4),
            Syscall(names: ["getpid"], action: "SCMP_ACT_ERRNO", errnoRet: 2, args: [Arg(index: 0, value: 7, op: "SCMP_CMP_EQ")]),
        ])
        let program = try SeccompCompiler.compile(profile, for: .x86_64).program
        func errno(_ args: [UInt64]) throws -> UInt32 { try SeccompTesting.run(program, nr: 39, args: args) & 0xffff }
        #expect(try errno([7, 0x3f]) == 1)                    // both comparisons of the first rule
        #expect(try errno([7, 0x4f]) == 2)                    // only the first of them: the last rule
        #expect(try errno([8, 0x3f, 0, 0, 0, 100]) == 3)      // the second rule
        #expect(try errno([7, 0x3f, 0, 0, 0, 100]) == 1)      // both match: the first in order wins
        #expect(try errno([8, 0x3f]) == 4)                    // none with args: the fallback
        #expect(try SeccompTesting.run(program, nr: 110) == Self.allow)  // another call: the default
    }

    @Test("a call's block longer than an 8-bit jump is stepped over with ja")
    func longBlock() throws {
        let values: [UInt64] = Array(1...80)  // 80 rules of 5 instructions each
        let profile = Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: values.map { value in
            Syscall(names: ["getpid"], action: "SCMP_ACT_ERRNO", errnoRet: UInt32(value), args: [Arg(index: 0, value: value, op: "SCMP_CMP_EQ")])
        } + [Syscall(names: ["getppid"], action: "SCMP_ACT_ERRNO", errnoRet: 200)])
        let program = try SeccompCompiler.compile(profile, for: .x86_64).program
        #expect(program.contains(where: { $0.code == 0x05 }))
        #expect(try SeccompTesting.run(program, nr: 39, args: [80]) == SeccompAction.errno(80).returnValue)
        #expect(try SeccompTesting.run(program, nr: 39, args: [81]) == Self.allow)
        #expect(try SeccompTesting.run(program, nr: 110) == SeccompAction.errno(200).returnValue)
    }

    @Test("a program past the kernel's 4096 instructions is refused")
    func tooLong() {
        let rules = (0..<200).map { value in
            Syscall(names: ["getpid"], action: "SCMP_ACT_ERRNO", args: (0..<6).map { Arg(index: UInt32($0), value: UInt64(value), op: "SCMP_CMP_EQ") })
        }
        #expect {
            try SeccompCompiler.compile(Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: rules), for: .x86_64)
        } throws: { error in
            "\(error)" == "unsupported: linux.seccomp: the filter needs 5011 instructions, the kernel takes at most 4096"
        }
    }
}
