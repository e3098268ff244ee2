import FoundationEssentials
import Glibc
import Syscalls

/// `images.json`: every name the store knows, and the manifest it points at.
struct ImageIndexFile: Codable {
    struct Entry: Codable, Equatable {
        /// The platform manifest (what the image is).
        var manifest: Digest
        /// The index or manifest list it was chosen from, when pulled as one.
        var index: Digest?
    }

    var images: [String: Entry] = [:]
    /// Images that no name points at but that were made on purpose (`import`, `commit` or
    /// `load` without a name): Docker's dangling images, `<none>:<none>` in `docker images`.
    /// They stay until `rmi` or `image prune`; garbage collection keeps them.
    var dangling: [Digest]?
}

/// A line of `docker images`.
public struct ImageSummary: Sendable, Equatable {
    public let repository: String
    public let tag: String
    public let id: Digest
    public let manifest: Digest
    public let created: Date?
    public let size: Int64
    /// The index (manifest list) the image was chosen from, when it was pulled as one.
    public let index: Digest?

    /// No name points at it: `<none>:<none>`.
    public var isDangling: Bool { repository == "<none>" }
    /// What `docker images --digests` shows: the digest a registry knows the image by.
    public var digest: Digest { index ?? manifest }
}

extension ImageStore {
    var indexPath: String { root + "/images.json" }

    func readIndex() throws -> ImageIndexFile {
        guard let data = FileManager.default.contents(atPath: indexPath) else { return ImageIndexFile() }
        do { return try JSONDecoder().decode(ImageIndexFile.self, from: data) } catch {
            throw LayersError.context(indexPath, "corrupt: \(describe(error))")
        }
    }

    /// Writes the index to a temporary file and renames it over the old one: a reader sees
    /// the old index or the new one, never half of one.
    func writeIndex(_ index: ImageIndexFile) throws {
        let temporary = blobs.temporaryPath(".json")
        try Data(try canonicalJSON(index)).write(to: URL(fileURLWithPath: temporary))
        try check("rename", indexPath) { rename(temporary, indexPath) }
    }

    /// Changes the index under its lock.
    func updateIndex<T>(_ body: (inout ImageIndexFile) throws -> T) throws -> T {
        try indexLock.withLock(.exclusive) {
            var index = try readIndex()
            let result = try body(&index)
            try writeIndex(index)
            return result
        }
    }

    /// Points each reference at the manifest (tags move; a digest reference is stored as is).
    /// With no reference, the image is kept as a dangling one, unless a name already has it.
    func record(_ references: [Reference], manifest: Digest, index: Digest? = nil) throws {
        try updateIndex { file in
            guard !references.isEmpty else {
                if !file.images.values.contains(where: { $0.manifest == manifest }) {
                    file.dangling = Array(Set(file.dangling ?? []).union([manifest])).sorted()
                }
                return
            }
            for reference in references {
                file.images[reference.description] = ImageIndexFile.Entry(manifest: manifest, index: index)
            }
            file.dangling = file.dangling?.filter { $0 != manifest }
        }
    }

    /// Gives the image `source` another name, like `docker tag`.
    public func tag(_ source: String, as target: String) throws {
        let digest = try resolve(source)
        let reference = try Reference(parsing: target)
        try record([reference], manifest: digest)
    }

    /// Every name in the store, and every dangling image (as `<none>:<none>`), as
    /// `docker images` lists them: newest first.
    public func images() throws -> [ImageSummary] {
        var result: [ImageSummary] = []
        let index = try readIndex()
        for (name, entry) in index.images {
            guard let reference = try? Reference(parsing: name), let image = try? image(manifest: entry.manifest) else { continue }
            result.append(ImageSummary(repository: reference.familiarRepository, tag: reference.tag ?? "<none>",
                                       id: image.id, manifest: entry.manifest, created: image.created, size: image.size,
                                       index: entry.index))
        }
        for manifest in index.dangling ?? [] {
            guard let image = try? image(manifest: manifest) else { continue }
            result.append(ImageSummary(repository: "<none>", tag: "<none>", id: image.id, manifest: manifest,
                                       created: image.created, size: image.size, index: nil))
        }
        return result.sorted {
            ($0.created ?? .distantPast, $1.repository, $1.tag) > ($1.created ?? .distantPast, $0.repository, $0.tag)
        }
    }

    /// The names pointing at a manifest.
    public func names(of manifest: Digest) throws -> [String] {
        try readIndex().images.filter { $0.value.manifest == manifest }.keys.sorted()
    }
}
