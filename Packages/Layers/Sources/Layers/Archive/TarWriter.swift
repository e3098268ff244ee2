/// Writes a tar archive to a stream: ustar headers, with a pax header in front of any entry
/// that ustar cannot describe (a long name or link, a size of 8 GiB or more, a large owner
/// ID, nanoseconds, extended attributes). GNU tar, bsdtar, Go and Docker all read the result.
///
///     let writer = TarWriter(sink)
///     try writer.add(TarEntry(path: "etc", kind: .directory, mode: 0o755))
///     try writer.add(TarEntry(path: "etc/motd", kind: .regular, mode: 0o644, size: 6), contents: Array("hello\n".utf8))
///     try writer.finish()
public final class TarWriter {
    public let sink: any ByteSink
    /// Bytes written so far.
    public private(set) var count: Int64 = 0

    public init(_ sink: any ByteSink) { self.sink = sink }

    /// Adds an entry whose contents (for a regular file) are `contents`.
    public func add(_ entry: TarEntry, contents: [UInt8] = []) throws {
        var entry = entry
        if entry.kind == .regular { entry.size = Int64(contents.count) } else { entry.size = 0 }
        try writeHeader(entry)
        try contents.withUnsafeBytes { try emit($0) }
        try pad(entry.size)
    }

    /// Adds an entry and then its contents, which `body` produces by calling the function it
    /// is given; exactly `entry.size` bytes must be written.
    public func add(_ entry: TarEntry, contents body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try writeHeader(entry)
        var written: Int64 = 0
        try body { piece in
            written += Int64(piece.count)
            guard written <= entry.size else { throw LayersError.archive("\(quote(entry.path)): more contents than its size \(entry.size)") }
            try self.emit(piece)
        }
        guard written == entry.size else {
            throw LayersError.archive("\(quote(entry.path)): \(written) bytes of contents, the header said \(entry.size)")
        }
        try pad(entry.size)
    }

    /// Ends the archive with two zero blocks.
    public func finish() throws {
        try emit(Array(repeating: 0, count: 1024))
    }

    // MARK: - Headers

    private func writeHeader(_ entry: TarEntry) throws {
        var pax: [(String, [UInt8])] = []
        let (prefix, name) = split(entry.path)
        if name == nil { pax.append(("path", Array(entry.path.utf8))) }
        if entry.linkTarget.utf8.count > 100 { pax.append(("linkpath", Array(entry.linkTarget.utf8))) }
        if entry.size >= 0o77777777777 { pax.append(("size", Array(String(entry.size).utf8))) }
        if entry.uid > 0o7777777 { pax.append(("uid", Array(String(entry.uid).utf8))) }
        if entry.gid > 0o7777777 { pax.append(("gid", Array(String(entry.gid).utf8))) }
        if entry.userName.utf8.count > 32 { pax.append(("uname", Array(entry.userName.utf8))) }
        if entry.groupName.utf8.count > 32 { pax.append(("gname", Array(entry.groupName.utf8))) }
        if entry.modificationNanoseconds != 0 || entry.modificationTime < 0 || entry.modificationTime >= 0o77777777777 {
            let fraction = String(entry.modificationNanoseconds).leftPadded(to: 9)
            pax.append(("mtime", Array("\(entry.modificationTime).\(fraction)".utf8)))
        }
        for (key, value) in entry.extendedAttributes.sorted(by: { $0.key < $1.key }) {
            pax.append(("SCHILY.xattr." + key, value))
        }
        if !pax.isEmpty {
            var records: [UInt8] = []
            for (key, value) in pax { records += paxRecord(key, value) }
            let paxName = "PaxHeaders/" + String(entry.path.suffix(80))
            var header = block(name: Array(paxName.utf8.prefix(100)), prefix: [], entry: entry, type: UInt8(ascii: "x"), size: Int64(records.count))
            checksum(&header)
            try emit(header)
            try emit(records)
            try pad(Int64(records.count))
        }
        let ustarName = name ?? Array(entry.path.utf8.prefix(100))
        var header = block(name: ustarName, prefix: name == nil ? [] : prefix, entry: entry, type: entry.typeFlag, size: entry.size)
        checksum(&header)
        try emit(header)
    }

    /// Splits a path into ustar's prefix (155 bytes) and name (100 bytes) at a slash, or nil
    /// when it does not fit (then a pax `path` record carries it).
    private func split(_ path: String) -> ([UInt8], [UInt8]?) {
        let bytes = Array(path.utf8)
        if bytes.count <= 100 { return ([], bytes) }
        guard bytes.count <= 256 else { return ([], nil) }
        for index in stride(from: min(bytes.count - 1, 155), through: 1, by: -1) where bytes[index] == UInt8(ascii: "/") {
            let name = Array(bytes[(index + 1)...])
            if name.count <= 100 && !name.isEmpty { return (Array(bytes[..<index]), name) }
            break
        }
        return ([], nil)
    }

    private func block(name: [UInt8], prefix: [UInt8], entry: TarEntry, type: UInt8, size: Int64) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 512)
        put(&header, 0, 100, name)
        put(&header, 100, 8, octal(Int64(entry.mode & 0o7777), 7))
        put(&header, 108, 8, octal(Int64(min(entry.uid, 0o7777777)), 7))
        put(&header, 116, 8, octal(Int64(min(entry.gid, 0o7777777)), 7))
        put(&header, 124, 12, octal(min(size, 0o77777777777), 11))
        put(&header, 136, 12, octal(max(0, min(entry.modificationTime, 0o77777777777)), 11))
        header[156] = type
        put(&header, 157, 100, Array(entry.linkTarget.utf8.prefix(100)))
        put(&header, 257, 8, Array("ustar\u{0}00".utf8))
        put(&header, 265, 32, Array(entry.userName.utf8.prefix(32)))
        put(&header, 297, 32, Array(entry.groupName.utf8.prefix(32)))
        if entry.kind == .characterDevice || entry.kind == .blockDevice {
            put(&header, 329, 8, octal(Int64(entry.deviceMajor), 7))
            put(&header, 337, 8, octal(Int64(entry.deviceMinor), 7))
        }
        put(&header, 345, 155, prefix)
        return header
    }

    private func checksum(_ header: inout [UInt8]) {
        for index in 148..<156 { header[index] = UInt8(ascii: " ") }
        let sum = header.reduce(0) { $0 + Int64($1) }
        put(&header, 148, 8, octal(sum, 6) + [0, UInt8(ascii: " ")])
    }

    private func put(_ header: inout [UInt8], _ at: Int, _ length: Int, _ bytes: [UInt8]) {
        for (index, byte) in bytes.prefix(length).enumerated() { header[at + index] = byte }
    }

    private func octal(_ value: Int64, _ digits: Int) -> [UInt8] {
        Array(String(value, radix: 8).leftPadded(to: digits).utf8)
    }

    private func paxRecord(_ key: String, _ value: [UInt8]) -> [UInt8] {
        // The length counts itself, so try a length until it is consistent.
        let body = Array(" \(key)=".utf8) + value + [10]
        var length = body.count + 1
        while String(length).utf8.count + body.count != length { length = String(length).utf8.count + body.count }
        return Array(String(length).utf8) + body
    }

    private func pad(_ size: Int64) throws {
        let padding = Int((512 - size % 512) % 512)
        if padding > 0 { try emit([UInt8](repeating: 0, count: padding)) }
    }

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try emit($0) }
    }

    private func emit(_ buffer: UnsafeRawBufferPointer) throws {
        try sink.write(buffer)
        count += Int64(buffer.count)
    }
}

extension String {
    func leftPadded(to length: Int, with pad: Character = "0") -> String {
        count >= length ? self : String(repeating: pad, count: length - count) + self
    }
}
