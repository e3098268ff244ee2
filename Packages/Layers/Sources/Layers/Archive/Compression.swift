import Glibc
import Syscalls

/// How a layer's bytes are compressed, from its media type or its first bytes.
public enum Compression: String, Sendable, Codable {
    case none, gzip, zstd

    /// `...tar+gzip`, `...tar.gzip` (Docker), `...tar+zstd`, or plain `...tar`.
    public init(mediaType: String) {
        if mediaType.hasSuffix("gzip") { self = .gzip } else if mediaType.hasSuffix("zstd") { self = .zstd } else { self = .none }
    }

    /// From the magic numbers: gzip starts 1f 8b, zstd 28 b5 2f fd.
    public init(magic bytes: some Collection<UInt8>) {
        let head = Array(bytes.prefix(4))
        if head.count >= 2 && head[0] == 0x1f && head[1] == 0x8b { self = .gzip }
        else if head == [0x28, 0xb5, 0x2f, 0xfd] { self = .zstd }
        else { self = .none }
    }

    /// The gzip decompressors we look for, fastest first. `igzip` (Intel's ISA-L) inflates
    /// about 2.5 times as fast as zlib on one core; `unpigz`, which Docker runs, inflates with
    /// zlib and checks the CRC on a second thread; `gzip` is always there.
    static let gzipTools = ["igzip", "unpigz", "gzip"]

    /// The command that decompresses standard input to standard output: for gzip, the first
    /// of `tools` that is installed.
    func decompressor(tools: [String] = gzipTools) throws -> [String] {
        switch self {
        case .none: return []
        case .gzip:
            for tool in tools {
                if let path = CurrentProcess.lookUp(tool, path: searchPath) { return [path, "-d", "-c"] }
            }
            throw LayersError.tool("gzip", "not found in PATH (install gzip)")
        case .zstd:
            if let zstd = CurrentProcess.lookUp("zstd", path: searchPath) { return [zstd, "-d", "-c", "-q"] }
            throw LayersError.tool("zstd", "not found in PATH (install zstd)")
        }
    }

    /// The command that compresses standard input to standard output.
    func compressor() throws -> [String] {
        switch self {
        case .none: return []
        case .gzip:
            if let pigz = CurrentProcess.lookUp("pigz", path: searchPath) { return [pigz, "-c", "-n"] }
            if let gzip = CurrentProcess.lookUp("gzip", path: searchPath) { return [gzip, "-c", "-n"] }
            throw LayersError.tool("gzip", "not found in PATH (install gzip)")
        case .zstd:
            if let zstd = CurrentProcess.lookUp("zstd", path: searchPath) { return [zstd, "-c", "-q"] }
            throw LayersError.tool("zstd", "not found in PATH (install zstd)")
        }
    }
}

private var searchPath: String {
    CurrentProcess.path(in: CurrentProcess.environment()) + ":/usr/bin:/bin"
}
