import FoundationEssentials
import Glibc
import Layers
import Syscalls

extension Context {
    /// The image `name` names, pulled first as `--pull` says: `missing` (the default) pulls
    /// only an image not in the store, `always` asks the registry every time, `never` never.
    /// Progress goes to stderr, so that `run -d` prints only the container's ID on stdout.
    func image(_ name: String, pull: String) throws -> Image {
        let reference: Reference
        do {
            reference = try Reference(parsing: name)
        } catch {
            // An image ID (or a prefix of one) is not a reference, but names an image.
            if let image = try? images.image(name) { return image }
            throw CommandError.failed("invalid reference format: \(name)")
        }
        if pull != "always" {
            if let image = try? images.image(name) { return image }
            if pull == "never" { throw CommandError.failed("No such image: \(reference.familiar)") }
            errors.say("Unable to find image '\(reference.familiar)' locally")
        }
        return try fetch(reference.description)
    }

    /// `create`: the image (pulled if need be), a name, an ID, volumes, and the record on
    /// disk, with the image held so `rmi` cannot take it away. No process runs yet.
    func createContainer(image imageName: String, command: [String], options: RunOptions, name: String?) throws -> ContainerEntry {
        if let name, !NameGenerator.isValid(name.hasPrefix("/") ? String(name.dropFirst()) : name) {
            throw CommandError.failed("Invalid container name (\(name)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
        let image = try image(imageName, pull: options.pull)
        imagesRead[image.manifestDigest.description] = image
        let config = image.configuration.config
        // Docker's rule: --entrypoint replaces the image's entrypoint and drops its CMD.
        let entrypoint = options.entrypoint ?? config?.entrypoint ?? []
        let cmd = !command.isEmpty ? command : (options.entrypoint != nil ? [] : config?.cmd ?? [])
        let argv = entrypoint + cmd
        guard let path = argv.first else { throw CommandError.failed("no command specified") }

        let id = ContainerIndex.randomID()
        var volumes = try options.volumes.map { try VolumeSpec(parsing: $0) } + options.mounts.map { try VolumeSpec(mount: $0) }
        // The image's VOLUMEs that no flag covers become anonymous volumes, as with Docker.
        for path in config?.volumePaths ?? [] where !volumes.contains(where: { $0.destination == path }) {
            volumes.append(try VolumeSpec(parsing: path))
        }
        var created: [String] = []
        do {
            for index in volumes.indices where volumes[index].kind == .volume {
                let anonymous = volumes[index].source?.isEmpty ?? true
                let fresh = (try? self.volumes.load(volumes[index].source ?? "")) == nil
                let volume = try self.volumes.create(volumes[index].source ?? "", anonymous: anonymous)
                volumes[index].source = volume.name
                if fresh { created.append(volume.name) }
            }
            for volume in volumes where volume.kind == .bind {
                guard access(volume.source!, F_OK) == 0 else {
                    throw CommandError.failed("invalid mount config for type \"bind\": bind source path does not exist: \(volume.source!)")
                }
            }
            let entry = try containers.locked {
                let all = containers.names()
                let chosen: String
                if let name {
                    chosen = name.hasPrefix("/") ? String(name.dropFirst()) : name
                    if let owner = all.first(where: { $0.name == chosen }) {
                        throw CommandError.failed("Conflict. The container name \"/\(chosen)\" is already in use by container \"\(owner.id)\". You have to remove (or rename) that container to be able to reuse that name.")
                    }
                } else {
                    chosen = NameGenerator.generate(avoiding: Set(all.map(\.name)))
                }
                let entry = ContainerEntry(
                    id: id, name: chosen, image: imageName, imageID: image.id.description,
                    imageManifest: image.manifestDigest.description, created: Date(), path: path,
                    args: Array(argv.dropFirst()), hostname: options.hostname ?? String(id.prefix(12)), options: options,
                    volumes: volumes, state: ContainerState())
                try FileManager.default.createDirectory(atPath: containers.filesDirectory(id), withIntermediateDirectories: true)
                // A --rm container is gone at its end; a power cut before then ends it too.
                try containers.save(entry, durable: !options.remove)
                return entry
            }
            do {
                try images.hold(image, for: id, name: imageName, durable: !options.remove)
            } catch {
                try? FileManager.default.removeItem(atPath: containers.directory(id))
                throw error
            }
            return entry
        } catch {
            for name in created { try? self.volumes.remove(name, users: []) }
            throw error
        }
    }
}
