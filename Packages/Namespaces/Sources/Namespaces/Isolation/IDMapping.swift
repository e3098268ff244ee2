/// One line of a user namespace's uid_map or gid_map: `size` IDs starting at `containerID`
/// inside are `hostID`... outside. `IDMapping(containerID: 0, hostID: 100000, size: 65536)`
/// makes root in the container an unprivileged user (100000) on the host.
public struct IDMapping: Codable, Hashable, Sendable, CustomStringConvertible {
    public var containerID: UInt32
    public var hostID: UInt32
    public var size: UInt32

    public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
        self.containerID = containerID
        self.hostID = hostID
        self.size = size
    }

    /// The line the kernel expects in /proc/PID/uid_map: "0 100000 65536".
    public var description: String { "\(containerID) \(hostID) \(size)" }

    /// Checks what the kernel would also refuse, with a message naming the mapping:
    /// an empty range, a range past 2^32, or two ranges that overlap.
    public static func validate(_ mappings: [IDMapping], kind: String) throws {
        for (index, mapping) in mappings.enumerated() {
            guard mapping.size > 0 else { throw IsolationError.idMap(kind, "\(mapping)", "size is 0") }
            for start in [mapping.containerID, mapping.hostID] where UInt64(start) + UInt64(mapping.size) > 1 << 32 {
                throw IsolationError.idMap(kind, "\(mapping)", "range ends past 4294967295")
            }
            for other in mappings[..<index] {
                if overlaps(mapping.containerID, other.containerID, mapping.size, other.size)
                    || overlaps(mapping.hostID, other.hostID, mapping.size, other.size) {
                    throw IsolationError.idMap(kind, "\(mapping)", "overlaps \(other)")
                }
            }
        }
    }

    private static func overlaps(_ a: UInt32, _ b: UInt32, _ aSize: UInt32, _ bSize: UInt32) -> Bool {
        UInt64(a) < UInt64(b) + UInt64(bSize) && UInt64(b) < UInt64(a) + UInt64(aSize)
    }
}
