import Foundation
import Glibc
import Testing
@testable import Syscalls

@Suite("Spawn")
struct SpawnTests {
    @Test("a spawned program runs with the arguments and environment given")
    func argumentsAndEnvironment() throws {
        let spawn = Spawn("/bin/sh", arguments: ["-c", "echo \"$0 $GREETING\""], environment: ["GREETING=annyeong"])
        let (status, output) = try spawn.output()
        #expect(status == .exited(0))
        #expect(output == "/bin/sh annyeong\n")
    }

    @Test("the exit code comes back through wait")
    func exitCode() throws {
        let child = try Spawn("/bin/sh", arguments: ["-c", "exit 42"]).start()
        #expect(try child.wait() == .exited(42))
    }

    @Test("a program that does not exist fails at exec with ENOENT")
    func missingProgram() throws {
        #expect(throws: SpawnError(executable: "/nonexistent/program", workingDirectory: nil, stage: .exec,
                                   errno: .noSuchFileOrDirectory)) {
            try Spawn("/nonexistent/program").start()
        }
        let error = SpawnError(executable: "/x", workingDirectory: nil, stage: .exec, errno: .noSuchFileOrDirectory)
        #expect(error.description == "spawn /x: exec: ENOENT")
    }

    @Test("a missing working directory fails at chdir, naming it")
    func missingWorkingDirectory() throws {
        var spawn = Spawn("/bin/true")
        spawn.workingDirectory = "/nonexistent/dir"
        do {
            _ = try spawn.start()
            Issue.record("spawn succeeded")
        } catch let error as SpawnError {
            #expect(error.stage == .workingDirectory)
            #expect(error.description == "spawn /bin/true: chdir /nonexistent/dir: ENOENT")
        }
    }

    @Test("the working directory is set")
    func workingDirectory() throws {
        var spawn = Spawn("/bin/pwd")
        spawn.workingDirectory = "/proc"
        #expect(try spawn.output().output == "/proc\n")
    }

    @Test("only the descriptors in the map reach the child, at the numbers asked for")
    func descriptorMap() throws {
        let (read, write) = try FileDescriptor.pipe()
        // A descriptor opened the careless way, without O_CLOEXEC, as other code might.
        let leaky = open("/proc/self/status", O_RDONLY)
        #expect(leaky >= 0)
        defer { close(leaky); try? read.close(); try? write.close() }

        var spawn = Spawn("/bin/sleep", arguments: ["10"])
        spawn.fileDescriptors = [0: .standardInput, 1: .standardOutput, 2: .standardError, 5: write, 7: read]
        let child = try spawn.start()
        defer { try? child.pid.send(.kill); _ = try? child.wait() }
        // While sleep starts, the dynamic loader and setlocale hold files open for a moment as fd 3
        // (ci-12 caught one);
        // an inherited descriptor would never go away, so wait for the set to settle.
        var descriptors = try openDescriptors(of: child.pid)
        for _ in 0..<100 {
            guard descriptors != [0, 1, 2, 5, 7] else { break }
            usleep(10_000)
            descriptors = try openDescriptors(of: child.pid)
        }
        #expect(descriptors == [0, 1, 2, 5, 7])
        // fd 5 in the child is our pipe: same inode as our write end.
        let theirs = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child.pid)/fd/5")
        let ours = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(write.rawValue)")
        #expect(theirs == ours)
    }

    @Test("descriptors can be swapped: the child's 1 and 2 exchanged")
    func swappedDescriptors() throws {
        let (outRead, outWrite) = try FileDescriptor.pipe()
        let (errRead, errWrite) = try FileDescriptor.pipe()
        var spawn = Spawn("/bin/sh", arguments: ["-c", "echo out; echo err >&2"])
        spawn.fileDescriptors = [1: errWrite, 2: outWrite]
        let child = try spawn.start()
        try outWrite.close()
        try errWrite.close()
        #expect(String(decoding: try outRead.readAll(), as: UTF8.self) == "err\n")
        #expect(String(decoding: try errRead.readAll(), as: UTF8.self) == "out\n")
        try outRead.close()
        try errRead.close()
        #expect(try child.wait() == .exited(0))
    }

    @Test("a child in a new UTS namespace sets its own hostname; ours stays", .enabled(if: isRoot, "needs root"))
    func newUTSNamespace() throws {
        let host = try Hostname.get()
        var spawn = Spawn("/bin/sh", arguments: ["-c", "hostname dosirak-child && hostname"])
        spawn.namespaces = [.uts]
        let (status, output) = try spawn.output(includeErrors: true)
        #expect(status == .exited(0))
        #expect(output == "dosirak-child\n")
        #expect(try Hostname.get() == host)
    }

    @Test("a child in new namespaces has different /proc/PID/ns entries", .enabled(if: isRoot, "needs root"))
    func namespaceIdentities() throws {
        var spawn = Spawn("/bin/sleep", arguments: ["10"])
        spawn.namespaces = [.uts, .ipc, .network]
        let child = try spawn.start()
        defer { try? child.pid.send(.kill); _ = try? child.wait() }
        for kind in [Namespace.uts, .ipc, .network] {
            #expect(try kind.identity(of: child.pid.rawValue) != kind.identity(of: getpid()), "\(kind)")
        }
        #expect(try Namespace.mount.identity(of: child.pid.rawValue) == Namespace.mount.identity(of: getpid()))
    }

    @Test("the first process in a new PID namespace is PID 1", .enabled(if: isRoot, "needs root"))
    func pidNamespace() throws {
        var spawn = Spawn("/bin/sh", arguments: ["-c", "echo $$"])
        spawn.namespaces = [.pid]
        #expect(try spawn.output().output == "1\n")
    }

    @Test("a new session makes the child its own session leader")
    func newSession() throws {
        var spawn = Spawn("/bin/sleep", arguments: ["10"])
        spawn.newSession = true
        let child = try spawn.start()
        defer { try? child.pid.send(.kill); _ = try? child.wait() }
        let stat = try String(contentsOfFile: "/proc/\(child.pid)/stat", encoding: .utf8)
        // Fields after the ")" of the command name: state ppid pgrp session ...
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        #expect(fields[2] == "\(child.pid)")  // process group
        #expect(fields[3] == "\(child.pid)")  // session
    }

    @Test("the parent-death signal is set in the child before exec")
    func parentDeathSignal() throws {
        var spawn = Spawn(helperPath, arguments: ["pdeathsig"])
        spawn.parentDeathSignal = .kill
        #expect(try spawn.output().output == "SIGKILL\n")
        #expect(try helper("pdeathsig") == "none")
    }

    @Test("signals ignored by the parent are back to default in the child")
    func signalDispositions() throws {
        let previous = signal(SIGHUP, SIG_IGN)
        defer { signal(SIGHUP, previous) }
        // SigIgn in /proc/PID/status is a hex mask of ignored signals; SIGHUP is bit 0.
        let (_, output) = try Spawn("/bin/sh", arguments: ["-c", "grep SigIgn /proc/self/status"]).output()
        let mask = UInt64(output.split(separator: "\t").last!.trimmingCharacters(in: .whitespacesAndNewlines), radix: 16)!
        #expect(mask & 1 == 0)
    }

    @Test("a child started into a cgroup v2 directory is in it from the start",
          .enabled(if: isRoot && FileManager.default.fileExists(atPath: cgroup2Root + "/cgroup.procs"),
                   "needs root and a cgroup v2 mount"))
    func intoCgroup() throws {
        let name = "dosirak-spawn-\(UUID().uuidString.prefix(8))"
        let path = cgroup2Root + "/" + name
        try FileSystem.makeDirectory(path)
        defer { rmdir(path) }
        let dir = try FileDescriptor.open(path, options: [.directory, .path])
        defer { try? dir.close() }
        var spawn = Spawn("/bin/cat", arguments: ["/proc/self/cgroup"])
        spawn.cgroup = dir
        let (status, output) = try spawn.output()
        #expect(status == .exited(0))
        #expect(output.split(separator: "\n").contains { $0.hasPrefix("0::") && $0.hasSuffix("/" + name) })
    }
}

/// Where this machine mounts cgroup v2: /sys/fs/cgroup (unified) or /sys/fs/cgroup/unified (hybrid).
let cgroup2Root: String = {
    let mounts = (try? procText("/proc/self/mounts")) ?? ""
    for line in mounts.split(separator: "\n") {
        let fields = line.split(separator: " ")
        if fields.count > 2 && fields[2] == "cgroup2" { return String(fields[1]) }
    }
    return "/sys/fs/cgroup"
}()

@Suite("Spawn, held until released")
struct HeldSpawnTests {
    @Test("a held child has not exec'd until released")
    func held() throws {
        var spawn = Spawn("/bin/sh", arguments: ["-c", "echo released"])
        spawn.holdUntilReleased = true
        let (read, write) = try FileDescriptor.pipe()
        spawn.fileDescriptors[1] = write
        let child = try spawn.start()
        try write.close()
        // Still a copy of this test runner: /proc/PID/exe is our own executable.
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child.pid)/exe")
        let ours = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        #expect(exe == ours)
        try child.release()
        #expect(String(decoding: try read.readAll(), as: UTF8.self) == "released\n")
        try read.close()
        #expect(try child.wait() == .exited(0))
    }

    @Test("an abandoned held child exits without exec and is reaped")
    func abandoned() throws {
        var spawn = Spawn("/bin/sleep", arguments: ["10"])
        spawn.holdUntilReleased = true
        let child = try spawn.start()
        child.abandon()
        #expect(!child.pid.exists)
    }

    @Test("credentials are taken before exec", .enabled(if: isRoot, "setresuid needs root"))
    func credentials() throws {
        var spawn = Spawn("/bin/sh", arguments: ["-c", "id -u; id -g; id -G"])
        spawn.credentials = (uid: 65534, gid: 65534)
        #expect(try spawn.output().output == "65534\n65534\n65534\n")
    }

    /// A flag and a count shared by the threads of `credentialsWhileThreadsComeAndGo`.
    final class Shared: @unchecked Sendable {
        let lock = Lock()
        var stop = false
        var spawned = 0
        var failure: String?
    }

    @Test("credentials are taken while other threads start and end (glibc's setgroups in the child would wait for them forever)",
          .enabled(if: isRoot, "setresuid needs root"))
    func credentialsWhileThreadsComeAndGo() throws {
        let shared = Shared()
        // Two threads that keep starting and joining threads: at the moment of the clone,
        // one of them is often half-made, which is what glibc's set*id calls wait for.
        let churners = try (0..<2).map { _ in
            try PosixThread.start {
                while !shared.lock.withLock({ shared.stop }) {
                    try? PosixThread.start {}.join()
                }
            }
        }
        let spawner = try PosixThread.start {
            for _ in 0..<300 {
                var spawn = Spawn("/bin/true")
                spawn.credentials = (uid: 65534, gid: 65534)
                do {
                    let status = try spawn.start().wait()
                    if status != .exited(0) { shared.lock.withLock { shared.failure = "status \(status)" }; break }
                } catch {
                    shared.lock.withLock { shared.failure = "\(error)" }
                    break
                }
                shared.lock.withLock { shared.spawned += 1 }
            }
        }
        // 300 spawns take about a second; a child stuck before exec would hold start() forever,
        // so after 30 s its children are killed (start() then fails) and the test fails.
        var waited = 0
        while shared.lock.withLock({ shared.spawned < 300 && shared.failure == nil }) && waited < 300 {
            usleep(100_000)
            waited += 1
        }
        let stuck = waited >= 300
        if stuck {
            let me = getpid()  // kill our children: the spawner's stuck child among them
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let pid = Int32(entry),
                      let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                      let fields = stat.split(separator: ")").last?.split(separator: " "),
                      fields.count > 2, Int32(fields[1]) == me else { continue }
                kill(pid, SIGKILL)
            }
        }
        spawner.join()
        shared.lock.withLock { shared.stop = true }
        for churner in churners { churner.join() }
        #expect(stuck == false, "a child hung before exec after \(shared.spawned) spawns")
        #expect(shared.failure == nil)
        #expect(shared.spawned == 300)
    }

    @Test("in a new user namespace, written maps and uid 0 keep the namespace's capabilities",
          .enabled(if: isRoot, "needs root"))
    func userNamespace() throws {
        var spawn = Spawn("/bin/sh", arguments: ["-c", "cat /proc/self/uid_map; grep CapEff /proc/self/status; id -u"])
        spawn.namespaces = [.user]
        spawn.holdUntilReleased = true
        spawn.credentials = (uid: 0, gid: 0)
        let (read, write) = try FileDescriptor.pipe()
        spawn.fileDescriptors[1] = write
        let child = try spawn.start()
        try write.close()
        for file in ["uid_map", "gid_map"] {
            let fd = try FileDescriptor.open("/proc/\(child.pid)/\(file)", .writeOnly)
            try fd.writeAll("0 100000 65536\n")
            try fd.close()
        }
        try child.release()
        let lines = String(decoding: try read.readAll(), as: UTF8.self).split(separator: "\n")
        try read.close()
        #expect(try child.wait() == .exited(0))
        #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["0", "100000", "65536"])
        let effective = UInt64(lines[1].split(separator: "\t").last!, radix: 16)!
        #expect(effective == (1 << (UInt64(Capability.all().count))) - 1)
        #expect(lines.last == "0")
        // The host sees the process as 100000.
    }
}

@Suite("Spawn, restricted before exec")
struct RestrictedSpawnTests {
    @Test("no_new_privs and a seccomp filter are in place when the program starts")
    func seccompBeforeExec() throws {
        // Allow everything but chdir (x86_64: 80, arm64: 49), which fails with EPERM.
        #if arch(x86_64)
        let chdirNumber: UInt32 = 80
        #else
        let chdirNumber: UInt32 = 49
        #endif
        let program: [Seccomp.Instruction] = [
            .init(code: 0x20, jt: 0, jf: 0, k: 0),
            .init(code: 0x15, jt: 0, jf: 1, k: chdirNumber),
            .init(code: 0x06, jt: 0, jf: 0, k: 0x0005_0000 | UInt32(EPERM)),
            .init(code: 0x06, jt: 0, jf: 0, k: 0x7fff_0000),
        ]
        var spawn = Spawn("/bin/sh", arguments: ["-c", "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status; cd /tmp 2>&1 || echo refused"])
        spawn.noNewPrivileges = true
        spawn.seccompFilter = program
        let output = try spawn.output(includeErrors: true).output
        #expect(output.contains("NoNewPrivs:\t1"))
        #expect(output.contains("Seccomp:\t2"))
        #expect(output.contains("refused"))
    }
}
