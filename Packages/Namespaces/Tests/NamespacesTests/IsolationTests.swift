import Foundation
import Glibc
import Syscalls
import Testing
@testable import Namespaces

@Suite("Namespaces, one at a time", .enabled(if: isRoot && hasBusybox, "needs root and busybox-static"))
struct IsolationTests {
    @Test("each new namespace has its own /proc/PID/ns entry; the others are the host's",
          arguments: [Namespace.uts, .ipc, .pid, .mount, .network, .user, .cgroup])
    func ownNamespace(kind: Namespace) throws {
        try withScratchPath { path in
            _ = try Rootfs.build(at: path, owner: kind == .user ? (100000, 100000) : nil)
            let created = try Created(configuration("true", rootfs: kind == .mount ? path : nil, [kind]))
            let pid = created.process.pid.rawValue
            for other in [Namespace.uts, .ipc, .network, .user, .cgroup, .mount] {
                let same = try other.identity(of: pid) == other.identity(of: getpid())
                #expect(same == (other != kind), "\(other.procName) namespace")
            }
            // A new PID namespace shows in pid_for_children of the creator; init itself is in it.
            #expect(try created.finish().status == .exited(0))
        }
    }

    @Test("UTS: the container has its own hostname, the host keeps its own")
    func uts() throws {
        let host = try Hostname.get()
        let (status, output) = try runInRootfs("hostname", [.uts, .mount]) { $0.hostname = "lunchbox" }
        #expect(status == .exited(0))
        #expect(output == "lunchbox\n")
        #expect(try Hostname.get() == host)
    }

    @Test("IPC: a System V segment of the host is invisible inside")
    func ipc() throws {
        let segment = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0o600)
        #expect(segment >= 0)
        defer { shmctl(segment, IPC_RMID, nil) }
        let hostLines = try String(contentsOfFile: "/proc/sysvipc/shm", encoding: .utf8).split(separator: "\n").count
        #expect(hostLines >= 2)
        let (status, output) = try runInRootfs("wc -l < /proc/sysvipc/shm", [.ipc, .pid, .mount])
        #expect(status == .exited(0))
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "1")  // the header only
    }

    @Test("PID: the command is PID 1 and host processes are invisible")
    func pid() throws {
        let (status, output) = try runInRootfs("echo $$; ls /proc | grep -E '^[0-9]+$' | wc -l", [.pid, .mount])
        #expect(status == .exited(0))
        let lines = output.split(separator: "\n")
        #expect(lines.first == "1")
        #expect(Int(lines.last ?? "") ?? 99 <= 4)  // sh, ls, grep, wc at most
    }

    @Test("mount: host mounts are invisible inside; a fresh /proc, /dev and /sys are there")
    func mount() throws {
        let (status, output) = try runInRootfs("cat /proc/self/mounts; ls /dev", [.pid, .mount, .ipc])
        #expect(status == .exited(0))
        let mountPoints = output.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            return fields.count > 2 ? String(fields[1]) : nil
        }
        #expect(Set(mountPoints).isSuperset(of: ["/", "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"]))
        #expect(!mountPoints.contains { $0.hasPrefix("/work") || $0.hasPrefix("/tmp/") || $0 == "/sys/fs/cgroup" })
        for device in ["null", "zero", "full", "random", "urandom", "tty", "ptmx", "stdin", "fd"] {
            #expect(output.split(separator: "\n").contains(Substring(device)), "/dev/\(device)")
        }
    }

    @Test("network: only lo, and it is up")
    func network() throws {
        let (status, output) = try runInRootfs("ip -o link", [.network, .mount])
        #expect(status == .exited(0))
        let lines = output.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains(": lo: <LOOPBACK,UP,LOWER_UP>") == true)
    }

    @Test("user: root inside is 100000 outside, and files it creates belong to 100000")
    func user() throws {
        try withScratchPath { path in
            _ = try Rootfs.build(at: path, owner: (100000, 100000))
            let created = try Created(configuration("id -u; cat /proc/self/uid_map; touch /tmp/made-inside",
                                                    rootfs: path, [.user, .mount, .pid]))
            #expect(try hostUID(of: created.process.pid) == "100000")
            let (status, output) = try created.finish()
            #expect(status == .exited(0), "\(output)")
            let lines = output.split(separator: "\n")
            #expect(lines.first == "0")
            #expect(lines.dropFirst().first?.split(separator: " ") == ["0", "100000", "65536"])
            var info = stat()
            #expect(stat(path + "/tmp/made-inside", &info) == 0)
            #expect(info.st_uid == 100000 && info.st_gid == 100000)
        }
    }

    @Test("cgroup: the container's own cgroup is its root")
    func cgroup() throws {
        let (status, output) = try runInRootfs("cat /proc/self/cgroup", [.cgroup, .mount])
        #expect(status == .exited(0))
        let lines = output.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines { #expect(line.hasSuffix(":/"), "\(line)") }
    }

    @Test("all namespaces together, with a user namespace, behave like a container")
    func everything() throws {
        let (status, output) = try runInRootfs(
            "hostname; echo $$; id -u; ip -o link | wc -l; cat /proc/self/uid_map",
            [.uts, .ipc, .pid, .mount, .network, .user, .cgroup]) { $0.hostname = "dosirak" }
        #expect(status == .exited(0), "\(output)")
        let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(Array(lines.prefix(4)) == ["dosirak", "1", "0", "1"])
    }

    @Test("chapter 01's escape fails after pivot_root: .. stops at the container's root")
    func escapeFails() throws {
        try withScratchPath { path in
            _ = try Rootfs.build(at: path)
            let created = try Created(configuration("true", rootfs: path, [.pid, .mount]))
            let (status, output) = try Spawn(builtExecutable("namespaces-test-helper"),
                                             arguments: ["escape", "\(created.process.pid)"]).output(includeErrors: true)
            #expect(status == .exited(0))
            #expect(output == "bin dev etc home proc root run sbin sys tmp usr var\n")
            #expect(try created.finish().status == .exited(0))
        }
    }

    @Test("when the container ends, nothing is left: no process in its PID namespace, no zombie, no mount")
    func nothingLeft() throws {
        try withScratchPath { path in
            _ = try Rootfs.build(at: path)
            // The script leaves a background process behind; PID 1's exit must take it along.
            let created = try Created(configuration("sleep 30 & echo started", rootfs: path, [.pid, .mount, .ipc, .uts]))
            let identity = try Namespace.pid.identity(of: created.process.pid.rawValue)
            let pid = created.process.pid
            let (status, output) = try created.finish()
            #expect(status == .exited(0))
            #expect(output == "started\n")
            var left: [String] = []
            for _ in 0..<100 {  // the kernel kills the rest of the namespace as PID 1 exits
                left = processes(inPIDNamespace: identity)
                if left.isEmpty { break }
                usleep(10_000)
            }
            #expect(left.isEmpty, "still running: \(left)")
            #expect(!pid.exists, "init was not reaped")
            let leaked = try mountPoints().filter { $0.hasPrefix(path) }
            #expect(leaked.isEmpty)
        }
    }
}

@Suite("Namespaces, errors", .enabled(if: isRoot && hasBusybox, "needs root and busybox-static"))
struct IsolationErrorTests {
    @Test("a missing rootfs is refused before anything starts")
    func missingRootfs() throws {
        let config = configuration("true", rootfs: "/nonexistent/rootfs", [.mount])
        #expect(throws: IsolationError.configuration("rootfs /nonexistent/rootfs is not a directory")) {
            try Created(config)
        }
    }

    @Test("a command that does not exist fails with exit code 127 semantics and a clear message")
    func missingCommand() throws {
        try withScratchPath { path in
            _ = try Rootfs.build(at: path)
            var config = configuration("true", rootfs: path, [.pid, .mount])
            config.command = ["no-such-command"]
            do {
                _ = try Created(config)
                Issue.record("created")
            } catch let error as IsolationError {
                #expect(error == .commandNotFound("no-such-command"))
                #expect(error.exitCode == 127)
                #expect(error.description == "init: exec no-such-command: executable file not found in $PATH")
            }
            let leaked = try mountPoints().filter { $0.hasPrefix(path) }
            #expect(leaked.isEmpty)
        }
    }

    @Test("a uid map the kernel refuses is reported with the map and errno")
    func badMap() throws {
        var config = configuration("true", rootfs: nil, [.user])
        // More lines than the kernel accepts (340): our checks pass it, the kernel does not.
        config.uidMappings = (0..<341).map { IDMapping(containerID: UInt32($0), hostID: 100000 + UInt32($0), size: 1) }
        do {
            _ = try Created(config)
            Issue.record("created")
        } catch let error as IsolationError {
            guard case .idMap("uid map", _, "EINVAL") = error else { Issue.record("\(error)"); return }
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("an overlapping or empty map is refused before the kernel sees it")
    func invalidMap() throws {
        var config = configuration("true", rootfs: nil, [.user])
        config.uidMappings = [IDMapping(containerID: 0, hostID: 100000, size: 10),
                              IDMapping(containerID: 5, hostID: 200000, size: 10)]
        #expect(throws: IsolationError.idMap("uid map", "5 200000 10", "overlaps 0 100000 10")) { try Created(config) }
        config.uidMappings = [IDMapping(containerID: 0, hostID: 100000, size: 0)]
        #expect(throws: IsolationError.idMap("uid map", "0 100000 0", "size is 0")) { try Created(config) }
    }

    @Test("an unknown namespace path fails at setns, naming the path")
    func unknownNamespacePath() throws {
        var config = configuration("true", rootfs: nil, [])
        config.joinedNamespaces = [.init(kind: .network, path: "/proc/999999999/ns/net")]
        do {
            _ = try Created(config)
            Issue.record("created")
        } catch let error as IsolationError {
            #expect(error.description == "init: open namespace /proc/999999999/ns/net: ENOENT")
        }
    }

    @Test("a hostname without a UTS namespace is refused: it would rename the host")
    func hostnameWithoutUTS() throws {
        var config = configuration("true", rootfs: nil, [])
        config.hostname = "oops"
        #expect(throws: IsolationError.configuration("a hostname needs a UTS namespace (it would rename the host)")) {
            try Created(config)
        }
    }

    @Test("joining another process's network namespace by path works")
    func joinByPath() throws {
        var spawn = Spawn("/bin/sleep", arguments: ["10"])
        spawn.namespaces = [.network]
        let holder = try spawn.start()
        defer { try? holder.pid.send(.kill); _ = try? holder.wait() }
        var config = configuration("ip -o link | wc -l", rootfs: nil, [])
        config.joinedNamespaces = [.init(kind: .network, path: "/proc/\(holder.pid)/ns/net")]
        let created = try Created(config)
        #expect(try Namespace.network.identity(of: created.process.pid.rawValue) == Namespace.network.identity(of: holder.pid.rawValue))
        let (status, output) = try created.finish()
        #expect(status == .exited(0))
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }
}

@Suite("Namespaces, what later chapters add", .enabled(if: isRoot && hasBusybox, "needs root and busybox-static"))
struct IsolationAdditionTests {
    @Test("masked paths read as empty; read-only paths refuse writes; sysctls are set inside")
    func maskedReadonlySysctl() throws {
        let script = """
            wc -c < /proc/timer_list; ls /proc/acpi 2>/dev/null | wc -l
            (echo 1 > /proc/sys/kernel/domainname) 2>/dev/null && echo writable || echo refused
            cat /proc/sys/net/ipv4/ip_unprivileged_port_start
            """
        let (status, output) = try runInRootfs(script, [.pid, .mount, .network, .uts]) {
            $0.maskedPaths = ["/proc/timer_list", "/proc/acpi", "/proc/no-such-path"]
            $0.readonlyPaths = ["/proc/sys"]
            $0.sysctl = ["net.ipv4.ip_unprivileged_port_start": "80"]
        }
        #expect(status == .exited(0), "\(output)")
        #expect(output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) } == ["0", "0", "refused", "80"])
    }

    @Test("mount points under missing directories are made inside the rootfs; a symlink in the image cannot aim one at the host")
    func mountPointsInside() throws {
        let unique = "dosirak-mount-target-\(getpid())"
        let host = "/tmp/" + unique
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: host) }
        let script = "grep -o ' /deep/er/tmpfs \\| /tmp/\(unique)/x ' /proc/self/mountinfo"
        let (status, output) = try runInRootfs(script, [.pid, .mount]) { configuration in
            // /escape in the image points at the host's directory; inside the container the same
            // path names a directory of the rootfs.
            try? FileManager.default.createDirectory(atPath: configuration.rootfs! + host, withIntermediateDirectories: true)
            try? FileManager.default.createSymbolicLink(atPath: configuration.rootfs! + "/escape", withDestinationPath: host)
            configuration.mounts += [MountPoint(destination: "/deep/er/tmpfs", type: "tmpfs", source: "tmpfs"),
                                     MountPoint(destination: "/escape/x", type: "tmpfs", source: "tmpfs")]
        }
        #expect(status == .exited(0), "\(output)")
        #expect(output == " /deep/er/tmpfs \n /tmp/\(unique)/x \n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: host).isEmpty, "nothing was made on the host")
    }

    @Test("supplementary groups and the umask reach the command")
    func groupsAndUmask() throws {
        let (status, output) = try runInRootfs("id -G; umask", [.pid, .mount]) {
            $0.uid = 1000
            $0.gid = 1000
            $0.additionalGroups = [5, 6]
            $0.umask = 0o027
        }
        #expect(status == .exited(0), "\(output)")
        #expect(output == "1000 5 6\n0027\n")
    }

    @Test("after a hand-off, the command runs only once a reader opens the FIFO")
    func handOff() throws {
        try withScratchPath { path in
            _ = try Rootfs.build(at: path)
            let fifo = path + ".fifo"
            #expect(mkfifo(fifo, 0o600) == 0)
            defer { unlink(fifo) }
            var config = configuration("echo started", rootfs: path, [.pid, .mount])
            config.startFIFO = fifo
            let created = try Created(config)
            try created.process.handOff()
            // Init is blocked opening the FIFO: the command has printed nothing.
            usleep(100_000)
            #expect(try created.process.pid.waitIfEnded() == nil)
            let reader = try FileDescriptor.open(fifo)
            #expect(try reader.read(upTo: 1) == Array("0".utf8))
            try reader.close()
            #expect(String(decoding: try created.output.readAll(), as: UTF8.self) == "started\n")
            #expect(try created.process.wait() == .exited(0))
            try created.output.close()
        }
    }
}
