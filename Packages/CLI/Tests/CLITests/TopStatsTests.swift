import Foundation
import Glibc
import Syscalls
import Testing
@testable import CLI

let hasPS = access("/usr/bin/ps", X_OK) == 0

@Suite("top and stats: a container's processes and what they use, as the kernel counts them")
struct TopStatsTests {
    // MARK: - Without containers

    @Test("a /proc row is what ps -ef prints for the same process", .enabled(if: hasPS))
    func procRowMatchesPS() throws {
        let pid = getpid()
        let row = try #require(ProcessTable.row(pid, ProcessTable.Clock(), UserDatabase(rootfs: "")))
        let (status, output) = try Spawn("/usr/bin/ps", arguments: ["-ww", "-f", "-p", String(pid)]).output()
        #expect(status == .exited(0))
        let fields = try #require(output.split(separator: "\n").last?.split(separator: " ").map(String.init))
        // UID PID PPID C STIME TTY TIME CMD; C and TIME may move on between the two readings.
        #expect([row[0], row[1], row[2], row[4], row[5]] == [fields[0], fields[1], fields[2], fields[4], fields[5]])
        #expect(row[7] == fields[7...].joined(separator: " "))
    }

    @Test("ps's TIME and TTY columns", arguments: [
        (UInt64(0), "00:00:00"), (59, "00:00:59"), (3_723, "01:02:03"), (93_784, "1-02:03:04"),
    ])
    func cpuTime(_ seconds: UInt64, _ text: String) {
        #expect(ProcessTable.cpuTime(seconds) == text)
    }

    @Test("terminal device numbers become ps's names")
    func terminals() {
        #expect(ProcessTable.terminalName(0) == "?")
        #expect(ProcessTable.terminalName(136 << 8) == "pts/0")
        #expect(ProcessTable.terminalName(136 << 8 | 5) == "pts/5")
        #expect(ProcessTable.terminalName(4 << 8 | 1) == "tty1")
        #expect(ProcessTable.terminalName(4 << 8 | 64) == "ttyS0")
    }

    @Test("stats of a container that does not exist fails as Docker's does")
    func statsUnknown() throws {
        let world = try World(image: false)
        let result = try world.run("stats", "--no-stream", "nosuch")
        #expect(result.status == 1)
        #expect(result.errors.contains("No such container: nosuch"))
    }

    // MARK: - top

    @Test("top lists exactly the processes in the container's cgroup, as ps -ef shows them", .enabled(if: canRunContainers))
    func topIsTheCgroup() throws {
        let world = try World()
        let (id, pid) = try world.started("--network", "none", "busybox", "sh", "-c", "sleep 60 & sleep 61 & wait")
        let cgroup = try #require(KernelFacts.cgroupDirectory(of: pid, controller: "pids"))
        #expect(world.eventually { KernelFacts.processes(cgroup).count == 3 })
        let result = try world.run("top", id)
        #expect(result.status == 0, "\(result.errors)")
        let lines = result.lines
        // Docker's top table: columns at least 20 wide.
        #expect(lines.first == "UID                 PID                 PPID                C                   STIME               TTY                 TIME                CMD")
        let rows = lines.dropFirst().map { $0.split(separator: " ").map(String.init) }
        #expect(Set(rows.compactMap { Int32($0[1]) }) == KernelFacts.processes(cgroup))
        #expect(rows.map { $0[7...].joined(separator: " ") }.sorted() == ["sh -c sleep 60 & sleep 61 & wait", "sleep 60", "sleep 61"])
        if hasPS {
            let (_, ps) = try Spawn("/usr/bin/ps", arguments: ["-ww", "-ef"]).output()
            for row in rows {
                let host = try #require(ps.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.first { $0[1] == row[1] })
                #expect([row[0], row[2], row[4], row[5]] == [host[0], host[2], host[4], host[5]])
                #expect(row[7...].joined(separator: " ") == host[7...].joined(separator: " "))
            }
        }
    }

    @Test("top with ps options runs the host's ps and keeps only the container's rows", .enabled(if: canRunContainers && hasPS))
    func topWithOptions() throws {
        let world = try World()
        let (id, pid) = try world.started("--network", "none", "busybox", "sh", "-c", "sleep 60 & wait")
        let cgroup = try #require(KernelFacts.cgroupDirectory(of: pid, controller: "pids"))
        #expect(world.eventually { KernelFacts.processes(cgroup).count == 2 })
        let result = try world.run("top", id, "-o", "pid,comm")
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.lines.first?.split(separator: " ") == ["PID", "COMMAND"])
        let rows = result.lines.dropFirst().map { $0.split(separator: " ").map(String.init) }
        #expect(Set(rows.compactMap { Int32($0[0]) }) == KernelFacts.processes(cgroup))
        #expect(rows.map { $0[1] }.sorted() == ["sh", "sleep"])
    }

    @Test("top of a stopped container fails", .enabled(if: canRunContainers))
    func topStopped() throws {
        let world = try World()
        let id = try world.run("run", "--network", "none", "busybox", "true")
        #expect(id.status == 0)
        let name = try world.run("ps", "-a", "--format", "{{.Names}}").output.trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try world.run("top", name)
        #expect(result.status == 1)
        #expect(result.errors.contains("is not running"))
    }

    // MARK: - stats

    @Test("stats shows a -m 64m container's 64MiB limit, memory within the cgroup's, and its PIDs", .enabled(if: canRunContainers))
    func statsMemory() throws {
        let world = try World()
        let (id, pid) = try world.started("-m", "64m", "--network", "none", "busybox", "sh", "-c", "sleep 60 & wait")
        let memory = try #require(KernelFacts.cgroupDirectory(of: pid, controller: "memory"))
        let pids = try #require(KernelFacts.cgroupDirectory(of: pid, controller: "pids"))
        #expect(world.eventually { KernelFacts.processes(pids).count == 2 })
        let v1 = KernelFacts.cgroupV1
        #expect(KernelFacts.number(memory + (v1 ? "/memory.limit_in_bytes" : "/memory.max")) == 64 << 20)
        let result = try world.run("stats", "--no-stream", "--format", "{{.Name}}|{{.MemUsage}}|{{.MemPerc}}|{{.PIDs}}", id)
        #expect(result.status == 0, "\(result.errors)")
        let fields = try #require(result.lines.first?.split(separator: "|").map(String.init))
        #expect(result.lines.count == 1 && fields.count == 4)
        let usage = fields[1].components(separatedBy: " / ")
        #expect(usage.last == "64MiB")
        let used = try #require(KernelFacts.bytes(usage[0]))
        // Never more than the most the cgroup has held (4 significant digits: 0.05% rounding).
        let peak = try #require(KernelFacts.number(memory + (v1 ? "/memory.max_usage_in_bytes" : "/memory.peak"))
            ?? KernelFacts.number(memory + "/memory.current"))
        #expect(used > 0 && used <= Double(peak) * 1.0005, "\(used) > \(peak)")
        let percent = try #require(Double(fields[2].dropLast()))
        #expect(abs(percent - used / Double(64 << 20) * 100) < 0.02)
        #expect(fields[3] == String(KernelFacts.number(pids + "/pids.current") ?? 0))
    }

    @Test("stats CPU % of a busy container is what its cgroup's CPU time says", .enabled(if: canRunContainers))
    func statsCPU() throws {
        let world = try World()
        let (id, pid) = try world.started("--network", "none", "busybox", "sh", "-c", "while :; do :; done")
        let cpu = try #require(KernelFacts.cgroupDirectory(of: pid, controller: KernelFacts.cgroupV1 ? "cpuacct" : "cpu"))
        // Microseconds of CPU time, from the kernel's own count.
        func used() -> Double {
            if KernelFacts.cgroupV1 { return Double(KernelFacts.number(cpu + "/cpuacct.usage") ?? 0) / 1000 }
            let line = (Host.read(cpu + "/cpu.stat") ?? "").split(separator: "\n").first { $0.hasPrefix("usage_usec ") }
            return Double(line?.split(separator: " ").last ?? "") ?? 0
        }
        let (before, start) = (used(), Date())
        let result = try world.run("stats", "--no-stream", "--format", "{{.CPUPerc}}", id)
        let measured = (used() - before) / Date().timeIntervalSince(start) / 10_000
        #expect(result.status == 0, "\(result.errors)")
        let reported = try #require(Double(result.output.trimmingCharacters(in: .whitespacesAndNewlines).dropLast()))
        #expect(reported > 20 && reported <= Double(Host.cpus) * 100 + 1, "\(reported)%")
        #expect(abs(reported - measured) < 30, "stats \(reported)%, cgroup \(measured)%")
    }

    @Test("stats NET I/O is the container's interface's bytes in /proc/PID/net/dev", .enabled(if: canRunContainers))
    func statsNetwork() throws {
        let world = try World(network: true)
        let (id, pid) = try world.started("busybox", "sh", "-c",
                                          "ping -c 3 -i 0.2 $(ip route | awk '/default/ {print $3}'); sleep 60")
        // eth0's line: `  eth0: RX-BYTES PACKETS ERRS DROP FIFO FRAME COMPRESSED MULTICAST TX-BYTES ...`
        func counted() -> (Double, Double) {
            let line = (Host.read("/proc/\(pid)/net/dev") ?? "").split(separator: "\n").first { $0.contains("eth0:") }
            let numbers = (line?.split(separator: ":").last ?? "").split(separator: " ").compactMap { Double($0) }
            return numbers.count > 8 ? (numbers[0], numbers[8]) : (0, 0)
        }
        // /proc/PID/net/dev is the container's namespace; lo does not count.
        #expect(Host.read("/proc/\(pid)/net/dev")?.contains("eth0:") == true)
        #expect(world.eventually { counted().1 >= 3 * 98 })
        let before = counted()
        let result = try world.run("stats", "--no-stream", "--format", "{{.NetIO}}", id)
        let after = counted()
        #expect(result.status == 0, "\(result.errors)")
        let parts = result.output.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: " / ")
        let received = try #require(KernelFacts.bytes(parts[0]))
        let sent = try #require(KernelFacts.bytes(parts[1]))
        // Three significant digits: 0.5% rounding.
        #expect(received >= before.0 * 0.995 && received <= after.0 * 1.005, "\(received) not in \(before.0)...\(after.0)")
        #expect(sent >= before.1 * 0.995 && sent <= after.1 * 1.005, "\(sent) not in \(before.1)...\(after.1)")
    }

    @Test("stats lists running containers; -a adds stopped ones, all zero", .enabled(if: canRunContainers))
    func statsAll() throws {
        let world = try World()
        _ = try world.started("--name", "busy", "--network", "none", "busybox", "sleep", "60")
        #expect(try world.run("run", "--name", "done", "--network", "none", "busybox", "true").status == 0)
        let format = "{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.NetIO}} {{.BlockIO}} {{.PIDs}}"
        let running = try world.run("stats", "--no-stream", "--format", format)
        #expect(running.lines.map { String($0.split(separator: " ")[0]) } == ["busy"])
        let all = try world.run("stats", "--no-stream", "-a", "--format", format)
        #expect(all.lines.count == 2)
        #expect(all.lines.contains("done 0.00% 0B / 0B 0B / 0B 0B / 0B 0"))
        let table = try world.run("stats", "--no-stream")
        let header = table.lines.first?.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(header == ["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"])
        #expect(table.lines.first?.hasPrefix("CONTAINER ID   NAME      CPU %     ") == true)
    }

    @Test("stats without --no-stream redraws every second until interrupted, and ends when its reader does", .enabled(if: canRunContainers))
    func statsStream() throws {
        let world = try World()
        _ = try world.started("--name", "busy", "--network", "none", "busybox", "sleep", "60")
        let command = [dosirakBinary, "--root", world.root, "stats", "--format", "{{.Name}} {{.PIDs}}"]
        let (_, output) = try Spawn("/usr/bin/timeout", arguments: ["-s", "INT", "3.5"] + command).output()
        let frames = output.components(separatedBy: "\u{1B}[2J\u{1B}[H").dropFirst()
        #expect(frames.count >= 2 && frames.count <= 4, "\(frames.count) frames")
        #expect(frames.allSatisfy { $0 == "busy 1\n" })
        // `| head` closes the pipe: stats must end rather than draw into it forever.
        let piped = command.map { "'\($0)'" }.joined(separator: " ") + " | head -c 20 >/dev/null"
        let (status, _) = try Spawn("/usr/bin/timeout", arguments: ["10", "/bin/sh", "-c", piped]).output()
        #expect(status == .exited(0))
    }
}
