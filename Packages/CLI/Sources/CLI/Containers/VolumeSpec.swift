/// One `-v` or `--mount`: what is mounted where.
///
///     -v /srv/www:/var/www:ro          a bind mount of a host directory
///     -v data:/var/lib/mysql           a named volume (created on first use, filled from the image)
///     -v /var/lib/mysql                an anonymous volume
///     --mount type=bind,source=/srv,target=/srv,readonly
///     --mount type=tmpfs,target=/run
public struct VolumeSpec: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case bind, volume, tmpfs }

    public var kind: Kind
    /// A host path (bind), a volume name (volume; empty for an anonymous one), nil for tmpfs.
    public var source: String?
    public var destination: String
    public var readOnly: Bool

    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let bad = CommandError.failed("invalid volume specification: '\(text)'")
        var options: [String] = []
        switch parts.count {
        case 1:
            kind = .volume
            source = ""
            destination = parts[0]
        case 2, 3:
            if parts.count == 3 || !parts[0].hasPrefix("/") || parts[1].hasPrefix("/") {
                source = parts[0]
                destination = parts[1]
                if parts.count == 3 { options = parts[2].split(separator: ",").map(String.init) }
            } else {
                // `/data:ro`: an anonymous volume, read-only.
                source = ""
                destination = parts[0]
                options = parts[1].split(separator: ",").map(String.init)
            }
            kind = source!.isEmpty || !(source!.hasPrefix("/") || source!.hasPrefix(".")) ? .volume : .bind
        default:
            throw bad
        }
        readOnly = false
        for option in options {
            switch option {
            case "ro": readOnly = true
            case "rw", "z", "Z", "rprivate", "private", "nocopy": break
            default: throw CommandError.failed("invalid mode: \(option) in volume specification '\(text)'")
            }
        }
        guard destination.hasPrefix("/"), destination != "/" else {
            throw CommandError.failed("invalid volume specification: '\(text)': the mount point must be an absolute path other than /")
        }
        if kind == .bind, source!.hasPrefix(".") {
            throw CommandError.failed("invalid volume specification: '\(text)': a host path must be absolute")
        }
        if kind == .volume, let name = source, !name.isEmpty, !VolumeSpec.isValidName(name) {
            throw CommandError.failed("\"\(name)\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed")
        }
    }

    /// `--mount type=bind,source=/srv,target=/srv,readonly`.
    public init(mount text: String) throws {
        var fields: [String: String] = [:]
        for item in text.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
            fields[pair[0]] = pair.count > 1 ? pair[1] : "true"
        }
        guard let type = Kind(rawValue: fields["type"] ?? "volume") else {
            throw CommandError.failed("invalid --mount \(text): type must be bind, volume or tmpfs")
        }
        kind = type
        source = fields["source"] ?? fields["src"] ?? (type == .volume ? "" : nil)
        guard let target = fields["target"] ?? fields["destination"] ?? fields["dst"], target.hasPrefix("/") else {
            throw CommandError.failed("invalid --mount \(text): target is required and must be an absolute path")
        }
        destination = target
        readOnly = ["true", "1"].contains(fields["readonly"] ?? fields["ro"] ?? "false")
        if type == .bind && !(source?.hasPrefix("/") ?? false) {
            throw CommandError.failed("invalid --mount \(text): a bind mount needs an absolute source")
        }
    }

    /// Docker's rule for local volume names.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first.isNumber else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }
}
