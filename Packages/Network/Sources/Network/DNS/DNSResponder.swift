import FoundationEssentials
import Glibc
import Syscalls

/// Set by SIGHUP: read the records file again.
nonisolated(unsafe) private var reloadRequested: sig_atomic_t = 0

/// The DNS responder of a user-defined network (podman's aardvark-dns is the model): a
/// small UDP server on the network's gateway address that answers A queries for the names
/// of the network's containers and forwards every other query to the host's resolvers.
///
/// It runs as a process of its own, long-lived, started by the first container on the
/// network and stopped by the last (`DNSService`); `dosirak dns ...` and `network-demo dns
/// ...` are this function. One thread, one `poll` loop: queries from containers on one
/// socket, answers from upstream on another, forwarded queries remembered by ID until
/// their answer or a two-second timeout.
public enum DNSResponder {
    public struct Configuration: Sendable {
        public var records: String
        public var listen: IPv4Address
        public var port: UInt16 = 53
        /// The resolv.conf whose nameservers get the queries we cannot answer.
        public var resolvConf = "/etc/resolv.conf"
        /// A descriptor to write "ready" to once listening (then closed).
        public var readyFD: Int32?

        public init(records: String, listen: IPv4Address) {
            self.records = records
            self.listen = listen
        }

        /// Parses `--records FILE --listen IP [--port N] [--resolv-conf FILE] [--ready-fd N]`.
        public init(arguments: [String]) throws {
            var values: [String: String] = [:]
            var rest = arguments[...]
            while let flag = rest.popFirst() {
                guard flag.hasPrefix("--"), let value = rest.popFirst() else {
                    throw NetworkError.invalid("dns: expected --records FILE --listen IP [--port N] [--resolv-conf FILE] [--ready-fd N]")
                }
                values[String(flag.dropFirst(2))] = value
            }
            guard let records = values["records"], let listenText = values["listen"], let listen = IPv4Address(listenText) else {
                throw NetworkError.invalid("dns: --records FILE and --listen IP are required")
            }
            self.init(records: records, listen: listen)
            if let port = values["port"] {
                guard let value = UInt16(port) else { throw NetworkError.invalid("dns: bad port \(port)") }
                self.port = value
            }
            if let resolvConf = values["resolv-conf"] { self.resolvConf = resolvConf }
            if let fd = values["ready-fd"] { readyFD = Int32(fd) }
        }
    }

    struct Pending {
        let client: IPv4Address
        let clientPort: UInt16
        let originalID: UInt16
        let query: [UInt8]
        var upstreamIndex: Int
        var deadline: Date
    }

    /// Serves until killed.
    public static func run(_ configuration: Configuration) throws -> Never {
        let listener: UDPSocket
        do {
            listener = try UDPSocket(bindingTo: configuration.listen, port: configuration.port)
        } catch {
            if let fd = configuration.readyFD { reportReady(fd, "\(error)") }
            throw error
        }
        let upstream = try UDPSocket()
        let host = ResolvConf(parsing: (try? String(contentsOfFile: configuration.resolvConf, encoding: .utf8)) ?? "")
        let upstreams = host.nameservers.compactMap(IPv4Address.init).filter { $0 != configuration.listen }
        signal(SIGHUP) { _ in reloadRequested = 1 }
        signal(SIGPIPE, SIG_IGN)

        var records = DNSRecords()
        var loadedVersion: FileVersion?
        func reload() {
            let version = FileVersion(configuration.records)
            guard version != loadedVersion || reloadRequested != 0 else { return }
            reloadRequested = 0
            if let loaded = try? StateFile.read(DNSRecords.self, from: configuration.records) {
                records = loaded
                loadedVersion = version
            }
        }
        reload()
        log("listening on \(configuration.listen):\(configuration.port), \(records.names.count) names, upstream \(upstreams)")
        if let fd = configuration.readyFD { reportReady(fd, "ready") }

        var pending: [UInt16: Pending] = [:]
        var nextID = UInt16.random(in: 1...UInt16.max)

        func forward(_ entry: Pending, as id: UInt16) {
            var query = entry.query
            query[0] = UInt8(id >> 8)
            query[1] = UInt8(id & 0xff)
            try? upstream.send(query, to: upstreams[entry.upstreamIndex], port: 53)
        }

        func fail(_ entry: Pending) {
            if let answer = try? DNSMessage.response(to: entry.query, code: .serverFailure) {
                try? listener.send(answer, to: entry.client, port: entry.clientPort)
            }
        }

        while true {
            var fds = [
                pollfd(fd: listener.descriptor.rawValue, events: Int16(POLLIN), revents: 0),
                pollfd(fd: upstream.descriptor.rawValue, events: Int16(POLLIN), revents: 0),
            ]
            _ = poll(&fds, 2, 500)  // EINTR (SIGHUP) just comes round again
            reload()

            if fds[0].revents & Int16(POLLIN) != 0, let (bytes, client, clientPort) = try? listener.receive(),
               let query = try? DNSMessage(parsing: bytes), !query.isResponse {
                if let addresses = records.addresses(of: query.name, searchDomains: host.search) {
                    // Ours: A records for A, an empty answer (NODATA) for anything else.
                    let answer = query.type == DNSMessage.typeA ? addresses : []
                    if let response = try? DNSMessage.response(to: bytes, code: .noError, addresses: answer) {
                        try? listener.send(response, to: client, port: clientPort)
                    }
                } else if upstreams.isEmpty {
                    if let response = try? DNSMessage.response(to: bytes, code: .serverFailure) {
                        try? listener.send(response, to: client, port: clientPort)
                    }
                } else {
                    nextID &+= 1
                    let entry = Pending(client: client, clientPort: clientPort, originalID: query.id, query: bytes,
                                        upstreamIndex: 0, deadline: Date().addingTimeInterval(2))
                    pending[nextID] = entry
                    forward(entry, as: nextID)
                }
            }

            if fds[1].revents & Int16(POLLIN) != 0, let (bytes, _, _) = try? upstream.receive(), bytes.count >= 12 {
                let id = bytes.bigEndian(at: 0)
                if let entry = pending.removeValue(forKey: id) {
                    var answer = bytes
                    answer[0] = UInt8(entry.originalID >> 8)
                    answer[1] = UInt8(entry.originalID & 0xff)
                    try? listener.send(answer, to: entry.client, port: entry.clientPort)
                }
            }

            let now = Date()
            for (id, var entry) in pending where entry.deadline < now {
                entry.upstreamIndex += 1
                if entry.upstreamIndex < upstreams.count {
                    entry.deadline = now.addingTimeInterval(2)
                    pending[id] = entry
                    forward(entry, as: id)
                } else {
                    pending[id] = nil
                    fail(entry)
                }
            }
        }
    }

    static func reportReady(_ fd: Int32, _ text: String) {
        let descriptor = FileDescriptor(rawValue: fd)
        try? descriptor.writeAll(text + "\n")
        try? descriptor.close()
    }

    static func log(_ text: String) {
        try? FileDescriptor(rawValue: 2).writeAll("dosirak dns: \(text)\n")
    }
}
