/// A DNS message (RFC 1035), as much of it as a container network needs: the header, the
/// question, and A records in the answer.
///
///     0  ID         2  flags: QR opcode AA TC RD RA Z RCODE
///     4  QDCOUNT    6  ANCOUNT   8  NSCOUNT   10 ARCOUNT
///     12 question: name as labels (3 w w w 7 e x a m p l e 0), QTYPE, QCLASS
public struct DNSMessage: Equatable, Sendable {
    public static let typeA: UInt16 = 1
    public static let typeAAAA: UInt16 = 28
    public static let classIN: UInt16 = 1

    public enum ResponseCode: UInt16, Sendable {
        case noError = 0, formatError = 1, serverFailure = 2, nameError = 3, notImplemented = 4, refused = 5
    }

    public var id: UInt16
    public var flags: UInt16
    public var name: String
    public var type: UInt16
    public var qclass: UInt16
    /// A records of the answer section (responses only).
    public var answers: [IPv4Address] = []

    public var isResponse: Bool { flags & 0x8000 != 0 }
    public var responseCode: UInt16 { flags & 0xf }

    /// A query for the A records of `name`, asking for recursion.
    public static func query(_ name: String, id: UInt16, type: UInt16 = typeA) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendBigEndian(id)
        bytes.appendBigEndian(0x0100)  // RD
        for count: UInt16 in [1, 0, 0, 0] { bytes.appendBigEndian(count) }
        bytes += encodeName(name)
        bytes.appendBigEndian(type)
        bytes.appendBigEndian(classIN)
        return bytes
    }

    /// Parses a message's header and first question (and, in a response, its A records).
    public init(parsing bytes: [UInt8]) throws {
        guard bytes.count >= 12 else { throw NetworkError.invalid("dns: message of \(bytes.count) bytes") }
        id = bytes.bigEndian(at: 0)
        flags = bytes.bigEndian(at: 2)
        let questions = bytes.bigEndian(at: 4), answerCount = bytes.bigEndian(at: 6)
        guard questions >= 1 else { throw NetworkError.invalid("dns: no question") }
        var offset = 12
        name = try DNSMessage.readName(bytes, &offset)
        guard offset + 4 <= bytes.count else { throw NetworkError.invalid("dns: question cut short") }
        type = bytes.bigEndian(at: offset)
        qclass = bytes.bigEndian(at: offset + 2)
        offset += 4
        guard isResponse else { return }
        for _ in 0..<questions - 1 {
            _ = try DNSMessage.readName(bytes, &offset)
            offset += 4
        }
        for _ in 0..<answerCount {
            _ = try DNSMessage.readName(bytes, &offset)
            guard offset + 10 <= bytes.count else { throw NetworkError.invalid("dns: answer cut short") }
            let type = bytes.bigEndian(at: offset), length = Int(bytes.bigEndian(at: offset + 8))
            offset += 10
            guard offset + length <= bytes.count else { throw NetworkError.invalid("dns: record data cut short") }
            if type == DNSMessage.typeA, length == 4, let address = IPv4Address(bytes: Array(bytes[offset..<offset + 4])) {
                answers.append(address)
            }
            offset += length
        }
    }

    /// The answer to `query`: its header and question echoed, with `addresses` as A records.
    public static func response(to query: [UInt8], code: ResponseCode, addresses: [IPv4Address] = [], ttl: UInt32 = 5) throws -> [UInt8] {
        var offset = 12
        _ = try readName(query, &offset)
        let questionEnd = offset + 4
        guard questionEnd <= query.count else { throw NetworkError.invalid("dns: question cut short") }
        var bytes: [UInt8] = []
        bytes.appendBigEndian(query.bigEndian(at: 0))
        // QR, the query's opcode and RD, AA (we are the authority for these names), RA.
        let flags: UInt16 = 0x8000 | (query.bigEndian(at: 2) & 0x7900) | 0x0400 | 0x0080 | code.rawValue
        bytes.appendBigEndian(flags)
        for count in [1, UInt16(addresses.count), 0, 0] { bytes.appendBigEndian(count) }
        bytes += query[12..<questionEnd]
        for address in addresses {
            bytes.appendBigEndian(0xc00c)  // a pointer to the name in the question
            bytes.appendBigEndian(typeA)
            bytes.appendBigEndian(classIN)
            bytes.appendBigEndian(UInt16(ttl >> 16))
            bytes.appendBigEndian(UInt16(ttl & 0xffff))
            bytes.appendBigEndian(4)
            bytes += address.bytes
        }
        return bytes
    }

    static func encodeName(_ name: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for label in name.split(separator: ".") {
            let utf8 = Array(label.utf8.prefix(63))
            bytes.append(UInt8(utf8.count))
            bytes += utf8
        }
        bytes.append(0)
        return bytes
    }

    /// Reads a name of labels, following compression pointers (at most 16 of them).
    static func readName(_ bytes: [UInt8], _ offset: inout Int) throws -> String {
        var labels: [String] = []
        var position = offset
        var jumped = false
        for _ in 0..<128 {
            guard position < bytes.count else { throw NetworkError.invalid("dns: name runs past the message") }
            let length = Int(bytes[position])
            if length == 0 {
                if !jumped { offset = position + 1 }
                return labels.joined(separator: ".")
            }
            if length & 0xc0 == 0xc0 {
                guard position + 1 < bytes.count else { throw NetworkError.invalid("dns: bad pointer") }
                if !jumped { offset = position + 2 }
                jumped = true
                position = (length & 0x3f) << 8 | Int(bytes[position + 1])
                continue
            }
            guard length <= 63, position + 1 + length <= bytes.count else { throw NetworkError.invalid("dns: bad label") }
            labels.append(String(decoding: bytes[(position + 1)...(position + length)], as: UTF8.self))
            position += 1 + length
        }
        throw NetworkError.invalid("dns: name too long or a pointer loop")
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian(_ value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(value & 0xff))
    }

    func bigEndian(at offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }
}
