import Syscalls

/// What the runtime's init does after the container's file tree is built, carried to init
/// as JSON in `IsolatedProcess.Configuration.extensionData`.
struct Hardening: Codable, Sendable {
    var capabilities: Spec.Capabilities?
    var noNewPrivileges = false
    var rlimits: [Spec.Rlimit] = []
    var oomScoreAdj: Int?
    /// The compiled seccomp filter, installed just before exec.
    var seccomp: [BPFInstruction]?
    /// Hooks run by init, and the State JSON they get on stdin.
    var createContainer: [Spec.Hook] = []
    var startContainer: [Spec.Hook] = []
    var state: State?
}

/// One classic BPF instruction (`struct sock_filter`), in a form JSON can carry.
public struct BPFInstruction: Codable, Hashable, Sendable {
    public var code: UInt16
    public var jt: UInt8
    public var jf: UInt8
    public var k: UInt32

    public init(code: UInt16, jt: UInt8, jf: UInt8, k: UInt32) {
        self.code = code
        self.jt = jt
        self.jf = jf
        self.k = k
    }

    public init(_ instruction: Seccomp.Instruction) {
        self.init(code: instruction.code, jt: instruction.jt, jf: instruction.jf, k: instruction.k)
    }

    public var instruction: Seccomp.Instruction { .init(code: code, jt: jt, jf: jf, k: k) }
}
