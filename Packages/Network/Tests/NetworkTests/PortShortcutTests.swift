import Foundation
import Glibc
import Syscalls
import Testing
@testable import Network

@Suite("eBPF instructions and the shortcut program")
struct EBPFInstructionTests {
    @Test("instructions are encoded as the kernel's struct bpf_insn")
    func encoding() {
        // Opcode in the low byte, then destination (low 4 bits) and source registers, offset, constant.
        #expect(EBPFInstruction.exit.encoded == 0x95)
        #expect(EBPFInstruction.move(6, 1).encoded == 0x16bf)
        #expect(EBPFInstruction.move(0, value: 1).encoded == 0x0000_0001_0000_00b7)
        #expect(EBPFInstruction.jumpIfNotEqual32(2, 0x0100_007f, by: 5).encoded == 0x0100_007f_0005_0256)
        #expect(EBPFInstruction.load32(into: 2, from: 6, offset: 4).encoded == 0x0000_0000_0004_6261)
        #expect(EBPFInstruction.store32(0xffff_ffff, into: 6, offset: 24).encoded == 0xffff_ffff_0018_0662)
        #expect(EBPFInstruction.jump(by: -1).encoded == 0x0000_0000_ffff_0005)
        #expect(EBPFInstruction.call(122).encoded == 0x0000_007a_0000_0085)
        #expect(EBPFInstruction.load64(1, 0x1122_3344_5566_7788).map(\.encoded) == [0x5566_7788_0000_0118, 0x1122_3344_0000_0000])
    }

    @Test("every jump of the program lands inside it, and the last two instructions allow the connect",
          arguments: [0, 1, 3])
    func jumps(count: Int) {
        let shortcuts = (0..<count).map {
            PortShortcut(published: IPv4Address(0x7f00_0001), publishedPort: UInt16(8080 + $0),
                         container: IPv4Address(0xac12_0002 + UInt32($0)), containerPort: 80)
        }
        let code = PortShortcut.program(shortcuts, namespaceCookie: 42)
        #expect(code.count == 11 + 5 * count)
        #expect(code.suffix(2) == [.move(0, value: 1), .exit])
        let done = code.count - 2
        for (index, instruction) in code.enumerated() {
            let kind = instruction.code & 0x07
            let operation = instruction.code & 0xf0
            guard kind == EBPFInstruction.jmp || kind == EBPFInstruction.jmp32,
                  operation != EBPFInstruction.callOperation, operation != EBPFInstruction.exitOperation else { continue }
            let target = index + 1 + Int(instruction.offset)
            #expect(target > index && target <= done, "instruction \(index) jumps to \(target)")
        }
        // A block's "no" goes to the next block (or to done), its last jump to done.
        for block in 0..<count {
            let start = 9 + 5 * block
            #expect(start + 1 + Int(code[start].offset) == start + 5)
            #expect(start + 5 + Int(code[start + 4].offset) == done)
        }
    }

    @Test("shortcuts: TCP only, 127.0.0.1 for a port on all addresses, the address for one on an address")
    func shortcutsFromEndpoints() throws {
        let network = BridgeNetwork(name: "n", id: "", bridge: "br-n", subnet: Subnet("172.30.0.0/16")!,
                                    gateway: IPv4Address("172.30.0.1")!, isDefault: false, created: "")
        let address = IPv4Address("172.30.0.2")!
        var endpoint = Endpoint(containerID: "c1", containerName: "c", aliases: [], network: "n", address: address,
                                mac: MACAddress(derivedFrom: address), hostInterface: "veth1", containerInterface: "eth0",
                                ports: [])
        endpoint.ports = [try PortMapping(parsing: "8080:80"), try PortMapping(parsing: "10.0.0.5:8081:81"),
                          try PortMapping(parsing: "53:53/udp")]
        var elsewhere = endpoint
        elsewhere.network = "gone"
        let shortcuts = PortShortcut.shortcuts(networks: [network], endpoints: [endpoint, elsewhere])
        #expect(shortcuts == [
            PortShortcut(published: IPv4Address("10.0.0.5")!, publishedPort: 8081, container: endpoint.address, containerPort: 81),
            PortShortcut(published: IPv4Address("127.0.0.1")!, publishedPort: 8080, container: endpoint.address, containerPort: 80),
        ])
        #expect(PortShortcut.programName(0x1_0000_002a) == "dosirak0000002a")
    }
}

@Suite("Published ports reached from the host without NAT",
       .enabled(if: isRoot && hasNft && PortShortcut.cgroupRoot() != nil, "needs root, nft and a cgroup v2 hierarchy"),
       .timeLimit(.minutes(2)))
struct PortShortcutTests {
    @Test("the kernel's verifier accepts the program, without shortcuts and with 500")
    func verifierAccepts() throws {
        for count in [0, 500] {
            let shortcuts = (0..<count).map {
                PortShortcut(published: IPv4Address(0x7f00_0001), publishedPort: UInt16(1000 + $0),
                             container: IPv4Address(0xac12_0002), containerPort: 80)
            }
            let code = PortShortcut.program(shortcuts, namespaceCookie: 1).map(\.encoded)
            let program = try BPFProgram.load(code, kind: .socketAddress, hook: .ipv4Connect, name: "dosirak_test")
            try program.close()
        }
    }

    @Test("the host's connections to published TCP ports go straight to the container; other namespaces' do not")
    func straightToTheContainer() throws {
        let host = try TestHost(withOutside: true)
        defer { host.close() }
        try host.store.create(name: "short")
        let mine = try host.namespace.namespace.perform { PortShortcut.programName(try PortShortcut.namespaceCookie()) }
        let web = try TestContainer(host, name: "web", network: "short",
                                    ports: [try PortMapping(parsing: "8080:80"), try PortMapping(parsing: "127.0.0.1:8082:80"),
                                            try PortMapping(parsing: "\(TestHost.hostAddress):8083:80")],
                                    command: ["serve", "tcp", "80", "web"])
        defer { web.stop() }
        try web.wait(for: "ready")
        #expect(Firewall.shortcutPrograms().filter { $0 == mine }.count == 1)

        // Rewritten on connect(): the socket's peer is the container itself.
        for (address, port) in [("127.0.0.1", "8080"), ("127.0.0.1", "8082"), (TestHost.hostAddress.description, "8083")] {
            let (status, output) = try host.helperOnHost("peer", address, port)
            #expect(status == .exited(0) && output.trimmed == "\(web.address):80", "\(address):\(port): \(output)")
        }
        // A port published on all addresses, asked for at the host's other address: NAT, as before.
        let (natStatus, natPeer) = try host.helperOnHost("peer", TestHost.hostAddress.description, "8080")
        #expect(natStatus == .exited(0) && natPeer.trimmed == "\(TestHost.hostAddress):8080", "\(natPeer)")
        // The server sees the gateway's address, as it does through NAT.
        let gateway = try #require(try host.store.networks().first { $0.name == "short" }).gateway
        let (status, output) = try host.helperOnHost("request", "tcp", "127.0.0.1", "8080")
        #expect(status == .exited(0) && output.trimmed == "web to \(gateway)", "\(output)")

        // Another namespace's 127.0.0.1:8080 is its own (nobody listens there), not the container.
        let (otherStatus, other) = try host.outside!.run(helper, ["peer", "127.0.0.1", "8080"])
        #expect(otherStatus != .exited(0) && other.contains("ECONNREFUSED"), "\(other)")

        // A second container: one new program for the namespace, holding both.
        let second = try TestContainer(host, name: "second", network: "short", ports: [try PortMapping(parsing: "9090:80")],
                                       command: ["serve", "tcp", "80", "second"])
        defer { second.stop() }
        try second.wait(for: "ready")
        #expect(Firewall.shortcutPrograms().filter { $0 == mine }.count == 1)
        #expect(try host.helperOnHost("peer", "127.0.0.1", "9090").output.trimmed == "\(second.address):80")
        #expect(try host.helperOnHost("peer", "127.0.0.1", "8080").output.trimmed == "\(web.address):80")

        // Gone with the last published port.
        web.stop()
        second.stop()
        #expect(!Firewall.shortcutPrograms().contains(mine))
    }

    @Test("with shortcuts off, the host's connections go through NAT, and no program is attached")
    func shortcutsOff() throws {
        let host = try TestHost()
        defer { host.close() }
        host.store.firewall.shortcuts = false
        try host.store.create(name: "nat")
        let mine = try host.namespace.namespace.perform { PortShortcut.programName(try PortShortcut.namespaceCookie()) }
        let web = try TestContainer(host, name: "web", network: "nat", ports: [try PortMapping(parsing: "8080:80")],
                                    command: ["serve", "tcp", "80", "web"])
        defer { web.stop() }
        try web.wait(for: "ready")
        #expect(!Firewall.shortcutPrograms().contains(mine))
        #expect(try host.helperOnHost("peer", "127.0.0.1", "8080").output.trimmed == "127.0.0.1:8080")
        let (status, output) = try host.helperOnHost("request", "tcp", "127.0.0.1", "8080")
        #expect(status == .exited(0) && output.hasPrefix("web to "), "\(output)")
    }
}

private extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
