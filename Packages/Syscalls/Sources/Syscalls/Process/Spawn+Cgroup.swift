import Glibc

extension Spawn {
    /// Starts the child inside the cgroup v2 `directory`, so that not one instruction of it
    /// runs outside: `clone3` with `CLONE_INTO_CGROUP`. A kernel older than 5.7 does not know
    /// the flag (E2BIG, or ENOSYS without clone3 at all); then the child is held after the
    /// fork while its PID is written to `cgroup.procs`, and released, unless this spawn
    /// holds its child anyway (the caller still has work to do first, such as uid maps).
    ///
    /// Throws `Errno` if the directory cannot be opened or the PID not written.
    public func start(inCgroup directory: String) throws -> SpawnedProcess {
        let cgroup = try FileDescriptor.open(directory, options: [.directory])
        defer { try? cgroup.close() }
        var into = self
        into.cgroup = cgroup
        do {
            return try into.start()
        } catch let error as SpawnError where error.stage == .clone
            && [Errno(rawValue: E2BIG), .notImplemented].contains(error.errno) {
            var held = self
            held.holdUntilReleased = true
            let child = try held.start()
            do {
                let procs = try FileDescriptor.open(directory + "/cgroup.procs", .writeOnly)
                try procs.closeAfter { try procs.writeAll(String(child.pid.rawValue)) }
                if !holdUntilReleased { try child.release() }
            } catch {
                child.abandon()
                throw error
            }
            return child
        }
    }
}
