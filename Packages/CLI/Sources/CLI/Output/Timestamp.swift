import FoundationEssentials
import Syscalls

/// Times as Docker prints them in tables: "3 minutes ago", "Up 2 hours" (RFC 3339 is in Syscalls).
extension Timestamp {
    /// "About a minute", "3 hours", "2 days": Docker's units.Duration, as `ps` uses it.
    public static func humanDuration(_ seconds: TimeInterval) -> String {
        let s = Int(seconds)
        switch s {
        case ..<1: return "Less than a second"
        case 1: return "1 second"
        case ..<60: return "\(s) seconds"
        case ..<120: return "About a minute"
        case ..<3600: return "\(s / 60) minutes"
        case ..<7200: return "About an hour"
        case ..<(48 * 3600): return "\(s / 3600) hours"
        case ..<(7 * 24 * 3600 * 2): return "\(s / 86400) days"
        case ..<(30 * 24 * 3600 * 2): return "\(s / (7 * 86400)) weeks"
        case ..<(365 * 24 * 3600 * 2): return "\(s / (30 * 86400)) months"
        default: return "\(s / (365 * 86400)) years"
        }
    }

    /// "3 minutes ago".
    public static func ago(_ date: Date, now: Date = Date()) -> String {
        humanDuration(now.timeIntervalSince(date)) + " ago"
    }
}

extension Timestamp {
    /// `2026-11-29 10:33:27 +0000 UTC`: how Go prints a time, as `ps --format {{.CreatedAt}}` shows it.
    public static func goFormat(_ date: Date) -> String {
        dateAndTime(split(date).seconds, separator: " ") + " +0000 UTC"
    }

    /// `1.2MB`, `4.86kB`, `0B`: Docker's sizes (powers of 1000, three significant digits).
    public static func bytes(_ count: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        if unit == 0 { return "\(count)B" }
        var text = String(printf: "%.3g", value)
        if text.contains("e") { text = String(printf: "%.0f", value) }
        return text + units[unit]
    }
}
