/// One member of a tar archive: its header, with everything that pax and GNU extensions add.
///
///     var entry = TarEntry(path: "etc/hostname", kind: .regular, mode: 0o644, size: 8)
///     entry.modificationTime = 1_700_000_000
public struct TarEntry: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case regular, hardLink, symbolicLink, characterDevice, blockDevice, directory, fifo
    }

    /// The path inside the archive, as written there (no leading `./` is required or removed).
    public var path: String
    public var kind: Kind
    /// Permission bits with set-user-ID, set-group-ID and sticky (`0o7777`).
    public var mode: UInt32
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    public var userName = ""
    public var groupName = ""
    /// Bytes of content that follow the header (regular files only).
    public var size: Int64 = 0
    /// Seconds since 1970 (pax keeps fractions; they are kept here to the nanosecond).
    public var modificationTime: Int64 = 0
    public var modificationNanoseconds: Int32 = 0
    /// A symbolic link's contents, or a hard link's target path in the archive.
    public var linkTarget = ""
    public var deviceMajor: UInt32 = 0
    public var deviceMinor: UInt32 = 0
    /// Extended attributes (pax `SCHILY.xattr.NAME`), such as `security.capability`.
    public var extendedAttributes: [String: [UInt8]] = [:]

    public init(path: String, kind: Kind, mode: UInt32, size: Int64 = 0, linkTarget: String = "") {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.size = size
        self.linkTarget = linkTarget
    }

    /// The tar type flag for this kind.
    var typeFlag: UInt8 {
        switch kind {
        case .regular: UInt8(ascii: "0")
        case .hardLink: UInt8(ascii: "1")
        case .symbolicLink: UInt8(ascii: "2")
        case .characterDevice: UInt8(ascii: "3")
        case .blockDevice: UInt8(ascii: "4")
        case .directory: UInt8(ascii: "5")
        case .fifo: UInt8(ascii: "6")
        }
    }
}
