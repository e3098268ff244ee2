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

    @Test("every jump of the programs lands inside them, and the last two instructions allow the call",
          arguments: [0, 1, 3])
    func jumps(count: Int) {
        let shortcuts = (0..<count).map {
            PortShortcut(published: IPv4Address(0x7f00_0001), publishedPort: UInt16(8080 + $0),
                         container: IPv4Address(0xac12_0002 + UInt32($0)), containerPort: 80)
        }
        let code = PortShortcut.program(shortcuts, namespaceCookie: 42, map: 3)
        #expect(code.count == (count == 0 ? 2 : 25 + 5 * count))
        let remember = 10 + 5 * count
        for program in [code, PortShortcut.peerProgram(map: 3), PortShortcut.releaseProgram(map: 3)] {
            #expect(program.suffix(2) == [.move(0, value: 1), .exit])
            let done = program.count - 2
            for (index, instruction) in program.enumerated() {
                let kind = instruction.code & 0x07
                let operation = instruction.code & 0xf0
                guard kind == EBPFInstruction.jmp || kind == EBPFInstruction.jmp32,
                      operation != EBPFInstruction.callOperation, operation != EBPFInstruction.exitOperation else { continue }
                let target = index + 1 + Int(instruction.offset)
                #expect(target > index && target <= done, "instruction \(index) jumps to \(target)")
            }
        }
        // A block's "no" goes to the next block, its last jump to the part that remembers;
        // after the blocks, "no shortcut" goes to done.
        for block in 0..<count {
            let start = 9 + 5 * block
            #expect(start + 1 + Int(code[start].offset) == start + 5)
            #expect(start + 5 + Int(code[start + 4].offset) == remember)
        }
        if count > 0 { #expect(remember + Int(code[remember - 1].offset) == code.count - 2) }
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
            let map = try BPFMap.create(.lruHash, keySize: 8, valueSize: 8, capacity: 16, name: "dosirak_test")
            defer { try? map.close() }
            for (kind, hook, code) in [(BPFProgram.Kind.socketAddress, BPFProgram.Hook.ipv4Connect,
                                        PortShortcut.program(shortcuts, namespaceCookie: 1, map: map.rawValue)),
                                       (.socketAddress, .ipv4GetPeerName, PortShortcut.peerProgram(map: map.rawValue)),
                                       (.socket, .socketRelease, PortShortcut.releaseProgram(map: map.rawValue))] {
                let program = try BPFProgram.load(code.map(\.encoded), kind: kind, hook: hook, name: "dosirak_test")
                try program.close()
            }
        }
    }

    @Test("the host's connections to published TCP ports go straight to the container, still told the address they asked for; other namespaces' are left alone")
    func straightToTheContainer() throws {
        let host = try TestHost(withOutside: true)
        defer { host.close() }
        let network = try host.store.create(name: "short")
        let gateway = network.gateway.description
        let mine = try host.namespace.namespace.perform { PortShortcut.programName(try PortShortcut.namespaceCookie()) }
        let web = try TestContainer(host, name: "web", network: "short",
                                    ports: [try PortMapping(parsing: "8080:80"), try PortMapping(parsing: "127.0.0.1:8082:80"),
                                            try PortMapping(parsing: "\(TestHost.hostAddress):8083:80")],
                                    command: ["serve", "tcp", "80", "web"])
        defer { web.stop() }
        try web.wait(for: "ready")
        #expect(Firewall.shortcutPrograms().filter { $0 == mine }.count == 3, "on connect(), getpeername() and release")

        // Rewritten on connect(): the connection leaves from the gateway's address, as one to
        // the container's own address would; getpeername() still says what the client asked for.
        for (address, port) in [("127.0.0.1", "8080"), ("127.0.0.1", "8082"), (TestHost.hostAddress.description, "8083")] {
            let (status, output) = try host.helperOnHost("ends", address, port)
            let ends = output.trimmed.split(separator: " ").map(String.init)
            #expect(status == .exited(0) && ends.count == 2, "\(output)")
            #expect(ends.first?.hasPrefix(gateway + ":") == true && ends.last == "\(address):\(port)", "\(address):\(port): \(output)")
        }
        // A port published on all addresses, asked for at the host's other address: NAT, as before.
        let nat = try host.helperOnHost("ends", TestHost.hostAddress.description, "8080").output.trimmed
        #expect(nat.hasPrefix("\(TestHost.hostAddress):") && nat.hasSuffix(" \(TestHost.hostAddress):8080"), "\(nat)")
        // The server sees the gateway's address, as it does through NAT.
        let (status, output) = try host.helperOnHost("request", "tcp", "127.0.0.1", "8080")
        #expect(status == .exited(0) && output.trimmed == "web to \(gateway)", "\(output)")

        // Another namespace's 127.0.0.1:8080 is its own (nobody listens there), not the container.
        let (otherStatus, other) = try host.outside!.run(helper, ["ends", "127.0.0.1", "8080"])
        #expect(otherStatus != .exited(0) && other.contains("ECONNREFUSED"), "\(other)")

        // A connection made now, held across the next change: the new programs keep the map,
        // so it is still told 127.0.0.1:8080.
        let held = try host.namespace.namespace.perform { try connectTCP(to: .loopback, port: 8080) }
        var heldOpen = true
        defer { if heldOpen { close(held) } }
        #expect(try peer(of: held) == "127.0.0.1:8080")
        // What the map holds for it, under its cookie: 127.0.0.1 and 8080, in network byte order.
        let key = withUnsafeBytes(of: try socketCookie(of: held)) { Array($0) }
        let map = try #require(try shortcutMap(mine))
        defer { try? map.close() }
        #expect(try BPFMap.lookup(map, key: key, valueSize: 8) == [127, 0, 0, 1, 0x1f, 0x90, 0, 0])

        // A second container: new programs for the namespace, holding both ports.
        let second = try TestContainer(host, name: "second", network: "short", ports: [try PortMapping(parsing: "9090:80")],
                                       command: ["serve", "tcp", "80", "second"])
        defer { second.stop() }
        try second.wait(for: "ready")
        #expect(Firewall.shortcutPrograms().filter { $0 == mine }.count == 3)
        #expect(try peer(of: held) == "127.0.0.1:8080")
        #expect(try host.helperOnHost("ends", "127.0.0.1", "9090").output.trimmed.hasPrefix(gateway + ":"))
        #expect(try host.helperOnHost("request", "tcp", "127.0.0.1", "9090").output.trimmed == "second to \(gateway)")
        #expect(try host.helperOnHost("request", "tcp", "127.0.0.1", "8080").output.trimmed == "web to \(gateway)")
        // Closed, the socket takes its entry with it.
        close(held)
        heldOpen = false
        #expect(try BPFMap.lookup(map, key: key, valueSize: 8) == nil)

        // Gone with the last published port.
        web.stop()
        second.stop()
        #expect(!Firewall.shortcutPrograms().contains(mine))
    }

    @Test("when new programs cannot be installed, the old ones are detached too: NAT carries everything")
    func failedInstallDetachesOld() throws {
        let namespace = try TestNamespace()
        defer { namespace.close() }
        let firewall = Firewall(host: namespace.namespace)
        let mine = try namespace.namespace.perform { PortShortcut.programName(try PortShortcut.namespaceCookie()) }
        let one = PortShortcut(published: .loopback, publishedPort: 8080, container: IPv4Address("172.30.0.2")!, containerPort: 80)
        firewall.installShortcuts([one])
        #expect(Firewall.shortcutPrograms().filter { $0 == mine }.count == 3)
        // One more than a program may hold: refused, and the namespace is left with none.
        let tooMany = (0...PortShortcut.maximumCount).map {
            PortShortcut(published: .loopback, publishedPort: UInt16(1 + $0), container: one.container, containerPort: 80)
        }
        firewall.installShortcuts(tooMany)
        #expect(!Firewall.shortcutPrograms().contains(mine))
    }

    @Test("the kernel's verifier takes a program with as many shortcuts as one may hold")
    func largestProgram() throws {
        let shortcuts = (0..<PortShortcut.maximumCount).map {
            PortShortcut(published: .loopback, publishedPort: UInt16(1 + $0), container: IPv4Address(0xac12_0002), containerPort: 80)
        }
        let map = try BPFMap.create(.lruHash, keySize: 8, valueSize: 8, capacity: 16, name: "dosirak_test")
        defer { try? map.close() }
        let code = PortShortcut.program(shortcuts, namespaceCookie: 1, map: map.rawValue).map(\.encoded)
        try BPFProgram.load(code, kind: .socketAddress, hook: .ipv4Connect, name: "dosirak_test").close()
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
        // Through NAT the connection leaves from 127.0.0.1 (masqueraded only on the bridge).
        let ends = try host.helperOnHost("ends", "127.0.0.1", "8080").output.trimmed
        #expect(ends.hasPrefix("127.0.0.1:") && ends.hasSuffix(" 127.0.0.1:8080"), "\(ends)")
        let (status, output) = try host.helperOnHost("request", "tcp", "127.0.0.1", "8080")
        #expect(status == .exited(0) && output.hasPrefix("web to "), "\(output)")
    }
}

/// A TCP connection from the calling thread's namespace, its descriptor.
private func connectTCP(to address: IPv4Address, port: UInt16) throws -> CInt {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    var target = UDPSocket.socketAddress(address, port)
    let connected = withUnsafePointer(to: &target) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        let error = Errno.current
        close(fd)
        throw error
    }
    return fd
}

/// The socket's cookie (`SO_COOKIE`), the key of its entry in the shortcut map.
private func socketCookie(of fd: CInt) throws -> UInt64 {
    var cookie: UInt64 = 0
    var size = socklen_t(MemoryLayout<UInt64>.size)
    let soCookie: Int32 = 57
    guard getsockopt(fd, SOL_SOCKET, soCookie, &cookie, &size) == 0 else { throw Errno.current }
    return cookie
}

/// The shortcut programs' map of the namespace whose programs are called `name`, open.
private func shortcutMap(_ name: String) throws -> FileDescriptor? {
    let cgroup = try FileDescriptor.open(try #require(PortShortcut.cgroupRoot()), options: .directory)
    defer { try? cgroup.close() }
    return try PortShortcut.previousMap(named: name, cgroup: cgroup)
}

/// What `getpeername()` says of `fd`, as ADDRESS:PORT.
private func peer(of fd: CInt) throws -> String {
    var address = sockaddr_in()
    var size = socklen_t(MemoryLayout<sockaddr_in>.size)
    let got = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &size) }
    }
    guard got == 0 else { throw Errno.current }
    return "\(IPv4Address(UInt32(bigEndian: address.sin_addr.s_addr))):\(UInt16(bigEndian: address.sin_port))"
}

private extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
