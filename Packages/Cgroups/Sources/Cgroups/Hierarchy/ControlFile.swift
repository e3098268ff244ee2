import Glibc
import Syscalls

/// Reading and writing cgroup control files: small text files, one value or a few
/// `key value` lines each.
enum ControlFile {
    /// Writes `value` in one write(2), as the kernel parses each write whole.
    static func write(_ value: String, to path: String) throws {
        do {
            let fd = try FileDescriptor.open(path, .writeOnly, options: [.truncate])
            try fd.closeAfter { try fd.writeAll(value) }
        } catch let errno as Errno {
            throw CgroupError.file("write \(value) to", path, errno)
        }
    }

    /// The whole file, without the final newline.
    static func read(_ path: String) throws -> String {
        do {
            let fd = try FileDescriptor.open(path)
            let text = try fd.closeAfter { String(decoding: try fd.readAll(), as: UTF8.self) }
            return text.hasSuffix("\n") ? String(text.dropLast()) : text
        } catch let errno as Errno {
            throw CgroupError.file("read", path, errno)
        }
    }

    /// A file holding one number (`max` reads as nil).
    static func readNumber(_ path: String) throws -> UInt64? {
        let text = try read(path).trimmingWhitespace()
        if text == "max" { return nil }
        guard let value = UInt64(text) else { throw CgroupError.unreadable(path, text) }
        return value
    }

    /// `key value` lines (memory.stat, cpu.stat, memory.events, memory.oom_control).
    static func readKeyedNumbers(_ path: String) throws -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in try read(path).split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = UInt64(parts[1]) { result[String(parts[0])] = value }
        }
        return result
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Creates a directory; one that is already there is fine (another container made it).
    static func makeDirectory(_ path: String) throws {
        do {
            try FileSystem.makeDirectory(path, permissions: 0o755)
        } catch Errno.fileExists {
        } catch let errno as Errno {
            throw CgroupError.file("mkdir", path, errno)
        }
    }

    /// The PIDs in a cgroup.procs file.
    static func readProcesses(_ path: String) throws -> [ProcessID] {
        try read(path).split(separator: "\n").compactMap { pid_t($0).map(ProcessID.init(rawValue:)) }
    }

    /// Removes a cgroup directory, retrying for up to two seconds while the kernel reports it
    /// busy (processes that were just killed are still being torn down).
    static func removeDirectory(_ path: String) throws {
        for attempt in 0..<200 {
            do {
                try FileSystem.remove(path, directory: true)
                return
            } catch Errno.noSuchFileOrDirectory {
                return
            } catch Errno.busy where attempt < 199 {
                usleep(10_000)
            } catch let errno as Errno {
                throw CgroupError.file("rmdir", path, errno)
            }
        }
    }
}
