// namespaces-demo (chapter 02): runs the same busybox script while adding one namespace at
// a time, and prints what each one changed. With a terminal, it ends in a shell inside a
// fully isolated process.
//   namespaces-demo          the tour
//   namespaces-demo init     (internal) the container's init, spawned by the tour
import Glibc
import Namespaces
import Syscalls

/// What the script reports, one `name=value` line each. Every tool is busybox's, so the
/// host's run and the container's run use the very same program.
let script = """
    b=/bin/busybox
    echo "hostname=$($b hostname)"
    echo "ipc=$($b readlink /proc/self/ns/ipc)"
    echo "pid=$$"
    echo "ps=$($b ps -o pid | $b tail -n +2 | $b wc -l) processes"
    echo "mounts=$($b wc -l < /proc/self/mounts) in /proc/self/mounts"
    echo "links=$($b ip -o link | $b cut -d: -f2 | $b tr -d ' ' | $b tr '\\n' ' ')"
    echo "id=$($b id)"
    echo "uid_map=$($b cat /proc/self/uid_map | $b tr -s ' ' | $b sed 's/^ //')"
    echo "cgroup=$($b grep -m1 -E '^0::|memory' /proc/self/cgroup)"
    if [ -n "$PROBE" ]; then $b touch "$PROBE"; fi
    """

let fields = ["hostname", "ipc", "pid", "ps", "mounts", "links", "id", "uid_map", "cgroup", "new file"]

struct Step {
    let title: String
    let namespaces: Set<Namespace>
    let note: String
}

let steps = [
    Step(title: "the host: no namespaces", namespaces: [], note: ""),
    Step(title: "+ UTS: its own hostname", namespaces: [.uts], note: ""),
    Step(title: "+ IPC: its own System V and POSIX IPC objects", namespaces: [.uts, .ipc], note: ""),
    Step(title: "+ PID: the script is PID 1", namespaces: [.uts, .ipc, .pid],
         note: "ps still lists every host process: /proc is still the host's"),
    Step(title: "+ mount: pivot_root into the rootfs, a fresh /proc", namespaces: [.uts, .ipc, .pid, .mount],
         note: "now ps reads the new /proc and sees only the container"),
    Step(title: "+ network: only a loopback interface", namespaces: [.uts, .ipc, .pid, .mount, .network], note: ""),
    Step(title: "+ user: root inside is uid 100000 outside", namespaces: [.uts, .ipc, .pid, .mount, .network, .user],
         note: "still uid=0 inside; the kernel maps it to 100000 on the host"),
    Step(title: "+ cgroup: its own view of /proc/self/cgroup",
         namespaces: [.uts, .ipc, .pid, .mount, .network, .user, .cgroup], note: ""),
]

/// The configuration for one step: the script, the namespaces, and what they need.
func configuration(for namespaces: Set<Namespace>, rootfs: String, command: [String]) -> IsolatedProcess.Configuration {
    // Without a mount namespace the host's file tree stays: there is nowhere to pivot to.
    var configuration = IsolatedProcess.Configuration(
        command: command, rootfs: namespaces.contains(.mount) ? rootfs : nil, namespaces: namespaces)
    configuration.environment = ["PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/root", "TERM=xterm"]
    // With a rootfs, the script creates a file the tour then inspects from the host.
    if namespaces.contains(.mount) { configuration.environment.append("PROBE=/tmp/probe") }
    if namespaces.contains(.uts) { configuration.hostname = "dosirak" }
    if namespaces.contains(.user) {
        configuration.uidMappings = [IDMapping(containerID: 0, hostID: 100000, size: 65536)]
        configuration.gidMappings = [IDMapping(containerID: 0, hostID: 100000, size: 65536)]
    }
    return configuration
}

/// Runs the script in a process with `namespaces` and parses what it printed.
func report(_ namespaces: Set<Namespace>, rootfs: String) throws -> [String: String] {
    let configuration = configuration(for: namespaces, rootfs: rootfs, command: ["/bin/busybox", "sh", "-c", script])
    let (read, write) = try FileDescriptor.pipe()
    defer { try? read.close() }
    let process: IsolatedProcess
    do {
        defer { try? write.close() }  // the child has its copy; ours must go, or read never ends
        process = try IsolatedProcess.create(configuration, stdio: [0: .standardInput, 1: write, 2: write])
    }
    try process.start()
    let output = String(decoding: try read.readAll(), as: UTF8.self)
    let status = try process.wait()
    guard status == .exited(0) else { throw DemoError("the script \(status): \(output)") }
    var values: [String: String] = ["new file": "(no rootfs)"]
    var info = stat()
    if namespaces.contains(.mount) && stat(rootfs + "/tmp/probe", &info) == 0 {
        values["new file"] = "owned by uid \(info.st_uid) on the host"
        unlink(rootfs + "/tmp/probe")
    }
    for line in output.split(separator: "\n") {
        let parts = line.split(separator: "=", maxSplits: 1)
        if parts.count == 2 { values[String(parts[0])] = String(parts[1]).trimmingCharacters() }
    }
    return values
}

/// What counts as a change: any new PID is just "a host PID" until it is 1, and any IPC
/// namespace other than the host's is "its own", however many new ones we make.
func kind(_ field: String, _ value: String, host: [String: String]) -> String {
    switch field {
    case "pid": value == "1" ? "1" : "a host PID"
    case "ipc": value == host["ipc"] ? "the host's" : "its own"
    default: value
    }
}

func tour() throws {
    let rootfs = "/tmp/dosirak-namespaces-\(getpid())"
    // Owned by 100000, the host uid that root inside the user namespace maps to.
    let built = try Rootfs.build(at: rootfs, owner: (uid: 100000, gid: 100000))
    defer { try? built.remove() }
    print("rootfs: \(rootfs) (busybox, owned by 100000:100000)")

    var host: [String: String] = [:]
    var previous: [String: String] = [:]
    for (number, step) in steps.enumerated() {
        let values = try report(step.namespaces, rootfs: rootfs)
        if number == 0 { host = values }
        print("\n== \(number). \(step.title)")
        for field in fields {
            let value = values[field] ?? ""
            if number == 0 {
                print("   \(field.padding(to: 9)) \(value)")
            } else if kind(field, value, host: host) != kind(field, previous[field] ?? "", host: host) {
                print("   \(field.padding(to: 9)) \(value.padding(to: 32)) (was: \(previous[field] ?? ""))")
            }
        }
        if !step.note.isEmpty { print("   \(step.note)") }
        previous = values
    }

    guard isatty(0) == 1 && isatty(1) == 1 else {
        print("\n(run in a terminal to end in a shell inside a fully isolated process)")
        return
    }
    print("\n== A shell in a fully isolated process (type exit to leave)")
    let all = steps.last!.namespaces
    let status = try IsolatedProcess.run(configuration(for: all, rootfs: rootfs, command: ["/bin/sh"]))
    print("the shell \(status)")
}

struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension StringProtocol {
    func trimmingCharacters() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
    func padding(to width: Int) -> String {
        String(self) + String(repeating: " ", count: Swift.max(0, width - count))
    }
}

// MARK: - Entry point

let arguments = CommandLine.arguments
if arguments.count > 1 && arguments[1] == "init" {
    ContainerInit.run()
}
guard arguments.count == 1 else {
    print("usage: namespaces-demo")
    exit(2)
}
guard getuid() == 0 else {
    print("namespaces-demo: creating namespaces needs root; run it with sudo")
    exit(1)
}
do {
    try tour()
} catch let error as IsolationError {
    print("namespaces-demo: \(error)")
    exit(error.exitCode)
} catch {
    print("namespaces-demo: \(error)")
    exit(1)
}
