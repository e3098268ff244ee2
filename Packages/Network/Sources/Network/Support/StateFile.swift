import FoundationEssentials
import Glibc

/// JSON state files, written whole or not at all: to a temporary file, then renamed over
/// the old one, so a crash never leaves half a file behind.
enum StateFile {
    static func read<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw NetworkError.state(path, "cannot read")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw NetworkError.state(path, "not valid: \(error)")
        }
    }

    static func write<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try write(try encoder.encode(value), to: path)
    }

    static func write(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else { throw NetworkError.state(path, "rename failed") }
        } catch {
            unlink(temporary)
            throw NetworkError.state(path, "cannot write")
        }
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw NetworkError.state(path, "cannot create directory")
        }
    }
}
