import FoundationEssentials
import Glibc
import Syscalls

/// The three files every container expects under /etc, generated here and bind-mounted by
/// the runtime over the image's own (as Docker does): who am I (`hostname`), which names
/// are local (`hosts`), and whom to ask about the others (`resolv.conf`).
public struct ContainerFiles: Equatable, Sendable {
    public var hostname: String
    public var hosts: String
    public var resolvConf: String

    /// The files for a container named `hostname` with `address` (nil for `--network none`).
    /// On a network with a DNS responder, `resolv.conf` points at the gateway; otherwise it
    /// copies the host's resolvers, leaving out loopback ones, which mean nothing inside the
    /// container's namespace (Docker then falls back to public resolvers, as here).
    public init(hostname: String, address: IPv4Address?, nameserver: IPv4Address?, hostResolvConf: String) {
        self.hostname = hostname + "\n"
        var hosts = """
            127.0.0.1\tlocalhost
            ::1\tlocalhost ip6-localhost ip6-loopback
            fe00::0\tip6-localnet
            ff00::0\tip6-mcastprefix
            ff02::1\tip6-allnodes
            ff02::2\tip6-allrouters

            """
        if let address { hosts += "\(address)\t\(hostname)\n" }
        self.hosts = hosts

        let host = ResolvConf(parsing: hostResolvConf)
        var lines: [String] = []
        if let nameserver {
            lines.append("nameserver \(nameserver)")
        } else {
            var servers = host.nameservers.filter { !$0.hasPrefix("127.") && $0 != "::1" }
            if servers.isEmpty && address != nil { servers = ["8.8.8.8", "8.8.4.4"] }
            lines += servers.map { "nameserver \($0)" }
        }
        if !host.search.isEmpty { lines.append("search " + host.search.joined(separator: " ")) }
        if !host.options.isEmpty { lines.append("options " + host.options.joined(separator: " ")) }
        resolvConf = lines.joined(separator: "\n") + "\n"
    }

    /// Writes `hostname`, `hosts` and `resolv.conf` into `directory`, ready to bind-mount.
    public func write(to directory: String) throws {
        try StateFile.makeDirectory(directory)
        for (name, text) in [("hostname", hostname), ("hosts", hosts), ("resolv.conf", resolvConf)] {
            try StateFile.write(Data(text.utf8), to: directory + "/" + name)
        }
    }
}
