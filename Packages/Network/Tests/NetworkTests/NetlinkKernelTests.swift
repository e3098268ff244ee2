import Foundation
import Syscalls
import Testing
@testable import Network

/// Real links, created in namespaces the tests make, checked by our own dumps and by `ip`.
@Suite("Netlink on a real kernel", .enabled(if: isRoot, "needs root"))
struct NetlinkKernelTests {
    @Test("a bridge and a veth pair are created, configured and attached as ip shows them")
    func bridgeAndVeth() throws {
        let host = try TestNamespace()
        defer { host.close() }
        let netlink = try host.namespace.socket()
        try netlink.createBridge(named: "dsk0")
        try netlink.createVethPair(named: "dskv0", peer: "dskp0")
        try netlink.attach("dskv0", toBridge: "dsk0")
        try netlink.setMTU("dskv0", 1400)
        try netlink.setMAC("dskp0", MACAddress("02:42:ac:12:00:02")!)
        try netlink.addAddress(IPv4Address("172.18.0.1")!, prefixLength: 16, to: "dsk0")
        for name in ["dsk0", "dskv0", "dskp0"] { try netlink.setUp(name) }

        let links = try netlink.links()
        let bridge = try #require(links.first { $0.name == "dsk0" })
        let host0 = try #require(links.first { $0.name == "dskv0" })
        let peer = try #require(links.first { $0.name == "dskp0" })
        #expect(bridge.kind == "bridge" && bridge.isUp)
        #expect(host0.kind == "veth" && host0.master == bridge.index && host0.mtu == 1400)
        #expect(peer.mac == MACAddress("02:42:ac:12:00:02"))
        #expect(try netlink.addresses().contains { $0.address == IPv4Address("172.18.0.1") && $0.prefixLength == 16 })
        #expect(try netlink.routes().contains { $0.destination == Subnet("172.18.0.0/16") })

        // And what iproute2 reads from the same kernel.
        #expect(try host.ip("-o link show dskv0").contains("master dsk0"))
        #expect(try host.ip("-o addr show dev dsk0").contains("172.18.0.1/16"))
        #expect(try host.ip("-o link show dskp0").contains("02:42:ac:12:00:02"))
    }

    @Test("a veth end moved into another namespace by fd is renamed, addressed and routed there")
    func moveIntoNamespace() throws {
        let host = try TestNamespace(), container = try TestNamespace()
        defer { host.close(); container.close() }
        let outside = try host.namespace.socket()
        try outside.createVethPair(named: "dskv1", peer: "dskp1")
        try outside.move("dskp1", toNamespace: container.namespace)
        #expect(try outside.link(named: "dskp1") == nil)

        let inside = try container.namespace.socket()
        try inside.rename("dskp1", to: "eth0")
        try inside.addAddress(IPv4Address("10.99.0.2")!, prefixLength: 24, to: "eth0")
        try inside.setUp("eth0")
        try inside.addRoute(to: nil, via: IPv4Address("10.99.0.1")!)
        #expect(try inside.link(named: "eth0")?.kind == "veth")
        #expect(try inside.routes().contains { $0.destination == nil && $0.gateway == IPv4Address("10.99.0.1") })
        #expect(try container.ip("route show default").contains("default via 10.99.0.1 dev eth0"))

        // Deleting the host's end deletes the pair.
        try outside.deleteLink("dskv1")
        #expect(try inside.link(named: "eth0") == nil)
    }

    @Test("a link that vanishes between its look-up and its delete is no such link, not a netlink error")
    func vanishedLink() throws {
        let host = try TestNamespace()
        defer { host.close() }
        let netlink = try host.namespace.socket()
        try netlink.createVethPair(named: "dskv3", peer: "dskp3")
        let index = try #require(try netlink.link(named: "dskv3")?.index)
        try netlink.deleteLink("dskv3")
        #expect(try netlink.link(named: "dskp3") == nil)
        // What a delete meets when the kernel removed the pair after we looked it up.
        #expect(throws: NetworkError.noSuchLink("dskv3")) { try netlink.deleteLink(index: index, name: "dskv3") }
        #expect(throws: NetworkError.noSuchLink("dskv3")) { try netlink.deleteLink("dskv3") }
    }

    @Test("a veth peer can be born in another namespace, with its name and MTU, never on the host")
    func bornInNamespace() throws {
        let host = try TestNamespace(), container = try TestNamespace()
        defer { host.close(); container.close() }
        let outside = try host.namespace.socket()
        try outside.createVethPair(named: "dskv2", peer: "eth0", peerNamespace: container.namespace, mtu: 1400)
        #expect(try outside.link(named: "eth0") == nil)
        #expect(try outside.link(named: "dskv2")?.mtu == 1400)
        let inside = try container.namespace.socket()
        #expect(try inside.link(named: "eth0")?.kind == "veth")
        #expect(try inside.link(named: "eth0")?.mtu == 1400)
        try outside.deleteLink("dskv2")
        #expect(try inside.link(named: "eth0") == nil)
        // Asked for by name: one that is not there, or could not be (over 15 bytes), is nil.
        #expect(try outside.link(named: "dskv2") == nil)
        #expect(try outside.link(named: "a-name-far-too-long-for-a-link") == nil)
        #expect(try outside.link(named: "lo")?.index == 1)
    }

    @Test("the kernel's refusals come back as errno values with its explanation")
    func errors() throws {
        let host = try TestNamespace()
        defer { host.close() }
        let netlink = try host.namespace.socket()
        try netlink.createBridge(named: "dsk1")
        #expect(throws: NetworkError.netlink("create bridge dsk1", .fileExists, nil)) {
            do { try netlink.createBridge(named: "dsk1") } catch NetworkError.netlink(let what, let errno, _) {
                throw NetworkError.netlink(what, errno, nil)
            }
        }
        #expect(throws: NetworkError.noSuchLink("nope0")) { try netlink.setUp("nope0") }
        do {
            try netlink.addRoute(to: nil, via: IPv4Address("192.0.2.1")!)
            Issue.record("a route via an unreachable gateway was accepted")
        } catch NetworkError.netlink(_, let errno, _) {
            #expect(errno == Errno(rawValue: ENETUNREACH))
        }
    }

    @Test("a socket opened for another namespace sees that namespace, whichever thread uses it")
    func socketStaysInItsNamespace() async throws {
        let host = try TestNamespace()
        defer { host.close() }
        let netlink = try host.namespace.socket()
        try netlink.createBridge(named: "dsk2")
        let names = try await Task.detached { try netlink.links().map(\.name) }.value
        #expect(Set(names) == ["lo", "dsk2"])
        // The test's own thread never moved.
        #expect(try NetlinkSocket().link(named: "dsk2") == nil)
    }
}
