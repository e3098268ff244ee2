/// What attaching gave the container.
public struct Attachment: Sendable {
    public var network: BridgeNetwork
    public var endpoint: Endpoint
    public var files: ContainerFiles
}
