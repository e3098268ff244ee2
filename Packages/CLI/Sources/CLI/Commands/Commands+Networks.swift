import Foundation
import Network

extension Commands {
    static var networkCommands: [Command] { [] }
    static var volumeCommands: [Command] { [] }
}

extension Context {
    /// `inspect` of a network, with the fields Docker's has, in its order.
    func inspectNetwork(_ name: String) throws -> JSONValue {
        let (network, endpoints) = try networks.inspect(name)
        return .object([
            ("Name", .string(network.name)),
            ("Id", .string(network.id)),
            ("Created", .string(network.created)),
            ("Scope", .string("local")),
            ("Driver", .string("bridge")),
            ("EnableIPv6", .bool(false)),
            ("IPAM", .object([
                ("Driver", .string("default")),
                ("Options", .null),
                ("Config", .array([.object([("Subnet", .string(network.subnet.description)),
                                            ("Gateway", .string(network.gateway.description))])])),
            ])),
            ("Internal", .bool(false)),
            ("Attachable", .bool(false)),
            ("Containers", .object(endpoints.map { endpoint in
                (endpoint.containerID, .object([
                    ("Name", .string(endpoint.containerName)),
                    ("EndpointID", .string(endpoint.containerID)),
                    ("MacAddress", .string(endpoint.mac.description)),
                    ("IPv4Address", .string("\(endpoint.address)/\(network.subnet.prefixLength)")),
                    ("IPv6Address", .string("")),
                ]))
            })),
            ("Options", .object([("com.docker.network.bridge.name", .string(network.bridge))])),
            ("Labels", .object([])),
        ])
    }

    /// `inspect` of a volume.
    func inspectVolume(_ name: String) throws -> JSONValue {
        let volume = try volumes.load(name)
        return .object([
            ("CreatedAt", .string(Timestamp.rfc3339(volume.created))),
            ("Driver", .string("local")),
            ("Labels", .map(volume.labels)),
            ("Mountpoint", .string(volumes.dataPath(volume.name))),
            ("Name", .string(volume.name)),
            ("Options", .null),
            ("Scope", .string("local")),
        ])
    }
}
