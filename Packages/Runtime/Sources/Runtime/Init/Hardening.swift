import FoundationEssentials
import Syscalls

/// What the runtime's init does after the container's file tree is built, carried to init
/// as JSON in `IsolatedProcess.Configuration.extensionData`.
struct Hardening: Codable, Sendable {
    var capabilities: Spec.Capabilities?
    var noNewPrivileges = false
    var rlimits: [Spec.Rlimit] = []
    var oomScoreAdj: Int?
    /// The compiled seccomp filter, installed just before exec.
    var seccomp: BPFProgram?
    /// Hooks run by init, and the State JSON they get on stdin.
    var createContainer: [Spec.Hook] = []
    var startContainer: [Spec.Hook] = []
    var state: State?
    /// `--init`: PID 1 stays a reaper that runs the command as its child.
    var reaper = false
}

extension Hardening {
    /// As init gets it in `extensionData`: JSON with `/` unescaped, like the message around it
    /// (a string without escapes is read in one piece, one with them a character at a time).
    func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
