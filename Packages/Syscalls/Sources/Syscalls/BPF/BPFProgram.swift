import CSyscalls
import Glibc

/// An eBPF program: code the kernel checks (its verifier), compiles and then runs at one of
/// its hooks. Here only what Dosirak uses: programs attached to a cgroup, such as
/// `connect()` of every socket made by a process in it.
///
/// A loaded program lives as long as something holds it: a descriptor, or an attachment.
/// Attached to a cgroup, it outlives the process that loaded it, until it is detached.
///
/// The corresponding system call is `bpf(2)`, one call with a command and a union of
/// arguments; the small C functions `dsk_bpf_*` fill that union.
public enum BPFProgram {
    /// `BPF_PROG_TYPE_*`: what kind of hook a program is written for.
    public struct Kind: RawRepresentable, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Runs on a socket's address: connect, bind, sendmsg, getpeername... (`CGROUP_SOCK_ADDR`).
        public static let socketAddress = Kind(rawValue: 18)
        /// Runs on a socket's life: creation, release... (`CGROUP_SOCK`).
        public static let socket = Kind(rawValue: 9)
    }

    /// `BPF_*` attach types: the hook itself.
    public struct Hook: RawRepresentable, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// `connect()` of an IPv4 socket (`BPF_CGROUP_INET4_CONNECT`).
        public static let ipv4Connect = Hook(rawValue: 10)
        /// `getpeername()` of an IPv4 socket (`BPF_CGROUP_INET4_GETPEERNAME`).
        public static let ipv4GetPeerName = Hook(rawValue: 29)
        /// The release of an IPv4 or IPv6 socket, when it is closed (`BPF_CGROUP_INET_SOCK_RELEASE`).
        public static let socketRelease = Hook(rawValue: 34)
    }

    /// The verifier refused the program; `log` is its explanation, instruction by instruction.
    public struct Refused: Error, CustomStringConvertible {
        public let errno: Errno
        public let log: String
        public var description: String { "bpf program refused (\(errno)): \(log.suffix(300))" }
    }

    /// Loads `instructions` (each one 8-byte `struct bpf_insn`) as a program named `name`
    /// (at most 15 characters: letters, digits, `_` and `.`), for `hook`.
    public static func load(
        _ instructions: [UInt64], kind: Kind, hook: Hook, name: String, license: String = "GPL"
    ) throws -> FileDescriptor {
        // Without a log first: a long program's log overflows any buffer (ENOSPC). Asked for
        // again with one only when the verifier says no, to say why.
        func attempt(log: inout [CChar]) -> CInt {
            instructions.withUnsafeBufferPointer { code in
                log.withUnsafeMutableBufferPointer { log in
                    dsk_bpf_prog_load(kind.rawValue, hook.rawValue, code.baseAddress, UInt32(code.count),
                                      license, name, log.baseAddress, UInt32(log.count))
                }
            }
        }
        var none: [CChar] = []
        var fd = attempt(log: &none)
        guard fd >= 0 else {
            let error = Errno.current
            var log = [CChar](repeating: 0, count: 64 * 1024)
            fd = attempt(log: &log)
            if fd >= 0 { try? FileDescriptor(rawValue: fd).close() }
            throw Refused(errno: error, log: String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return FileDescriptor(rawValue: fd)
    }

    /// Attaches `program` to `cgroup` (a descriptor of its directory) at `hook`, next to the
    /// programs others attached there (`BPF_F_ALLOW_MULTI`): every one of them runs.
    public static func attach(_ program: FileDescriptor, to cgroup: FileDescriptor, at hook: Hook) throws {
        let allowMultiple: UInt32 = 2
        try nothingOrErrno { dsk_bpf_prog_attach(cgroup.rawValue, program.rawValue, hook.rawValue, allowMultiple) }
    }

    /// Detaches `program` from `cgroup`'s `hook`.
    public static func detach(_ program: FileDescriptor, from cgroup: FileDescriptor, at hook: Hook) throws {
        try nothingOrErrno { dsk_bpf_prog_detach(cgroup.rawValue, program.rawValue, hook.rawValue) }
    }

    /// The ids of the programs attached to `cgroup` at `hook` (not those inherited from above).
    public static func attached(to cgroup: FileDescriptor, at hook: Hook) throws -> [UInt32] {
        var ids = [UInt32](repeating: 0, count: 64)  // BPF_CGROUP_MAX_PROGS
        var count = UInt32(ids.count)
        try nothingOrErrno { dsk_bpf_prog_query(cgroup.rawValue, hook.rawValue, &ids, &count) }
        return Array(ids.prefix(Int(count)))
    }

    /// A descriptor for the loaded program `id`.
    public static func open(id: UInt32) throws -> FileDescriptor {
        FileDescriptor(rawValue: try valueOrErrno { dsk_bpf_prog_get_fd_by_id(id) })
    }

    /// The name a program was loaded with, its id, and the ids of the maps it uses.
    public static func identity(of program: FileDescriptor) throws -> (name: String, id: UInt32, maps: [UInt32]) {
        var name = [CChar](repeating: 0, count: 16)
        var id: UInt32 = 0
        var maps = [UInt32](repeating: 0, count: 8)
        var count = UInt32(maps.count)
        try nothingOrErrno { dsk_bpf_prog_info(program.rawValue, &name, &id, &maps, &count) }
        let text = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (text, id, Array(maps.prefix(Int(min(count, UInt32(maps.count))))))
    }
}
