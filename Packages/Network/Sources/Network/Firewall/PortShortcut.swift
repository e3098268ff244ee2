import Cgroups
import FoundationEssentials
import Glibc
import Syscalls

/// Published ports reached from the host itself without NAT.
///
/// A program on the host that connects to `127.0.0.1:8080` goes through the `output` chain's
/// DNAT, and every packet of that connection is translated twice. This eBPF program runs
/// instead at the moment of `connect()`, before there is any packet: it gives the socket
/// the container's address and port, `172.18.0.2:80`, and the connection then goes
/// straight to the container, as if the program had asked for it. Cilium calls this
/// socket-level load balancing.
///
/// It is attached to the root of the cgroup v2 hierarchy, so it runs for every TCP socket
/// of every process, and it changes only those of the host's network namespace (the one
/// whose cookie it holds: every namespace has a 64-bit cookie, never reused) whose
/// destination is one of the published ports. UDP, and everything that arrives from
/// outside, keeps going through the nftables rules, which stay complete either way.
///
/// A second program, on `getpeername()`, tells such a socket the address it asked for, as
/// NAT would: the first one leaves it in an eBPF map under the socket's cookie, and a third
/// one, on the socket's release, takes it out again.
///
/// Like the table, the programs are derived whole from the state: every change loads new
/// ones (which take over the old ones' map), attaches them, and detaches the ones before.
/// Their name carries the namespace's cookie (`dosirak` and 8 hex digits), so the ones
/// before are found among the attached programs without a state file. (`bpftool cgroup
/// show /sys/fs/cgroup` lists them.)
struct PortShortcut: Hashable, Sendable {
    /// Where the host's programs connect to.
    var published: IPv4Address
    var publishedPort: UInt16
    /// Where the connection goes instead.
    var container: IPv4Address
    var containerPort: UInt16

    /// The shortcuts for these endpoints' TCP ports: a port published on all of the host's
    /// addresses is taken at 127.0.0.1, one published on an address at that address.
    static func shortcuts(networks: [BridgeNetwork], endpoints: [Endpoint]) -> [PortShortcut] {
        let names = Set(networks.map(\.name))
        return endpoints.filter { names.contains($0.network) }.flatMap { endpoint in
            endpoint.ports.filter { $0.transport == .tcp && $0.hostPort != 0 }.map { port in
                PortShortcut(published: port.hostAddress ?? .loopback, publishedPort: port.hostPort,
                             container: endpoint.address, containerPort: port.containerPort)
            }
        }.sorted { ($0.published, $0.publishedPort) < ($1.published, $1.publishedPort) }
    }

    /// The most ports one program holds. Jumps reach 32,767 instructions, and the kernel makes
    /// each block of five about nine when it rewrites the stores into the context (a 4,096-port
    /// program was refused with "cannot be patched due to 16-bit range"); past this, NAT it is.
    static let maximumCount = 2048

    // The fields of `struct bpf_sock_addr` (the programs' context) that they read and write.
    static let userIP4: Int16 = 4, userPort: Int16 = 24, socketProtocol: Int16 = 36
    // The kernel's helper functions they call, by number (`BPF_FUNC_*`).
    static let lookUp: Int32 = 1, update: Int32 = 2, delete: Int32 = 3, socketCookie: Int32 = 46, netnsCookie: Int32 = 122

    /// The program on `connect()`: if the socket is TCP, of the namespace `cookie`, and
    /// connecting to one of `shortcuts`, rewrite its destination and remember the one it
    /// asked for in `map`, under the socket's own cookie; let the connection go on in every case.
    ///
    ///     r6 = r1                          keep the context
    ///     w2 = protocol; if w2 != 6 goto done
    ///     r0 = get_netns_cookie(r1); if r0 != COOKIE goto done
    ///     w7 = user_ip4; w8 = user_port
    ///     if w7 != ADDRESS goto next; if w8 != PORT goto next     one block per shortcut
    ///     user_ip4 = CONTAINER; user_port = CONTAINER_PORT; goto remember
    ///     goto done                        no shortcut for this destination
    ///     remember: stack[-16] = w7; stack[-12] = w8; stack[-8] = get_socket_cookie(r6)
    ///     map_update_elem(MAP, &stack[-8], &stack[-16], 0)
    ///     done: r0 = 1; exit               1: allow the connect
    ///
    /// Addresses and ports are compared and stored as they are in memory: in network byte
    /// order, which a 32-bit load on this little-endian machine reads byte-swapped. r7 and r8
    /// hold the destination asked for because, unlike r1 to r5, they survive helper calls.
    static func program(_ shortcuts: [PortShortcut], namespaceCookie cookie: UInt64, map: Int32) -> [EBPFInstruction] {
        typealias I = EBPFInstruction
        // Nothing to shortcut: the verifier refuses code that no path reaches.
        guard !shortcuts.isEmpty else { return [.move(0, value: 1), .exit] }
        let tcp: UInt32 = 6
        // Jumps count instructions from the next one: nine before the first shortcut's block,
        // five in each block, one "goto done" after them, thirteen to remember, then "done".
        let blocks = 5 * shortcuts.count
        let remember = 10 + blocks, done = remember + 13
        var code: [I] = [.move(6, 1),
                         .load32(into: 2, from: 6, offset: socketProtocol),
                         .jumpIfNotEqual32(2, tcp, by: Int16(done - 3)),
                         .call(netnsCookie)]
        code += I.load64(1, cookie)
        code += [.jumpIfNotEqual(0, 1, by: Int16(done - 7)),
                 .load32(into: 7, from: 6, offset: userIP4),
                 .load32(into: 8, from: 6, offset: userPort)]
        for shortcut in shortcuts {
            code += [.jumpIfNotEqual32(7, shortcut.published.value.bigEndian, by: 4),
                     .jumpIfNotEqual32(8, UInt32(shortcut.publishedPort.bigEndian), by: 3),
                     .store32(shortcut.container.value.bigEndian, into: 6, offset: userIP4),
                     .store32(UInt32(shortcut.containerPort.bigEndian), into: 6, offset: userPort),
                     .jump(by: Int16(remember - code.count - 5))]
        }
        code += [.jump(by: 13)]
        code += [.store32(register: 7, into: 10, offset: -16), .store32(register: 8, into: 10, offset: -12),
                 .move(1, 6), .call(socketCookie), .store64(register: 0, into: 10, offset: -8)]
        code += I.loadMap(1, fd: map)
        code += [.move(2, 10), .add(2, value: -8), .move(3, 10), .add(3, value: -16), .move(4, value: 0), .call(update)]
        code += [.move(0, value: 1), .exit]
        return code
    }

    /// The program on `getpeername()`: a socket whose destination the other one rewrote is
    /// told the one it asked for (`127.0.0.1:8080`, not `172.18.0.2:80`), as through NAT.
    ///
    ///     r6 = r1; stack[-8] = get_socket_cookie(r1)
    ///     r0 = map_lookup_elem(MAP, &stack[-8]); if r0 == 0 goto done
    ///     user_ip4 = *(u32 *)(r0 + 0); user_port = *(u32 *)(r0 + 4)
    ///     done: r0 = 1; exit
    static func peerProgram(map: Int32) -> [EBPFInstruction] {
        typealias I = EBPFInstruction
        var code: [I] = [.move(6, 1), .call(socketCookie), .store64(register: 0, into: 10, offset: -8)]
        code += I.loadMap(1, fd: map)
        code += [.move(2, 10), .add(2, value: -8), .call(lookUp),
                 .jumpIfEqual(0, 0, by: 4),
                 .load32(into: 2, from: 0, offset: 0), .store32(register: 2, into: 6, offset: userIP4),
                 .load32(into: 2, from: 0, offset: 4), .store32(register: 2, into: 6, offset: userPort),
                 .move(0, value: 1), .exit]
        return code
    }

    /// The program on a socket's release: its entry in the map, if it has one, goes with it.
    /// (The map would also forget it by itself, when full, but making room in a full LRU map
    /// costs every new connection about a microsecond.)
    ///
    ///     stack[-8] = get_socket_cookie(r1); map_delete_elem(MAP, &stack[-8])
    ///     r0 = 1; exit
    static func releaseProgram(map: Int32) -> [EBPFInstruction] {
        typealias I = EBPFInstruction
        var code: [I] = [.call(socketCookie), .store64(register: 0, into: 10, offset: -8)]
        code += I.loadMap(1, fd: map)
        code += [.move(2, 10), .add(2, value: -8), .call(delete), .move(0, value: 1), .exit]
        return code
    }

    /// Makes the shortcuts of this network namespace (the calling thread's) be `shortcuts`:
    /// loads and attaches new programs, then detaches the namespace's old ones. No programs
    /// at all when there is nothing to shortcut, or no cgroup v2 hierarchy to attach to
    /// (NAT then does all the work, as it does for every connection the programs leave alone).
    static func install(_ shortcuts: [PortShortcut]) throws {
        guard let root = cgroupRoot() else { return }
        guard shortcuts.count <= maximumCount else { throw Errno(rawValue: E2BIG) }
        let cgroup = try FileDescriptor.open(root, options: .directory)
        defer { try? cgroup.close() }
        let cookie = try namespaceCookie()
        let name = programName(cookie)
        var current: [UInt32] = []
        if !shortcuts.isEmpty {
            // The old programs' map, if there are any, so that connections made before this
            // change are still told where they asked to go.
            let map = try previousMap(named: name, cgroup: cgroup)
                ?? BPFMap.create(.lruHash, keySize: 8, valueSize: 8, capacity: 8192, name: name)
            defer { try? map.close() }
            for (kind, hook, code) in [(BPFProgram.Kind.socketAddress, BPFProgram.Hook.ipv4Connect,
                                        program(shortcuts, namespaceCookie: cookie, map: map.rawValue)),
                                       (.socketAddress, .ipv4GetPeerName, peerProgram(map: map.rawValue)),
                                       (.socket, .socketRelease, releaseProgram(map: map.rawValue))] {
                let program = try BPFProgram.load(code.map(\.encoded), kind: kind, hook: hook, name: name)
                defer { try? program.close() }
                try BPFProgram.attach(program, to: cgroup, at: hook)
                current.append(try BPFProgram.identity(of: program).id)
            }
        }
        // For a moment old and new are attached together, which is harmless: they send a port
        // to the same place or, for a port the new one no longer has, the old one still does
        // what NAT would.
        for hook in [BPFProgram.Hook.ipv4Connect, .ipv4GetPeerName, .socketRelease] {
            for (id, _, program) in attached(at: hook, cgroup: cgroup, where: { $0 == name }) {
                defer { try? program.close() }
                if !current.contains(id) { try BPFProgram.detach(program, from: cgroup, at: hook) }
            }
        }
    }

    /// The programs attached to `cgroup` at `hook` whose name `matches`: id, name, and a
    /// descriptor that the caller closes.
    static func attached(at hook: BPFProgram.Hook, cgroup: FileDescriptor,
                         where matches: (String) -> Bool) -> [(id: UInt32, name: String, program: FileDescriptor)] {
        ((try? BPFProgram.attached(to: cgroup, at: hook)) ?? []).compactMap { id in
            guard let program = try? BPFProgram.open(id: id) else { return nil }  // detached meanwhile
            if let name = try? BPFProgram.identity(of: program).name, matches(name) { return (id, name, program) }
            try? program.close()
            return nil
        }
    }

    /// The map of this namespace's attached `connect()` program, open, if there is one.
    static func previousMap(named name: String, cgroup: FileDescriptor) throws -> FileDescriptor? {
        let previous = attached(at: .ipv4Connect, cgroup: cgroup, where: { $0 == name })
        defer { for (_, _, program) in previous { try? program.close() } }
        guard let program = previous.first?.program, let id = try BPFProgram.identity(of: program).maps.first else { return nil }
        return try? BPFMap.open(id: id)
    }

    /// The names of every namespace's shortcut programs attached now at `hook`.
    static func attachedNames(at hook: BPFProgram.Hook = .ipv4Connect) -> [String] {
        guard let root = cgroupRoot(), let cgroup = try? FileDescriptor.open(root, options: .directory) else { return [] }
        defer { try? cgroup.close() }
        return attached(at: hook, cgroup: cgroup, where: { $0.hasPrefix("dosirak") }).map { id, name, program in
            try? program.close()
            return name
        }
    }

    /// The program of the namespace `cookie`: `dosirak` and the cookie's low 32 bits in hex.
    static func programName(_ cookie: UInt64) -> String {
        let hex = String(cookie & 0xffff_ffff, radix: 16)
        return "dosirak" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// The calling thread's network namespace's cookie (`SO_NETNS_COOKIE` on a socket made in it).
    static func namespaceCookie() throws -> UInt64 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Errno.current }
        defer { Glibc.close(fd) }
        var cookie: UInt64 = 0
        var size = socklen_t(MemoryLayout<UInt64>.size)
        let soNetnsCookie: Int32 = 71  // SO_NETNS_COOKIE, which Swift's Glibc module does not show
        guard getsockopt(fd, SOL_SOCKET, soNetnsCookie, &cookie, &size) == 0 else { throw Errno.current }
        return cookie
    }

    /// Where the cgroup v2 hierarchy's root is mounted (`/sys/fs/cgroup` on a pure v2 host,
    /// `/sys/fs/cgroup/unified` on a hybrid one), as chapter 03 found it, or nil.
    static func cgroupRoot() -> String? {
        (try? CgroupLayout.current())?.unified
    }
}
