import Syscalls

/// A control group for one container: the kernel's way to count and limit what a group of
/// processes may use. Two drivers stand behind this protocol: `CgroupV2` (one unified tree)
/// and `CgroupV1` (a tree per controller, and the hybrid layout).
///
///     let cgroup = try CgroupLayout.current().cgroup("dosirak/web")
///     try cgroup.create()
///     try cgroup.apply(Resources(pids: .init(limit: 20)))
///     let child = try cgroup.spawn(Spawn("/bin/sh"))  // inside before its first instruction
///     ...
///     try cgroup.remove()
public protocol Cgroup: Sendable {
    /// The path below each hierarchy's root: `dosirak/<container id>`.
    var name: String { get }

    /// Whether the cgroup's directory exists.
    var exists: Bool { get }

    /// Creates the cgroup (and its parents), with the controllers it needs enabled.
    func create() throws

    /// Moves a process (and its future children) into the cgroup.
    func add(_ pid: ProcessID) throws

    /// The v2 directory a new process can be born in (`CLONE_INTO_CGROUP`): the whole cgroup
    /// on v2, the unified tree's part on a hybrid host, nil on a v1-only host.
    var birthDirectory: String? { get }

    /// The v1 `tasks` files a process writes "0" to, to move itself in (empty on v2).
    ///
    /// Moving *another* process takes a lock that makes the kernel wait for an RCU grace
    /// period (1 to 25 ms measured here); a single-threaded process moving itself through
    /// `tasks` does not take it. A container's init does this first thing (chapter 06).
    var tasksFiles: [String] { get }

    /// Sets or updates limits. Fields left nil are not touched.
    func apply(_ resources: Resources) throws

    /// What the kernel has counted.
    func stats() throws -> CgroupStats

    /// Stops every process in the cgroup until `thaw` (`docker pause`).
    func freeze() throws

    /// Lets frozen processes run again.
    func thaw() throws

    /// The processes in the cgroup.
    func processes() throws -> [ProcessID]

    /// Kills what is left and removes the cgroup from every hierarchy, retrying while the
    /// kernel still holds it busy.
    func remove() throws

    /// Starts `spawn` inside the cgroup, so that not one instruction of the new program runs
    /// outside it: with `CLONE_INTO_CGROUP` on v2, or held after the fork until it has been
    /// added on v1.
    func spawn(_ spawn: Spawn) throws -> SpawnedProcess
}

extension Cgroup {
    /// Starts a held child, adds it, and lets it exec: the v1 way, with no window.
    func spawnHeld(_ spawn: Spawn) throws -> SpawnedProcess {
        var spawn = spawn
        spawn.holdUntilReleased = true
        let child = try spawn.start()
        do {
            try add(child.pid)
        } catch {
            child.abandon()
            throw error
        }
        try child.release()
        return child
    }
}
