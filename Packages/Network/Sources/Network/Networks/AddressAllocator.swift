import FoundationEssentials
import Syscalls

/// IPAM: hands out the addresses of one subnet, one per owner (a container ID), and
/// remembers them on disk, so that a restart, or another `dosirak` command running at the
/// same moment, never hands out the same address twice.
///
/// The allocations live in one JSON file beside a lock file. Every change takes the lock
/// (`flock`), reads the file, changes it, and replaces it atomically (write, then rename).
/// The lowest free address wins, skipping the network address, the gateway and broadcast.
///
///     let ipam = AddressAllocator(directory: dir, subnet: Subnet("172.18.0.0/16")!,
///                                 gateway: IPv4Address("172.18.0.1")!)
///     try ipam.allocate(for: "c0ffee")   // 172.18.0.2
public struct AddressAllocator: Sendable {
    public let directory: String
    public let subnet: Subnet
    public let gateway: IPv4Address

    public init(directory: String, subnet: Subnet, gateway: IPv4Address) {
        self.directory = directory
        self.subnet = subnet
        self.gateway = gateway
    }

    var file: String { directory + "/addresses.json" }
    var lockFile: String { directory + "/addresses.lock" }

    /// Who holds which address, as the file says: address to owner.
    public func allocations() throws -> [IPv4Address: String] {
        try locked { try load() }
    }

    /// An address for `owner`: the one it already has, or the lowest free one.
    /// `preferred` asks for a particular address (`--ip`), which must be free.
    public func allocate(for owner: String, preferred: IPv4Address? = nil, network: String = "") throws -> IPv4Address {
        try locked {
            var table = try load()
            if let held = table.first(where: { $0.value == owner })?.key { return held }
            let taken = Set(table.keys).union([gateway])
            let address: IPv4Address
            if let preferred {
                guard subnet.contains(preferred), preferred != subnet.network, preferred != subnet.broadcast,
                      !taken.contains(preferred) else {
                    throw NetworkError.invalid("address \(preferred) is not free in \(subnet)")
                }
                address = preferred
            } else {
                var candidate = subnet.firstHost
                while candidate <= subnet.lastHost && taken.contains(candidate) { candidate = candidate.advanced(by: 1) }
                guard candidate <= subnet.lastHost, subnet.hostCount > 0 else {
                    throw NetworkError.subnetFull(network: network, subnet: subnet)
                }
                address = candidate
            }
            table[address] = owner
            try save(table)
            return address
        }
    }

    /// Gives back whatever `owner` holds.
    public func release(_ owner: String) throws {
        try locked {
            var table = try load()
            let before = table.count
            table = table.filter { $0.value != owner }
            if table.count != before { try save(table) }
        }
    }

    private func locked<T>(_ body: () throws -> T) throws -> T {
        try StateFile.makeDirectory(directory)
        let lock: FileLock
        do {
            lock = try FileLock.acquire(lockFile)
        } catch let error as Errno {
            throw NetworkError.system("lock \(lockFile)", error)
        }
        defer { lock.release() }
        return try body()
    }

    private func load() throws -> [IPv4Address: String] {
        guard FileManager.default.fileExists(atPath: file) else { return [:] }
        let raw = try StateFile.read([String: String].self, from: file)
        var table: [IPv4Address: String] = [:]
        for (text, owner) in raw {
            guard let address = IPv4Address(text) else { throw NetworkError.state(file, "bad address \(text)") }
            table[address] = owner
        }
        return table
    }

    private func save(_ table: [IPv4Address: String]) throws {
        try StateFile.write(Dictionary(uniqueKeysWithValues: table.map { ($0.key.description, $0.value) }), to: file)
    }
}
