import CSyscalls
import Glibc

extension FileSystem {
    /// Sets the extended attribute `name` of `path` to `value`. A symbolic link at `path`
    /// gets the attribute itself; it is never followed. `trusted.*` names need
    /// `CAP_SYS_ADMIN`: overlayfs keeps its own marks there (`trusted.overlay.opaque`).
    ///
    ///     try FileSystem.setExtendedAttribute("trusted.overlay.opaque", to: Array("y".utf8), of: "/upper/etc")
    ///
    /// The corresponding system call is `lsetxattr(2)`.
    public static func setExtendedAttribute(_ name: String, to value: [UInt8], of path: String) throws {
        try value.withUnsafeBytes { raw in
            try nothingOrErrno { lsetxattr(path, name, raw.baseAddress, raw.count, 0) }
        }
    }

    /// The value of the extended attribute `name` of `path` (a link itself, never followed),
    /// or nil when it has none (`ENODATA`).
    ///
    /// The corresponding system call is `lgetxattr(2)`.
    public static func extendedAttribute(_ name: String, of path: String) throws -> [UInt8]? {
        while true {
            let size = lgetxattr(path, name, nil, 0)
            if size == -1 {
                let error = Errno.current
                if error.rawValue == ENODATA { return nil }
                if error == .interrupted { continue }
                throw error
            }
            var value = [UInt8](repeating: 0, count: size)
            let read = value.withUnsafeMutableBytes { lgetxattr(path, name, $0.baseAddress, size) }
            if read == -1 {
                let error = Errno.current
                if error.rawValue == ENODATA { return nil }
                if error.rawValue == ERANGE || error == .interrupted { continue }  // it grew meanwhile
                throw error
            }
            return Array(value.prefix(read))
        }
    }

    /// The names of the extended attributes of `path` (a link itself, never followed).
    ///
    /// The corresponding system call is `llistxattr(2)`.
    public static func extendedAttributeNames(of path: String) throws -> [String] {
        while true {
            let size = try valueOrErrno { llistxattr(path, nil, 0) }
            if size == 0 { return [] }
            var buffer = [CChar](repeating: 0, count: size)
            let read = llistxattr(path, &buffer, size)
            if read == -1 {
                let error = Errno.current
                if error.rawValue == ERANGE || error == .interrupted { continue }
                throw error
            }
            return buffer.prefix(read).split(separator: 0).map {
                String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }
}
