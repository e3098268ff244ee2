import Glibc

/// An operating system and CPU architecture: `linux/amd64`, `linux/arm64/v8`.
public struct Platform: Codable, Hashable, Sendable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?

    enum CodingKeys: String, CodingKey { case os, architecture, variant }

    public init(os: String = "linux", architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// Parses `os/arch[/variant]`, as `--platform` takes it.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/").map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw LayersError.context("platform \"\(text)\"", "expected os/architecture[/variant]")
        }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }

    /// linux/amd64: Docker's default, and this machine's.
    public static let linuxAMD64 = Platform(architecture: "amd64")

    /// The platform of the running machine, in Go's architecture names.
    public static var current: Platform {
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        switch machine {
        case "x86_64": return Platform(architecture: "amd64")
        case "aarch64": return Platform(architecture: "arm64", variant: "v8")
        case "armv7l": return Platform(architecture: "arm", variant: "v7")
        case "i686", "i386": return Platform(architecture: "386")
        default: return Platform(architecture: machine)
        }
    }

    public var description: String { [os, architecture, variant].compactMap { $0 }.joined(separator: "/") }

    func matches(_ other: Platform) -> Bool {
        guard os == other.os && architecture == other.architecture else { return false }
        guard let variant, let otherVariant = other.variant else { return true }
        return variant == otherVariant
    }
}
