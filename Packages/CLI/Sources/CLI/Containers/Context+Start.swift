import FoundationEssentials
import Glibc
import Layers
import Network
import Runtime
import Syscalls

/// A container whose monitor has started it.
struct LaunchedContainer {
    var entry: ContainerEntry
    /// The monitor: our child, until we exit and it is left to run on its own.
    var monitor: SpawnedProcess
    /// Connected to the monitor's attach socket before the start (so no output is missed).
    var attachment: FileDescriptor?
    /// The container's init, as the host sees it.
    var pid: Int32
}

extension Context {
    /// `start`: hands the container to a monitor of its own (`dosirak monitor ID`), mounts
    /// the container's file system and writes its config.json, after which the monitor
    /// creates it with chapter 06's runtime, joins it to its network while creating it, and
    /// supervises it from then on. With `attach`, connects to the monitor's socket before
    /// the start.
    ///
    /// The monitor is started first and waits for `prepared`: a new process takes a couple of
    /// milliseconds to be ready, and it spends them while we prepare, on the other CPU.
    func start(_ id: String, attach: Bool) throws -> LaunchedContainer {
        var control: FileDescriptor?
        defer { try? control?.close() }
        let (entry, monitor): (ContainerEntry, SpawnedProcess) = try containers.locked(id) {
            var entry = try containers.load(id: id)
            if let monitor = entry.state.monitor, monitor.isAlive {
                throw CommandError.failed("container \(entry.name) is already running")
            }
            let (ours, theirs) = try FileDescriptor.socketPair()
            control = ours
            defer { try? theirs.close() }
            let null = try FileDescriptor.open("/dev/null", .readWrite)
            defer { try? null.close() }
            // What the monitor itself has to say (it should be nothing) goes to monitor.log.
            let log = try FileDescriptor.open(containers.directory(id) + "/monitor.log", .writeOnly,
                                              options: [.create, .append], permissions: 0o640)
            defer { try? log.close() }
            var spawn = Spawn(executable, arguments: ["--root", root, "monitor", id])
            spawn.fileDescriptors = [0: null, 1: null, 2: log, 3: theirs]
            // A session of its own: the monitor outlives this command and its terminal.
            spawn.newSession = true
            let monitor = try spawn.start()
            do {
                try prepare(entry)
                try ours.sendMessage(Array(try JSONEncoder().encode(MonitorMessage.prepared)))
            } catch {
                // Told nothing, the monitor leaves without touching anything.
                try? control?.close()
                control = nil
                _ = try? monitor.wait()
                throw error
            }
            entry.state.monitor = ProcessIdentity.of(monitor.pid.rawValue)
            entry.state.error = nil
            entry.state.stoppedByUser = false
            try containers.save(entry, durable: false)
            return (entry, monitor)
        }
        func failed(_ message: String, _ code: Int32) -> Error {
            // The monitor cleans up after a failed start; wait for it, so nothing is left
            // half-done when we report.
            _ = try? monitor.wait()
            return StartError(message: message, exitCode: code)
        }
        guard let control else { throw CommandError.failed("start \(id): no monitor") }
        let first = try receive(control)
        guard case .created(let pid) = first else {
            if case .failed(let message, let code) = first { throw failed(message, code) }
            throw failed("the monitor of \(entry.name) exited before creating it", 125)
        }
        var attachment: FileDescriptor?
        if attach {
            attachment = try FileDescriptor.connect(unixSocket: attachSocket(id))
        }
        try control.sendMessage(Array(try JSONEncoder().encode(MonitorMessage.start)))
        switch try receive(control) {
        case .started(let pid):
            return LaunchedContainer(entry: entry, monitor: monitor, attachment: attachment, pid: pid)
        case .failed(let message, let code):
            try? attachment?.close()
            throw failed(message, code)
        default:
            try? attachment?.close()
            throw failed("the monitor of \(entry.name) exited before starting it (init \(pid))", 125)
        }
    }

    private func receive(_ control: FileDescriptor) throws -> MonitorMessage {
        let bytes = try control.read(upTo: 1 << 16)
        guard !bytes.isEmpty else { return .failed("the monitor exited without an answer", exitCode: 125) }
        return try JSONDecoder().decode(MonitorMessage.self, from: Data(bytes))
    }

    /// What must be on disk before the monitor writes config.json (`writeBundle`) and the
    /// runtime creates the container: the overlay mounted, new volumes filled from the image,
    /// the working directory, /etc/hostname, /etc/hosts and /etc/resolv.conf.
    func prepare(_ entry: ContainerEntry) throws {
        let image = try image(of: entry)
        let overlay = Overlay(lowerDirectories: image.lowerDirectories, directory: containers.layerDirectory(entry.id))
        // `--rm`: the changes go with the container, so the overlay need never sync them.
        try overlay.mount(volatile: entry.options.remove)
        do {
            let rootfs = containers.rootfs(entry.id)
            for volume in entry.volumes where volume.kind == .volume {
                if try volumes.claimForPopulating(volume.source!) {
                    try VolumeCopy.copy(from: rootfs + volume.destination, to: volumes.dataPath(volume.source!))
                }
            }
            if let directory = entry.options.workingDirectory {
                try FileManager.default.createDirectory(atPath: rootfs + directory, withIntermediateDirectories: true)
            }
            try writeInitialFiles(entry)
        } catch {
            try? overlay.unmount()
            throw error
        }
    }

    /// config.json, built from the record and the image and written into the bundle, with its
    /// bytes: the monitor does this once `start` has prepared the file system (the user named
    /// by `-u` is looked up in the container's /etc/passwd), and creates the container from
    /// them without reading the file back.
    func writeBundle(_ entry: ContainerEntry, image: Image) throws -> SpecFile {
        let spec = try spec(for: entry, image: image)
        // Compact: the runtime reads it, not people (`inspect` shows the settings), and with
        // Docker's seccomp profile a pretty, sorted one took 1 ms more to write and read.
        // Not flushed to the disk either: it is written anew at every start.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let bytes = try encoder.encode(spec)
        try ContainerIndex.replace(containers.bundle(entry.id) + "/config.json", with: bytes, durable: false)
        return SpecFile(spec: spec, text: Array(bytes))
    }

    /// The three files every container gets, before its network is known: on a bridge
    /// network the monitor rewrites them in place once the address is chosen (in place,
    /// because they are bind-mounted: a renamed file would not be seen).
    func writeInitialFiles(_ entry: ContainerEntry) throws {
        var files = ContainerFiles(hostname: entry.hostname, address: nil, nameserver: nil,
                                   hostResolvConf: (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? "")
        if entry.options.network == "host" {
            files.hosts = (try? String(contentsOfFile: "/etc/hosts", encoding: .utf8)) ?? files.hosts
            files.resolvConf = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? files.resolvConf
        }
        try writeFiles(files, for: entry, gateway: nil)
    }

    /// Writes hostname, hosts and resolv.conf in place, with `--add-host` and `--dns`.
    func writeFiles(_ files: ContainerFiles, for entry: ContainerEntry, gateway: IPv4Address?) throws {
        var files = files
        for host in entry.options.addHosts {
            let parts = host.split(separator: ":", maxSplits: 1).map(String.init)
            let address = parts[1] == "host-gateway" ? gateway?.description ?? "127.0.0.1" : parts[1]
            files.hosts += "\(address)\t\(parts[0])\n"
        }
        if !entry.options.dns.isEmpty {
            let kept = files.resolvConf.split(separator: "\n").filter { !$0.hasPrefix("nameserver") }
            files.resolvConf = (entry.options.dns.map { "nameserver " + $0 } + kept).joined(separator: "\n") + "\n"
        }
        let directory = containers.filesDirectory(entry.id)
        for (name, text) in [("hostname", files.hostname), ("hosts", files.hosts), ("resolv.conf", files.resolvConf)] {
            let path = directory + "/" + name
            do {
                let file = try FileDescriptor.open(path, .writeOnly, options: [.create, .truncate], permissions: 0o644)
                defer { try? file.close() }
                try file.writeAll(text)
            } catch let errno as Errno {
                throw CommandError.failed("write \(path): \(errno)")
            }
        }
    }
}

/// A container that could not be started, with the exit code `run` returns for it
/// (127: command not found, 126: not executable, 125: dosirak's own failure).
struct StartError: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32
    var description: String { message }
}
