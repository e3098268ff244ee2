import Foundation
import Glibc
import Syscalls
@testable import Runtime

/// What the seccomp tests share: the helper that installs filters, and a BPF interpreter
/// that runs a compiled program the way the kernel would, without installing it.
enum SeccompTesting {
    static let isRoot = geteuid() == 0

    /// Whether this kernel has seccomp filters (`Seccomp:` in /proc/self/status).
    static let kernelHasSeccomp: Bool = {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        return status.contains("Seccomp:")
    }()

    static let hasBusybox = FileManager.default.isExecutableFile(atPath: "/bin/busybox")

    /// runtime-test-helper, built next to this test bundle.
    static var helperPath: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("runtime-test-helper").path
    }

    /// Runs the helper's `seccomp-probe` scenario; how it ended and each probe's result.
    static func probe(_ profile: String, _ probes: [String]) throws -> (status: WaitStatus, results: [String: String]) {
        let (status, output) = try Spawn(helperPath, arguments: ["seccomp-probe", profile] + probes).output(includeErrors: true)
        var results: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { results[String(parts[0])] = String(parts[1]) }
        }
        return (status, results)
    }

    /// Runs the helper's `seccomp-probe` and demands that it exits cleanly.
    static func probeResults(_ profile: String, _ probes: [String]) throws -> [String: String] {
        let (status, results) = try probe(profile, probes)
        guard status == .exited(0) else { throw HelperFailed(status: status, results: results) }
        return results
    }

    /// `profile` as the JSON the helper reads.
    static func json(_ profile: Spec.Seccomp) throws -> String {
        String(decoding: try JSONEncoder().encode(profile), as: UTF8.self)
    }

    struct HelperFailed: Error, CustomStringConvertible {
        let status: WaitStatus
        let results: [String: String]
        var description: String { "runtime-test-helper \(status): \(results)" }
    }

    /// Runs `program` on a `seccomp_data` as the kernel's interpreter would, and returns the
    /// value of the `ret` it reaches. Checks on the way what the kernel's verifier checks:
    /// jumps land inside the program, and the end is never fallen off.
    static func run(_ program: [BPFInstruction], nr: UInt32, arch: UInt32 = SeccompArchitecture.x86_64.auditValue,
                    args: [UInt64] = []) throws -> UInt32 {
        var data = [UInt32](repeating: 0, count: 16)
        data[0] = nr
        data[1] = arch
        for (index, value) in args.enumerated() {
            data[4 + 2 * index] = UInt32(truncatingIfNeeded: value)
            data[5 + 2 * index] = UInt32(value >> 32)
        }
        var accumulator: UInt32 = 0
        var pc = 0
        while pc < program.count {
            let instruction = program[pc]
            pc += 1
            switch instruction.code {
            case 0x20:  // ld [k]
                guard instruction.k % 4 == 0, instruction.k < 64 else { throw BadProgram(reason: "load of \(instruction.k)") }
                accumulator = data[Int(instruction.k / 4)]
            case 0x54: accumulator &= instruction.k                                       // and #k
            case 0x05: pc += Int(instruction.k)                                           // ja
            case 0x15: pc += Int(accumulator == instruction.k ? instruction.jt : instruction.jf)  // jeq
            case 0x25: pc += Int(accumulator > instruction.k ? instruction.jt : instruction.jf)   // jgt
            case 0x35: pc += Int(accumulator >= instruction.k ? instruction.jt : instruction.jf)  // jge
            case 0x06: return instruction.k                                               // ret #k
            default: throw BadProgram(reason: "opcode \(instruction.code)")
            }
        }
        throw BadProgram(reason: "fell off the end at \(pc)")
    }

    struct BadProgram: Error {
        let reason: String
    }
}
