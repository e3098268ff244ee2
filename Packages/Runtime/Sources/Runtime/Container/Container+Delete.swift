import Glibc
import Syscalls

extension Container {
    /// `delete`: removes a stopped container: its cgroup (killing any process still in it,
    /// such as one started by `exec`), its state, then the poststop hooks. A created or
    /// running container is refused unless `force`, which kills it first.
    public func delete(force: Bool = false) throws {
        let lock = try store.lock(id)
        defer { lock.release() }
        // Of the spec, delete needs only the poststop hooks: they are all it decodes (the whole
        // spec, with Docker's seccomp profile, took a monitor's clean-up 1-2 ms).
        let record = try store.load(id, withSpec: false)
        let poststop: [Spec.Hook]
        do {
            poststop = try store.poststopHooks(id)
        } catch RuntimeError.bundle(let message) where force {
            // A damaged config.json must not keep `delete --force` from cleaning up: without
            // the spec there are no poststop hooks to run, and everything else is in state.json.
            warn(message)
            poststop = []
        }
        let container = Container(store: store, record: record)
        let status = container.status
        if status != .stopped {
            guard force else { throw RuntimeError.state(id: id, status: status, operation: "delete") }
            if let process = record.process, let handle = try? ProcessDescriptor.open(ProcessID(rawValue: process.pid)),
               process.isAlive {
                try? handle.send(.kill)
                try? handle.close()
            }
            if status == .paused { try? container.cgroup.thaw() }
            for _ in 0..<500 { guard record.process?.isAlive == true else { break }; usleep(10_000) }
        }
        try container.cgroup.remove()
        var final = container.state
        final.status = .stopped
        for hook in poststop {
            do { try Hooks.run(hook, state: final) } catch { warn("\(error)") }
        }
        try store.remove(id)
    }
}
