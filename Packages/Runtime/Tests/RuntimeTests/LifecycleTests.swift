import Synchronization
import Cgroups
import Foundation
import Glibc
import Syscalls
import Testing
@testable import Runtime

@Suite("The OCI lifecycle through dosirak-runtime", .enabled(if: canRunContainers, "needs root and busybox-static"))
struct LifecycleTests {
    @Test("create leaves the command unrun; start runs it; kill and delete end it")
    func lifecycle() throws {
        let sandbox = try Sandbox("touch /tmp/started; exec sleep 30")
        let pidFile = sandbox.directory + "/init.pid"
        #expect(try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, "--pid-file", pidFile, "web-\(sandbox.tag)").status == .exited(0))
        var state = try sandbox.state("web-\(sandbox.tag)")
        #expect(state.status == .created)
        #expect(state.pid > 0)
        #expect(try String(contentsOfFile: pidFile, encoding: .utf8) == String(state.pid))
        #expect(state.bundle == sandbox.bundle)
        // The container keeps the bundle's config.json as it was read, byte for byte.
        #expect(FileManager.default.contents(atPath: sandbox.root + "/web-\(sandbox.tag)/config.json")
                == FileManager.default.contents(atPath: sandbox.bundle + "/config.json"))
        usleep(100_000)
        #expect(!FileManager.default.fileExists(atPath: sandbox.file("/tmp/started")))
        // Init is in the container's own namespaces already.
        #expect(try Namespace.pid.identity(of: state.pid) != Namespace.pid.identity(of: getpid()))

        #expect(try sandbox.runtimeCommand("start", "web-\(sandbox.tag)").status == .exited(0))
        #expect(sandbox.waitFor(sandbox.file("/tmp/started")))
        state = try sandbox.state("web-\(sandbox.tag)")
        #expect(state.status == .running)
        let (startAgain, message) = try sandbox.runtimeCommand("start", "web-\(sandbox.tag)")
        #expect(startAgain == .exited(1) && message == "dosirak-runtime: cannot start container web-\(sandbox.tag): it is running\n")

        #expect(try sandbox.runtimeCommand("kill", "web-\(sandbox.tag)", "KILL").status == .exited(0))
        for _ in 0..<500 { guard try sandbox.state("web-\(sandbox.tag)").status != .stopped else { break }; usleep(10_000) }
        #expect(try sandbox.state("web-\(sandbox.tag)").status == .stopped)
        #expect(try sandbox.runtimeCommand("delete", "web-\(sandbox.tag)").status == .exited(0))
        #expect(!FileManager.default.fileExists(atPath: sandbox.root + "/web-\(sandbox.tag)"))
        let (gone, text) = try sandbox.runtimeCommand("state", "web-\(sandbox.tag)")
        #expect(gone == .exited(1) && text == "dosirak-runtime: container web-\(sandbox.tag) does not exist\n")
    }

    @Test("init is in its cgroup in every hierarchy, and its cgroup namespace is rooted there",
          arguments: ["itself", "hook", "user namespace"])
    func cgroupPlacement(mover: String) throws {
        // Init moves itself; with a createRuntime hook, or in a new user namespace (whose root
        // may not write the host's cgroup files), the parent moves it.
        let sandbox = try Sandbox("cat /proc/self/cgroup > /tmp/cgroup; exec sleep 30")
        if mover == "hook" {
            var hooks = Spec.Hooks()
            hooks.createRuntime = [Spec.Hook(path: "/bin/true")]
            sandbox.spec.hooks = hooks
        }
        if mover == "user namespace" {
            sandbox.spec.linux?.namespaces?.append(Spec.Namespace(type: "user"))
            sandbox.spec.linux?.uidMappings = [Spec.IDMapping(containerID: 0, hostID: 0, size: 65536)]
            sandbox.spec.linux?.gidMappings = [Spec.IDMapping(containerID: 0, hostID: 0, size: 65536)]
        }
        try sandbox.save()
        let id = "cg-\(sandbox.tag)"
        #expect(try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, id).status == .exited(0))
        #expect(try sandbox.runtimeCommand("start", id).status == .exited(0))
        #expect(sandbox.waitFor(sandbox.file("/tmp/cgroup")))
        let pid = try sandbox.state(id).pid
        let cgroup = try CgroupLayout.current().cgroup("dosirak/\(id)")
        let directories = (cgroup as? CgroupV1)?.directories ?? [(cgroup as! CgroupV2).path]
        #expect(!directories.isEmpty)
        for directory in directories {
            let members = try procText(directory + "/cgroup.procs").split(separator: "\n")
            #expect(members.contains(Substring(String(pid))), "not in \(directory)")
        }
        // Inside, every hierarchy's root is the container's own cgroup.
        let inside = try String(contentsOfFile: sandbox.file("/tmp/cgroup"), encoding: .utf8)
        let lines = inside.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines { #expect(line.hasSuffix(":/"), "inside: \(line)") }
        #expect(try sandbox.runtimeCommand("delete", "--force", id).status == .exited(0))
    }

    @Test("state, kill, list and pause do without config.json; a damaged one stops delete, but not delete --force")
    func withoutSpec() throws {
        let sandbox = try Sandbox("exec sleep 30")
        let id = "ns-\(sandbox.tag)"
        #expect(try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, id).status == .exited(0))
        try sandbox.runtimeCommand("start", id)
        try Data("not json".utf8).write(to: URL(fileURLWithPath: sandbox.root + "/\(id)/config.json"))
        #expect(try sandbox.state(id).status == .running)
        #expect(try sandbox.runtimeCommand("list", "--format", "json").output.contains(id))
        #expect(try sandbox.runtimeCommand("pause", id).status == .exited(0))
        #expect(try sandbox.runtimeCommand("resume", id).status == .exited(0))
        #expect(try sandbox.runtimeCommand("kill", id, "KILL").status == .exited(0))
        for _ in 0..<500 { guard try sandbox.state(id).status != .stopped else { break }; usleep(10_000) }
        let (refused, message) = try sandbox.runtimeCommand("delete", id)
        #expect(refused == .exited(1) && message.contains("config.json: not valid JSON"))
        #expect(try sandbox.runtimeCommand("delete", "--force", id).status == .exited(0))
        #expect(!FileManager.default.fileExists(atPath: sandbox.root + "/\(id)"))
        #expect(try CgroupLayout.current().cgroup("dosirak/\(id)").exists == false)
    }

    @Test("delete refuses a created or running container unless forced, and force removes everything")
    func deleteRules() throws {
        let sandbox = try Sandbox("exec sleep 30")
        try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, "c1-\(sandbox.tag)")
        let (created, message) = try sandbox.runtimeCommand("delete", "c1-\(sandbox.tag)")
        #expect(created == .exited(1) && message == "dosirak-runtime: cannot delete container c1-\(sandbox.tag): it is created\n")
        try sandbox.runtimeCommand("start", "c1-\(sandbox.tag)")
        let pid = try sandbox.state("c1-\(sandbox.tag)").pid
        #expect(try sandbox.runtimeCommand("delete", "c1-\(sandbox.tag)").status == .exited(1))
        #expect(try sandbox.runtimeCommand("delete", "--force", "c1-\(sandbox.tag)").status == .exited(0))
        #expect(!ProcessID(rawValue: pid).exists || ProcessIdentity.of(pid) == nil || !(ProcessIdentity.of(pid)?.isAlive ?? false))
        #expect(try CgroupLayout.current().cgroup("dosirak/c1-\(sandbox.tag)").exists == false)
        // Deleting what does not exist: an error, except with --force.
        #expect(try sandbox.runtimeCommand("delete", "c1-\(sandbox.tag)").status == .exited(1))
        #expect(try sandbox.runtimeCommand("delete", "--force", "c1-\(sandbox.tag)").status == .exited(0))
    }

    @Test("kill takes signal names with or without SIG, and numbers; --all reaches every process",
          arguments: ["TERM", "SIGTERM", "15"])
    func killSignals(signal: String) throws {
        // The shell traps TERM (PID 1 ignores signals it has no handler for).
        let sandbox = try Sandbox("trap 'touch /tmp/got-term; exit 0' TERM; touch /tmp/ready; while :; do sleep 0.1; done")
        try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, "k-\(sandbox.tag)")
        try sandbox.runtimeCommand("start", "k-\(sandbox.tag)")
        #expect(sandbox.waitFor(sandbox.file("/tmp/ready")))
        #expect(try sandbox.runtimeCommand("kill", "k-\(sandbox.tag)", signal).status == .exited(0))
        #expect(sandbox.waitFor(sandbox.file("/tmp/got-term")))
        let (bad, message) = try sandbox.runtimeCommand("kill", "k-\(sandbox.tag)", "SIGNOPE")
        #expect(bad == .exited(1) && message == "dosirak-runtime: unknown signal \"SIGNOPE\"\n")
    }

    @Test("kill --all reaches processes started by exec too")
    func killAll() throws {
        let sandbox = try Sandbox("exec sleep 30")
        try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, "a-\(sandbox.tag)")
        try sandbox.runtimeCommand("start", "a-\(sandbox.tag)")
        #expect(try sandbox.runtimeCommand("exec", "--detach", "a-\(sandbox.tag)", "sleep", "40").status == .exited(0))
        sandbox.remember("a-\(sandbox.tag)")
        let pids = try JSONDecoder().decode([Int32].self, from: Data(try sandbox.runtimeCommand("ps", "--format", "json", "a-\(sandbox.tag)").output.utf8))
        #expect(pids.count == 2)
        #expect(try sandbox.runtimeCommand("kill", "--all", "a-\(sandbox.tag)", "KILL").status == .exited(0))
        // The detached exec'd process was adopted by this process (a subreaper, like a shim);
        // the container's init dies only once that one has been reaped.
        for _ in 0..<500 {
            guard pids.contains(where: { ProcessIdentity.of($0)?.isAlive == true }) else { break }
            sandbox.reapAdopted()
            usleep(10_000)
        }
        let alive = pids.filter { ProcessIdentity.of($0)?.isAlive == true }
        #expect(alive.isEmpty, "\(alive.map { (try? String(contentsOfFile: "/proc/\($0)/stat", encoding: .utf8)) ?? "" })")
    }

    @Test("pause freezes the cgroup and resume thaws it; update changes live limits")
    func pauseResumeUpdate() throws {
        let sandbox = try Sandbox("exec sleep 30")
        try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, "p-\(sandbox.tag)")
        try sandbox.runtimeCommand("start", "p-\(sandbox.tag)")
        #expect(try sandbox.runtimeCommand("pause", "p-\(sandbox.tag)").status == .exited(0))
        #expect(try sandbox.state("p-\(sandbox.tag)").status == .paused)
        let cgroup = try CgroupLayout.current().cgroup("dosirak/p-\(sandbox.tag)")
        if let v1 = cgroup as? CgroupV1 {
            #expect(try String(contentsOfFile: v1.path("freezer")! + "/freezer.state", encoding: .utf8) == "FROZEN\n")
        }
        #expect(try sandbox.runtimeCommand("resume", "p-\(sandbox.tag)").status == .exited(0))
        #expect(try sandbox.state("p-\(sandbox.tag)").status == .running)
        let (read, write) = try FileDescriptor.pipe()
        try write.writeAll(#"{"pids": {"limit": 33}}"#)
        try write.close()
        #expect(try sandbox.runtimeCommand("update", "--resources", "-", "p-\(sandbox.tag)", stdin: read).status == .exited(0))
        try read.close()
        let pidsMax = (cgroup as? CgroupV1)?.path("pids").map { $0 + "/pids.max" } ?? (cgroup as! CgroupV2).path + "/pids.max"
        #expect(try String(contentsOfFile: pidsMax, encoding: .utf8) == "33\n")
        #expect(try sandbox.runtimeCommand("resume", "p-\(sandbox.tag)").output == "dosirak-runtime: cannot resume container p-\(sandbox.tag): it is running\n")
    }

    @Test("list and state agree; list --format json is runc's shape")
    func list() throws {
        let sandbox = try Sandbox("exec sleep 30")
        try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, "l1-\(sandbox.tag)")
        let json = try sandbox.runtimeCommand("list", "--format", "json").output
        let entries = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [[String: Any]]
        #expect(entries.count == 1)
        #expect(entries.first?["id"] as? String == "l1-\(sandbox.tag)")
        #expect(entries.first?["status"] as? String == "created")
        #expect(entries.first?["rootfs"] as? String == sandbox.bundle + "/rootfs")
        #expect(try sandbox.runtimeCommand("list", "-q").output == "l1-\(sandbox.tag)\n")
    }

    @Test("run waits for the container and exits with its code; the container is gone afterwards")
    func runExitCode() throws {
        let sandbox = try Sandbox("echo out; echo err >&2; exit 7")
        let (status, output) = try sandbox.runtimeCommand("run", "--bundle", sandbox.bundle, "r-\(sandbox.tag)")
        #expect(status == .exited(7))
        #expect(output.contains("out\n") && output.contains("err\n"))
        #expect(try sandbox.runtimeCommand("state", "r-\(sandbox.tag)").status == .exited(1))
    }

    @Test("exec runs in the container's namespaces and returns the command's exit code")
    func exec() throws {
        let sandbox = try Sandbox("exec sleep 30")
        try sandbox.runtimeCommand("run", "--detach", "--bundle", sandbox.bundle, "e-\(sandbox.tag)")
        let (status, output) = try sandbox.runtimeCommand("exec", "e-\(sandbox.tag)", "sh", "-c", "hostname; echo $$; exit 5")
        #expect(status == .exited(5))
        #expect(output.split(separator: "\n").first == "dosirak")
        #expect(Int(output.split(separator: "\n").last ?? "") ?? 1000 < 100)  // a PID of the container's namespace
        let (missing, message) = try sandbox.runtimeCommand("exec", "e-\(sandbox.tag)", "no-such-command")
        #expect(missing == .exited(127))
        #expect(message == "dosirak-runtime: exec: \"no-such-command\": executable file not found in $PATH\n")
        // --process with a process.json, and --pid-file for a detached process.
        let process = Spec.Process(args: ["sh", "-c", "echo from-json > /tmp/json"], env: ["PATH=/bin"], cwd: "/tmp")
        try JSONEncoder().encode(process).write(to: URL(fileURLWithPath: sandbox.directory + "/process.json"))
        let pidFile = sandbox.directory + "/exec.pid"
        #expect(try sandbox.runtimeCommand("exec", "--process", sandbox.directory + "/process.json", "--detach",
                                           "--pid-file", pidFile, "e-\(sandbox.tag)").status == .exited(0))
        #expect(sandbox.waitFor(sandbox.file("/tmp/json")))
        let pid = Int32(try String(contentsOfFile: pidFile, encoding: .utf8))
        #expect(pid != nil)
        if let pid { sandbox.adopted.insert(pid) }
    }
}

@Suite("dosirak-runtime errors", .enabled(if: canRunContainers, "needs root and busybox-static"))
struct RuntimeErrorTests {
    @Test("bad input gets one line naming what was wrong, and exit code 1")
    func badInput() throws {
        let sandbox = try Sandbox()
        let cases: [([String], String)] = [
            (["state", "nope"], "dosirak-runtime: container nope does not exist\n"),
            (["create", "--bundle", "/nonexistent", "x"], "dosirak-runtime: bundle: read /nonexistent/config.json: ENOENT\n"),
            (["create", "--bundle", sandbox.bundle, "bad/id"], "dosirak-runtime: invalid container id \"bad/id\": use letters, digits, _ . and -\n"),
            (["create", "--bogus", "x"], "dosirak-runtime: unknown flag --bogus\nusage: dosirak-runtime create [--bundle DIR] [--pid-file FILE] [--console-socket SOCKET] ID\n"),
            (["frobnicate"], "dosirak-runtime: unknown command \"frobnicate\"\nusage: usage: dosirak-runtime [--root DIR] [--log FILE] [--log-format text|json] COMMAND [OPTIONS] ID\ncommands: create, start, run, state, kill, delete, exec, ps, pause, resume, update, list, spec, features\n"),
        ]
        for (arguments, expected) in cases {
            var spawn = Spawn(runtime, arguments: ["--root", sandbox.root] + arguments)
            spawn.workingDirectory = sandbox.bundle
            let (status, output) = try spawn.output(includeErrors: true)
            #expect(status == .exited(1), "\(arguments)")
            #expect(output == expected, "\(arguments)")
        }
    }

    @Test("a second container with the same id is refused; the first is untouched")
    func duplicateID() throws {
        let sandbox = try Sandbox("exec sleep 30")
        try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, "same-\(sandbox.tag)")
        let pid = try sandbox.state("same-\(sandbox.tag)").pid
        let (status, output) = try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, "same-\(sandbox.tag)")
        #expect(status == .exited(1) && output == "dosirak-runtime: container same-\(sandbox.tag) already exists\n")
        #expect(try sandbox.state("same-\(sandbox.tag)").pid == pid)
        #expect(try sandbox.state("same-\(sandbox.tag)").status == .created)
    }

    @Test("a config.json with a mistake fails create and leaves nothing: no state, cgroup or process")
    func badConfig() throws {
        let sandbox = try Sandbox()
        sandbox.spec.process?.capabilities?.bounding?.append("CAP_NOT_A_THING")
        try sandbox.save()
        let (status, output) = try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, "bad-\(sandbox.tag)")
        #expect(status == .exited(1))
        #expect(output == "dosirak-runtime: bundle: process.capabilities: unknown capability CAP_NOT_A_THING\n")
        #expect(!FileManager.default.fileExists(atPath: sandbox.root + "/bad-\(sandbox.tag)"))
        // A command missing from the rootfs is found out at create, named.
        sandbox.spec = Spec.default(args: ["no-such-program"])
        try sandbox.save()
        let (missing, message) = try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, "bad-\(sandbox.tag)")
        #expect(missing == .exited(1) && message == "dosirak-runtime: init: exec no-such-program: executable file not found in $PATH\n")
        #expect(!FileManager.default.fileExists(atPath: sandbox.root + "/bad-\(sandbox.tag)"))
        #expect(try CgroupLayout.current().cgroup("dosirak/bad-\(sandbox.tag)").exists == false)
    }

    @Test("with --log and --log-format json, the error is also a JSON line in the log")
    func jsonLog() throws {
        let sandbox = try Sandbox()
        let log = sandbox.directory + "/log.json"
        let (status, _) = try Spawn(runtime, arguments: ["--root", sandbox.root, "--log", log, "--log-format", "json", "state", "ghost"])
            .output(includeErrors: true)
        #expect(status == .exited(1))
        let entry = try JSONSerialization.jsonObject(with: Data(try String(contentsOfFile: log, encoding: .utf8).utf8)) as! [String: String]
        #expect(entry["level"] == "error")
        #expect(entry["msg"] == "container ghost does not exist")
        #expect(entry["time"] != nil)
    }
}

@Suite("Terminals", .enabled(if: canRunContainers, "needs root and busybox-static"))
struct TerminalTests {
    @Test("with process.terminal, the console socket receives a terminal from the container's own devpts")
    func consoleSocket() throws {
        let sandbox = try Sandbox("tty; stty size; read line; echo got $line", terminal: true)
        sandbox.spec.process?.consoleSize = Spec.ConsoleSize(height: 40, width: 132)
        try sandbox.save()
        let socketPath = sandbox.directory + "/console.sock"
        let listener = try FileDescriptor.listen(unixSocket: socketPath)
        defer { try? listener.close() }
        let id = "t-\(sandbox.tag)"
        // create blocks until it has handed over the terminal, so accept in parallel.
        let accepted = Mutex<FileDescriptor?>(nil)
        let thread = Thread {
            if let connection = try? listener.accept() {
                accepted.withLock { $0 = try? connection.receiveDescriptor() }
                try? connection.close()
            }
        }
        thread.start()
        #expect(try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, "--console-socket", socketPath, id).status == .exited(0))
        for _ in 0..<200 { guard accepted.withLock({ $0 }) == nil else { break }; usleep(10_000) }
        let terminal = try #require(accepted.withLock { $0 })
        defer { try? terminal.close() }
        #expect(try sandbox.runtimeCommand("start", id).status == .exited(0))
        try terminal.writeAll("lunchbox\n")
        var output = ""
        for _ in 0..<50 {
            guard !output.contains("got lunchbox") else { break }
            var poller = pollfd(fd: terminal.rawValue, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 100) > 0, let bytes = try? terminal.read(upTo: 4096) { output += String(decoding: bytes, as: UTF8.self) }
        }
        let lines = output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.contains("/dev/pts/0"))
        #expect(lines.contains("40 132"))
        #expect(lines.contains("got lunchbox"))
    }
}
