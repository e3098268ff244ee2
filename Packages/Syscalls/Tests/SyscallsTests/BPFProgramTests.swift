import Foundation
import Glibc
import Syscalls
import Testing

@Suite("eBPF programs on a cgroup", .enabled(if: isRoot && FileManager.default.fileExists(atPath: cgroup2Root + "/cgroup.procs"), "needs root and a cgroup v2 hierarchy"))
struct BPFProgramTests {
    // Two programs, as the kernel's struct bpf_insn words: `r0 = VALUE; exit`.
    static func returning(_ value: UInt64) -> [UInt64] { [value << 32 | 0xb7, 0x95] }

    @Test("load, attach, query, open by id, detach; an attached program decides the connect() of the cgroup's processes")
    func lifecycle() throws {
        let directory = cgroup2Root + "/dosirak-bpftest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        #expect(mkdir(directory, 0o755) == 0)
        defer { rmdir(directory) }
        let cgroup = try FileDescriptor.open(directory, options: .directory)
        defer { try? cgroup.close() }

        // A program that answers 0 refuses every connect() with EPERM.
        let refuse = try BPFProgram.load(Self.returning(0), kind: .socketAddress, hook: .ipv4Connect, name: "dosirak_refuse")
        defer { try? refuse.close() }
        let (name, id, maps) = try BPFProgram.identity(of: refuse)
        #expect(name == "dosirak_refuse" && id > 0 && maps.isEmpty)
        #expect(try BPFProgram.attached(to: cgroup, at: .ipv4Connect).isEmpty)
        try BPFProgram.attach(refuse, to: cgroup, at: .ipv4Connect)
        #expect(try BPFProgram.attached(to: cgroup, at: .ipv4Connect) == [id])
        let again = try BPFProgram.open(id: id)
        #expect(try BPFProgram.identity(of: again).id == id)
        try again.close()

        // busybox nc to a closed port: inside the cgroup the program refuses the connect()
        // itself (EPERM); outside it, the port does (ECONNREFUSED).
        let nc = ["/bin/busybox", "nc", "127.0.0.1", "9"]
        #expect(try Self.output(of: nc, inCgroup: directory).contains("Operation not permitted"))
        #expect(try Spawn(nc[0], arguments: Array(nc.dropFirst())).output(includeErrors: true).output.contains("Connection refused"))

        try BPFProgram.detach(refuse, from: cgroup, at: .ipv4Connect)
        #expect(try BPFProgram.attached(to: cgroup, at: .ipv4Connect).isEmpty)
        #expect(try Self.output(of: nc, inCgroup: directory).contains("Connection refused"))
    }

    @Test("a map: created, named in a program's code, found again through the program")
    func map() throws {
        let map = try BPFMap.create(.lruHash, keySize: 8, valueSize: 8, capacity: 16, name: "dosirak_map")
        defer { try? map.close() }
        #expect(try BPFMap.lookup(map, key: [UInt8](repeating: 1, count: 8), valueSize: 8) == nil)
        // `r1 = MAP` (a 64-bit load with BPF_PSEUDO_MAP_FD, 1, as source register); `r0 = 1; exit`.
        let code: [UInt64] = [UInt64(UInt32(map.rawValue)) << 32 | 0x1118, 0] + Self.returning(1)
        let program = try BPFProgram.load(code, kind: .socketAddress, hook: .ipv4Connect, name: "dosirak_usesmap")
        defer { try? program.close() }
        let maps = try BPFProgram.identity(of: program).maps
        #expect(maps.count == 1)
        let again = try BPFMap.open(id: try #require(maps.first))
        defer { try? again.close() }
        #expect(try BPFMap.lookup(again, key: [UInt8](repeating: 1, count: 8), valueSize: 8) == nil)
    }

    @Test("a program the verifier refuses comes back with the verifier's reason")
    func refused() throws {
        // `exit` without setting r0 first: the verifier will not let r0 be read unwritten.
        #expect {
            _ = try BPFProgram.load([0x95], kind: .socketAddress, hook: .ipv4Connect, name: "dosirak_bad")
        } throws: { error in
            guard let refused = error as? BPFProgram.Refused else { return false }
            return refused.errno == .permissionDenied && refused.log.contains("R0 !read_ok")
        }
    }

    /// Runs `command` inside the cgroup `directory` and returns what it printed.
    static func output(of command: [String], inCgroup directory: String) throws -> String {
        let pipe = try FileDescriptor.pipe()
        var spawn = Spawn(command[0], arguments: Array(command.dropFirst()))
        spawn.fileDescriptors = [1: pipe.write, 2: pipe.write]
        let child = try spawn.start(inCgroup: directory)
        try pipe.write.close()
        let text = String(decoding: try pipe.read.readAll(), as: UTF8.self)
        try pipe.read.close()
        _ = try child.wait()
        return text
    }
}
