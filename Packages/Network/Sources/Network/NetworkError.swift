import Syscalls

/// What went wrong in chapter 05's code, as one lower-case line naming the value involved:
/// `create bridge dsk0: EEXIST (File exists)`, `network web: subnet 10.9.0.0/30 is full`.
public enum NetworkError: Error, CustomStringConvertible, Equatable {
    /// The kernel refused a netlink request; the text is its extended ack, when it sent one.
    case netlink(String, Errno, String?)
    /// A system call failed.
    case system(String, Errno)
    /// The kernel sent bytes we cannot read.
    case malformedNetlink(String)
    /// A link that should be there is not.
    case noSuchLink(String)
    /// Bad input from the user: a subnet, a port mapping, a name.
    case invalid(String)
    case noSuchNetwork(String)
    case networkExists(String)
    case networkInUse(String, containers: [String])
    case subnetFull(network: String, subnet: Subnet)
    case noFreeSubnet
    case subnetOverlaps(Subnet, String)
    case alreadyAttached(container: String, network: String)
    case notAttached(container: String, network: String)
    case portInUse(PortMapping, String)
    /// A tool (nft) failed; its own words follow.
    case tool(String, String)
    case state(String, String)

    public var description: String {
        switch self {
        case .netlink(let what, let errno, let text):
            "\(what): \(errno)" + (text.map { " (\($0))" } ?? "")
        case .system(let what, let errno): "\(what): \(errno)"
        case .malformedNetlink(let what): "netlink: \(what)"
        case .noSuchLink(let name): "link \(name): no such link"
        case .invalid(let what): what
        case .noSuchNetwork(let name): "network \(name): no such network"
        case .networkExists(let name): "network \(name): already exists"
        case .networkInUse(let name, let containers):
            "network \(name): in use by \(containers.count) container(s): \(containers.joined(separator: ", "))"
        case .subnetFull(let network, let subnet): "network \(network): subnet \(subnet) is full"
        case .noFreeSubnet: "no free subnet left in the address pool: give one with --subnet"
        case .subnetOverlaps(let subnet, let other): "subnet \(subnet) overlaps \(other)"
        case .alreadyAttached(let container, let network): "container \(container) is already on network \(network)"
        case .notAttached(let container, let network): "container \(container) is not on network \(network)"
        case .portInUse(let port, let why): "publish \(port): port is already allocated (\(why))"
        case .tool(let what, let output): "\(what): \(output)"
        case .state(let path, let what): "\(path): \(what)"
        }
    }
}
