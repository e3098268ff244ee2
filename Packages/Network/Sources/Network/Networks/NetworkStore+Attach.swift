import Foundation
import Glibc
import Syscalls

extension NetworkStore {
    /// Connects a container to a network:
    ///
    /// 1. an address from the network's IPAM, and the endpoint recorded on disk;
    /// 2. a veth pair in the host's namespace, one end a port of the bridge;
    /// 3. the other end moved into the container's namespace, renamed `eth0`, given its
    ///    MAC and address, brought up with `lo`, and a default route via the gateway;
    /// 4. the firewall rewritten with the container's published ports, and its names given
    ///    to the network's DNS responder (started if it is the first container).
    ///
    /// If any step fails, what the earlier ones made is taken down again.
    public func attach(_ request: AttachRequest) throws -> Attachment {
        guard !request.containerID.isEmpty, request.containerID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw NetworkError.invalid("container id \"\(request.containerID)\": letters and digits only")
        }
        return try locked {
            _ = try recoverLocked()
            let network = try network(request.network)
            let file = endpointFile(network.name, request.containerID)
            if FileManager.default.fileExists(atPath: file) {
                throw NetworkError.alreadyAttached(container: request.containerName, network: network.name)
            }
            let ports = try choosePorts(request.ports)
            try checkPorts(ports)
            let ipam = allocator(for: network)
            let address = try ipam.allocate(for: request.containerID, preferred: request.address, network: network.name)
            let tag = NetworkStore.interfaceTag(container: request.containerID, network: network.id)
            var endpoint = Endpoint(
                containerID: request.containerID, containerName: request.containerName, aliases: request.aliases,
                network: network.name, address: address, mac: MACAddress(derivedFrom: address),
                hostInterface: "dv" + tag, containerInterface: "eth0", ports: ports,
                process: request.process, setupBy: ProcessIdentity.current)
            do {
                try StateFile.write(endpoint, to: file)
                Failpoint.check("attach-recorded")
                try ensureBridge(network)
                endpoint.containerInterface = try connect(endpoint, peer: "dp" + tag, network: network, into: request.namespace)
                endpoint.setupBy = nil
                try StateFile.write(endpoint, to: file)
                try firewall.apply(networks: try networks(), endpoints: try allEndpoints())
                try dnsService(for: network).update(endpoints: try endpoints(of: network.name))
            } catch {
                try? hostNetlink().deleteLink(endpoint.hostInterface)
                try? ipam.release(request.containerID)
                unlink(file)
                try? firewall.apply(networks: try networks(), endpoints: try allEndpoints())
                try? dnsService(for: network).update(endpoints: try endpoints(of: network.name))
                throw error
            }
            let files = ContainerFiles(
                hostname: request.hostname, address: address, nameserver: network.hasDNS ? network.gateway : nil,
                hostResolvConf: (try? String(contentsOfFile: hostResolvConf, encoding: .utf8)) ?? "")
            if let directory = request.filesDirectory { try files.write(to: directory) }
            return Attachment(network: network, endpoint: endpoint, files: files)
        }
    }

    /// The veth pair, from the bridge into the container; returns the name inside (`eth0`).
    func connect(_ endpoint: Endpoint, peer: String, network: BridgeNetwork, into namespace: NetworkNamespace) throws -> String {
        let outside = try hostNetlink()
        let mtu = try outside.link(named: network.bridge)?.mtu ?? 1500
        try outside.createVethPair(named: endpoint.hostInterface, peer: peer, mtu: mtu)
        Failpoint.check("attach-veth")
        try outside.attach(endpoint.hostInterface, toBridge: network.bridge)
        try outside.setHairpin(endpoint.hostInterface)
        try outside.setUp(endpoint.hostInterface)
        try outside.move(peer, toNamespace: namespace)

        let inside = try namespace.socket()
        let taken = Set(try inside.links().map(\.name))
        let name = (0...).lazy.map { "eth\($0)" }.first { !taken.contains($0) }!
        try inside.rename(peer, to: name)
        try inside.setMAC(name, endpoint.mac)
        try inside.addAddress(endpoint.address, prefixLength: network.subnet.prefixLength, to: name)
        try inside.setUp(name)
        try inside.setUp("lo")
        // The first network gives the default route; later ones only their own subnet.
        if try !inside.routes().contains(where: { $0.destination == nil }) {
            try inside.addRoute(to: nil, via: network.gateway)
        }
        return name
    }

    /// Disconnects a container: its veth (and so its address inside), its rules, its DNS
    /// names, its address in IPAM. The last container stops the network's DNS responder.
    public func detach(containerID: String, network name: String) throws {
        try locked {
            let network = try network(name)
            let file = endpointFile(name, containerID)
            guard FileManager.default.fileExists(atPath: file) else {
                throw NetworkError.notAttached(container: containerID, network: name)
            }
            let endpoint = try StateFile.read(Endpoint.self, from: file)
            try release(endpoint, of: network)
            try firewall.apply(networks: try networks(), endpoints: try allEndpoints())
            try dnsService(for: network).update(endpoints: try endpoints(of: name))
        }
    }

    /// Detaches a container from every network it is on (what `rm` does).
    public func detachEverywhere(containerID: String) throws {
        for network in try networks() where FileManager.default.fileExists(atPath: endpointFile(network.name, containerID)) {
            try detach(containerID: containerID, network: network.name)
        }
    }

    /// Deletes the endpoint's veth (if the container's namespace still holds it) and
    /// gives its address back; rules and DNS are the caller's to rewrite.
    func release(_ endpoint: Endpoint, of network: BridgeNetwork) throws {
        do {
            try hostNetlink().deleteLink(endpoint.hostInterface)
        } catch NetworkError.noSuchLink(_) {
            // The namespace died, and took the pair with it.
        }
        try allocator(for: network).release(endpoint.containerID)
        unlink(endpointFile(network.name, endpoint.containerID))
    }

    /// Gives every `-p CONTAINERPORT` (host port 0) a free host port, as Docker does.
    func choosePorts(_ ports: [PortMapping]) throws -> [PortMapping] {
        let published = try allEndpoints().flatMap(\.ports)
        var chosen: [PortMapping] = []
        for var port in ports {
            if port.hostPort == 0 {
                for _ in 0..<16 {
                    guard let candidate = try host.perform({ PortProbe.ephemeralPort(port) }) else { break }
                    port.hostPort = candidate
                    if !(published + chosen).contains(where: { $0.conflicts(with: port) }) { break }
                    port.hostPort = 0
                }
                if port.hostPort == 0 { throw NetworkError.portInUse(port, "no free host port") }
            }
            chosen.append(port)
        }
        return chosen
    }

    /// Refuses a port another container publishes, or one a program on the host listens on.
    func checkPorts(_ ports: [PortMapping]) throws {
        let published = try allEndpoints().flatMap { endpoint in endpoint.ports.map { (endpoint, $0) } }
        for (i, port) in ports.enumerated() {
            if let (owner, _) = published.first(where: { $0.1.conflicts(with: port) }) {
                throw NetworkError.portInUse(port, "published by \(owner.containerName)")
            }
            if ports[..<i].contains(where: { $0.conflicts(with: port) }) {
                throw NetworkError.portInUse(port, "given twice")
            }
            let free = try host.perform { PortProbe.isFree(port) }
            if !free { throw NetworkError.portInUse(port, "a program on the host is bound to it") }
        }
    }

    /// A tag for a container on a network, for interface names of 15 characters at most:
    /// `dv` + 12 hex digits on the host side. FNV-1a of the two IDs: stable, so a later
    /// command can tell which leftover link belonged to whom.
    static func interfaceTag(container: String, network: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (container + "/" + network).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String((String(repeating: "0", count: max(0, 16 - hex.count)) + hex).prefix(12))
    }
}
