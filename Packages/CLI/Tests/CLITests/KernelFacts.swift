import Foundation
import Glibc
@testable import CLI

/// What the kernel says, read by the tests themselves, to hold the commands' output against.
enum KernelFacts {
    /// The directory of `pid`'s cgroup: in the unified tree, or in `controller`'s v1 tree.
    /// Found from /proc/PID/cgroup (`0::/dosirak/ID` or `7:memory:/dosirak/ID`) and the
    /// cgroup mounts in /proc/self/mountinfo.
    static func cgroupDirectory(of pid: Int32, controller: String) -> String? {
        var unified: String?
        var legacy: [String: String] = [:]
        for line in (Host.read("/proc/self/mountinfo") ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash + 3 < fields.count else { continue }
            if fields[dash + 1] == "cgroup2" { unified = unified ?? String(fields[4]) }
            if fields[dash + 1] == "cgroup" {
                for option in fields[dash + 3].split(separator: ",") { legacy[String(option)] = legacy[String(option)] ?? String(fields[4]) }
            }
        }
        for line in (Host.read("/proc/\(pid)/cgroup") ?? "").split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3 else { continue }
            if let root = legacy[controller], parts[1].split(separator: ",").contains(Substring(controller)) { return root + parts[2] }
            if legacy[controller] == nil, parts[0] == "0", let unified { return unified + parts[2] }
        }
        return nil
    }

    /// True when the memory controller is in a v1 tree.
    static var cgroupV1: Bool {
        (Host.read("/proc/self/mountinfo") ?? "").split(separator: "\n").contains { line in
            line.contains(" - cgroup ") && line.split(separator: " ").last?.split(separator: ",").contains("memory") == true
        }
    }

    /// A number in a cgroup file (`max` is nil).
    static func number(_ path: String) -> UInt64? {
        Host.read(path).flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// The PIDs in a cgroup.procs file.
    static func processes(_ directory: String) -> Set<Int32> {
        Set((Host.read(directory + "/cgroup.procs") ?? "").split(separator: "\n").compactMap { Int32($0) })
    }

    /// A size as Docker prints it (`736KiB`, `1.2MB`, `0B`) back in bytes.
    static func bytes(_ text: String) -> Double? {
        let units: [(String, Double)] = [("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("kB", 1e3), ("MB", 1e6), ("GB", 1e9), ("B", 1)]
        for (unit, factor) in units where text.hasSuffix(unit) {
            return Double(text.dropLast(unit.count)).map { $0 * factor }
        }
        return nil
    }

    /// The sizes of the regular files under `path` (a file with several links once), walked
    /// here with Foundation's enumerator rather than with `DiskUsage`.
    static func fileBytes(under path: String) -> Int64 {
        var total: Int64 = 0
        var inodes = Set<UInt64>()
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let relative = enumerator?.nextObject() as? String {
            var info = stat()
            guard lstat(path + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
                  inodes.insert(UInt64(info.st_ino)).inserted else { continue }
            total += Int64(info.st_size)
        }
        return total
    }
}

extension World {
    /// The ID of a container started with `run -d`, and its init's PID as the host sees it.
    func started(_ arguments: String...) throws -> (id: String, pid: Int32) {
        let result = try run(["run", "-d"] + arguments)
        guard result.status == 0, let id = result.lines.last else { throw CommandError.failed("run: \(result.errors)") }
        let pid = try run("inspect", "--format", "{{.State.Pid}}", id).output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let number = Int32(pid), number > 0 else { throw CommandError.failed("no pid for \(id): \(pid)") }
        return (id, number)
    }
}
