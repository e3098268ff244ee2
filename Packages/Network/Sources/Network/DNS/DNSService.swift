import FoundationEssentials
import Glibc
import Syscalls

/// The parent's side of one network's DNS responder: the records file it reads, and the
/// process itself, started with the first container and stopped with the last.
struct DNSService {
    let network: BridgeNetwork
    let directory: String
    let store: NetworkStore

    var recordsFile: String { directory + "/records.json" }
    var pidFile: String { directory + "/responder.pid" }
    var logFile: String { directory + "/responder.log" }

    /// The responder's process, if it runs.
    var process: ProcessIdentity? {
        guard let identity = try? StateFile.read(ProcessIdentity.self, from: pidFile), identity.isAlive else { return nil }
        return identity
    }

    var isRunning: Bool { process != nil }

    /// Writes the names of `endpoints` for the responder, then starts or stops it: running
    /// while the network has containers, stopped when it has none.
    func update(endpoints: [Endpoint]) throws {
        guard network.hasDNS, store.dnsCommand != nil else { return }
        if endpoints.isEmpty {
            try stop()
            return
        }
        try StateFile.makeDirectory(directory)
        try StateFile.write(DNSRecords(endpoints: endpoints), to: recordsFile)
        if let running = process {
            // It would notice the new file within a second; SIGHUP makes it now.
            kill(running.pid, SIGHUP)
        } else {
            try start()
        }
    }

    /// Starts the responder in the host's namespace, in a session of its own so that it
    /// outlives the command that started it, and waits until it is listening.
    func start() throws {
        guard let command = store.dnsCommand, let executable = command.first else { return }
        let (ready, readyWrite) = try FileDescriptor.pipe()
        let log = try FileDescriptor.open(logFile, .writeOnly, options: [.create, .append])
        let null = try FileDescriptor.open("/dev/null")
        defer { try? ready.close(); try? log.close(); try? null.close() }
        var spawn = Spawn(executable, arguments: Array(command.dropFirst()) + [
            "--records", recordsFile, "--listen", network.gateway.description,
            "--resolv-conf", store.hostResolvConf, "--ready-fd", "3",
        ])
        spawn.fileDescriptors = [0: null, 1: log, 2: log, 3: readyWrite]
        spawn.newSession = true
        let child: SpawnedProcess
        do {
            child = try store.host.perform { try spawn.start() }
        } catch {
            try? readyWrite.close()
            throw error
        }
        try? readyWrite.close()
        // The responder writes "ready" once its socket is bound, or why it could not be.
        let answer = String(decoding: (try? ready.readAll()) ?? [], as: UTF8.self).trimmingWhitespace()
        guard answer == "ready", let identity = ProcessIdentity.of(child.pid.rawValue) else {
            try? child.pid.send(.kill)
            _ = try? child.wait()
            throw NetworkError.tool("dns responder for \(network.name)", answer.isEmpty ? "exited before it was ready" : answer)
        }
        try? child.descriptor?.close()
        try StateFile.write(identity, to: pidFile)
    }

    /// Stops the responder (SIGTERM, then SIGKILL after two seconds) and reaps it if it is
    /// our child.
    func stop() throws {
        defer { unlink(pidFile) }
        guard let running = process else { return }
        kill(running.pid, SIGTERM)
        for attempt in 0..<200 {
            var status: CInt = 0
            if waitpid(running.pid, &status, WNOHANG) == running.pid || !running.isAlive { return }
            if attempt == 199 { kill(running.pid, SIGKILL) }
            usleep(10_000)
        }
        var status: CInt = 0
        _ = waitpid(running.pid, &status, 0)
    }
}

extension NetworkStore {
    func dnsService(for network: BridgeNetwork) -> DNSService {
        DNSService(network: network, directory: directory(of: network.name) + "/dns", store: self)
    }
}
