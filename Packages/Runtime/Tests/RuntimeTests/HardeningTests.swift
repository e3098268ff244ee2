import Foundation
import Glibc
import Syscalls
import Testing
@testable import Runtime

/// Makes the test helper runnable inside a container: the host's libraries and Swift
/// runtime, and the helper's own directory, bind-mounted read-only at the same paths.
func mountHelper(into sandbox: Sandbox) throws {
    let helperDirectory = URL(fileURLWithPath: builtExecutable("runtime-test-helper")).deletingLastPathComponent().path
    for path in ["/usr/lib", "/usr/lib64", "/opt/swift/usr/lib", helperDirectory] where FileManager.default.fileExists(atPath: path) {
        sandbox.spec.mounts?.append(Spec.Mount(destination: path, type: "bind", source: path, options: ["rbind", "ro"]))
    }
    for (link, target) in [("/lib", "usr/lib"), ("/lib64", "usr/lib64")] where !FileManager.default.fileExists(atPath: sandbox.file(link)) {
        try FileManager.default.createSymbolicLink(atPath: sandbox.file(link), withDestinationPath: target)
    }
    try sandbox.save()
}

@Suite("Hardening, seen from inside the container", .enabled(if: canRunContainers, "needs root and busybox-static"))
struct HardeningTests {
    @Test("the default capabilities in every set, no_new_privs, and seccomp in filter mode")
    func status() throws {
        let sandbox = try Sandbox("grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status")
        let (status, output) = try sandbox.runtimeCommand("run", "--bundle", sandbox.bundle, "s-\(sandbox.tag)")
        #expect(status == .exited(0), "\(output)")
        let fields = Dictionary(uniqueKeysWithValues: output.split(separator: "\n").map {
            let parts = $0.split(separator: "\t")
            return (String(parts[0].dropLast()), String(parts.last!))
        })
        let docker = String(CapabilitySet(Spec.dockerCapabilities.map { Capability(name: $0)! }).rawValue, radix: 16)
        let padded = String(repeating: "0", count: 16 - docker.count) + docker
        #expect(fields["CapEff"] == padded)
        #expect(fields["CapPrm"] == padded)
        #expect(fields["CapBnd"] == padded)
        #expect(fields["CapInh"] == "0000000000000000")
        #expect(fields["CapAmb"] == "0000000000000000")
        #expect(fields["NoNewPrivs"] == "1")
        #expect(fields["Seccomp"] == "2")
    }

    @Test("keyctl, unshare of a user namespace, mount, bpf and kexec are refused inside")
    func forbiddenCalls() throws {
        let sandbox = try Sandbox()
        let helper = builtExecutable("runtime-test-helper")
        sandbox.spec.process?.args = [helper, "seccomp-probe", "none", "getpid", "keyctl", "unshare-user", "mount", "bpf", "kexec_load"]
        try mountHelper(into: sandbox)
        let (status, output) = try sandbox.runtimeCommand("run", "--bundle", sandbox.bundle, "f-\(sandbox.tag)")
        #expect(status == .exited(0), "\(output)")
        #expect(output == "getpid ok\nkeyctl EPERM\nunshare-user EPERM\nmount EPERM\nbpf EPERM\nkexec_load EPERM\n")
    }

    @Test("busybox finds the same: no user namespace, no mount, /proc/sys read-only, /proc/keys masked")
    func fromTheShell() throws {
        let sandbox = try Sandbox("""
            unshare -U true 2>/dev/null && echo unshare-allowed || echo unshare-refused
            mount -t tmpfs none /mnt 2>/dev/null && echo mount-allowed || echo mount-refused
            (echo x > /proc/sys/kernel/domainname) 2>/dev/null && echo sys-writable || echo sys-readonly
            wc -c < /proc/keys
            cat /proc/sys/kernel/ostype
            """)
        let (status, output) = try sandbox.runtimeCommand("run", "--bundle", sandbox.bundle, "b-\(sandbox.tag)")
        #expect(status == .exited(0), "\(output)")
        #expect(output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                == ["unshare-refused", "mount-refused", "sys-readonly", "0", "Linux"])
    }

    @Test("the container's process holds descriptors 0, 1 and 2, and nothing else")
    func onlyStandardDescriptors() throws {
        let sandbox = try Sandbox("exec sleep 30")
        let id = "d-\(sandbox.tag)"
        try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, id)
        try sandbox.runtimeCommand("start", id)
        let pid = try sandbox.state(id).pid
        var fds: [String] = []
        for _ in 0..<100 {  // until init has exec'd sleep
            if (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) == "sleep\n" { break }
            usleep(10_000)
        }
        fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").sorted()
        #expect(fds == ["0", "1", "2"])
    }

    @Test("a minimal /dev: the standard nodes and links, pts, shm and mqueue, and nothing of the host's")
    func minimalDev() throws {
        let sandbox = try Sandbox("echo $(ls /dev); ls -l /dev/null | cut -c1")
        let (status, output) = try sandbox.runtimeCommand("run", "--bundle", sandbox.bundle, "v-\(sandbox.tag)")
        #expect(status == .exited(0), "\(output)")
        let lines = output.split(separator: "\n")
        #expect(lines.first?.split(separator: " ").sorted() ==
                ["fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"])
        #expect(lines.last == "c")
    }

    @Test("ambient capabilities are raised when inheritable too, and left out without failing when not (runc spec's bundles)")
    func ambientCapabilities() throws {
        let sandbox = try Sandbox("grep -E '^(CapInh|CapAmb):' /proc/self/status")
        let three = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        // What `runc spec` writes: ambient, but nothing inheritable.
        sandbox.spec.process?.capabilities = Spec.Capabilities(bounding: three, effective: three, inheritable: nil,
                                                               permitted: three, ambient: three)
        try sandbox.save()
        var (status, output) = try sandbox.runtimeCommand("run", "--bundle", sandbox.bundle, "a1-\(sandbox.tag)")
        #expect(status == .exited(0), "\(output)")
        #expect(output == "CapInh:\t0000000000000000\nCapAmb:\t0000000000000000\n")
        sandbox.spec.process?.capabilities?.inheritable = ["CAP_KILL"]
        try sandbox.save()
        (status, output) = try sandbox.runtimeCommand("run", "--bundle", sandbox.bundle, "a2-\(sandbox.tag)")
        #expect(status == .exited(0), "\(output)")
        // CAP_KILL is capability 5.
        #expect(output == "CapInh:\t0000000000000020\nCapAmb:\t0000000000000020\n")
    }

    @Test("a user other than root runs with no capabilities, in its working directory")
    func userAndWorkingDirectory() throws {
        let sandbox = try Sandbox("id -u; id -g; pwd; grep CapEff /proc/self/status")
        sandbox.spec.process?.user = Spec.User(uid: 1000, gid: 1000)
        sandbox.spec.process?.cwd = "/tmp"
        try sandbox.save()
        let (status, output) = try sandbox.runtimeCommand("run", "--bundle", sandbox.bundle, "u-\(sandbox.tag)")
        #expect(status == .exited(0), "\(output)")
        #expect(output == "1000\n1000\n/tmp\nCapEff:\t0000000000000000\n")
    }

    @Test("a working directory that does not exist is refused at create, naming it")
    func missingWorkingDirectory() throws {
        let sandbox = try Sandbox()
        sandbox.spec.process?.cwd = "/no/such/dir"
        try sandbox.save()
        let (status, output) = try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, "w-\(sandbox.tag)")
        #expect(status == .exited(1))
        #expect(output == "dosirak-runtime: init: chdir /no/such/dir: ENOENT\n")
    }

    @Test("a seccomp profile from config.json is honoured as given")
    func customSeccomp() throws {
        let sandbox = try Sandbox("mkdir /tmp/x 2>&1; echo done")
        sandbox.spec.linux?.seccomp = Spec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            Spec.Seccomp.Syscall(names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: UInt32(EROFS)),
        ])
        try sandbox.save()
        let (status, output) = try sandbox.runtimeCommand("run", "--bundle", sandbox.bundle, "c-\(sandbox.tag)")
        #expect(status == .exited(0), "\(output)")
        #expect(output == "mkdir: can't create directory '/tmp/x': Read-only file system\ndone\n")
    }
}

@Suite("OCI hooks", .enabled(if: canRunContainers, "needs root and busybox-static"))
struct HookTests {
    /// A hook that appends its name, and the status and PID from the State on its stdin, to `log`.
    func hook(_ name: String, log: String) -> Spec.Hook {
        Spec.Hook(path: "/bin/sh", args: ["sh", "-c", """
            s=$(cat); st=${s#*\\"status\\":\\"}; st=${st%%\\"*}; p=${s#*\\"pid\\":}; p=${p%%,*}
            echo "\(name) $st $([ "$p" -gt 0 ] && echo pid || echo nopid)" >> \(log)
            """])
    }

    @Test("all six hooks run at their points, in order, with the container's State on stdin")
    func order() throws {
        // The command outlives the poststart hook, which must see it running (with `true`
        // the hook, under load, found it already stopped).
        let sandbox = try Sandbox("sleep 0.5")
        let hostLog = sandbox.directory + "/hooks.log"
        var hooks = Spec.Hooks()
        hooks.prestart = [hook("prestart", log: hostLog)]
        hooks.createRuntime = [hook("createRuntime", log: hostLog)]
        hooks.createContainer = [hook("createContainer", log: hostLog)]   // before pivot_root: host paths still visible
        hooks.startContainer = [hook("startContainer", log: "/tmp/hooks.log")]  // inside the container's tree
        hooks.poststart = [hook("poststart", log: hostLog)]
        hooks.poststop = [hook("poststop", log: hostLog)]
        sandbox.spec.hooks = hooks
        try sandbox.save()
        let id = "h-\(sandbox.tag)"
        #expect(try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, id).status == .exited(0))
        #expect(try String(contentsOfFile: hostLog, encoding: .utf8)
                == "prestart creating pid\ncreateRuntime creating pid\ncreateContainer creating pid\n")
        #expect(try sandbox.runtimeCommand("start", id).status == .exited(0))
        #expect(sandbox.waitFor(sandbox.file("/tmp/hooks.log")))
        #expect(try String(contentsOfFile: sandbox.file("/tmp/hooks.log"), encoding: .utf8) == "startContainer creating pid\n")
        for _ in 0..<200 { guard try sandbox.state(id).status != .stopped else { break }; usleep(10_000) }
        sandbox.reapAdopted()
        #expect(try sandbox.runtimeCommand("delete", id).status == .exited(0))
        let lines = try String(contentsOfFile: hostLog, encoding: .utf8).split(separator: "\n")
        #expect(lines.suffix(2) == ["poststart running pid", "poststop stopped nopid"])
    }

    @Test("a failing createRuntime hook fails create with its output, and nothing is left")
    func failingHook() throws {
        let sandbox = try Sandbox("true")
        var hooks = Spec.Hooks()
        hooks.createRuntime = [Spec.Hook(path: "/bin/sh", args: ["sh", "-c", "echo no network for you; exit 3"])]
        sandbox.spec.hooks = hooks
        try sandbox.save()
        let id = "hf-\(sandbox.tag)"
        let (status, output) = try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, id)
        #expect(status == .exited(1))
        #expect(output == "dosirak-runtime: hook: /bin/sh exited with code 3: no network for you\n")
        #expect(!FileManager.default.fileExists(atPath: sandbox.root + "/" + id))
    }

    @Test("a hook that outlives its timeout is killed and fails the operation")
    func timeout() throws {
        let sandbox = try Sandbox("true")
        var hooks = Spec.Hooks()
        hooks.prestart = [Spec.Hook(path: "/bin/sleep", args: ["sleep", "30"], timeout: 1)]
        sandbox.spec.hooks = hooks
        try sandbox.save()
        let (status, output) = try sandbox.runtimeCommand("create", "--bundle", sandbox.bundle, "ht-\(sandbox.tag)")
        #expect(status == .exited(1))
        #expect(output == "dosirak-runtime: hook: /bin/sleep: timed out after 1 s\n")
    }
}
