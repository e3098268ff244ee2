import FoundationEssentials
import Glibc

/// Times as Docker writes them: RFC 3339 in UTC, with nanoseconds for `inspect` and logs.
/// (The CLI adds "3 minutes ago" and "Up 2 hours" for its tables.) The one file of Syscalls
/// that uses FoundationEssentials, for `Date`.
public enum Timestamp {
    /// `2026-11-29T10:33:27.070865514Z`: RFC 3339 in UTC with nanoseconds, as Docker writes
    /// times. Done with the C library's `gmtime_r` rather than `ISO8601DateFormatter`, which
    /// loads ICU's calendar tables on first use: that cost several milliseconds in every
    /// command that read a container's record.
    public static func rfc3339(_ date: Date) -> String {
        let (seconds, nanoseconds) = split(date)
        return rfc3339(seconds: seconds, nanoseconds: nanoseconds)
    }

    /// The same from a time as the kernel gives it (`clock_gettime`): no `Date` needed.
    public static func rfc3339(seconds: Int, nanoseconds: Int) -> String {
        dateAndTime(seconds) + "." + digits(nanoseconds, 9) + "Z"
    }

    /// `2026-11-29T10:33:27Z`: Go's `time.RFC3339`, as `history --human=false` prints it.
    public static func rfc3339Seconds(_ date: Date) -> String {
        dateAndTime(split(date).seconds) + "Z"
    }

    /// Reads RFC 3339: `2026-11-29T10:33:27Z`, with an optional fraction of a second (up to
    /// nanoseconds) and `Z` or an offset such as `+09:00`. Nil for anything else.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        // Fixed positions: YYYY-MM-DDTHH:MM:SS is 19 bytes.
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + count)] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 20, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84 || bytes[10] == 116,
              bytes[13] == 58, bytes[16] == 58,
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var nanoseconds = 0
        if bytes[index] == 46 {  // "."
            index += 1
            var scale = 100_000_000
            let first = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                nanoseconds += Int(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > first else { return nil }
        }
        var offset = 0
        switch bytes.count - index {
        case 1 where bytes[index] == 90 || bytes[index] == 122:  // "Z"
            break
        case 6 where (bytes[index] == 43 || bytes[index] == 45) && bytes[index + 3] == 58:  // "+09:00"
            guard let hours = number(index + 1, 2), let minutes = number(index + 4, 2) else { return nil }
            offset = (hours * 3600 + minutes * 60) * (bytes[index] == 43 ? 1 : -1)
        default:
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts) - offset
        return Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1_000_000_000)
    }

    /// Whole seconds since 1970 and the nanoseconds after them (rounded to the microsecond
    /// a Double holds, as Dates made from a clock are).
    public static func split(_ date: Date) -> (seconds: Int, nanoseconds: Int) {
        let time = date.timeIntervalSince1970
        let seconds = time.rounded(.down)
        let nanoseconds = min(999_999_999, Int(((time - seconds) * 1_000_000).rounded()) * 1_000)
        return (Int(seconds), nanoseconds)
    }

    /// `2026-11-29T10:33:27`, in UTC.
    public static func dateAndTime(_ seconds: Int, separator: String = "T") -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return digits(Int(parts.tm_year) + 1900, 4) + "-" + digits(Int(parts.tm_mon) + 1, 2) + "-" + digits(Int(parts.tm_mday), 2)
            + separator + digits(Int(parts.tm_hour), 2) + ":" + digits(Int(parts.tm_min), 2) + ":" + digits(Int(parts.tm_sec), 2)
    }

    /// `value` in decimal, zero-padded to `width`.
    public static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
