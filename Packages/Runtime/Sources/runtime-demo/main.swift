// runtime-demo (chapter 06): one OCI container's life, step by step, through the same code
// `dosirak-runtime` runs: a bundle, create, state, start, exec, kill, delete.
//   runtime-demo          the tour
//   runtime-demo bench    dosirak-runtime run against runc run, and the monitor's memory
import Foundation
import Glibc
import Namespaces
import Relay
import Runtime
import Syscalls

let arguments = CommandLine.arguments
switch arguments.count > 1 ? arguments[1] : "" {
case "init": RuntimeInit.main()
case "exec-init": ExecInit.main()
case "monitor":
    // monitor OPTIONS-JSON: with a relay, the relay runs this same command again when the
    // container has ended, with its report added.
    var options = try! JSONDecoder().decode(MonitorOptions.self, from: Data(arguments[2].utf8))
    options.exitCommand = [try! FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), "monitor", arguments[2]]
    let report = Relay.Report(arguments: Array(arguments.dropFirst(3)))
    Monitor.run(options, control: report == nil ? FileDescriptor(rawValue: 3) : nil, callbacks: .init(), relayed: report)
case "bench":
    do { try Bench.run() } catch { print("runtime-demo: \(error)"); exit(1) }
    exit(0)
case "":
    break
default:
    print("usage: runtime-demo [bench]")
    exit(2)
}

guard getuid() == 0 else {
    print("runtime-demo: containers need root; run it with sudo")
    exit(1)
}

// Our output is flushed at every step, so it stays in order with what the container writes
// straight to the same descriptor.
func section(_ title: String) {
    print("\n== \(title)")
    fflush(nil)
}

func show(_ command: String) {
    print("$ \(command)")
    fflush(nil)
}

func json<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
}

/// A bundle: a busybox rootfs and a config.json with Docker's defaults.
func makeBundle(_ directory: String, script: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    _ = try Rootfs.build(at: directory + "/rootfs")
    let spec = Spec.default(args: ["sh", "-c", script])
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try encoder.encode(spec).write(to: URL(fileURLWithPath: directory + "/config.json"))
}

func tour() throws {
    let directory = "/tmp/dosirak-runtime-demo-\(getpid())"
    let bundle = directory + "/bundle"
    let store = ContainerStore(root: directory + "/state")
    defer {
        try? Rootfs(path: bundle + "/rootfs").remove()
        try? FileManager.default.removeItem(atPath: directory)
    }
    let script = """
        echo "hello from $(hostname), PID $$"
        grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status
        unshare -U true 2>/dev/null || echo "unshare -U: refused"
        mount -t tmpfs none /mnt 2>/dev/null || echo "mount: refused"
        (echo 1 > /proc/sys/kernel/domainname) 2>/dev/null || echo "/proc/sys: read-only"
        exec sleep 30
        """
    try makeBundle(bundle, script: script)

    section("1. A bundle: a root file system and config.json")
    let spec = try Spec.load(bundle: bundle)
    print("\(bundle)/config.json: process.args \(spec.process?.args?.prefix(2).joined(separator: " ") ?? "") ..., "
          + "\(spec.linux?.namespaces?.count ?? 0) namespaces, \(spec.mounts?.count ?? 0) mounts, "
          + "\(spec.process?.capabilities?.bounding?.count ?? 0) capabilities, "
          + "\(spec.linux?.seccomp?.syscalls?.count ?? 0) seccomp rules, \(spec.linux?.maskedPaths?.count ?? 0) masked paths")

    section("2. create: namespaces, cgroup and file tree ready, the command not yet run")
    show("dosirak-runtime create --bundle \(bundle) demo-\(getpid())")
    var options = Container.CreateOptions(bundle: bundle)
    options.initArguments = ["init"]
    let (read, write) = try FileDescriptor.pipe()
    options.stdio = [0: .standardInput, 1: write, 2: write]
    let id = "demo-\(getpid())"
    let attached = try Container.create(id: id, options: options, store: store)
    try write.close()
    var container = attached.container
    print(json(container.state))
    let pid = container.state.pid
    print("init is PID \(pid), waiting on \(container.directory)/exec.fifo; its namespaces:")
    for kind in [Namespace.pid, .mount, .uts, .ipc, .network, .cgroup] {
        let same = (try? kind.identity(of: pid)) == (try? kind.identity(of: getpid()))
        print("   \(kind.procName.padding(toLength: 6, withPad: " ", startingAt: 0)) \(same ? "the host's" : "its own")")
    }

    section("3. start: init execs the command")
    show("dosirak-runtime start \(container.id)")
    try container.start()
    var output = ""
    while !output.contains("read-only") {
        let chunk = try read.read(upTo: 4096)
        if chunk.isEmpty { break }
        output += String(decoding: chunk, as: UTF8.self)
    }
    print(output, terminator: "")
    print("status: \(container.status.rawValue)")

    section("4. exec: another process, in the same namespaces and cgroup")
    show("dosirak-runtime exec \(container.id) ps -o pid,comm")
    var exec = Container.ExecOptions(process: Spec.Process(args: ["ps", "-o", "pid,comm"], env: ["PATH=/bin"], cwd: "/"))
    exec.stdio = [0: .standardInput, 1: .standardOutput, 2: .standardError]
    exec.helperArguments = ["exec-init"]
    let executed = try container.exec(exec)
    _ = try executed.helper.wait()

    section("5. kill and delete")
    show("dosirak-runtime kill \(container.id) KILL")
    try container.kill(.kill)
    _ = try attached.process.wait()
    print("status: \(container.status.rawValue)")
    show("dosirak-runtime delete \(container.id)")
    try container.delete()
    try read.close()
    let left = ((try? FileSystem.entries(of: store.root)) ?? []).filter { $0.kind == .directory }.count
    print("state directories left: \(left), cgroup \(container.record.cgroup): \((try? container.cgroupExists) == true ? "still there" : "gone")")
}

extension Container {
    var cgroupExists: Bool { get throws { try Runtime.CgroupCheck.exists(record.cgroup) } }
}

do {
    try tour()
} catch {
    print("runtime-demo: \(error)")
    exit(1)
}
