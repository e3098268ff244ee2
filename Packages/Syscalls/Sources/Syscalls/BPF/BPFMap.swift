import CSyscalls
import Glibc

/// An eBPF map: memory in the kernel, keys and values of fixed sizes, that programs read and
/// write with helper functions (`bpf_map_lookup_elem`, `bpf_map_update_elem`) and that
/// outlives each run of them. A program names a map by a descriptor written into its code
/// at load time; the map then lives at least as long as the program.
///
/// The corresponding system call is `bpf(2)`, as for `BPFProgram`.
public enum BPFMap {
    /// `BPF_MAP_TYPE_*`.
    public struct Kind: RawRepresentable, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// A hash table of fixed capacity that, when full, forgets what was used least recently.
        public static let lruHash = Kind(rawValue: 9)
    }

    /// Creates a map named `name` (at most 15 characters) for `capacity` entries.
    public static func create(_ kind: Kind, keySize: Int, valueSize: Int, capacity: Int, name: String) throws -> FileDescriptor {
        FileDescriptor(rawValue: try valueOrErrno {
            dsk_bpf_map_create(kind.rawValue, UInt32(keySize), UInt32(valueSize), UInt32(capacity), name)
        })
    }

    /// A descriptor for the map `id` (one of `BPFProgram.identity(of:).maps`).
    public static func open(id: UInt32) throws -> FileDescriptor {
        FileDescriptor(rawValue: try valueOrErrno { dsk_bpf_map_get_fd_by_id(id) })
    }

    /// The value under `key`, `valueSize` bytes, or nil if there is none.
    public static func lookup(_ map: FileDescriptor, key: [UInt8], valueSize: Int) throws -> [UInt8]? {
        var value = [UInt8](repeating: 0, count: valueSize)
        let result = dsk_bpf_map_lookup(map.rawValue, key, &value)
        if result == 0 { return value }
        let error = Errno.current
        if error == .noSuchFileOrDirectory { return nil }
        throw error
    }
}
