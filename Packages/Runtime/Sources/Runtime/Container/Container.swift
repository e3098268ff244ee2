import Cgroups
import FoundationEssentials
import Glibc
import Syscalls

/// A container the runtime knows: its record on disk, and what the kernel says about it.
///
///     var container = try Container.create(id: "web", options: .init(bundle: "/tmp/bundle"))
///     try container.start()
///     print(container.state)    // {"status":"running","pid":4242,...}
///     try container.kill(.terminate)
///     try container.delete()
public struct Container: Sendable {
    public let store: ContainerStore
    public internal(set) var record: ContainerRecord

    public var id: String { record.id }
    public var directory: String { store.directory(id) }
    var startFIFO: String { directory + "/exec.fifo" }

    init(store: ContainerStore, record: ContainerRecord) {
        self.store = store
        self.record = record
    }

    /// The container `id` from the store (`withSpec`: see `ContainerStore.load`).
    public static func load(_ id: String, store: ContainerStore = ContainerStore(), withSpec: Bool = true) throws -> Container {
        Container(store: store, record: try store.load(id, withSpec: withSpec))
    }

    /// The status now. The record says what the last command did; the kernel has the final
    /// word: a container whose init has exited (or whose PID now names another process) is
    /// stopped, whatever the record says, even if a command was killed half-way.
    public var status: Status {
        if record.status == .creating && record.process == nil {
            return record.creator?.isAlive == true ? .creating : .stopped
        }
        guard record.status != .stopped, let process = record.process, process.isAlive else { return .stopped }
        if record.status == .created || record.status == .creating {
            // Init still waits on the FIFO until `start` removes it.
            return access(startFIFO, F_OK) == 0 ? .created : .running
        }
        return record.status
    }

    /// The OCI State: what `state` prints and hooks read.
    public var state: State {
        let status = status
        let live = status == .created || status == .running || status == .paused
        return State(id: id, status: status, pid: live ? record.process?.pid ?? 0 : 0,
                     bundle: record.bundle, annotations: record.annotations)
    }

    /// The container's cgroup, with the driver this host needs.
    var cgroup: any Cgroup {
        get throws { try CgroupLayout.current().cgroup(record.cgroup) }
    }

    func require(_ operation: Status.Operation, _ status: Status) throws {
        guard status.allows(operation) else { throw RuntimeError.state(id: id, status: status, operation: operation.rawValue) }
    }

    /// The cgroup name for a container: config.json's `cgroupsPath` (relative to each
    /// hierarchy's root; systemd's `slice:prefix:name` becomes `slice/prefix-name.scope`),
    /// or `dosirak/<id>`.
    static func cgroupName(_ path: String?, id: String) -> String {
        guard let path, !path.isEmpty else { return "dosirak/" + id }
        let parts = path.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 3 {
            let slice = parts[0].isEmpty ? "system.slice" : String(parts[0])
            return slice + "/" + parts[1] + "-" + parts[2] + ".scope"
        }
        return String(path.drop { $0 == "/" })
    }
}
