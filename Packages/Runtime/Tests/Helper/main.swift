// runtime-test-helper: runs one scenario that needs a process of its own (a single thread,
// or a change such as a seccomp filter that must not touch the test runner), and prints
// what the kernel said.
// Usage: runtime-test-helper SCENARIO [ARGUMENTS...]
import Foundation
import Glibc
import Relay
import Runtime
import Syscalls

func run(_ scenario: String, _ arguments: [String]) throws {
    switch scenario {
    case "seccomp-probe":
        // seccomp-probe PROFILE PROBE...: install PROFILE after no_new_privs, then try each
        // probe and print "PROBE RESULT" (RESULT is "ok" or the errno the kernel returned).
        try installSeccomp(profile: arguments[0])
        for probe in arguments.dropFirst() {
            // Unbuffered, so what was printed survives a probe that gets the helper killed.
            try FileDescriptor.standardOutput.writeAll("\(probe) \(try seccompProbe(probe))\n")
        }

    case "seccomp-exec":
        // seccomp-exec PROFILE PROGRAM [ARGUMENTS...]: install PROFILE, then become PROGRAM.
        try installSeccomp(profile: arguments[0])
        try CurrentProcess.exec(arguments[1], arguments: Array(arguments.dropFirst()),
                                environment: CurrentProcess.environment())

    case "relay-exit":
        // relay-exit RELAY FILE: hands a child (`echo out; exit 3`, its output on a pipe) to
        // dosirak-relay as a monitor does, with an attach socket (FILE.sock) and a log
        // (FILE.log); the exit command lists the descriptors it was left with on stdout.
        let (output, outputWrite) = try FileDescriptor.pipe()
        let null = try FileDescriptor.open("/dev/null", .readWrite)
        var spawn = Spawn("/bin/sh", arguments: ["-c", "echo out; exit 3"])
        spawn.fileDescriptors = [0: null, 1: outputWrite, 2: outputWrite]
        let child = try spawn.start()
        try outputWrite.close()
        try null.close()
        let relay = Relay(initProcess: child.pid, initHandle: child.descriptor, outputs: [(output, "stdout")],
                          input: nil, terminal: nil, listener: try FileDescriptor.listen(unixSocket: arguments[1] + ".sock"),
                          socketPath: arguments[1] + ".sock", log: try JSONFileLog(path: arguments[1] + ".log"))
        for fd in relay.descriptors { try fd.setCloseOnExec(false) }
        let exitCommand = ["/bin/sh", "-c", "exec ls /proc/self/fd", "exit-command"]
        try CurrentProcess.exec(arguments[0], arguments: [arguments[0]] + relay.arguments(exitCommand: exitCommand),
                                environment: [])

    case "init":
        // The container init, for containers this helper creates itself (cycles).
        RuntimeInit.main()

    case "monitor":
        // monitor OPTIONS-JSON: supervise a container, reporting to the launcher on fd 3.
        // With a relay, the relay runs this same command line again at the exit, with its report.
        let options = try JSONDecoder().decode(MonitorOptions.self, from: Data(arguments[0].utf8))
        var monitorOptions = options
        monitorOptions.initArguments = ["init"]
        monitorOptions.exitCommand = [try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), "monitor", arguments[0]]
        let report = Relay.Report(arguments: Array(arguments.dropFirst()))
        Monitor.run(monitorOptions, control: report == nil ? FileDescriptor(rawValue: 3) : nil, callbacks: .init(),
                    relayed: report)

    case "cycles":
        // cycles N BUNDLE ROOT: N times create, start, wait and delete a container, in this
        // one process; print what the kernel shows before and after (descriptors, mounts,
        // cgroup directories, children, state directories), which must be equal.
        let count = Int(arguments[0])!, bundle = arguments[1], root = arguments[2]
        let store = ContainerStore(root: root)
        let before = snapshot(root: root, bundle: bundle)
        for index in 0..<count {
            var options = Container.CreateOptions(bundle: bundle)
            options.initArguments = ["init"]
            let quiet = try FileDescriptor.open("/dev/null", .readWrite)
            options.stdio = [0: quiet, 1: quiet, 2: quiet]
            let id = "cycle-\(getpid())-\(index)"
            let attached = try Container.create(id: id, options: options, store: store)
            try quiet.close()
            var container = attached.container
            try container.start()
            _ = try attached.process.wait()
            try container.delete()
        }
        let after = snapshot(root: root, bundle: bundle)
        print("before \(before)")
        print("after \(after)")

    default:
        throw Errno.invalidArgument
    }
}

/// Counts of what a container could leave behind, as the kernel reports them.
/// Mounts count only if they mention the bundle or these containers: other tests, running at
/// the same time, mount and unmount things of their own.
func snapshot(root: String, bundle: String) -> String {
    let fds = ((try? FileSystem.entries(of: "/proc/self/fd")) ?? []).count
    let mounts = ((try? procText("/proc/self/mountinfo")) ?? "").split(separator: "\n")
        .filter { $0.contains(bundle) || $0.contains("cycle-\(getpid())") }.count
    var cgroups = 0
    for hierarchy in ((try? FileSystem.entries(of: "/sys/fs/cgroup")) ?? []).map(\.name) {
        let entries = (try? FileSystem.entries(of: "/sys/fs/cgroup/\(hierarchy)/dosirak")) ?? []
        cgroups += entries.filter { $0.kind == .directory && $0.name.hasPrefix("cycle-\(getpid())") }.count
    }
    var children = 0
    for entry in (try? FileSystem.entries(of: "/proc")) ?? [] where Int(entry.name) != nil {
        let stat = (try? String(contentsOfFile: "/proc/\(entry.name)/stat", encoding: .utf8)) ?? ""
        if let close = stat.lastIndex(of: ")"), stat[stat.index(after: close)...].split(separator: " ").dropFirst().first == Substring(String(getpid())) {
            children += 1
        }
    }
    let states = ((try? FileSystem.entries(of: root)) ?? []).filter { $0.kind == .directory }.count
    return "fds=\(fds) mounts=\(mounts) cgroups=\(cgroups) children=\(children) states=\(states)"
}

// MARK: - Seccomp

/// Docker's default capabilities, the set a container gets unless told otherwise.
let defaultCapabilities: Set<String> = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
]

/// PROFILE is "none", "docker-default" (for the default capabilities),
/// "docker-default+CAP_A,CAP_B" (those added), or a `linux.seccomp` object as JSON.
func installSeccomp(profile: String) throws {
    try CurrentProcess.setNoNewPrivileges()
    guard profile != "none" else { return }
    let spec: Spec.Seccomp
    if profile.hasPrefix("docker-default") {
        let added = profile.split(separator: "+").dropFirst().flatMap { $0.split(separator: ",") }.map(String.init)
        spec = SeccompProfile.dockerDefault(capabilities: defaultCapabilities.union(added))
    } else {
        spec = try JSONDecoder().decode(Spec.Seccomp.self, from: Data(profile.utf8))
    }
    try SeccompCompiler.compile(spec).install()
}

/// glibc's `syscall(3)`, for calls glibc has no wrapper for (keyctl, bpf, kexec_load). Swift
/// does not import C variadic functions; on x86_64 and aarch64 Linux a variadic call passes
/// integer arguments in the same registers as a plain one, so the symbol is called as plain.
typealias SyscallFunction = @convention(c) (Int, Int, Int, Int, Int, Int, Int) -> Int
let syscallFunction = unsafeBitCast(dlsym(dlopen(nil, RTLD_NOW), "syscall"), to: SyscallFunction.self)

/// Makes system call `name` with up to six raw 64-bit arguments; "ok" or the errno's name.
func rawCall(_ name: String, _ arguments: [UInt64] = [], numberOffset: UInt32 = 0) throws -> String {
    guard let number = SeccompArchitecture.current.number(of: name) else { throw Errno.invalidArgument }
    let a = (arguments + Array(repeating: 0, count: 6)).map { Int(bitPattern: UInt($0)) }
    let result = syscallFunction(Int(number + numberOffset), a[0], a[1], a[2], a[3], a[4], a[5])
    return result == -1 ? Errno.current.name : "ok"
}

/// "ok" when `result` is not -1, else the errno's name (read right after the call).
func outcome(_ result: some BinaryInteger) -> String {
    result == -1 ? Errno.current.name : "ok"
}

func seccompProbe(_ probe: String) throws -> String {
    switch probe {
    case "getpid": return outcome(getpid())
    case "getppid": return try rawCall("getppid")
    // Harmless arguments throughout: without the filter each call fails with an error of
    // its own (EINVAL, ENOENT, EFAULT) or does nothing lasting.
    case "keyctl": return try rawCall("keyctl", [0, UInt64(bitPattern: -3)])  // KEYCTL_GET_KEYRING_ID, session
    case "unshare-user": return errnoName { try Namespace.unshare([.user]) }
    case "mount": return outcome(mount("none", "/dosirak-no-such-directory", "tmpfs", 0, nil))
    case "umount": return outcome(umount2("/dosirak-no-such-directory", 0))
    case "kexec_load": return try rawCall("kexec_load", [0, 0, 0, 0x80])  // an undefined flag: EINVAL
    case "bpf": return try rawCall("bpf", [0xffff, 0, 0])                // no such command: EINVAL
    case "perf_event_open": return try rawCall("perf_event_open", [0, 0, UInt64(bitPattern: -1), UInt64(bitPattern: -1), 0])
    case "clone3": return try rawCall("clone3", [0, 0])                    // size 0: EINVAL
    case "x32-getpid": return try rawCall("getpid", numberOffset: 0x4000_0000)
    case "chroot": return outcome(chroot("/"))
    case "personality-query": return try rawCall("personality", [0xffff_ffff])
    case "personality-no-aslr": return try rawCall("personality", [0x0040000])  // ADDR_NO_RANDOMIZE
    case "socket-unix": return socketProbe(domain: AF_UNIX, type: SOCK_STREAM)
    case "socket-inet": return socketProbe(domain: AF_INET, type: SOCK_STREAM)
    case "socket-alg": return socketProbe(domain: 38, type: SOCK_SEQPACKET)  // AF_ALG
    case "clone":
        // Spawn tries clone3 first; the filter answers ENOSYS and Spawn falls back to clone.
        return spawnProbe(Spawn("/bin/true"))
    case "clone-newuser":
        var spawn = Spawn("/bin/true")
        spawn.namespaces = [.user]
        return spawnProbe(spawn)
    case "status":
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        return status.split(separator: "\n")
            .filter { $0.hasPrefix("Seccomp:") || $0.hasPrefix("NoNewPrivs:") }
            .map { $0.replacingOccurrences(of: ":\t", with: "=") }
            .joined(separator: " ")
    default:
        // call=NAME[,A0,A1,...]: system call NAME with raw 64-bit arguments (decimal or 0x
        // hex). getpid ignores its arguments, but a filter sees them.
        guard probe.hasPrefix("call=") else { throw Errno.invalidArgument }
        let parts = probe.dropFirst("call=".count).split(separator: ",")
        let values = parts.dropFirst().map { text in
            text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        }
        guard let name = parts.first, values.allSatisfy({ $0 != nil }) else { throw Errno.invalidArgument }
        return try rawCall(String(name), values.map { $0! })
    }
}

/// "ok" when `body` returns, else the name of the errno it throws.
func errnoName(_ body: () throws -> Void) -> String {
    do {
        try body()
        return "ok"
    } catch let error as Errno {
        return error.name
    } catch {
        return "\(error)"
    }
}

func socketProbe(domain: CInt, type: __socket_type) -> String {
    let fd = socket(domain, CInt(type.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
    let result = outcome(fd)
    if fd >= 0 { close(fd) }
    return result
}

func spawnProbe(_ spawn: Spawn) -> String {
    do {
        let status = try spawn.start().wait()
        return status == .exited(0) ? "ok" : "\(status)"
    } catch let error as SpawnError {
        return error.errno.name
    } catch {
        return "\(error)"
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let scenario = arguments.first else {
    print("usage: runtime-test-helper SCENARIO [ARGUMENTS...]")
    exit(2)
}
do {
    try run(scenario, Array(arguments.dropFirst()))
} catch {
    print("error: \(error)")
    exit(1)
}

/// A /proc file's whole text. /proc files report a size of 0 and are produced a page at a
/// time: `String(contentsOfFile:)` can stop after the first 4 KB, which on a machine with
/// many mounts cuts /proc/self/mountinfo short. Reading until read(2) returns 0 does not.
func procText(_ path: String) throws -> String {
    let fd = try FileDescriptor.open(path)
    return String(decoding: try fd.closeAfter { try fd.readAll() }, as: UTF8.self)
}
