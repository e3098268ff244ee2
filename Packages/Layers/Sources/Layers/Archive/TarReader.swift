/// Reads a tar archive from a stream, one entry at a time, without seeking: the way a layer
/// arrives from `gzip -dc`.
///
///     let reader = TarReader(FileSource(fd, name: "layer.tar"))
///     while let entry = try reader.next() {
///         let bytes = try reader.readContents()      // or copyContents(to:), or nothing
///     }
///
/// A tar file is a sequence of 512-byte blocks. Each entry is one header block (name, mode,
/// owner, size in octal, type, link target, a checksum), then its contents padded to a
/// whole block. Two zero blocks end the archive. Names longer than 100 bytes, sizes above
/// 8 GiB, nanoseconds and extended attributes travel in extra entries before the real one:
/// pax headers (`x`, `g`: lines of `LENGTH key=value`) or GNU's `L`/`K` long names.
public final class TarReader {
    private let source: any ByteSource
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0, end = 0
    /// Bytes of the current entry's contents not yet read, and the padding after them.
    private var remaining: Int64 = 0
    private var padding = 0
    private var globalPax: [String: [UInt8]] = [:]
    /// Offset of the current header in the archive, for error messages.
    public private(set) var offset: Int64 = 0
    private var consumed: Int64 = 0
    private var current = ""

    public init(_ source: any ByteSource) {
        self.source = source
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// The next entry, or nil at the end of the archive. Unread contents of the previous
    /// entry are skipped.
    public func next() throws -> TarEntry? {
        try skipContents()
        var pax: [String: [UInt8]] = [:]
        var longName: String?
        var longLink: String?
        while true {
            offset = consumed
            guard let header = try readBlock(atHeader: true) else { return nil }
            if header.allSatisfy({ $0 == 0 }) {
                // The end: one zero block is enough for us; a second may follow (and padding).
                return nil
            }
            try verifyChecksum(header)
            let type = header[156]
            let size = try number(header, 124, 12, field: "size")
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                let records = try parsePax(try readWhole(size, what: "pax header"))
                if type == UInt8(ascii: "g") { globalPax.merge(records) { $1 } } else { pax.merge(records) { $1 } }
                continue
            case UInt8(ascii: "L"):
                longName = cString(try readWhole(size, what: "GNU long name"))
                continue
            case UInt8(ascii: "K"):
                longLink = cString(try readWhole(size, what: "GNU long link name"))
                continue
            default:
                break
            }
            let records = globalPax.merging(pax) { $1 }
            var entry = try parseHeader(header, type: type, size: size)
            if let longName { entry.path = longName }
            if let longLink { entry.linkTarget = longLink }
            try apply(records, to: &entry)
            current = entry.path
            // Only regular files have contents; other types' size fields are ignored (as Go's
            // archive/tar and GNU tar do).
            if entry.kind != .regular { entry.size = 0 }
            remaining = entry.size
            padding = Int((512 - remaining % 512) % 512)
            return entry
        }
    }

    /// Reads the current entry's contents into `into`; 0 at their end.
    public func read(into target: UnsafeMutableRawBufferPointer) throws -> Int {
        if remaining == 0 { return 0 }
        if start == end { try fill(required: false) }
        if start == end { throw LayersError.archive("\(quote(current)): truncated: \(remaining) bytes of contents missing") }
        let n = min(target.count, end - start, Int(clamping: remaining))
        target.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: n)
        start += n
        consumed += Int64(n)
        remaining -= Int64(n)
        return n
    }

    /// Hands the current entry's contents to `body` in the pieces they sit in the buffer,
    /// with no copy.
    public func withContents(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        while remaining > 0 {
            if start == end { try fill(required: false) }
            if start == end { throw LayersError.archive("\(quote(current)): truncated: \(remaining) bytes of contents missing") }
            let n = min(end - start, Int(clamping: remaining))
            try body(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + n)]))
            start += n
            consumed += Int64(n)
            remaining -= Int64(n)
        }
    }

    /// The current entry's contents, whole.
    public func readContents() throws -> [UInt8] {
        var result: [UInt8] = []
        try withContents { result.append(contentsOf: $0) }
        return result
    }

    /// Copies the current entry's contents to `sink`.
    public func copyContents(to sink: any ByteSink) throws {
        try withContents { try sink.write($0) }
    }

    /// Skips the rest of the current entry and its padding.
    public func skipContents() throws {
        try withContents { _ in }
        if padding > 0 {
            _ = try readBytes(padding, what: "padding", allowEnd: true)
            padding = 0
        }
    }

    // MARK: - Blocks

    private func fill(required: Bool) throws {
        if start > 0 && start == end { start = 0; end = 0 }
        if end == buffer.count {
            // Move what is left to the front.
            let left = end - start
            buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: left)
            start = 0
            end = left
        }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
        end += n
    }

    /// `count` bytes, or nil at a clean end (only when `allowEnd` and nothing was read).
    private func readBytes(_ count: Int, what: String, allowEnd: Bool) throws -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        while result.count < count {
            if start == end { try fill(required: true) }
            if start == end {
                if allowEnd && result.isEmpty { return nil }
                throw LayersError.archive("truncated \(what) at offset \(offset)")
            }
            let n = min(count - result.count, end - start)
            result.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<(start + n)]))
            start += n
            consumed += Int64(n)
        }
        return result
    }

    private func readBlock(atHeader: Bool) throws -> [UInt8]? {
        try readBytes(512, what: "header", allowEnd: atHeader)
    }

    /// An extension entry's contents (pax records, a long name), with its padding.
    private func readWhole(_ size: Int64, what: String) throws -> [UInt8] {
        guard size >= 0 && size < 1 << 20 else { throw LayersError.archive("\(what) at offset \(offset): implausible size \(size)") }
        let bytes = try readBytes(Int(size), what: what, allowEnd: false) ?? []
        let pad = Int((512 - size % 512) % 512)
        if pad > 0 { _ = try readBytes(pad, what: what, allowEnd: false) }
        return bytes
    }

    // MARK: - Headers

    private func verifyChecksum(_ header: [UInt8]) throws {
        let stored = try number(header, 148, 8, field: "checksum")
        var unsigned: Int64 = 0, signed: Int64 = 0
        for (index, byte) in header.enumerated() {
            let value = (148..<156).contains(index) ? UInt8(ascii: " ") : byte
            unsigned += Int64(value)
            signed += Int64(Int8(bitPattern: value))
        }
        guard stored == unsigned || stored == signed else {
            throw LayersError.archive("header at offset \(offset): checksum mismatch (not a tar archive, or corrupt)")
        }
    }

    private func parseHeader(_ header: [UInt8], type: UInt8, size: Int64) throws -> TarEntry {
        let kind: TarEntry.Kind
        switch type {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .regular
        case UInt8(ascii: "1"): kind = .hardLink
        case UInt8(ascii: "2"): kind = .symbolicLink
        case UInt8(ascii: "3"): kind = .characterDevice
        case UInt8(ascii: "4"): kind = .blockDevice
        case UInt8(ascii: "5"): kind = .directory
        case UInt8(ascii: "6"): kind = .fifo
        default:
            throw LayersError.archive("\(quote(cString(Array(header[0..<100])))): unsupported entry type \(quote(String(UnicodeScalar(type))))")
        }
        var name = cString(Array(header[0..<100]))
        let magic = Array(header[257..<263])
        if magic == Array("ustar\0".utf8) {  // POSIX ustar: a prefix for long names
            let prefix = cString(Array(header[345..<500]))
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        var entry = TarEntry(path: name, kind: kind, mode: UInt32(try number(header, 100, 8, field: "mode") & 0o7777), size: size)
        // Old tars mark directories only by a trailing slash.
        if kind == .regular && name.hasSuffix("/") { entry.kind = .directory }
        entry.uid = UInt32(truncatingIfNeeded: try number(header, 108, 8, field: "uid"))
        entry.gid = UInt32(truncatingIfNeeded: try number(header, 116, 8, field: "gid"))
        entry.modificationTime = try number(header, 136, 12, field: "mtime")
        entry.linkTarget = cString(Array(header[157..<257]))
        entry.userName = cString(Array(header[265..<297]))
        entry.groupName = cString(Array(header[297..<329]))
        if kind == .characterDevice || kind == .blockDevice {
            entry.deviceMajor = UInt32(truncatingIfNeeded: try number(header, 329, 8, field: "devmajor"))
            entry.deviceMinor = UInt32(truncatingIfNeeded: try number(header, 337, 8, field: "devminor"))
        }
        return entry
    }

    /// A numeric field: octal digits (space or NUL terminated), or GNU's base-256 when the
    /// first byte has its high bit set (for values octal cannot hold, like sizes over 8 GiB).
    private func number(_ header: [UInt8], _ at: Int, _ length: Int, field: String) throws -> Int64 {
        let bytes = header[at..<(at + length)]
        if let first = bytes.first, first & 0x80 != 0 {
            var value: Int64 = Int64(first & 0x7f)
            for byte in bytes.dropFirst() {
                guard value < Int64.max >> 8 else { throw LayersError.archive("header at offset \(offset): \(field) too large") }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        var value: Int64 = 0
        var seenDigit = false
        for byte in bytes {
            if byte == 0 || (byte == 32 && seenDigit) { break }
            if byte == 32 { continue }
            guard (48...55).contains(byte) else {
                throw LayersError.archive("header at offset \(offset): \(field) is not an octal number")
            }
            seenDigit = true
            value = value * 8 + Int64(byte - 48)
        }
        return value
    }

    /// pax records: `LENGTH key=value\n`, LENGTH counting the whole record.
    private func parsePax(_ bytes: [UInt8]) throws -> [String: [UInt8]] {
        var records: [String: [UInt8]] = [:]
        var index = 0
        while index < bytes.count {
            guard let space = bytes[index...].firstIndex(of: 32),
                  let length = Int(String(decoding: bytes[index..<space], as: UTF8.self)),
                  length > space - index, index + length <= bytes.count,
                  let equals = bytes[(space + 1)..<(index + length)].firstIndex(of: UInt8(ascii: "=")),
                  bytes[index + length - 1] == 10
            else { throw LayersError.archive("pax header at offset \(offset): malformed record") }
            let key = String(decoding: bytes[(space + 1)..<equals], as: UTF8.self)
            records[key] = Array(bytes[(equals + 1)..<(index + length - 1)])
            index += length
        }
        return records
    }

    private func apply(_ records: [String: [UInt8]], to entry: inout TarEntry) throws {
        for (key, value) in records {
            let text = String(decoding: value, as: UTF8.self)
            switch key {
            case "path": entry.path = text
            case "linkpath": entry.linkTarget = text
            case "size":
                guard let size = Int64(text), size >= 0 else { throw LayersError.archive("pax size \(quote(text)) is not a number") }
                entry.size = size
            case "uid": entry.uid = UInt32(text) ?? entry.uid
            case "gid": entry.gid = UInt32(text) ?? entry.gid
            case "uname": entry.userName = text
            case "gname": entry.groupName = text
            case "mtime":
                let parts = text.split(separator: ".", maxSplits: 1)
                entry.modificationTime = Int64(parts.first ?? "") ?? entry.modificationTime
                if parts.count == 2 {
                    let fraction = parts[1].prefix(9)
                    let digits = fraction + String(repeating: "0", count: 9 - fraction.count)
                    entry.modificationNanoseconds = Int32(digits) ?? 0
                }
            default:
                if key.hasPrefix("SCHILY.xattr.") {
                    entry.extendedAttributes[String(key.dropFirst("SCHILY.xattr.".count))] = value
                }
            }
        }
    }
}

func cString(_ bytes: [UInt8]) -> String {
    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
}

func quote(_ text: String) -> String { "\"\(text)\"" }
