import FoundationEssentials
import Glibc

/// Cleaning up after a crash: what a `dosirak` command killed half-way (or a container
/// that died without its monitor) left behind. Every command that changes networks runs
/// this first, under the lock; nothing is left for long.
extension NetworkStore {
    /// Finds and removes leftovers; returns one line for each thing removed.
    @discardableResult
    public func recover() throws -> [String] {
        try locked { try recoverLocked() }
    }

    func recoverLocked() throws -> [String] {
        var report: [String] = []
        let networks = try networks()
        var touched: Set<String> = []
        // Each network's endpoints, read once (a JSON file each) and kept up to date below.
        var endpointsByNetwork: [String: [Endpoint]] = [:]
        // 1. Endpoints whose setup died half-way, or whose container is gone.
        for network in networks {
            var kept: [Endpoint] = []
            for endpoint in try endpoints(of: network.name) {
                let halfDone = endpoint.setupBy.map { !$0.isAlive } ?? false
                let orphaned = endpoint.process.map { !$0.isAlive } ?? false
                guard halfDone || orphaned else { kept.append(endpoint); continue }
                try release(endpoint, of: network)
                touched.insert(network.name)
                report.append("endpoint \(endpoint.containerName) on \(network.name): " +
                              (halfDone ? "setup was interrupted" : "container is gone"))
            }
            endpointsByNetwork[network.name] = kept
        }
        // 2. Host ends of veth pairs that no endpoint claims (a crash between creating the
        //    pair and recording it cannot happen, but a state directory removed by hand can).
        let claimed = Set(endpointsByNetwork.values.joined().map(\.hostInterface))
        let netlink = try hostNetlink()
        for link in try netlink.links() where link.kind == "veth" && NetworkStore.isOurs(link.name) && !claimed.contains(link.name) {
            try? netlink.deleteLink(link.name)
            report.append("link \(link.name): no endpoint")
        }
        // 3. Rules and DNS responders follow the state.
        if !touched.isEmpty || !report.isEmpty {
            try firewall.apply(networks: networks, endpoints: NetworkStore.inDiskOrder(Array(endpointsByNetwork.values.joined())))
        }
        for network in networks {
            let service = dnsService(for: network)
            let endpoints = endpointsByNetwork[network.name] ?? []
            if touched.contains(network.name) || (endpoints.isEmpty && service.isRunning) {
                try service.update(endpoints: endpoints)
            }
        }
        return report
    }

    /// Dosirak's veth names: `dv` or `dp` and 12 hexadecimal digits.
    static func isOurs(_ name: String) -> Bool {
        (name.hasPrefix("dv") || name.hasPrefix("dp")) && name.count == 14 &&
            name.dropFirst(2).allSatisfy { $0.isHexDigit }
    }
}
