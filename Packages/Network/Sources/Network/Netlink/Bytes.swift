/// Netlink speaks in the host's byte order (little-endian on x86 and arm64), with every
/// attribute padded to a multiple of four bytes. These helpers write and read that.
extension Array where Element == UInt8 {
    mutating func append<T: FixedWidthInteger>(integer value: T) {
        Swift.withUnsafeBytes(of: value) { append(contentsOf: $0) }
    }

    /// Zero bytes up to the next multiple of four (`NLMSG_ALIGN`, `RTA_ALIGN`).
    mutating func padToAlignment() {
        while count % 4 != 0 { append(0) }
    }
}

extension ArraySlice where Element == UInt8 {
    /// The integer stored at `offset` (relative to the slice's start), host byte order.
    func integer<T: FixedWidthInteger>(at offset: Int, as type: T.Type = T.self) -> T? {
        let start = startIndex + offset
        guard offset >= 0, start + MemoryLayout<T>.size <= endIndex else { return nil }
        var value: T = 0
        Swift.withUnsafeMutableBytes(of: &value) { raw in
            for i in 0..<MemoryLayout<T>.size { raw[i] = self[start + i] }
        }
        return value
    }
}

/// Rounds up to a multiple of four.
func netlinkAligned(_ n: Int) -> Int { (n + 3) & ~3 }
