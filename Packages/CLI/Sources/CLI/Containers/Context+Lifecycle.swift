import FoundationEssentials
import Glibc
import Layers
import Network
import Runtime
import Syscalls

extension Context {
    /// The OCI container the runtime keeps for `entry` while it runs, if there is one;
    /// `withSpec` to decode its config.json too (only `exec` needs it).
    func runtimeContainer(_ entry: ContainerEntry, withSpec: Bool = false) -> Runtime.Container? {
        try? Runtime.Container.load(entry.id, store: runtime, withSpec: withSpec)
    }

    /// The container as it is now. A record that says running while its monitor is gone
    /// (killed, or the machine rebooted) is set right: whatever is left of it is cleaned up,
    /// and it is recorded as exited.
    @discardableResult
    func reconcile(_ entry: ContainerEntry) -> ContainerEntry {
        guard entry.state.isLive || entry.state.monitor != nil, !(entry.state.monitor?.isAlive ?? false) else { return entry }
        if let container = runtimeContainer(entry) {
            try? container.delete(force: true)
        }
        try? networks.detachEverywhere(containerID: entry.id)
        releaseFileSystem(entry)
        return (try? containers.update(entry.id) { entry in
            guard !(entry.state.monitor?.isAlive ?? false) else { return }
            if entry.state.isLive {
                entry.state.status = .exited
                entry.state.exitCode = entry.state.exitCode == 0 ? 255 : entry.state.exitCode
                entry.state.finishedAt = entry.state.finishedAt ?? Date()
            }
            entry.state.process = nil
            entry.state.monitor = nil
            entry.networks = []
        }) ?? entry
    }

    /// Unmounts the container's overlay (its changes stay in `upper` for the next start).
    func releaseFileSystem(_ entry: ContainerEntry) {
        let overlay = Overlay(lowerDirectories: [], directory: containers.layerDirectory(entry.id))
        try? overlay.unmount()
        unlink(attachSocket(entry.id))
    }

    /// Waits up to `timeout` seconds for the container's monitor to finish; true if it did.
    func waitForMonitor(_ entry: ContainerEntry, timeout: Double) -> Bool {
        guard let monitor = entry.state.monitor else { return true }
        return monitor.waitForExit(milliseconds: Int32(timeout * 1000))
    }

    /// Sends `signal` to the container's init.
    func signal(_ entry: ContainerEntry, _ signal: Signal) throws {
        guard entry.state.isLive, let container = runtimeContainer(entry) else {
            throw CommandError.failed("cannot kill container: \(entry.name): container \(entry.shortID) is not running")
        }
        try container.kill(signal)
    }

    /// `stop`: the stop signal, `timeout` seconds, then SIGKILL; returns once the monitor has
    /// recorded the exit and cleaned up. No restart policy brings the container back.
    func stop(_ entry: ContainerEntry, timeout: Int?) throws {
        let entry = try containers.update(entry.id) { $0.state.stoppedByUser = true }
        guard entry.state.isLive, entry.state.monitor?.isAlive == true else {
            reconcile(entry)
            return
        }
        let stopSignal = entry.options.stopSignal.flatMap { Signal(parsing: $0) } ?? .terminate
        let seconds = timeout ?? entry.options.stopTimeout ?? 10
        if let container = runtimeContainer(entry) {
            // A paused container must run again to handle its signal.
            var container = container
            if container.status == .paused { try? container.resume() }
            try? container.kill(stopSignal)
        }
        if waitForMonitor(entry, timeout: Double(seconds)) { return }
        // Killing PID 1 of the container's PID namespace ends every process in it.
        if let container = runtimeContainer(entry) { try? container.kill(.kill) }
        if !waitForMonitor(entry, timeout: 30) {
            throw CommandError.failed("cannot stop container: \(entry.name): the monitor (PID \(entry.state.monitor!.pid)) does not finish")
        }
    }

    /// Removes a container that is not running: its file system, its record, its hold on the
    /// image, and its anonymous volumes with `volumes`.
    func removeContainer(_ entry: ContainerEntry, volumes removeVolumes: Bool) throws {
        try containers.locked {
            if let container = runtimeContainer(entry) { try? container.delete(force: true) }
            try? networks.detachEverywhere(containerID: entry.id)
            let overlay = Overlay(lowerDirectories: [], directory: containers.layerDirectory(entry.id))
            if access(overlay.directory, F_OK) == 0 { try overlay.remove() }
            unlink(attachSocket(entry.id))
            try? images.release(container: entry.id)
            try FileManager.default.removeItem(atPath: containers.directory(entry.id))
        }
        if removeVolumes {
            for volume in entry.volumes where volume.kind == .volume {
                if let found = try? volumes.load(volume.source!), found.anonymous {
                    try? volumes.remove(found.name, users: volumeUsers(found.name))
                }
            }
        }
    }

    /// The containers that mount volume `name`.
    func volumeUsers(_ name: String) -> [String] {
        containers.all().filter { $0.volumes.contains { $0.kind == .volume && $0.source == name } }.map(\.shortID)
    }
}
