import Foundation
import Glibc
import Syscalls

/// Where and how the bench's client and servers run while it measures: the client on one
/// CPU, every server on another, all at SCHED_FIFO, ahead of everything else on the
/// machine. A compiler on the other core then no longer lands inside one target's figure
/// and not the other's, and every request crosses between the same two CPUs, whatever the
/// path. (With the scheduler free to place them, a 100 MiB GET from the same server varied
/// by a quarter from one try to the next; with client and server on the same CPU, it took
/// almost twice as long.) Children forked later inherit both, so busybox httpd's
/// per-connection children do too.
struct Scheduling {
    let client: pid_t
    let allowed: String
    /// What was done, for the bench's first line.
    let summary: String

    /// Places `client` (the bench itself) and `servers`; `others` (Docker's proxy, which is
    /// neither) get SCHED_FIFO and no CPU of their own.
    static func measure(client: pid_t, servers: [pid_t], others: [pid_t]) -> Scheduling {
        let allowed = cpusAllowed()
        let cpus = expand(allowed)
        // Each one tried, whatever became of the one before, so that a failure leaves no one behind.
        let pinned = cpus.count >= 2 && ([pin(client, cpus[0])] + servers.map { pin($0, cpus[1]) }).allSatisfy { $0 }
        let ahead = ((servers + others).map { realtime(process: $0) } + [realtime(process: 0)]).allSatisfy { $0 }
        let summary = switch (ahead, pinned) {
        case (true, true): "client on CPU \(cpus[0]) and servers on CPU \(cpus[1]), at SCHED_FIFO"
        case (true, false): "client and servers at SCHED_FIFO"
        case (false, true): "client on CPU \(cpus[0]) and servers on CPU \(cpus[1]); normal scheduling, so noisier"
        case (false, false): "normal scheduling, so noisier"
        }
        return Scheduling(client: client, allowed: allowed, summary: summary)
    }

    /// The bench back to SCHED_OTHER and all its CPUs, before it spawns anything else.
    ///
    /// The corresponding system call is `sched_setscheduler(2)`.
    func end() {
        var parameters = sched_param(sched_priority: 0)
        _ = sched_setscheduler(0, SCHED_OTHER, &parameters)
        if !allowed.isEmpty { _ = Scheduling.taskset(["-a", "-p", "-c", allowed, "\(client)"]) }
    }

    /// Every thread of `process` (0: the calling thread) to SCHED_FIFO, priority 1: ahead of
    /// all ordinary (SCHED_OTHER) work. False if the kernel refuses.
    ///
    /// The corresponding system call is `sched_setscheduler(2)`.
    static func realtime(process: pid_t) -> Bool {
        var parameters = sched_param(sched_priority: 1)
        if process == 0 { return sched_setscheduler(0, SCHED_FIFO, &parameters) == 0 }
        func all() -> Bool {
            let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process)/task")) ?? []
            return !threads.isEmpty && threads.allSatisfy { sched_setscheduler(pid_t($0) ?? -1, SCHED_FIFO, &parameters) == 0 }
        }
        if all() { return true }
        // With cgroup v1 and real-time group scheduling, a process in a cpu cgroup without a
        // real-time budget (a Docker container's) is refused. In the root cpu cgroup, where
        // the bench's other servers are, it is not.
        guard errno == EPERM, let root = try? FileDescriptor.open("/sys/fs/cgroup/cpu/cgroup.procs", .writeOnly) else { return false }
        let moved = (try? root.closeAfter { try root.writeAll("\(process)\n") }) != nil
        return moved && all()
    }

    /// Every thread of `process` onto `cpu`, with util-linux's taskset (sched_setaffinity is
    /// a GNU extension that Swift's Glibc module does not show).
    static func pin(_ process: pid_t, _ cpu: Int) -> Bool {
        taskset(["-a", "-p", "-c", "\(cpu)", "\(process)"])
    }

    static func taskset(_ arguments: [String]) -> Bool {
        guard access("/usr/bin/taskset", X_OK) == 0,
              let (status, _) = try? Spawn("/usr/bin/taskset", arguments: arguments).output(includeErrors: true) else { return false }
        return status == .exited(0)
    }

    /// The CPUs this process may run on, as the kernel writes them ("0-1", "0,2-3").
    static func cpusAllowed() -> String {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
        return line.map { $0.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces) } ?? ""
    }

    /// "0,2-3" -> [0, 2, 3].
    static func expand(_ list: String) -> [Int] {
        list.split(separator: ",").flatMap { part -> [Int] in
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            guard let first = bounds.first, let last = bounds.last, first <= last else { return [] }
            return Array(first...last)
        }
    }
}
