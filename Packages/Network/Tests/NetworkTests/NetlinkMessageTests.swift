import Testing
@testable import Network

/// The golden bytes are what iproute2 6.1 sends for the same command, captured with
/// `strace -e trace=sendmsg -e write=3 ip ...` (sequence number 0x6b0bf5a6).
@Suite("Netlink messages")
struct NetlinkMessageTests {
    static let sequence: UInt32 = 0x6b0b_f5a6

    func sent(_ message: NetlinkMessage) -> [UInt8] {
        var message = message
        message.flags |= RouteNetlink.request | RouteNetlink.ack
        message.sequence = NetlinkMessageTests.sequence
        return message.encoded
    }

    @Test("ip link add dsk0 type bridge")
    func bridge() {
        #expect(sent(RouteRequest.createBridge(named: "dsk0")) == hexBytes("""
            3c 00 00 00 10 00 05 06  a6 f5 0b 6b 00 00 00 00
            00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
            09 00 03 00 64 73 6b 30  00 00 00 00 10 00 12 00
            0a 00 01 00 62 72 69 64  67 65 00 00
            """))
    }

    @Test("ip link add dskv0 type veth peer name dskp0")
    func veth() {
        #expect(sent(RouteRequest.createVethPair(named: "dskv0", peer: "dskp0")) == hexBytes("""
            5c 00 00 00 10 00 05 06  a6 f5 0b 6b 00 00 00 00
            00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
            0a 00 03 00 64 73 6b 76  30 00 00 00 30 00 12 00
            08 00 01 00 76 65 74 68  24 00 02 00 20 00 01 00
            00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
            0a 00 03 00 64 73 6b 70  30 00 00 00
            """))
    }

    @Test("ip addr add 172.18.0.1/16 dev dsk0 (index 2)")
    func address() {
        #expect(sent(RouteRequest.addAddress(IPv4Address("172.18.0.1")!, prefixLength: 16, index: 2)) == hexBytes("""
            28 00 00 00 14 00 05 06  a6 f5 0b 6b 00 00 00 00
            02 10 00 00 02 00 00 00  08 00 02 00 ac 12 00 01
            08 00 01 00 ac 12 00 01
            """))
    }

    @Test("ip route add default via 172.18.0.1")
    func defaultRoute() {
        #expect(sent(RouteRequest.addRoute(to: nil, via: IPv4Address("172.18.0.1")!)) == hexBytes("""
            24 00 00 00 18 00 05 06  a6 f5 0b 6b 00 00 00 00
            02 00 00 00 fe 03 00 01  00 00 00 00 08 00 05 00
            ac 12 00 01
            """))
    }

    @Test("ip link set dev (index 2) up, and master (index 2) for index 4")
    func setLink() {
        #expect(sent(RouteRequest.setLink(index: 2, up: true)) == hexBytes("""
            20 00 00 00 10 00 05 00  a6 f5 0b 6b 00 00 00 00
            00 00 00 00 02 00 00 00  01 00 00 00 01 00 00 00
            """))
        #expect(sent(RouteRequest.setLink(index: 4, master: 2)) == hexBytes("""
            28 00 00 00 10 00 05 00  a6 f5 0b 6b 00 00 00 00
            00 00 00 00 04 00 00 00  00 00 00 00 00 00 00 00
            08 00 0a 00 02 00 00 00
            """))
    }

    @Test("ip link set dev (index 4) type bridge_slave hairpin on")
    func hairpin() {
        #expect(sent(RouteRequest.setHairpin(index: 4)) == hexBytes("""
            40 00 00 00 10 00 05 00  a6 f5 0b 6b 00 00 00 00
            00 00 00 00 04 00 00 00  00 00 00 00 00 00 00 00
            20 00 12 00 10 00 01 00  62 72 69 64 67 65 5f 73
            6c 61 76 65 0c 00 05 00  05 00 04 00 01 00 00 00
            """))
    }

    @Test("a message and its nested attributes parse back to what was built")
    func roundTrip() throws {
        let built = RouteRequest.createVethPair(named: "a", peer: "b", mtu: 1400)
        let parsed = try #require(try NetlinkMessage.parse(built.encoded).first)
        #expect(parsed == built)
        let attributes = try NetlinkAttribute.parse(parsed.payload[InterfaceInfoHeader.size...])
        #expect(attributes[type: LinkAttribute.name]?.string == "a")
        #expect(attributes[type: LinkAttribute.mtu]?.uint32 == 1400)
        let info = try #require(try attributes[type: LinkAttribute.linkInfo]?.nested())
        #expect(String(decoding: info[type: LinkAttribute.infoKind]!.value, as: UTF8.self) == "veth")
        let peer = try #require(try info[type: LinkAttribute.infoData]?.nested()[type: LinkAttribute.vethPeer])
        let peerAttributes = try NetlinkAttribute.parse(peer.value[InterfaceInfoHeader.size...])
        #expect(peerAttributes[type: LinkAttribute.name]?.string == "b")
    }

    @Test("an error answer carries the errno and the kernel's extended-ack text")
    func errorAnswer() throws {
        // NLMSG_ERROR, flags CAPPED|ACK_TLVS, error -EEXIST, the quoted header, then
        // NLMSGERR_ATTR_MSG "exists".
        var payload: [UInt8] = []
        payload.append(integer: Int32(-17))
        payload.append(contentsOf: NetlinkMessage(type: 16, flags: 0x605, payload: []).encoded)
        payload.append(contentsOf: NetlinkAttribute(RouteNetlink.errorAttributeMessage, string: "exists").encoded)
        let message = NetlinkMessage(type: RouteNetlink.error, flags: 0x300, payload: payload)
        let report = try #require(try NetlinkMessage.parse(message.encoded).first?.errorReport)
        #expect(report.errno == 17)
        #expect(report.message == "exists")
    }

    @Test("a truncated attribute is an error, not a crash")
    func truncated() {
        #expect(throws: NetworkError.self) { try NetlinkAttribute.parse([0x20, 0x00, 0x03, 0x00, 0x61][...]) }
    }
}
