import FoundationEssentials
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
            // Every endpoint, read once under the lock (each file is a JSON decode, and this
            // list is needed four times below).
            let others = try allEndpoints()
            let ports = try choosePorts(request.ports, besides: others)
            try checkPorts(ports, besides: others)
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
                endpoint.containerInterface = try connect(endpoint, network: network, into: request.namespace)
                endpoint.setupBy = nil
                try StateFile.write(endpoint, to: file)
                let everyone = NetworkStore.inDiskOrder(others + [endpoint])
                try firewall.apply(networks: try networks(), endpoints: everyone)
                try dnsService(for: network).update(endpoints: everyone.filter { $0.network == network.name })
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
    func connect(_ endpoint: Endpoint, network: BridgeNetwork, into namespace: NetworkNamespace) throws -> String {
        let outside = try hostNetlink()
        let inside = try namespace.socket()
        let mtu = try outside.link(named: network.bridge)?.mtu ?? 1500
        let taken = Set(try inside.links().map(\.name))
        let name = (0...).lazy.map { "eth\($0)" }.first { !taken.contains($0) }!
        // The container's end is born in its namespace, already called eth0 (or eth1, ...).
        try outside.createVethPair(named: endpoint.hostInterface, peer: name, peerNamespace: namespace, mtu: mtu)
        Failpoint.check("attach-veth")
        try outside.attach(endpoint.hostInterface, toBridge: network.bridge)
        try outside.setHairpin(endpoint.hostInterface)
        try outside.setUp(endpoint.hostInterface)
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
    ///
    /// `exited`: the container's processes are all gone, and with them its network namespace.
    public func detach(containerID: String, network name: String, exited: Bool = false) throws {
        try locked {
            let network = try network(name)
            let file = endpointFile(name, containerID)
            guard FileManager.default.fileExists(atPath: file) else {
                throw NetworkError.notAttached(container: containerID, network: name)
            }
            let endpoint = try StateFile.read(Endpoint.self, from: file)
            try release(endpoint, of: network, exited: exited)
            let rest = try allEndpoints()
            try firewall.apply(networks: try networks(), endpoints: rest)
            try dnsService(for: network).update(endpoints: rest.filter { $0.network == name })
        }
    }

    /// Detaches a container from every network it is on (what `rm` does).
    public func detachEverywhere(containerID: String, exited: Bool = false) throws {
        for network in try networks() where FileManager.default.fileExists(atPath: endpointFile(network.name, containerID)) {
            try detach(containerID: containerID, network: network.name, exited: exited)
        }
    }

    /// Deletes the endpoint's veth (if the container's namespace still holds it) and
    /// gives its address back; rules and DNS are the caller's to rewrite.
    ///
    /// When the container has `exited`, its namespace is dying and takes its end of the pair
    /// with it; a veth pair dies whole, so the kernel removes the host's end too, in the
    /// background, within milliseconds. Waiting for that is cheaper than deleting it: a
    /// delete waits for every pending RCU callback (20 ms measured here). If the link stays
    /// (something else holds the namespace open), we delete it after all.
    func release(_ endpoint: Endpoint, of network: BridgeNetwork, exited: Bool = false) throws {
        let netlink = try hostNetlink()
        if try !exited || !netlink.waitForRemoval(of: endpoint.hostInterface, milliseconds: 200) {
            do {
                try netlink.deleteLink(endpoint.hostInterface)
            } catch NetworkError.noSuchLink(_) {
                // The namespace died, and took the pair with it.
            }
        }
        try allocator(for: network).release(endpoint.containerID)
        unlink(endpointFile(network.name, endpoint.containerID))
    }

    /// Gives every `-p CONTAINERPORT` (host port 0) a free host port, as Docker does.
    func choosePorts(_ ports: [PortMapping], besides endpoints: [Endpoint]) throws -> [PortMapping] {
        let published = endpoints.flatMap(\.ports)
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
    func checkPorts(_ ports: [PortMapping], besides endpoints: [Endpoint]) throws {
        let published = endpoints.flatMap { endpoint in endpoint.ports.map { (endpoint, $0) } }
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
