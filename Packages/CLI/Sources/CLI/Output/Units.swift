import FoundationEssentials
import Syscalls

/// Sizes as Docker prints them (its go-units package): `HumanSize` in powers of 1000
/// (`7.6MB`, `212B`) for disk space, `BytesSize` in powers of 1024 (`5.629MiB / 1.952GiB`)
/// for memory. The number keeps `precision` significant digits, as Go's `%.4g` does.
///
///     Units.humanSize(7_600_000)          // "7.6MB"
///     Units.humanSize(147_456, precision: 3)   // "147kB"
///     Units.bytesSize(64 << 20)           // "64MiB"
enum Units {
    static let decimal = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    static let binary = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]

    /// Powers of 1000, four significant digits unless told otherwise.
    static func humanSize(_ bytes: some BinaryInteger, precision: Int = 4) -> String {
        format(Double(bytes), base: 1000, units: decimal, precision: precision)
    }

    /// Powers of 1024, four significant digits.
    static func bytesSize(_ bytes: some BinaryInteger) -> String {
        format(Double(bytes), base: 1024, units: binary, precision: 4)
    }

    static func format(_ size: Double, base: Double, units: [String], precision: Int) -> String {
        var size = size
        var unit = 0
        while size >= base && unit < units.count - 1 {
            size /= base
            unit += 1
        }
        return String(printf: "%.\(precision)g", size) + units[unit]
    }
}
