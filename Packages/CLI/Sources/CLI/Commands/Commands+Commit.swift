import FoundationEssentials
import Glibc
import Layers
import Syscalls

extension Commands {
    // MARK: - commit

    static let commit = Command(
        "commit", usage: "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]", summary: "Create a new image from a container's changes",
        flags: [Flag("author", short: "a", .value(placeholder: "string"), help: "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")"),
                Flag("change", short: "c", .list(placeholder: "list"), help: "Apply Dockerfile instruction to the created image"),
                Flag("message", short: "m", .value(placeholder: "string"), help: "Commit message"),
                Flag("pause", short: "p", help: "Pause container during commit (default true)")]
    ) { context, arguments in
        guard (1...2).contains(arguments.positional.count) else {
            throw CommandError.usage("\"commit\" requires at least 1 and at most 2 arguments.")
        }
        let name = arguments.positional.count > 1 ? arguments.positional[1] : nil
        let reference = try name.map { try Commands.reference($0) }
        if reference?.digest != nil { throw CommandError.failed("invalid reference format: \(name!): a commit is named by a tag") }
        var changes = ContainerConfiguration()
        for change in arguments.list("change") { try changes.apply(change: change) }  // checked before anything is written
        let entry: ContainerEntry
        do {
            entry = context.reconcile(try context.containers.find(arguments.positional[0]))
        } catch {
            throw daemonError(context, error)
        }
        let image: Image
        do {
            image = try context.commit(entry, reference: reference, author: arguments.value("author"), message: arguments.value("message"),
                                       changes: arguments.list("change"),
                                       pause: arguments.has("pause") ? arguments.bool("pause") : true)
        } catch {
            throw daemonError(context, error)
        }
        context.say(image.id.description)
        return 0
    }

    // MARK: - cp

    static let cp = Command(
        "cp", usage: "cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tdosirak cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
        summary: "Copy files/folders between a container and the local filesystem",
        flags: [Flag("archive", short: "a", help: "Archive mode (copy all uid/gid information)"),
                Flag("follow-link", short: "L", help: "Always follow symbol link in SRC_PATH"),
                Flag("quiet", short: "q", help: "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached")]
    ) { context, arguments in
        guard arguments.positional.count == 2 else { throw CommandError.usage("\"cp\" requires exactly 2 arguments.") }
        let (source, destination) = (arguments.positional[0], arguments.positional[1])
        guard !source.isEmpty else { throw CommandError.failed("source can not be empty") }
        guard !destination.isEmpty else { throw CommandError.failed("destination can not be empty") }
        let from = CopyPath(source), to = CopyPath(destination)
        let options = CopyOptions(archive: arguments.bool("archive"), followLink: arguments.bool("follow-link"),
                                  report: !arguments.bool("quiet") && isatty(context.output.rawValue) == 1)
        switch (from.container, to.container) {
        case (let container?, nil):
            try context.copy(from: container, path: from.path, to: to.path, options: options)
        case (nil, let container?):
            try context.copy(from.path, into: container, path: to.path, options: options)
        case (.some, .some):
            throw CommandError.failed("copying between containers is not supported")
        case (nil, nil):
            throw CommandError.failed("must specify at least one container source")
        }
        return 0
    }
}

// MARK: - commit

extension Context {
    /// `commit`: the container's upper directory becomes a layer on top of its image's
    /// layers, and its settings (command, environment, user, working directory, labels)
    /// become the new image's config, with `changes` applied last and a history entry for
    /// the step. A running container is frozen meanwhile, so the layer is one moment's state.
    /// Nothing is named until the image is complete.
    func commit(_ entry: ContainerEntry, reference: Reference?, author: String?, message: String?,
                changes: [String], pause: Bool) throws -> Image {
        let base = try image(of: entry)
        let overlay = Overlay(lowerDirectories: base.lowerDirectories, directory: containers.layerDirectory(entry.id))
        var thaw: (() -> Void)?
        if pause, entry.state.status == .running, var container = runtimeContainer(entry) {
            try container.pause()
            thaw = { try? container.resume() }
        }
        defer { thaw?() }

        let stubs = runtimeMountPoints(in: overlay.upperDirectory)
        let layer: (descriptor: Descriptor, diffID: Digest)?
        if hasChanges(overlay.upperDirectory, lowers: base.lowerDirectories, excluding: stubs) {
            layer = try images.createLayer { tar in try overlay.diff(to: tar, excluding: stubs) }
        } else {
            layer = nil  // Docker's rule: no change, no layer, and the history says so
        }
        thaw?()
        thaw = nil

        var configuration = base.configuration
        var config = configuration.config ?? ContainerConfiguration()
        let options = entry.options
        var environment = config.env ?? []
        for item in options.environment {
            let name = item.prefix { $0 != "=" }
            environment.removeAll { $0.prefix { $0 != "=" } == name }
            environment.append(item)
        }
        config.env = environment.isEmpty ? nil : environment
        let argv = [entry.path] + entry.args
        let entrypoint = options.entrypoint ?? config.entrypoint ?? []
        config.entrypoint = entrypoint.isEmpty ? nil : entrypoint
        config.cmd = Array(argv.dropFirst(min(entrypoint.count, argv.count)))
        if config.cmd?.isEmpty == true { config.cmd = nil }
        config.user = options.user ?? config.user
        config.workingDir = options.workingDirectory ?? config.workingDir
        config.stopSignal = options.stopSignal ?? config.stopSignal
        if !options.labels.isEmpty { config.labels = (config.labels ?? [:]).merging(options.labels) { _, new in new } }
        for change in changes { try config.apply(change: change) }
        configuration.config = config

        let now = Timestamp.rfc3339(Date())
        configuration.created = now
        configuration.author = author
        configuration.history = (configuration.history ?? []) + [
            ImageConfiguration.History(created: now, createdBy: entry.commandLine, comment: message, emptyLayer: layer == nil ? true : nil),
        ]
        let layers = zip(base.manifest.layers, base.snapshots).map { (descriptor: $0, diffID: $1.diffID) } + (layer.map { [$0] } ?? [])
        return try images.createImage(layers: layers, configuration: configuration, references: reference.map { [$0] } ?? [])
    }

    /// The empty files the runtime made in a container's upper directory to bind-mount
    /// `/etc/hosts`, `/etc/hostname` and `/etc/resolv.conf` on (when the image has none):
    /// they belong to the container, not to an image made from it (Docker keeps them in a
    /// layer of their own, `-init`, which `commit` leaves out).
    func runtimeMountPoints(in upper: String) -> Set<String> {
        Set(["etc/hosts", "etc/hostname", "etc/resolv.conf"].filter { path in
            var info = stat()
            return lstat(upper + "/" + path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && info.st_size == 0
        })
    }

    /// Whether the upper directory holds a change: anything but directories that were only
    /// copied up (they exist below, unchanged in kind, and hold no change themselves).
    func hasChanges(_ upper: String, lowers: [String], excluding: Set<String>, relative: String = "") -> Bool {
        for entry in (try? FileSystem.entries(of: upper + (relative.isEmpty ? "" : "/" + relative))) ?? [] {
            let path = relative.isEmpty ? entry.name : relative + "/" + entry.name
            if excluding.contains(path) { continue }
            guard entry.kind == .directory else { return true }
            let existsBelow = lowers.contains { lower in
                var info = stat()
                return lstat(lower + "/" + path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
            }
            let opaque = (try? FileSystem.extendedAttribute("trusted.overlay.opaque", of: upper + "/" + path)) == Array("y".utf8)
            if !existsBelow || opaque || hasChanges(upper, lowers: lowers, excluding: excluding, relative: path) { return true }
        }
        return false
    }
}

// MARK: - cp

/// One side of `cp`: `CONTAINER:PATH`, or a local path (`-` is standard input or output).
/// A local path with a colon is written `./file:name` or `/abs/file:name`, as with scp.
struct CopyPath {
    var container: String?
    var path: String

    init(_ argument: String) {
        if argument.hasPrefix("/") || argument.hasPrefix(".") {
            path = argument
        } else if let colon = argument.firstIndex(of: ":") {
            container = String(argument[..<colon])
            path = String(argument[argument.index(after: colon)...])
        } else {
            path = argument
        }
    }
}

struct CopyOptions {
    /// `-a`: files copied into a container keep the owners they have; otherwise root owns them.
    var archive: Bool
    /// `-L`: a symbolic link named as the source is followed.
    var followLink: Bool
    /// Print `Successfully copied ...` (on a terminal, without `-q`).
    var report: Bool
}

/// A container's file system, open for `cp`. A running container is reached through its
/// init's `/proc/PID/root`, which shows its volumes and bind mounts too, and it is frozen
/// while the copy runs, so that nothing inside can swap a directory for a symbolic link
/// under our feet. A stopped container's overlay is mounted for the copy, under the
/// container's lock so no `start` interleaves, and unmounted again if it was not mounted.
final class ContainerFileSystem {
    let entry: ContainerEntry
    /// The container's `/`, as an `O_PATH` descriptor: every path is resolved below it with
    /// `openat2(RESOLVE_IN_ROOT)`, so `..` and absolute symbolic links stay inside.
    let root: FileDescriptor
    private var undo: [() -> Void] = []

    init(_ context: Context, _ entry: ContainerEntry) throws {
        self.entry = entry
        var undo: [() -> Void] = []
        do {
            if entry.state.isLive, let process = entry.state.process, process.isAlive {
                if entry.state.status == .running, var container = context.runtimeContainer(entry) {
                    try container.pause()
                    undo.append { try? container.resume() }
                }
                root = try FileDescriptor.open("/proc/\(process.pid)/root", options: [.directory, .path])
            } else {
                let lock = try FileLock.acquire(context.containers.directory(entry.id) + "/lock")
                undo.append { lock.release() }
                let image = try context.image(of: entry)
                let overlay = Overlay(lowerDirectories: image.lowerDirectories, directory: context.containers.layerDirectory(entry.id))
                if !overlay.isMounted {
                    try overlay.mount(volatile: entry.options.remove)
                    undo.append { try? overlay.unmount() }
                }
                root = try FileDescriptor.open(overlay.mergedDirectory, options: [.directory, .path])
            }
        } catch {
            for step in undo.reversed() { step() }
            throw CommandError.failed("container \(entry.shortID): its file system: \(error)")
        }
        self.undo = undo
    }

    private var closed = false

    func close() {
        guard !closed else { return }
        closed = true
        try? root.close()
        for step in undo.reversed() { step() }
        undo.removeAll()
    }

    deinit { close() }

    /// Opens a directory of the container (`O_PATH`), resolved inside it.
    func openDirectory(_ components: [String]) throws -> FileDescriptor {
        try FileDescriptor.open(components.isEmpty ? "." : components.joined(separator: "/"), options: [.directory, .path],
                                in: root, resolve: .inRoot)
    }

    /// What `path` names in the container, as a parent directory and a name in it. With
    /// `follow`, a symbolic link at the end is followed (inside the container) until it is
    /// something else. Nil if it does not exist.
    func locate(_ path: String, follow: Bool) throws -> (parent: FileDescriptor, name: String, info: stat)? {
        var components = try Extractor.clean(path)
        for _ in 0..<40 {
            guard let name = components.last else {
                var info = stat()
                guard fstat(root.rawValue, &info) == 0 else { throw CommandError.failed("stat /: \(Errno.current)") }
                return (try root.duplicate(), ".", info)
            }
            let parentComponents = Array(components.dropLast())
            let parent: FileDescriptor
            do {
                parent = try openDirectory(parentComponents)
            } catch Errno.noSuchFileOrDirectory, Errno.notDirectory {
                return nil
            }
            var info = stat()
            if fstatat(parent.rawValue, name, &info, AT_SYMLINK_NOFOLLOW) != 0 {
                try? parent.close()
                return nil
            }
            guard follow && info.st_mode & S_IFMT == S_IFLNK else { return (parent, name, info) }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlinkat(parent.rawValue, name, &buffer, buffer.count - 1)
            try? parent.close()
            guard length >= 0 else { throw CommandError.failed("readlink \(path): \(Errno.current)") }
            let target = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            components = try Extractor.clean(target.hasPrefix("/") ? target : (parentComponents + [target]).joined(separator: "/"))
        }
        throw CommandError.failed("\(path): too many levels of symbolic links")
    }
}

extension Context {
    /// `cp CONTAINER:SRC DEST`: the source is archived with chapter 04's tar writer (under
    /// the name it will have at the destination) and extracted with its extractor, which
    /// resolves every entry inside the destination directory.
    func copy(from reference: String, path source: String, to destination: String, options: CopyOptions) throws {
        let entry: ContainerEntry
        do { entry = reconcile(try containers.find(reference)) } catch { throw Commands.daemonError(self, error) }
        let files = try ContainerFileSystem(self, entry)
        defer { files.close() }
        guard let (parent, name, info) = try files.locate(source, follow: options.followLink) else {
            throw Commands.daemonError(self, CommandError.failed("Could not find the file \(source) in container \(reference)"))
        }
        defer { try? parent.close() }
        let isDirectory = info.st_mode & S_IFMT == S_IFDIR
        if (source.hasSuffix("/") || source.hasSuffix("/.")) && !isDirectory {
            throw Commands.daemonError(self, CommandError.failed("\(source): not a directory"))
        }
        let item = "/proc/self/fd/\(parent.rawValue)/\(name)"
        let itemName = (try Extractor.clean(source)).last ?? "."
        if destination == "-" {
            let writer = TarWriter(FileSink(output, name: "standard output"))
            if itemName == "." {
                try DirectoryArchiver().archive(item, to: writer)
            } else {
                try DirectoryArchiver().archive(item: item, as: itemName, to: writer)
            }
            return
        }
        let target = try CopyTarget(destination: absolute(destination), sourceIsDirectory: isDirectory,
                                    sourceName: itemName, contentsOnly: source.hasSuffix("/."))
        let bytes = try withTemporaryArchive { archive in
            let writer = TarWriter(FileSink(archive, name: "cp archive"))
            if let name = target.name {
                try DirectoryArchiver().archive(item: item, as: name, to: writer)
            } else {
                try DirectoryArchiver().archive(item, to: writer)
            }
        } extract: { reader in
            let extractor = try Extractor(into: target.directory, whiteouts: .keep, preserveOwners: false)
            defer { extractor.close() }
            try extractor.extract(reader)
            return extractor.byteCount
        }
        if options.report { errors.say("Successfully copied \(Timestamp.bytes(bytes)) to \(destination)") }
    }

    /// `cp SRC CONTAINER:DEST`, and `cp - CONTAINER:DIR` for a tar stream on standard input.
    func copy(_ source: String, into reference: String, path destination: String, options: CopyOptions) throws {
        let entry: ContainerEntry
        do { entry = reconcile(try containers.find(reference)) } catch { throw Commands.daemonError(self, error) }
        var sourceInfo = stat()
        if source != "-" {
            let path = absolute(source)
            let found = options.followLink ? stat(path, &sourceInfo) : lstat(path, &sourceInfo)
            guard found == 0 else { throw CommandError.failed("lstat \(path): \(Errno.current)") }
            if (source.hasSuffix("/") || source.hasSuffix("/.")) && sourceInfo.st_mode & S_IFMT != S_IFDIR {
                throw CommandError.failed("\(source): not a directory")
            }
        }
        let files = try ContainerFileSystem(self, entry)
        defer { files.close() }
        // The destination, with a symbolic link at its end followed (inside the container).
        let found = try files.locate(destination, follow: true)
        defer { try? found?.parent.close() }
        var directory: FileDescriptor
        var name: String?
        let components = try Extractor.clean(destination)
        if source == "-" {
            guard let found, found.info.st_mode & S_IFMT == S_IFDIR else {
                throw CommandError.failed("destination \"\(reference):\(destination)\" must be a directory")
            }
            directory = try found.name == "." ? found.parent.duplicate()
                : FileDescriptor.open(found.name, options: [.directory, .path, .noFollow], in: found.parent)
        } else {
            let sourceIsDirectory = sourceInfo.st_mode & S_IFMT == S_IFDIR
            let sourceName = URL(fileURLWithPath: absolute(source)).lastPathComponent
            if let found, found.info.st_mode & S_IFMT == S_IFDIR {
                directory = try found.name == "." ? found.parent.duplicate()
                    : FileDescriptor.open(found.name, options: [.directory, .path, .noFollow], in: found.parent)
                name = source.hasSuffix("/.") ? nil : sourceName
            } else if let found {
                if sourceIsDirectory { throw CommandError.failed("cannot copy a directory to a file: \(reference):\(destination)") }
                directory = try found.parent.duplicate()
                name = found.name
            } else {
                if destination.hasSuffix("/") && !sourceIsDirectory {
                    throw Commands.daemonError(self, CommandError.failed("Could not find the file \(destination) in container \(reference)"))
                }
                do {
                    directory = try files.openDirectory(Array(components.dropLast()))
                } catch {
                    let parent = "/" + components.dropLast().joined(separator: "/")
                    throw Commands.daemonError(self, CommandError.failed("Could not find the file \(parent) in container \(reference)"))
                }
                name = components.last
            }
        }
        defer { try? directory.close() }
        let extractor = try Extractor(into: "/proc/self/fd/\(directory.rawValue)", whiteouts: .keep, preserveOwners: options.archive)
        defer { extractor.close() }
        do {
            if source == "-" {
                try extractor.extract(TarReader(FileSource(.standardInput, name: "standard input")))
            } else {
                _ = try withTemporaryArchive { archive in
                    let writer = TarWriter(FileSink(archive, name: "cp archive"))
                    if let name {
                        try DirectoryArchiver().archive(item: absolute(source), as: name, to: writer)
                    } else {
                        try DirectoryArchiver().archive(absolute(source), to: writer)
                    }
                } extract: { reader in
                    try extractor.extract(reader)
                    return extractor.byteCount
                }
            }
        } catch {
            throw Commands.daemonError(self, error)
        }
        if options.report {
            errors.say("Successfully copied \(Timestamp.bytes(extractor.byteCount)) to \(reference):\(destination)")
        }
    }

    /// A path made absolute against the current directory (a trailing `/` or `/.` kept).
    func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Writes an archive into an unnamed temporary file (in the image store's `tmp/`, on the
    /// same disk, gone when closed even if we crash), then reads it back for extraction.
    func withTemporaryArchive<T>(_ write: (FileDescriptor) throws -> Void, extract: (TarReader) throws -> T) throws -> T {
        let path = images.blobs.temporaryPath(".cp.tar")
        let file = try FileDescriptor.open(path, .readWrite, options: [.create, .exclusive], permissions: 0o600)
        unlink(path)
        defer { try? file.close() }
        try write(file)
        guard lseek(file.rawValue, 0, SEEK_SET) == 0 else { throw CommandError.failed("lseek: \(Errno.current)") }
        return try extract(TarReader(FileSource(file, name: "cp archive")))
    }
}

/// Where `cp` out of a container puts things on this machine, by Docker's rules: into an
/// existing directory under the source's name (or, for `SRC/.`, its contents); over an
/// existing file; or as a new file or directory named by the destination, whose parent
/// must exist.
struct CopyTarget {
    /// The directory the archive is extracted into.
    var directory: String
    /// The name the source gets there; nil: the source directory's contents go there.
    var name: String?

    init(destination: String, sourceIsDirectory: Bool, sourceName: String, contentsOnly: Bool) throws {
        var info = stat()
        let url = URL(fileURLWithPath: destination)
        if stat(destination, &info) == 0 {
            if info.st_mode & S_IFMT == S_IFDIR {
                directory = destination
                name = contentsOnly && sourceIsDirectory ? nil : (sourceName == "." ? nil : sourceName)
                return
            }
            if sourceIsDirectory { throw CommandError.failed("cannot copy a directory to a file: \(destination)") }
            directory = url.deletingLastPathComponent().path
            name = url.lastPathComponent
            return
        }
        if destination.hasSuffix("/") && !sourceIsDirectory {
            throw CommandError.failed("destination directory \(destination) does not exist")
        }
        let parent = url.deletingLastPathComponent().path
        guard stat(parent, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw CommandError.failed("destination directory \(parent) does not exist")
        }
        directory = parent
        name = url.lastPathComponent
    }
}
