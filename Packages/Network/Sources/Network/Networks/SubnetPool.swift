/// Docker's default address pools: 172.17.0.0/16 to 172.31.0.0/16, then /20s of 192.168.0.0/16.
public enum SubnetPool {
    public static let docker: [Subnet] =
        (17...31).map { Subnet(IPv4Address(UInt32(172) << 24 | UInt32($0) << 16), prefixLength: 16)! } +
        stride(from: 0, to: 256, by: 16).map { Subnet(IPv4Address(UInt32(0xc0a8_0000) | UInt32($0) << 8), prefixLength: 20)! }

    /// The first subnet of `pool` that overlaps none of `used`.
    static func first(in pool: [Subnet], avoiding used: [Subnet]) -> Subnet? {
        pool.first { candidate in !used.contains { $0.overlaps(candidate) } }
    }
}
