import Glibc

/// Compiles a seccomp profile, config.json's `linux.seccomp`, into the BPF program the kernel
/// runs on every system call. What libseccomp does for runc, in a page of Swift.
///
///     let filter = try SeccompCompiler.compile(spec.linux!.seccomp!)
///     print(filter.program.count)
///
/// The program checks the ABI, then the call's number, then (for rules with `args`) the
/// arguments, and returns an action. On x86_64 it reads:
///
///      0: ld [4]                     seccomp_data.arch
///      1: jeq #0xc000003e, 1, 0      x86_64?
///      2: ret KILL_PROCESS           no: a 32-bit program, or another foreign ABI
///      3: ld [0]                     seccomp_data.nr
///      4: jge #0x40000000, 0, 2      x32 numbers have bit 30 set...
///      5: jeq #0xffffffff, 1, 0      ...and so has -1, a call a tracer cancelled
///      6: ret KILL_PROCESS
///         jeq #0x38, 0, 5            clone? if not, step over its block
///         ld [16]                      low half of args[0], the flags
///         and #0x7e020000              CLONE_NEWNS | CLONE_NEWUTS | ... | CLONE_NEWCGROUP
///         jeq #0x0, 0, 1
///         ret ALLOW                    none of them asked for
///         ret ERRNO(EPERM)             no rule matched: the call's fallback
///         jeq #0x2b, 254, 0          accept, accept4, access, ...: calls with one action
///         jeq #0x120, 253, 0         whatever their arguments share one ret
///         ...
///         ret ALLOW
///         jgt #0x1c2, 0, 1           newer than any call the table knows (450):
///         ret ERRNO(ENOSYS)          ENOSYS, so libc falls back to an older call
///         ret ERRNO(EPERM)           the profile's default action
///
/// Rules for one call are tried in the profile's order; the comparisons of one rule must all
/// hold. A rule without `args` is the call's fallback when no rule with `args` matched
/// (the first such rule wins). Names this architecture lacks are skipped, like libseccomp.
public enum SeccompCompiler {
    public static func compile(_ profile: Spec.Seccomp, for architecture: SeccompArchitecture = .current) throws -> SeccompFilter {
        let defaultAction = try SeccompAction(name: profile.defaultAction, errnoRet: profile.defaultErrnoRet)
        let synchronizeThreads = try synchronizeThreads(flags: profile.flags ?? [])
        for name in profile.architectures ?? [] where !SeccompArchitecture.specificationNames.contains(name) {
            throw RuntimeError.bundle("linux.seccomp: unknown architecture \"\(name)\"")
        }

        // The rules for each call number, calls in the order the profile first names them.
        var order: [UInt32] = []
        var rules: [UInt32: [Rule]] = [:]
        var skippedNames: [String] = []
        for (position, syscall) in (profile.syscalls ?? []).enumerated() {
            let action = try SeccompAction(name: syscall.action, errnoRet: syscall.errnoRet)
            let comparisons = try (syscall.args ?? []).map { try Comparison($0, rule: position) }
            for name in syscall.names {
                guard let number = SyscallTable.number(of: name, on: architecture) else {
                    if !skippedNames.contains(name) { skippedNames.append(name) }
                    continue
                }
                if rules[number] == nil { order.append(number) }
                rules[number, default: []].append(Rule(comparisons: comparisons, action: action))
            }
        }

        var program = prologue(for: architecture)
        var shared: [(action: SeccompAction, numbers: [UInt32])] = []
        for number in order {
            let all = rules[number] ?? []
            let conditional = all.filter { !$0.comparisons.isEmpty }
            let fallback = all.first { $0.comparisons.isEmpty }?.action ?? defaultAction
            if !conditional.isEmpty {
                program += try block(for: number, rules: conditional, fallback: fallback)
            } else if fallback != defaultAction {
                if let index = shared.firstIndex(where: { $0.action == fallback }) {
                    shared[index].numbers.append(number)
                } else {
                    shared.append((fallback, [number]))
                }
            }
        }
        for (action, numbers) in shared {
            program += group(numbers, action: action)
        }
        if !defaultAction.letsCallRun {
            // runc does the same: a call the profile could not have known about fails the way
            // a kernel without it would, so programs fall back instead of failing with EPERM.
            program += [
                .jumpIfGreater(SyscallTable.highestNumber(on: architecture), then: 0, else: 1),
                .return(SeccompAction.errno(UInt16(ENOSYS)).returnValue),
            ]
        }
        program.append(.return(defaultAction.returnValue))

        guard program.count <= SeccompFilter.maximumLength else {
            throw RuntimeError.unsupported(
                "linux.seccomp: the filter needs \(program.count) instructions, the kernel takes at most \(SeccompFilter.maximumLength)")
        }
        return SeccompFilter(program: program, architecture: architecture,
                             synchronizeThreads: synchronizeThreads, skippedNames: skippedNames)
    }

    /// Kill anything that is not a native call, and leave the call's number in the accumulator.
    static func prologue(for architecture: SeccompArchitecture) -> [BPFInstruction] {
        let kill = BPFInstruction.return(SeccompAction.killProcess.returnValue)
        var program: [BPFInstruction] = [
            .load(SeccompData.arch),
            .jumpIfEqual(architecture.auditValue, then: 1, else: 0),
            kill,
            .load(SeccompData.nr),
        ]
        if architecture == .x86_64 {
            // x32 programs run on x86_64 with the same AUDIT_ARCH and numbers + 0x40000000.
            program += [
                .jumpIfGreaterOrEqual(0x4000_0000, then: 0, else: 2),
                .jumpIfEqual(0xffff_ffff, then: 1, else: 0),
                kill,
            ]
        }
        return program
    }

    /// One call with argument rules: its number check, then each rule, then the fallback.
    /// The block always ends in `ret`, so the accumulator may be overwritten inside it.
    static func block(for number: UInt32, rules: [Rule], fallback: SeccompAction) throws -> [BPFInstruction] {
        var body: [BPFInstruction] = []
        for rule in rules {
            body += try instructions(for: rule)
        }
        body.append(.return(fallback.returnValue))
        if body.count <= Int(UInt8.max) {
            return [.jumpIfEqual(number, then: 0, else: UInt8(body.count))] + body
        }
        // Too far for an 8-bit offset: step over an unconditional jump instead.
        return [.jumpIfEqual(number, then: 1, else: 0), .jump(by: UInt32(body.count))] + body
    }

    /// Calls that share one action whatever their arguments: a comparison each, then one
    /// `ret`, in runs short enough for 8-bit offsets.
    static func group(_ numbers: [UInt32], action: SeccompAction) -> [BPFInstruction] {
        var program: [BPFInstruction] = []
        for start in stride(from: 0, to: numbers.count, by: Int(UInt8.max)) {
            let run = numbers[start..<min(start + Int(UInt8.max), numbers.count)]
            for (offset, number) in run.enumerated() {
                let last = offset == run.count - 1
                program.append(.jumpIfEqual(number, then: last ? 0 : UInt8(run.count - 1 - offset), else: last ? 1 : 0))
            }
            program.append(.return(action.returnValue))
        }
        return program
    }

    /// A rule: every comparison in turn, each jumping past the rule's `ret` when it fails.
    static func instructions(for rule: Rule) throws -> [BPFInstruction] {
        var steps = rule.comparisons.flatMap(\.steps)
        steps.append(Step(.return(rule.action.returnValue)))
        guard steps.count <= Int(UInt8.max) else {
            throw RuntimeError.unsupported("linux.seccomp: a rule with \(rule.comparisons.count) argument comparisons is too long")
        }
        return steps.enumerated().map { index, step in
            var instruction = step.instruction
            let pastRule = UInt8(steps.count - index - 1)
            if step.failIfTrue { instruction.jt = pastRule }
            if step.failIfFalse { instruction.jf = pastRule }
            return instruction
        }
    }

    static func synchronizeThreads(flags: [String]) throws -> Bool {
        var synchronize = false
        for flag in flags {
            switch flag {
            case "SECCOMP_FILTER_FLAG_TSYNC":
                synchronize = true
            case "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV":
                throw RuntimeError.unsupported("linux.seccomp.flags: \(flag) is not supported (only SECCOMP_FILTER_FLAG_TSYNC is)")
            default:
                throw RuntimeError.bundle("linux.seccomp.flags: unknown flag \"\(flag)\"")
            }
        }
        return synchronize
    }

    struct Rule: Equatable {
        var comparisons: [Comparison]
        var action: SeccompAction
    }

    /// An instruction whose jump, when taken (or not), leaves the rule as failed; the
    /// offset is filled in once the rule's length is known.
    struct Step {
        var instruction: BPFInstruction
        var failIfTrue = false
        var failIfFalse = false
        init(_ instruction: BPFInstruction, failIfTrue: Bool = false, failIfFalse: Bool = false) {
            self.instruction = instruction
            self.failIfTrue = failIfTrue
            self.failIfFalse = failIfFalse
        }
    }

    /// One `args` entry: a 64-bit argument compared with a 64-bit value, unsigned, as
    /// libseccomp compares. The accumulator holds 32 bits, so the high halves are compared
    /// first and decide unless they are equal; then the low halves do.
    struct Comparison: Equatable {
        enum Operator: String {
            case equal = "SCMP_CMP_EQ", notEqual = "SCMP_CMP_NE"
            case less = "SCMP_CMP_LT", lessOrEqual = "SCMP_CMP_LE"
            case greater = "SCMP_CMP_GT", greaterOrEqual = "SCMP_CMP_GE"
            case maskedEqual = "SCMP_CMP_MASKED_EQ"
        }

        var index: UInt32
        var op: Operator
        /// The value compared with; for `maskedEqual`, the mask.
        var value: UInt64
        /// For `maskedEqual`: what the masked argument must equal.
        var valueTwo: UInt64

        init(_ arg: Spec.Seccomp.Arg, rule: Int) throws {
            guard arg.index < 6 else {
                throw RuntimeError.bundle("linux.seccomp.syscalls[\(rule)]: argument index \(arg.index) is out of range (0-5)")
            }
            guard let op = Operator(rawValue: arg.op) else {
                throw RuntimeError.bundle("linux.seccomp.syscalls[\(rule)]: unknown operator \"\(arg.op)\"")
            }
            self.index = arg.index
            self.op = op
            self.value = arg.value
            self.valueTwo = arg.valueTwo ?? 0
        }

        var steps: [Step] {
            let high = BPFInstruction.load(SeccompData.argumentHigh(index))
            let low = BPFInstruction.load(SeccompData.argumentLow(index))
            let (valueHigh, valueLow) = (UInt32(value >> 32), UInt32(truncatingIfNeeded: value))
            switch op {
            case .equal:
                return [Step(high), Step(.jumpIfEqual(valueHigh, then: 0, else: 0), failIfFalse: true),
                        Step(low), Step(.jumpIfEqual(valueLow, then: 0, else: 0), failIfFalse: true)]
            case .notEqual:
                return [Step(high), Step(.jumpIfEqual(valueHigh, then: 0, else: 2)),
                        Step(low), Step(.jumpIfEqual(valueLow, then: 0, else: 0), failIfTrue: true)]
            case .greater, .greaterOrEqual:
                let lowTest: BPFInstruction = op == .greater
                    ? .jumpIfGreater(valueLow, then: 0, else: 0) : .jumpIfGreaterOrEqual(valueLow, then: 0, else: 0)
                return [Step(high), Step(.jumpIfGreater(valueHigh, then: 3, else: 0)),
                        Step(.jumpIfEqual(valueHigh, then: 0, else: 0), failIfFalse: true),
                        Step(low), Step(lowTest, failIfFalse: true)]
            case .less, .lessOrEqual:
                // BPF has no "less than": fail when the argument is greater (or equal).
                let lowTest: BPFInstruction = op == .lessOrEqual
                    ? .jumpIfGreater(valueLow, then: 0, else: 0) : .jumpIfGreaterOrEqual(valueLow, then: 0, else: 0)
                return [Step(high), Step(.jumpIfGreater(valueHigh, then: 0, else: 0), failIfTrue: true),
                        Step(.jumpIfEqual(valueHigh, then: 0, else: 2)),
                        Step(low), Step(lowTest, failIfTrue: true)]
            case .maskedEqual:
                return maskedHalf(high, mask: UInt32(value >> 32), equals: UInt32(valueTwo >> 32))
                    + maskedHalf(low, mask: UInt32(truncatingIfNeeded: value), equals: UInt32(truncatingIfNeeded: valueTwo))
            }
        }

        /// `(half & mask) == wanted`, without the steps that cannot change the outcome:
        /// nothing for a zero mask and zero wanted, no `and` for a mask of all ones.
        private func maskedHalf(_ load: BPFInstruction, mask: UInt32, equals wanted: UInt32) -> [Step] {
            if mask == 0 && wanted == 0 { return [] }
            var steps = [Step(load)]
            if mask != 0xffff_ffff { steps.append(Step(.and(mask))) }
            steps.append(Step(.jumpIfEqual(wanted, then: 0, else: 0), failIfFalse: true))
            return steps
        }
    }
}
