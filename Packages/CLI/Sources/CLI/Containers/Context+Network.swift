import FoundationEssentials
import Network
import Syscalls

extension Context {
    /// Connects a container's namespace to network `name` (chapter 05's attach): an address,
    /// a veth pair, published ports, DNS names. Returns the settings to record, and the files
    /// (hosts, resolv.conf) that this network gives the container.
    func attach(_ entry: ContainerEntry, to name: String, aliases: [String], ports: [PortMapping],
                namespace: NetworkNamespace, process: ProcessIdentity?) throws -> (NetworkSettings, ContainerFiles, IPv4Address) {
        // Docker's default network is made the first time a container needs it.
        if name == BridgeNetwork.defaultName { _ = try networks.defaultNetwork() }
        var request = AttachRequest(containerID: entry.id, containerName: entry.name, hostname: entry.hostname,
                                    network: name, namespace: namespace, process: process)
        request.aliases = aliases
        request.ports = ports
        let attachment = try networks.attach(request)
        let settings = NetworkSettings(
            network: name, address: attachment.endpoint.address.description,
            prefixLength: attachment.network.subnet.prefixLength, gateway: attachment.network.gateway.description,
            macAddress: attachment.endpoint.mac.description,
            ports: attachment.endpoint.ports.map {
                PublishedPort(hostAddress: $0.hostAddress?.description ?? "0.0.0.0", hostPort: $0.hostPort,
                              containerPort: $0.containerPort, transport: $0.transport.rawValue)
            })
        return (settings, attachment.files, attachment.network.gateway)
    }

    /// `-p` and `-P`: the ports to publish on the container's first network.
    func publishedPorts(_ entry: ContainerEntry) throws -> [PortMapping] {
        var ports = try entry.options.publish.flatMap { try RunOptions.portMappings($0) }
        if entry.options.publishAll, let image = try? image(of: entry) {
            // Every port the image exposes, on a free host port.
            for exposed in image.configuration.config?.ports ?? [] {
                let parts = exposed.split(separator: "/")
                guard let port = UInt16(parts[0]), !ports.contains(where: { $0.containerPort == port }) else { continue }
                ports.append(PortMapping(hostPort: 0, containerPort: port, transport: parts.count > 1 && parts[1] == "udp" ? .udp : .tcp))
            }
        }
        return ports
    }
}
