import Syscalls

extension Container {
    /// `kill`: sends `signal` to the container's init, or with `all` to every process in
    /// its cgroup. The init is addressed by a pidfd opened after checking its start time, so a
    /// reused PID never receives the signal.
    public func kill(_ signal: Signal, all: Bool = false) throws {
        let status = status
        try require(.kill, status)
        if all {
            for pid in try cgroup.processes() { try? pid.send(signal) }
        } else if let process = record.process {
            do {
                let handle = try ProcessDescriptor.open(ProcessID(rawValue: process.pid))
                defer { try? handle.close() }
                guard process.isAlive else { throw RuntimeError.state(id: id, status: .stopped, operation: "kill") }
                try handle.send(signal)
            } catch let errno as Errno {
                throw RuntimeError.failed("kill \(id): \(errno)")
            }
        }
        // A frozen process receives SIGKILL only once it runs again.
        if status == .paused && signal == .kill { try? cgroup.thaw() }
    }
}
