import FoundationEssentials
import Glibc
import Layers
import Syscalls

extension Commands {
    static var imageCommands: [Command] {
        [images, pull, push, rmi, tag, importImage, save, load, history, login, logout, imagePrune, imageBusybox, commit, cp]
    }

    /// Dosirak's own: the default image, made from the host's busybox-static, with no registry.
    static let imageBusybox = Command(
        "image busybox", usage: "image busybox [OPTIONS] [NAME]",
        summary: "Make the default image (busybox:latest) from the host's busybox-static, without a registry",
        flags: [Flag("from", .value(placeholder: "path"), help: "The busybox binary (default: the host's busybox-static)")]
    ) { context, arguments in
        let image = try context.images.buildBusybox(busybox: arguments.value("from"), as: arguments.positional.first ?? "busybox:latest")
        context.say(image.id.description)
        return 0
    }

    /// Prints what Docker's daemon would answer (`Error response from daemon: ...`) and fails
    /// with exit code 1. The image store plays the daemon's part here.
    package static func daemonError(_ context: Context, _ error: any Error) -> CommandError {
        context.errors.say("Error response from daemon: " + Commands.daemonMessage(error))
        return .exit(1)
    }

    /// An error from the image store in Docker's words where Docker has some.
    static func daemonMessage(_ error: any Error) -> String {
        if case LayersError.imageNotFound(let name) = error { return "No such image: \(name)" }
        return "\(error)".split(separator: "\n").joined(separator: "; ")
    }

    // MARK: - images

    static let imageHeaders = ["ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST",
                               "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE",
                               "Containers": "CONTAINERS", "VirtualSize": "SIZE", "SharedSize": "SHARED SIZE",
                               "UniqueSize": "UNIQUE SIZE"]

    static let images = Command(
        "images", usage: "images [OPTIONS] [REPOSITORY[:TAG]]", summary: "List images",
        flags: [Flag("all", short: "a", help: "Show all images (default hides intermediate images)"),
                Flag("digests", help: "Show digests"),
                Flag("filter", short: "f", .list(placeholder: "filter"), help: "Filter output based on conditions provided"),
                Flag("format", .value(placeholder: "string"), help: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'"),
                Flag("no-trunc", help: "Don't truncate output"),
                Flag("quiet", short: "q", help: "Only show image IDs")]
    ) { context, arguments in
        guard arguments.positional.count <= 1 else { throw CommandError.usage("\"images\" requires at most 1 argument.") }
        var filters = try arguments.list("filter").map(ImageFilter.init(parsing:))
        if let name = arguments.positional.first { filters.append(ImageFilter(key: "reference", value: name)) }
        let listed = try context.images.images()
        var summaries: [ImageSummary] = []
        do {
            summaries = try ImageFilter.apply(filters, to: listed, store: context.images)
        } catch {
            throw daemonError(context, error)
        }
        let truncate = !arguments.bool("no-trunc")
        if arguments.bool("quiet") {
            for summary in summaries { context.say(truncate ? summary.id.short : summary.id.description) }
            return 0
        }
        let rows = summaries.map { $0.formatFields(truncate: truncate) }
        if let format = arguments.value("format"), format != "table" {
            let text = try Template(format).render(rows, names: imageHeaders)
            if !text.isEmpty { context.say(text) }
            return 0
        }
        let digests = arguments.bool("digests")
        var table = Table(["REPOSITORY", "TAG"] + (digests ? ["DIGEST"] : []) + ["IMAGE ID", "CREATED", "SIZE"])
        for row in rows {
            let since = row["CreatedSince"] as! String
            table.add([row["Repository"] as! String, row["Tag"] as! String] + (digests ? [row["Digest"] as! String] : [])
                      + [row["ID"] as! String, since.isEmpty ? "N/A" : since, row["Size"] as! String])
        }
        context.say(table.text)
        return 0
    }

    // MARK: - pull and push

    static let pull = Command(
        "pull", usage: "pull [OPTIONS] NAME[:TAG|@DIGEST]", summary: "Download an image from a registry",
        flags: [Flag("quiet", short: "q", help: "Suppress verbose output"),
                Flag("platform", .value(placeholder: "string"), help: "Set platform if server is multi-platform capable")]
    ) { context, arguments in
        try context.registryCommand("pull", arguments)
    }

    static let push = Command(
        "push", usage: "push [OPTIONS] NAME[:TAG]", summary: "Upload an image to a registry",
        flags: [Flag("quiet", short: "q", help: "Suppress verbose output")]
    ) { context, arguments in
        try context.registryCommand("push", arguments)
    }

    /// A reference as Docker reads it, or Docker's complaint about it.
    package static func reference(_ name: String) throws -> Reference {
        do {
            return try Reference(parsing: name)
        } catch {
            throw CommandError.failed("invalid reference format: \(name)")
        }
    }

    /// Whether `name` spells out a tag (`busybox:1.36`; not `127.0.0.1:5000/busybox`).
    package static func namesTag(_ name: String) -> Bool {
        let withoutDigest = name.split(separator: "@", maxSplits: 1).first.map(String.init) ?? name
        guard let colon = withoutDigest.lastIndex(of: ":") else { return false }
        return !withoutDigest[colon...].contains("/")
    }

    // MARK: - rmi and tag

    static let rmi = Command(
        "rmi", usage: "rmi [OPTIONS] IMAGE [IMAGE...]", summary: "Remove one or more images",
        flags: [Flag("force", short: "f", help: "Force removal of the image"),
                Flag("no-prune", help: "Do not delete untagged parents")]
    ) { context, arguments in
        guard !arguments.positional.isEmpty else { throw CommandError.usage("\"rmi\" requires at least 1 argument.") }
        var failed = false
        for name in arguments.positional {
            do {
                for line in try context.removeImage(name, force: arguments.bool("force")) { context.say(line) }
            } catch {
                context.errors.say("Error response from daemon: " + daemonMessage(error))
                failed = true
            }
        }
        if failed { throw CommandError.exit(1) }
        return 0
    }

    static let tag = Command(
        "tag", usage: "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", summary: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"
    ) { context, arguments in
        guard arguments.positional.count == 2 else { throw CommandError.usage("\"tag\" requires exactly 2 arguments.") }
        let (source, target) = (arguments.positional[0], arguments.positional[1])
        guard let reference = try? Reference(parsing: target) else {
            throw CommandError.failed("Error parsing reference: \"\(target)\" is not a valid repository/tag: invalid reference format")
        }
        if reference.digest != nil { throw CommandError.failed("refusing to create a tag with a digest reference") }
        do {
            try context.images.tag(source, as: target)
        } catch {
            throw daemonError(context, error)
        }
        return 0
    }

    // MARK: - import, save, load

    static let importImage = Command(
        "import", usage: "import [OPTIONS] file|- [REPOSITORY[:TAG]]",
        summary: "Import the contents from a tarball to create a filesystem image",
        flags: [Flag("change", short: "c", .list(placeholder: "list"), help: "Apply Dockerfile instruction to the created image"),
                Flag("message", short: "m", .value(placeholder: "string"), help: "Set commit message for imported image"),
                Flag("platform", .value(placeholder: "string"), help: "Set platform if server is multi-platform capable")]
    ) { context, arguments in
        guard (1...2).contains(arguments.positional.count) else {
            throw CommandError.usage("\"import\" requires at least 1 and at most 2 arguments.")
        }
        let source = arguments.positional[0]
        let name = arguments.positional.count > 1 ? arguments.positional[1] : nil
        if let name { _ = try reference(name) }
        var config = ContainerConfiguration()
        for change in arguments.list("change") { try config.apply(change: change) }
        if source.contains("://") { throw CommandError.failed("importing from a URL is not supported: \(source) (download it, then import the file)") }
        let image: Image
        do {
            if source == "-" {
                image = try context.withStandardInput(named: "-") { path in
                    try context.images.importTarball(path, as: name, config: config, message: arguments.value("message"))
                }
            } else {
                guard access(source, R_OK) == 0 else { throw CommandError.failed("open \(source): \(Errno.current)") }
                image = try context.images.importTarball(source, as: name, config: config, message: arguments.value("message"))
            }
        } catch let error as CommandError {
            throw error
        } catch {
            throw daemonError(context, error)
        }
        context.say(image.id.description)
        return 0
    }

    static let save = Command(
        "save", usage: "save [OPTIONS] IMAGE [IMAGE...]",
        summary: "Save one or more images to a tar archive (streamed to STDOUT by default)",
        flags: [Flag("output", short: "o", .value(placeholder: "string"), help: "Write to a file, instead of STDOUT")]
    ) { context, arguments in
        guard !arguments.positional.isEmpty else { throw CommandError.usage("\"save\" requires at least 1 argument.") }
        let names = arguments.positional
        do {
            if let path = arguments.value("output") {
                try context.images.save(names, to: path)
            } else {
                guard isatty(context.output.rawValue) != 1 else {
                    throw CommandError.failed("cowardly refusing to save to a terminal. Use the -o flag or redirect")
                }
                try context.images.save(names, to: FileSink(context.output, name: "standard output"))
            }
        } catch let error as CommandError {
            throw error
        } catch {
            throw daemonError(context, error)
        }
        return 0
    }

    static let load = Command(
        "load", usage: "load [OPTIONS]", summary: "Load an image from a tar archive or STDIN",
        flags: [Flag("input", short: "i", .value(placeholder: "string"), help: "Read from tar archive file, instead of STDIN"),
                Flag("quiet", short: "q", help: "Suppress the load output")]
    ) { context, arguments in
        guard arguments.positional.isEmpty else { throw CommandError.usage("\"load\" accepts no arguments.") }
        let lines: [String]
        do {
            if let path = arguments.value("input") {
                guard access(path, R_OK) == 0 else { throw CommandError.failed("open \(path): \(Errno.current)") }
                lines = try context.images.load(path, platform: .current)
            } else {
                guard isatty(0) != 1 else { throw CommandError.failed("requested load from stdin, but stdin is empty") }
                lines = try context.withStandardInput(named: "load.tar") { try context.images.load($0, platform: .current) }
            }
        } catch let error as CommandError {
            throw error
        } catch {
            throw daemonError(context, error)
        }
        for line in lines { context.say(line) }
        return 0
    }

    // MARK: - history

    static let historyHeaders = ["ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "CreatedBy": "CREATED BY",
                                 "Size": "SIZE", "Comment": "COMMENT"]

    static let history = Command(
        "history", usage: "history [OPTIONS] IMAGE", summary: "Show the history of an image",
        flags: [Flag("format", .value(placeholder: "string"), help: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'"),
                Flag("human", short: "H", help: "Print sizes and dates in human readable format (default true)"),
                Flag("no-trunc", help: "Don't truncate output"),
                Flag("quiet", short: "q", help: "Only show image IDs")]
    ) { context, arguments in
        guard arguments.positional.count == 1 else { throw CommandError.usage("\"history\" requires exactly 1 argument.") }
        let image: Image
        do {
            image = try context.images.image(arguments.positional[0])
        } catch {
            throw daemonError(context, error)
        }
        let truncate = !arguments.bool("no-trunc")
        let human = arguments.has("human") ? arguments.bool("human") : true
        let rows = image.historyRows(truncate: truncate, human: human)
        if arguments.bool("quiet") {
            for row in rows { context.say(row["ID"] as! String) }
            return 0
        }
        let format = arguments.value("format") ?? "table"
        let source = format == "table"
            ? (human ? "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
                     : "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}")
            : format
        let text = try Template(source).render(rows, names: historyHeaders)
        if !text.isEmpty { context.say(text) }
        return 0
    }

    // MARK: - login and logout

    static let login = Command(
        "login", usage: "login [OPTIONS] [SERVER]",
        summary: "Authenticate to a registry. Defaults to Docker Hub if no server is specified.",
        flags: [Flag("username", short: "u", .value(placeholder: "string"), help: "Username"),
                Flag("password", short: "p", .value(placeholder: "string"), help: "Password or Personal Access Token (PAT)"),
                Flag("password-stdin", help: "Take the Password or Personal Access Token (PAT) from stdin")]
    ) { context, arguments in
        try context.registryCommand("login", arguments)
    }

    static let logout = Command(
        "logout", usage: "logout [SERVER]",
        summary: "Log out from a registry. If no server is specified, the default is Docker Hub."
    ) { context, arguments in
        try context.registryCommand("logout", arguments)
    }

    // MARK: - image prune

    static let imagePrune = Command(
        "image prune", usage: "image prune [OPTIONS]", summary: "Remove unused images",
        flags: [Flag("all", short: "a", help: "Remove all unused images, not just dangling ones"),
                Flag("force", short: "f", help: "Do not prompt for confirmation")]
    ) { context, arguments in
        guard arguments.positional.isEmpty else { throw CommandError.usage("\"image prune\" accepts no arguments.") }
        let all = arguments.bool("all")
        if !arguments.bool("force") {
            let warning = all ? "WARNING! This will remove all images without at least one container associated to them."
                              : "WARNING! This will remove all dangling images."
            try context.output.writeAll(warning + "\nAre you sure you want to continue? [y/N] ")
            let answer = Terminal.readLine()?.trimmingWhitespace().lowercased() ?? ""
            guard answer == "y" || answer == "yes" else { return 0 }
        }
        let report: ImageStore.PruneReport
        do {
            report = try context.images.prune(all: all)
        } catch {
            throw daemonError(context, error)
        }
        if !report.untagged.isEmpty || !report.deleted.isEmpty {
            context.say("Deleted Images:")
            for name in report.untagged { context.say("untagged: " + name) }
            for digest in report.deleted { context.say("deleted: \(digest)") }
            context.say("")
        }
        context.say("Total reclaimed space: " + Timestamp.bytes(report.bytes))
        return 0
    }
}

extension Context {
    /// `rmi` of one image, with Docker's refusals: an image that a container uses (in any
    /// state) keeps its last name unless forced, and by ID it is refused while a container
    /// runs it, forced or not. The store then untags and deletes in one step.
    func removeImage(_ name: String, force: Bool) throws -> [String] {
        let digest = try images.resolve(name)
        let id = try images.image(manifest: digest).id
        let names = try images.names(of: digest)
        let users = containers.all().filter { $0.imageManifest == digest.description }.map { reconcile($0) }
        let byName = (try? Reference(parsing: name)).map { $0.digest == nil && names.contains($0.description) } ?? false
        if byName {
            if names.count == 1, let user = users.first, !force {
                throw CommandError.failed("conflict: unable to remove repository reference \"\(name)\" (must force) - container \(user.shortID) is using its referenced image \(id.short)")
            }
        } else {
            if names.count > 1 && !force {
                throw CommandError.failed("conflict: unable to delete \(id.short) (must be forced) - image is referenced in multiple repositories")
            }
            if let running = users.first(where: { $0.state.isLive }) {
                throw CommandError.failed("conflict: unable to delete \(id.short) (cannot be forced) - image is being used by running container \(running.shortID)")
            }
            if let stopped = users.first, !force {
                throw CommandError.failed("conflict: unable to delete \(id.short) (must be forced) - image is being used by stopped container \(stopped.shortID)")
            }
        }
        return try images.remove(name, force: force)
    }

    /// Runs `body` with the path of a file holding all of standard input, named `name` (what
    /// the store records as the file's name): in a directory of the image store's `tmp/`, a
    /// symbolic link to standard input when that is a file, or a copy of a pipe. The
    /// directory is removed afterwards.
    func withStandardInput<T>(named name: String, _ body: (String) throws -> T) throws -> T {
        let directory = images.blobs.temporaryPath(".stdin")
        guard mkdir(directory, 0o700) == 0 else { throw CommandError.failed("mkdir \(directory): \(Errno.current)") }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + name
        var info = stat()
        if fstat(0, &info) == 0 && info.st_mode & S_IFMT == S_IFREG {
            guard symlink("/proc/self/fd/0", path) == 0 else { throw CommandError.failed("symlink \(path): \(Errno.current)") }
            return try body(path)
        }
        let file = try FileDescriptor.open(path, .writeOnly, options: [.create, .exclusive], permissions: 0o600)
        do {
            defer { try? file.close() }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            let sink = FileSink(file, name: path)
            while true {
                let n = try FileDescriptor.standardInput.read(into: buffer)
                if n == 0 { break }
                try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            }
        }
        return try body(path)
    }
}

// MARK: - --change

extension ContainerConfiguration {
    /// Applies one `--change` (`-c`) of `commit` or `import`: a Dockerfile instruction that
    /// sets part of the config. `CMD ["sh"]`, `CMD echo hi` (run by `/bin/sh -c`),
    /// `ENTRYPOINT`, `ENV A=1 B="two words"`, `EXPOSE 80 53/udp`, `LABEL k=v`, `STOPSIGNAL`,
    /// `USER`, `VOLUME ["/data"]` or `VOLUME /data`, `WORKDIR`.
    mutating func apply(change: String) throws {
        let text = change.trimmingWhitespace()
        let instruction = String(text.prefix { !$0.isWhitespace }).uppercased()
        let rest = text.dropFirst(instruction.count).trimmingWhitespace()
        func command() throws -> [String] {
            if rest.hasPrefix("[") {
                guard let list = try? JSONDecoder().decode([String].self, from: Data(rest.utf8)) else {
                    throw CommandError.failed("\(instruction): not a JSON array of strings: \(rest)")
                }
                return list
            }
            return rest.isEmpty ? [] : ["/bin/sh", "-c", rest]
        }
        func pairs() throws -> [(String, String)] {
            let words = try ContainerConfiguration.words(rest)
            if words.count >= 1 && !words[0].contains("=") {
                // The old form: `ENV NAME the rest is the value`.
                let name = words[0]
                return [(name, rest.dropFirst(name.count).trimmingWhitespace())]
            }
            return try words.map { word in
                guard let equals = word.firstIndex(of: "=") else { throw CommandError.failed("\(instruction): \(word): expected KEY=VALUE") }
                return (String(word[..<equals]), String(word[word.index(after: equals)...]))
            }
        }
        guard !rest.isEmpty || instruction == "CMD" || instruction == "ENTRYPOINT" else {
            throw CommandError.failed("\(instruction) requires at least one argument")
        }
        switch instruction {
        case "CMD": cmd = try command()
        case "ENTRYPOINT": entrypoint = try command()
        case "ENV":
            var list = env ?? []
            for (name, value) in try pairs() {
                list.removeAll { $0.prefix { $0 != "=" } == name }
                list.append(name + "=" + value)
            }
            env = list
        case "LABEL":
            var map = labels ?? [:]
            for (name, value) in try pairs() { map[name] = value }
            labels = map
        case "EXPOSE":
            var ports = exposedPorts ?? [:]
            for port in try ContainerConfiguration.words(rest) {
                let parts = port.split(separator: "/")
                guard let number = parts.first.flatMap({ Int($0) }), (1...65535).contains(number), parts.count <= 2 else {
                    throw CommandError.failed("EXPOSE: invalid port \(port)")
                }
                ports["\(number)/\(parts.count == 2 ? String(parts[1]).lowercased() : "tcp")"] = Empty()
            }
            exposedPorts = ports
        case "VOLUME":
            let paths = rest.hasPrefix("[") ? try command() : try ContainerConfiguration.words(rest)
            var map = volumes ?? [:]
            for path in paths { map[path] = Empty() }
            volumes = map
        case "USER": user = rest
        case "WORKDIR": workingDir = rest
        case "STOPSIGNAL": stopSignal = rest
        default:
            throw CommandError.failed("\(instruction.isEmpty ? change : instruction) is not a valid change command (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)")
        }
    }

    /// Words as a Dockerfile splits them: spaces separate, double quotes group, `\` escapes.
    static func words(_ text: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        var started = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
                started = true
            } else if character.isWhitespace && !quoted {
                if started || !current.isEmpty { words.append(current) }
                current = ""
                started = false
            } else {
                current.append(character)
            }
        }
        if quoted { throw CommandError.failed("unterminated quote in \(text)") }
        if started || !current.isEmpty { words.append(current) }
        return words
    }
}

extension ImageSummary {
    /// The fields `images --format` can use, named as Docker names them.
    func formatFields(truncate: Bool) -> [String: Any] {
        [
            "ID": truncate ? id.short : id.description, "Repository": repository, "Tag": tag,
            "Digest": isDangling ? "<none>" : digest.description,
            "CreatedSince": created.map { Timestamp.ago($0) } ?? "",
            "CreatedAt": Timestamp.goFormat(created ?? Date(timeIntervalSince1970: 0)),
            "Size": Timestamp.bytes(size), "VirtualSize": Timestamp.bytes(size),
            "Containers": "N/A", "SharedSize": "N/A", "UniqueSize": "N/A",
        ]
    }
}

/// One `images --filter`: `dangling=true`, `reference=busy*`, `before=IMAGE`, `since=IMAGE`,
/// `label=KEY[=VALUE]`. Filters with the same key are alternatives; different keys must all hold.
struct ImageFilter {
    var key: String
    var value: String

    init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    init(parsing text: String) throws {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw CommandError.failed("bad format of filter (expected name=value)") }
        self.init(key: parts[0], value: parts[1])
    }

    static func apply(_ filters: [ImageFilter], to summaries: [ImageSummary], store: ImageStore) throws -> [ImageSummary] {
        var result = summaries
        for (key, group) in Dictionary(grouping: filters, by: \.key) {
            let values = group.map(\.value)
            switch key {
            case "dangling":
                guard let wanted = values.last.flatMap({ ["true": true, "1": true, "false": false, "0": false][$0] }) else {
                    throw CommandError.failed("Invalid filter 'dangling=\(values.last ?? "")'")
                }
                result = result.filter { $0.isDangling == wanted }
            case "reference":
                result = result.filter { summary in
                    !summary.isDangling && values.contains { pattern in
                        matches(pattern, summary.repository + ":" + summary.tag) || matches(pattern, summary.repository)
                    }
                }
            case "before", "since":
                let dates = try values.map { name -> Date in
                    guard let image = try? store.image(name) else { throw LayersError.imageNotFound(name) }
                    return image.created ?? .distantPast
                }
                result = result.filter { summary in
                    let created = summary.created ?? .distantPast
                    return dates.allSatisfy { key == "before" ? created < $0 : created > $0 }
                }
            case "label":
                result = result.filter { summary in
                    let labels = (try? store.image(manifest: summary.manifest))?.configuration.config?.labels ?? [:]
                    return values.allSatisfy { wanted in
                        let pair = wanted.split(separator: "=", maxSplits: 1).map(String.init)
                        guard let found = labels[pair[0]] else { return false }
                        return pair.count == 1 || found == pair[1]
                    }
                }
            default:
                throw CommandError.failed("invalid filter '\(key)'")
            }
        }
        return result
    }

    /// Go's `path.Match`, which Docker's reference filter uses: `*` does not cross a `/`.
    static func matches(_ pattern: String, _ name: String) -> Bool {
        fnmatch(pattern, name, FNM_PATHNAME) == 0
    }
}

extension Image {
    /// `history` rows, newest first: each step of the config's history, with the size of
    /// the layer it made (steps marked `empty_layer` made none). Only the newest is known by
    /// an image ID here; the older steps are `<missing>`, as with a pulled image in Docker.
    func historyRows(truncate: Bool, human: Bool) -> [[String: Any]] {
        var steps = configuration.history ?? []
        if steps.isEmpty { steps = snapshots.map { _ in ImageConfiguration.History() } }
        var layers = snapshots.makeIterator()
        var rows: [[String: Any]] = []
        for step in steps {
            let size = step.emptyLayer == true ? 0 : (layers.next()?.size ?? 0)
            let created = step.created.flatMap(Timestamp.parse)
            var createdBy = step.createdBy?.replacing("\t", with: " ") ?? ""
            if truncate && createdBy.count > 45 { createdBy = String(createdBy.prefix(44)) + "…" }
            let createdAt = created.map(Timestamp.rfc3339Seconds) ?? ""
            rows.append([
                "ID": "<missing>", "CreatedAt": createdAt,
                "CreatedSince": human ? created.map { Timestamp.ago($0) } ?? "" : createdAt,
                "CreatedBy": createdBy, "Size": human ? Timestamp.bytes(size) : String(size), "Comment": step.comment ?? "",
            ])
        }
        rows.reverse()
        if !rows.isEmpty { rows[0]["ID"] = truncate ? id.short : id.description }
        return rows
    }
}

extension Terminal {
    /// Asks on the terminal and reads one line (with `echo: false`, as for a password).
    package static func prompt(_ question: String, echo: Bool) -> String? {
        try? FileDescriptor.standardOutput.writeAll(question)
        var saved = termios()
        let hidden = !echo && tcgetattr(0, &saved) == 0
        if hidden {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(0, TCSANOW, &quiet)
        }
        defer {
            if hidden {
                tcsetattr(0, TCSANOW, &saved)
                try? FileDescriptor.standardOutput.writeAll("\n")
            }
        }
        return readLine()
    }

    /// One line from standard input, without its newline; nil at the end of input.
    static func readLine() -> String? {
        var bytes: [UInt8] = []
        while true {
            guard let byte = try? FileDescriptor.standardInput.read(upTo: 1), let first = byte.first else {
                return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
            }
            if first == 10 { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(first)
        }
    }
}

extension Context {
    /// `inspect` of an image, with the fields Docker's has, in its order.
    func inspectImage(_ name: String) throws -> JSONValue {
        let image = try images.image(name)
        let names = (try? images.names(of: image.manifestDigest)) ?? []
        let config = image.configuration.config
        return .object([
            ("Id", .string(image.id.description)),
            ("RepoTags", .strings(names)),
            ("RepoDigests", .array([])),
            ("Parent", .string("")),
            ("Comment", .string("")),
            ("Created", .string(image.configuration.created ?? "")),
            ("Author", .string(image.configuration.author ?? "")),
            ("Config", .object([
                ("User", .string(config?.user ?? "")),
                ("ExposedPorts", config?.exposedPorts == nil ? .null : .object(config!.ports.map { ($0, .object([])) })),
                ("Env", .strings(config?.env)),
                ("Cmd", .strings(config?.cmd)),
                ("Volumes", config?.volumes == nil ? .null : .object(config!.volumePaths.map { ($0, .object([])) })),
                ("WorkingDir", .string(config?.workingDir ?? "")),
                ("Entrypoint", .strings(config?.entrypoint)),
                ("Labels", .map(config?.labels)),
                ("StopSignal", config?.stopSignal.map(JSONValue.string) ?? .null),
            ])),
            ("Architecture", .string(image.configuration.architecture)),
            ("Os", .string(image.configuration.os)),
            ("Size", .int(image.size)),
            ("GraphDriver", .object([
                ("Data", .object([("LowerDir", .string(image.lowerDirectories.joined(separator: ":")))])),
                ("Name", .string("overlay")),
            ])),
            ("RootFS", .object([
                ("Type", .string("layers")),
                ("Layers", .strings(image.configuration.rootfs.diffIDs.map(\.description))),
            ])),
        ])
    }
}
