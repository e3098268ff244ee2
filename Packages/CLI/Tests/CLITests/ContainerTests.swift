import Cgroups
import Foundation
import Glibc
import Testing
import Syscalls
@testable import CLI

/// A control file of container `id`'s cgroup, on v1 (`memory.limit_in_bytes` in the memory tree)
/// or v2 (`memory.max`), as the kernel shows it.
func cgroupFile(_ id: String, v1 controller: String, _ v1File: String, v2 v2File: String) -> String? {
    guard let layout = try? CgroupLayout.current() else { return nil }
    let cgroup = layout.cgroup("dosirak/" + id)
    let path: String? = if let v1 = cgroup as? CgroupV1 { v1.path(controller).map { $0 + "/" + v1File } } else {
        layout.unified.map { $0 + "/dosirak/" + id + "/" + v2File }
    }
    return path.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }?.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Whether anything of container `id` is left on the host: its cgroup, its mounts.
func leftovers(_ world: World, _ id: String) -> [String] {
    var found: [String] = []
    if let layout = try? CgroupLayout.current(), layout.cgroup("dosirak/" + id).exists { found.append("cgroup dosirak/\(id)") }
    let mounts = (try? procText("/proc/self/mountinfo")) ?? ""
    found += mounts.split(separator: "\n").map { String($0.split(separator: " ")[4]) }.filter { $0.contains(id) }
    if FileManager.default.fileExists(atPath: world.root + "/containers/" + id) { found.append("containers/\(id)") }
    return found
}

@Suite("Containers through the dosirak command", .enabled(if: canRunContainers), .serialized)
struct ContainerTests {
    @Test("run in the foreground: the output on stdout and stderr, the container's exit code, and --rm")
    func foreground() throws {
        let world = try World()
        let result = try world.run("run", "--rm", "--network", "none", "busybox", "sh", "-c", "echo out; echo err >&2; exit 7")
        #expect(result.status == 7)
        #expect(result.output == "out\n")
        #expect(result.errors == "err\n")
        #expect(try world.run("ps", "-aq").output.isEmpty)
    }

    @Test("a -u user missing from the image fails the start with Docker's message; --rm leaves nothing, create keeps the container")
    func unknownUser() throws {
        let world = try World()
        let message = "unable to find user nosuch: no matching entries in passwd file"
        let removed = try world.run("run", "--rm", "--network", "none", "-u", "nosuch", "busybox", "true")
        #expect(removed.status == 125)
        #expect(removed.errors == "dosirak: Error: \(message)\n")
        #expect(try world.run("ps", "-aq").output.isEmpty)
        let id = try world.run("create", "--name", "nobody-here", "--network", "none", "-u", "nosuch", "busybox", "true").output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let started = try world.run("start", "nobody-here")
        #expect(started.status == 1)
        #expect(started.errors.contains(message))
        #expect(try world.run("ps", "-a", "--format", "{{.Names}} {{.State}}").output == "nobody-here created\n")
        #expect(leftovers(world, id) == ["containers/\(id)"])
        #expect(try world.run("rm", "nobody-here").status == 0)
    }

    @Test("--rm mounts the overlay volatile (its changes are never synced); a kept container's is not")
    func volatileOverlay() throws {
        let world = try World()
        let rootMount = "awk '$5 == \"/\" { print $NF }' /proc/self/mountinfo"
        let removed = try world.run("run", "--rm", "--network", "none", "busybox", "sh", "-c", rootMount)
        #expect(removed.status == 0)
        #expect(removed.output.contains("volatile"))
        let kept = try world.run("run", "--name", "kept", "--network", "none", "busybox", "sh", "-c", rootMount)
        #expect(kept.status == 0)
        #expect(!kept.output.isEmpty && !kept.output.contains("volatile"))
        #expect(try world.run("rm", "kept").status == 0)
    }

    @Test("127 for a command not found, 126 for one that cannot run, 125 for dosirak's own failure")
    func exitCodes() throws {
        let world = try World()
        let missing = try world.run("run", "--rm", "--network", "none", "busybox", "nosuch")
        #expect(missing.status == 127)
        #expect(missing.errors.contains("nosuch"))
        #expect(missing.errors.split(separator: "\n").count == 1)
        let notExecutable = try world.run("run", "--rm", "--network", "none", "busybox", "/etc/passwd")
        #expect(notExecutable.status == 126)
        let noImage = try world.run("run", "--pull", "never", "--network", "none", "nosuch:1.0")
        #expect(noImage.status == 125)
        #expect(noImage.errors == "dosirak: Error: No such image: nosuch:1.0\n")
        // A failed start without --rm leaves a container, in state created, as with Docker.
        let kept = try world.run("run", "--name", "kept", "--network", "none", "busybox", "nosuch")
        #expect(kept.status == 127)
        #expect(try world.run("ps", "-a", "--format", "{{.Names}} {{.State}}").output == "kept created\n")
    }

    @Test("a start that fails to prepare the container tells its monitor nothing: no monitor, mount or runtime state stays")
    func preparationFails() throws {
        let world = try World()
        let id = try world.run("create", "--name", "unprepared", "--network", "none", "busybox", "true").output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // The monitor is started before the preparation; writing /etc/hostname then fails.
        let files = world.root + "/containers/" + id + "/files"
        try FileManager.default.removeItem(atPath: files)
        try "in the way".write(toFile: files, atomically: false, encoding: .utf8)
        let failed = try world.run("start", "unprepared")
        #expect(failed.status != 0)
        #expect(failed.errors.contains(files + "/hostname"))
        #expect(failed.errors.split(separator: "\n").count == 1)
        #expect(leftovers(world, id) == ["containers/\(id)"])  // the record only
        #expect(!FileManager.default.fileExists(atPath: world.root + "/runtime/" + id))
        let monitors = try Spawn("/usr/bin/pgrep", arguments: ["-f", "monitor " + id]).output().output
        #expect(monitors.isEmpty)
        #expect(try world.run("ps", "-a", "--format", "{{.Names}} {{.State}}").output == "unprepared created\n")
        // Put right, it starts.
        try FileManager.default.removeItem(atPath: files)
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: false)
        #expect(try world.run("start", "unprepared").status == 0)
        #expect(world.eventually { (try? world.run("ps", "-a", "--format", "{{.State}}").output) == "exited\n" })
        #expect(try world.run("rm", "unprepared").status == 0)
        #expect(leftovers(world, id).isEmpty)
    }

    @Test("bad input gets one line naming it, a non-zero exit, and leaves no container", arguments: [
        (["--bogus"], "unknown flag: --bogus"),
        (["-p", "80:80:80:80"], "invalid port specification: \"80:80:80:80\""),
        (["-m", "lots"], "invalid argument \"lots\" for \"--memory\" flag"),
        (["-m", "1k"], "minimum memory limit allowed is 6MB"),
        (["--cpus", "1000"], "range of CPUs is from 0.01 to"),
        (["--restart", "sometimes"], "invalid restart policy sometimes"),
        (["-v", "data:relative"], "invalid volume specification"),
        (["--network", "no such"], "invalid --network no such"),
        (["--name", "bad name!"], "Invalid container name (bad name!)"),
    ])
    func badInput(_ flags: [String], _ message: String) throws {
        let world = try World()
        let result = try world.run(["run", "--rm"] + flags + ["busybox", "true"])
        #expect(result.status == 125)
        #expect(result.errors.contains(message))
        #expect(result.errors.hasPrefix("dosirak"))
        #expect(try world.run("ps", "-aq").output.isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: world.root + "/containers")) ?? []).filter { !$0.hasPrefix(".") }.isEmpty)
    }

    @Test("a detached container: ps, logs, stop (SIGTERM ignored, then SIGKILL), start keeps its changes, rm leaves nothing")
    func detachedLifecycle() throws {
        let world = try World()
        let id = try world.run("run", "-d", "--name", "counter", "--network", "none", "busybox",
                               "sh", "-c", "echo x >> /count; wc -l < /count; exec sleep 60").output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 64 && id.allSatisfy(\.isHexDigit))
        #expect(world.eventually { (try? world.run("logs", "counter").output) == "1\n" })
        let ps = try world.run("ps")
        #expect(ps.lines.count == 2)
        #expect(ps.lines[0].hasPrefix("CONTAINER ID   IMAGE     COMMAND"))
        #expect(ps.lines[1].hasPrefix(String(id.prefix(12)) + "   busybox   \"sh -c echo x >> /co…\""))
        #expect(ps.lines[1].contains("Up ") && ps.lines[1].hasSuffix("counter"))
        // sleep as PID 1 has no handler for SIGTERM: the stop waits its timeout, then kills.
        let stop = try world.run("stop", "-t", "1", "counter")
        #expect(stop.output == "counter\n")
        #expect(try world.run("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "counter").output == "exited 137\n")
        #expect(try world.run("ps", "-a", "--format", "{{.Status}}").output.hasPrefix("Exited (137) "))
        #expect(try world.run("start", "counter").status == 0)
        #expect(world.eventually { (try? world.run("logs", "counter").output) == "1\n2\n" })
        let running = try world.run("rm", "counter")
        #expect(running.status == 1)
        #expect(running.errors == "Error response from daemon: cannot remove container \"/counter\": container is running: stop the container before removing or force remove\n")
        #expect(try world.run("rm", "-f", "counter").output == "counter\n")
        #expect(leftovers(world, id).isEmpty)
    }

    @Test("names are unique, generated when not given, and found by name, ID or ID prefix")
    func names() throws {
        let world = try World()
        #expect(try world.run("create", "--name", "one", "--network", "none", "busybox").status == 0)
        let again = try world.run("create", "--name", "one", "--network", "none", "busybox")
        #expect(again.status == 125)
        #expect(again.errors.contains("Conflict. The container name \"/one\" is already in use by container"))
        let id = try world.run("create", "--network", "none", "busybox").output.trimmingCharacters(in: .newlines)
        let name = try world.run("inspect", "-f", "{{.Name}}", String(id.prefix(5))).output
        #expect(name.hasPrefix("/") && name.contains("_"))
        #expect(try world.run("rename", "one", "two").status == 0)
        #expect(try world.run("inspect", "-f", "{{.Name}}", "two").output == "/two\n")
        let unknown = try world.run("rm", "nosuch")
        #expect(unknown.status == 1)
        #expect(unknown.errors == "Error response from daemon: No such container: nosuch\n")
    }

    @Test("restart policies: on-failure:2 runs three times, a stop is final for always")
    func restartPolicies() throws {
        let world = try World()
        _ = try world.run("run", "-d", "--name", "flaky", "--restart", "on-failure:2", "--network", "none", "busybox",
                          "sh", "-c", "echo try; exit 3")
        #expect(world.eventually(timeout: 15) {
            (try? world.run("inspect", "-f", "{{.State.Status}} {{.RestartCount}}", "flaky").output) == "exited 2\n"
        })
        #expect(try world.run("logs", "flaky").output == "try\ntry\ntry\n")
        _ = try world.run("run", "-d", "--name", "always", "--restart", "always", "--network", "none", "busybox",
                          "sh", "-c", "sleep 0.2")
        #expect(world.eventually(timeout: 15) {
            Int((try? world.run("inspect", "-f", "{{.RestartCount}}", "always").output.trimmingCharacters(in: .newlines)) ?? "0") ?? 0 >= 2
        })
        #expect(try world.run("stop", "always").status == 0)
        let count = try world.run("inspect", "-f", "{{.RestartCount}}", "always").output
        usleep(800_000)
        #expect(try world.run("inspect", "-f", "{{.State.Status}} {{.RestartCount}}", "always").output == "exited " + count)
    }

    @Test("exec runs in the container with its exit code, -e, -w, -u; exec -d leaves no zombie behind")
    func exec() throws {
        let world = try World()
        _ = try world.run("run", "-d", "--name", "box", "--network", "none", "busybox", "sleep", "60")
        let result = try world.run("exec", "-e", "GREETING=hi", "-w", "/tmp", "-u", "nobody", "box",
                                   "sh", "-c", "echo $GREETING $(pwd) $(id -un); exit 4")
        #expect(result.status == 4)
        #expect(result.output == "hi /tmp nobody\n")
        #expect(try world.run("exec", "box", "nosuch").status == 127)
        #expect(try world.run("exec", "-d", "box", "sh", "-c", "sleep 0.1").status == 0)
        usleep(500_000)
        // The detached process was reaped inside: no zombie holds the PID namespace.
        let states = try world.run("exec", "box", "sh", "-c", "cat /proc/[0-9]*/stat | cut -d' ' -f3 | tr -d '\\n'").output
        #expect(!states.contains("Z"))
        let stop = try world.run("stop", "-t", "1", "box")
        #expect(stop.status == 0)
        let stopped = try world.run("exec", "box", "true")
        #expect(stopped.status == 1)
        #expect(stopped.errors.contains("is not running"))
    }

    @Test("named volumes get the image's content on first use and outlive the container; binds can be read-only")
    func volumes() throws {
        let world = try World()
        let host = world.root + "/shared"
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        try "from the host\n".write(toFile: host + "/note", atomically: true, encoding: .utf8)
        let first = try world.run("run", "--rm", "--network", "none", "-v", "config:/etc", "-v", host + ":/shared:ro", "busybox",
                                  "sh", "-c", "cat /shared/note; ls /etc/passwd; echo mine > /etc/mine; touch /shared/x 2>&1 | grep -o 'Read-only'")
        #expect(first.output == "from the host\n/etc/passwd\nRead-only\n")
        let second = try world.run("run", "--rm", "--network", "none", "-v", "config:/data", "busybox", "cat", "/data/mine")
        #expect(second.output == "mine\n")
        #expect(try world.run("volume", "ls", "-q").output == "config\n")
        #expect(FileManager.default.fileExists(atPath: world.root + "/volumes/config/_data/passwd"))
        _ = try world.run("create", "--name", "user", "--network", "none", "-v", "config:/etc", "busybox")
        let inUse = try world.run("volume", "rm", "config")
        #expect(inUse.status == 1)
        #expect(inUse.errors.contains("volume is in use"))
        _ = try world.run("rm", "user")
        #expect(try world.run("volume", "rm", "config").output == "config\n")
    }

    @Test("-m, --cpus, --cpuset-cpus and --pids-limit reach the container's cgroup")
    func limits() throws {
        let world = try World()
        let id = try world.run("run", "-d", "--network", "none", "-m", "64m", "--cpus", "0.5", "--cpuset-cpus", "0",
                               "--pids-limit", "20", "busybox", "sleep", "60").output.trimmingCharacters(in: .newlines)
        let memory = cgroupFile(id, v1: "memory", "memory.limit_in_bytes", v2: "memory.max")
        #expect(memory == String(64 << 20))
        let pids = cgroupFile(id, v1: "pids", "pids.max", v2: "pids.max")
        #expect(pids == "20")
        let quota = cgroupFile(id, v1: "cpu", "cpu.cfs_quota_us", v2: "cpu.max")
        #expect(quota == "50000" || quota == "50000 100000")
        let cpus = cgroupFile(id, v1: "cpuset", "cpuset.cpus", v2: "cpuset.cpus")
        #expect(cpus == "0")
        let fork = try world.run("exec", id, "sh", "-c", "for i in $(seq 30); do sleep 5 & done 2>&1 | grep -c 'fork\\|Resource'")
        #expect(Int(fork.output.trimmingCharacters(in: .newlines)) ?? 0 > 0)
        _ = try world.run("rm", "-f", id)
        #expect(leftovers(world, id).isEmpty)
    }

    @Test("--cap-drop, --read-only, -u and --privileged change what the process may do")
    func security() throws {
        let world = try World()
        let noChown = try world.run("run", "--rm", "--network", "none", "--cap-drop", "CHOWN", "busybox",
                                    "sh", "-c", "chown nobody /tmp 2>&1; grep CapEff /proc/self/status")
        #expect(noChown.output.contains("Operation not permitted"))
        let readOnly = try world.run("run", "--rm", "--network", "none", "--read-only", "busybox", "touch", "/x")
        #expect(readOnly.status == 1)
        #expect(readOnly.errors.contains("Read-only file system"))
        let user = try world.run("run", "--rm", "--network", "none", "-u", "nobody", "busybox", "id")
        #expect(user.output.hasPrefix("uid=65534(nobody)"))
        let privileged = try world.run("run", "--rm", "--network", "none", "--privileged", "busybox",
                                       "sh", "-c", "grep CapEff /proc/self/status; grep Seccomp: /proc/self/status")
        #expect(privileged.output.contains("Seccomp:\t0"))
        #expect(!privileged.output.contains("CapEff:\t00000000a80425fb"))
        let normal = try world.run("run", "--rm", "--network", "none", "busybox", "grep", "Seccomp:", "/proc/self/status")
        #expect(normal.output == "Seccomp:\t2\n")
    }

    @Test("--init: a reaper as PID 1 passes SIGTERM on (stop is quick) and reaps orphans")
    func initProcess() throws {
        let world = try World()
        let tree = try world.run("run", "--rm", "--init", "--network", "none", "busybox", "sh", "-c",
                                 "sleep 0.1 & cat /proc/1/comm; exit 3")
        #expect(tree.status == 3)
        #expect(tree.output == "dosirak:[init]\n")
        _ = try world.run("run", "-d", "--init", "--name", "sleeper", "--network", "none", "busybox", "sleep", "60")
        let started = Date()
        #expect(try world.run("stop", "sleeper").status == 0)
        // Without --init, sleep as PID 1 would ignore SIGTERM and be killed after 10 s.
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try world.run("inspect", "-f", "{{.State.ExitCode}}", "sleeper").output == "143\n")
    }

    @Test("run -it under a terminal: typed commands run, their output comes back, the exit code is the shell's")
    func terminal() throws {
        let world = try World()
        let (controller, peer) = try Terminal.openPseudoTerminal()
        defer { try? controller.close() }
        var spawn = Spawn(dosirakBinary, arguments: ["--root", world.root, "run", "--rm", "-it", "--network", "none", "busybox", "sh"])
        spawn.fileDescriptors = [0: peer, 1: peer, 2: peer]
        spawn.newSession = true
        spawn.controllingTerminal = 0
        let child = try spawn.start()
        try? peer.close()
        var seen = ""
        func read(until text: String) -> Bool {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline && !seen.contains(text) {
                var poller = pollfd(fd: controller.rawValue, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 200) > 0 else { continue }
                guard let bytes = try? controller.read(upTo: 4096), !bytes.isEmpty else { break }
                seen += String(decoding: bytes, as: UTF8.self)
            }
            return seen.contains(text)
        }
        #expect(read(until: "# "))
        try controller.writeAll("echo $((6*7)); tty\r")
        #expect(read(until: "42"))
        #expect(read(until: "/dev/pts/0"))
        try controller.writeAll("exit 5\r")
        var status = try child.wait()
        if case .exited = status {} else { status = .exited(-1) }
        #expect(status == .exited(5))
        world.adoptMonitors()
    }
}
