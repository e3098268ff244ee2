import Syscalls

/// The names a network's DNS responder answers: a file in the network's state directory
/// that the parent rewrites whenever a container comes or goes.
///
///     { "names" : { "db" : ["172.18.0.2"], "mysql" : ["172.18.0.2"], "web" : ["172.18.0.3"] } }
public struct DNSRecords: Codable, Equatable, Sendable {
    /// Lower-case name to its addresses.
    public var names: [String: [IPv4Address]]

    public init(names: [String: [IPv4Address]] = [:]) {
        self.names = names
    }

    /// Every name of every endpoint: the container's name, its short ID, its aliases.
    public init(endpoints: [Endpoint]) {
        var names: [String: [IPv4Address]] = [:]
        for endpoint in endpoints {
            for name in endpoint.names {
                let key = name.lowercased()
                if !(names[key]?.contains(endpoint.address) ?? false) { names[key, default: []].append(endpoint.address) }
            }
        }
        self.init(names: names)
    }

    /// The addresses of `name` (any case, with or without the final dot), or nil. With
    /// `searchDomains` (the container's resolv.conf copies the host's `search` line), a
    /// resolver asking for `db.corp.example` before `db` gets the answer at once, instead
    /// of a round trip upstream for a name only this network knows.
    public func addresses(of name: String, searchDomains: [String] = []) -> [IPv4Address]? {
        var key = name.lowercased()
        if key.hasSuffix(".") { key.removeLast() }
        if let found = names[key] { return found }
        for domain in searchDomains {
            let suffix = "." + domain.lowercased().trimming(["."])
            if key.hasSuffix(suffix), let found = names[String(key.dropLast(suffix.count))] { return found }
        }
        return nil
    }
}
