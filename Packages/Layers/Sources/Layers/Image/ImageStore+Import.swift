import Foundation
import Glibc
import Syscalls

extension ImageStore {
    /// `docker import`: a root filesystem tarball (plain, gzip or zstd) becomes a one-layer
    /// image. The file is stored as the layer blob as it is; its uncompressed digest, found
    /// while it is unpacked into its snapshot, becomes the diff ID.
    ///
    ///     let image = try store.importTarball("rootfs.tar.gz", as: "myroot:1.0")
    @discardableResult
    public func importTarball(_ path: String, as name: String? = nil, config: ContainerConfiguration? = nil,
                              message: String? = nil) throws -> Image {
        let references = try name.map { [try Reference(parsing: $0)] } ?? []
        return try contentLock.withLock(.shared) {
            let digest = try blobs.put(fileAt: path)
            let fd = try blobs.open(digest)
            defer { try? fd.close() }
            let compression = Compression(magic: try fd.read(upTo: 4))
            guard lseek(fd.rawValue, 0, SEEK_SET) == 0 else { throw LayersError.file("lseek", path, Errno.current) }
            let snapshot = try snapshots.unpack(blob: fd, name: path, compression: compression, parent: nil, diffID: nil)
            let now = formatTimestamp(Date())
            let platform = Platform.current
            let configuration = ImageConfiguration(
                architecture: platform.architecture, variant: platform.variant, config: config ?? ContainerConfiguration(),
                rootfs: .init(diffIDs: [snapshot.diffID]),
                history: [.init(created: now, createdBy: "dosirak import \(URL(fileURLWithPath: path).lastPathComponent)", comment: message)],
                created: now)
            let size = try blobs.size(of: digest)
            return try createImage(layers: [(Descriptor(mediaType: MediaType.layer(compression), digest: digest, size: size), snapshot.diffID)],
                                   configuration: configuration, references: references)
        }
    }
}
