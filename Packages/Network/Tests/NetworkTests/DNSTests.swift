import Foundation
import Glibc
import Syscalls
import Testing
@testable import Network

@Suite("DNS messages")
struct DNSMessageTests {
    @Test("a query for db is the bytes of RFC 1035")
    func query() {
        #expect(DNSMessage.query("db", id: 0x1234) == [
            0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,   // ID, RD, one question
            2, 0x64, 0x62, 0,                                  // "db"
            0, 1, 0, 1,                                        // A, IN
        ])
    }

    @Test("an answer echoes the question and carries the A records, and parses back")
    func answer() throws {
        let query = DNSMessage.query("MySQL", id: 7)
        let response = try DNSMessage.response(to: query, code: .noError, addresses: [IPv4Address("172.18.0.2")!, IPv4Address("172.18.0.3")!])
        let parsed = try DNSMessage(parsing: response)
        #expect(parsed.id == 7 && parsed.isResponse && parsed.responseCode == 0 && parsed.name == "MySQL")
        #expect(parsed.answers == [IPv4Address("172.18.0.2")!, IPv4Address("172.18.0.3")!])
        #expect(Array(response[(query.count)..<(query.count + 2)]) == [0xc0, 0x0c], "the answer's name points at the question")
    }

    @Test("names are case-insensitive and may end with a dot")
    func records() {
        let records = DNSRecords(names: ["db": [IPv4Address("10.0.0.2")!]])
        #expect(records.addresses(of: "DB.") == [IPv4Address("10.0.0.2")!])
        #expect(records.addresses(of: "web") == nil)
        #expect(records.addresses(of: "db.corp.example", searchDomains: ["corp.example"]) == [IPv4Address("10.0.0.2")!])
        #expect(records.addresses(of: "db.other.example", searchDomains: ["corp.example"]) == nil)
    }

    @Test("malformed messages are errors, not crashes", arguments: [
        [UInt8](), [0, 1, 0, 0, 0, 1], [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 0x61],
        [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1],  // a pointer to itself
    ])
    func malformed(bytes: [UInt8]) {
        #expect(throws: NetworkError.self) { try DNSMessage(parsing: bytes) }
    }
}

/// Responders as the network runs them, in a namespace of the test's own, on loopback.
@Suite("DNS responder", .enabled(if: isRoot, "needs root"))
struct DNSResponderTests {
    /// Starts the helper's `dns` on `listen`:53 in `host` and waits for its "ready".
    func startResponder(in host: TestNamespace, records: String, listen: String, resolvConf: String) throws -> SpawnedProcess {
        let (read, write) = try FileDescriptor.pipe()
        defer { try? read.close() }
        let child = try host.namespace.perform {
            var spawn = Spawn(helper, arguments: ["dns", "--records", records, "--listen", listen, "--resolv-conf", resolvConf, "--ready-fd", "3"])
            spawn.fileDescriptors[3] = write
            return try spawn.start()
        }
        try write.close()
        let answer = String(decoding: try read.readAll(), as: UTF8.self)
        #expect(answer == "ready\n")
        return child
    }

    @Test("answers its names, forwards the rest upstream, and picks up new records")
    func answersAndForwards() throws {
        let host = try TestNamespace()
        defer { host.close() }
        try withTemporaryDirectory { directory in
            // "Upstream": the host's resolver, here another responder on 127.0.0.1.
            try StateFile.write(DNSRecords(names: ["upstream.example": [IPv4Address("10.1.2.3")!]]), to: directory + "/up.json")
            try "".write(toFile: directory + "/empty.conf", atomically: true, encoding: .utf8)
            let upstream = try startResponder(in: host, records: directory + "/up.json", listen: "127.0.0.1", resolvConf: directory + "/empty.conf")
            defer { try? upstream.pid.send(.kill); _ = try? upstream.wait() }

            try StateFile.write(DNSRecords(names: ["db": [IPv4Address("172.18.0.2")!]]), to: directory + "/net.json")
            try "nameserver 127.0.0.1\n".write(toFile: directory + "/host.conf", atomically: true, encoding: .utf8)
            let responder = try startResponder(in: host, records: directory + "/net.json", listen: "127.0.0.2", resolvConf: directory + "/host.conf")
            defer { try? responder.pid.send(.kill); _ = try? responder.wait() }

            let server = IPv4Address("127.0.0.2")!
            try host.namespace.perform {
                #expect(try DNSClient.resolve("db", server: server) == [IPv4Address("172.18.0.2")!])
                #expect(try DNSClient.resolve("upstream.example", server: server) == [IPv4Address("10.1.2.3")!])
                // Unknown everywhere: upstream's own answer (SERVFAIL, it has no upstream) comes back.
                #expect(throws: NetworkError.self) { try DNSClient.resolve("nowhere.example", server: server) }
                // A new container: the file is replaced, and SIGHUP says so at once.
                try StateFile.write(DNSRecords(names: ["db": [IPv4Address("172.18.0.2")!], "web": [IPv4Address("172.18.0.3")!]]),
                                    to: directory + "/net.json")
                try responder.pid.send(.hangup)
                usleep(100_000)
                #expect(try DNSClient.resolve("web", server: server) == [IPv4Address("172.18.0.3")!])
            }
        }
    }

    @Test("a responder that cannot bind says why instead of ready")
    func cannotBind() throws {
        let host = try TestNamespace()
        defer { host.close() }
        try withTemporaryDirectory { directory in
            let (read, write) = try FileDescriptor.pipe()
            let child = try host.namespace.perform {
                var spawn = Spawn(helper, arguments: ["dns", "--records", directory + "/none.json", "--listen", "192.0.2.1", "--ready-fd", "3"])
                spawn.fileDescriptors[3] = write
                spawn.fileDescriptors[2] = try FileDescriptor.open("/dev/null", .writeOnly)
                return try spawn.start()
            }
            try write.close()
            let answer = String(decoding: try read.readAll(), as: UTF8.self)
            try read.close()
            #expect(answer.hasPrefix("bind udp 192.0.2.1:53: EADDRNOTAVAIL"))
            #expect(try child.wait() == .exited(1))
        }
    }
}
