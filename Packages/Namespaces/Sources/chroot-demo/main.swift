// chroot-demo (chapter 01): builds a root filesystem from busybox, runs commands inside a
// chroot, shows what the jail hides and what it does not, and then breaks out of it.
//
// The demo re-runs its own binary for the work that must happen inside the jail:
//   chroot-demo                      the tour
//   chroot-demo jail ROOT CMD...     chroot into ROOT and exec CMD
//   chroot-demo escape ROOT          chroot into ROOT, then climb out
import Glibc
import Namespaces
import Syscalls

/// Runs `command` with ROOT as its `/`. This runs in a child of the tour, just exec'd.
func jail(root: String, command: [String]) throws -> Never {
    let environment = ["PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/root"]
    try FileSystem.changeRoot(to: root)     // "/" now means ROOT for this process...
    try FileSystem.changeDirectory(to: "/") // ...and the current directory moves inside it
    // Look the command up only now: in the jail's PATH, in the jail's file tree.
    guard let program = CurrentProcess.lookUp(command[0], path: CurrentProcess.path(in: environment)) else {
        throw DemoError("\(command[0]): command not found in the jail")
    }
    try CurrentProcess.exec(program, arguments: command, environment: environment)
}

/// The classic escape: a root process in a chroot makes a second chroot below its current
/// directory. Now its current directory lies *outside* its root, and nothing stops `..`
/// from climbing to the real `/`. One last chroot(".") makes that the root again.
func escape(root: String) throws {
    try FileSystem.changeRoot(to: root)
    try FileSystem.changeDirectory(to: "/")
    print("inside the jail, ls /:   \(try listing("/"))")

    try FileSystem.makeDirectory("/.escape", permissions: 0o700)
    try FileSystem.changeRoot(to: "/.escape")           // the cwd stays where it was: outside
    for _ in 0..<64 { try FileSystem.changeDirectory(to: "..") }
    try FileSystem.changeRoot(to: ".")                  // the host's / is ours again
    print("after the escape, ls /:  \(try listing("/"))")
}

/// The tour: what a chroot isolates, and what it does not.
func tour() throws {
    let root = "/tmp/dosirak-chroot-\(getpid())"
    let rootfs = try Rootfs.build(at: root)
    defer { try? rootfs.remove() }

    section("1. A root filesystem from the host's busybox")
    print("built \(root):")
    print("  \(try listing(root))")
    print("  \(try Rootfs.applets(of: Rootfs.findBusybox()!).count) applets, each a link to /bin/busybox")

    section("2. What chroot isolates: the file tree")
    compare("ls /", host: try listing("/"), jail: try jailed("ls", "/"))

    section("3. What chroot does not isolate")
    // ps needs a /proc inside the jail. This mount is made in the host's mount table:
    // the host sees it, and it must be undone by hand (chapter 02 fixes both).
    try Mount.mount("proc", on: root + "/proc", type: "proc", flags: [.noSetUID, .noDevices, .noExec])
    defer { try? Mount.unmount(root + "/proc", flags: .detach) }
    let ps = try jailed("ps", "-o", "pid,comm").split(separator: " ")
    compare("processes", host: "PID 1 is \(try command(of: 1)), this demo is PID \(getpid())",
            jail: "ps shows PID 1 \(row(ps, 1)), PID \(getpid()) \(row(ps, getpid()))")
    compare("hostname", host: try Hostname.get(), jail: try jailed("hostname"))
    compare("network", host: try hostInterfaces(),
            jail: try jailed("ip", "-o", "link").split(separator: " ")
                .filter { $0.hasSuffix(":") && Int($0.dropLast()) == nil }.map { $0.dropLast() }.sorted().joined(separator: " "))
    compare("mounts", host: try mountLine(of: root + "/proc", in: "/proc/self/mounts"),
            jail: try jailed("cat", "/proc/self/mounts").split(separator: " ").prefix(3).joined(separator: " "))
    compare("user", host: "uid=\(getuid()) gid=\(getgid())", jail: try jailed("id"))
    try Mount.unmount(root + "/proc")

    section("4. Escaping the jail")
    let (status, output) = try Spawn("/proc/self/exe", arguments: ["escape", root]).output(includeErrors: true)
    print(output, terminator: "")
    print("host's ls /:             \(try listing("/"))")
    print(status == .exited(0) ? "the escaped process sees the host's / again" : "escape failed: \(status)")
}

// MARK: - Helpers

/// Runs a command in the jail (through `chroot-demo jail`) and returns its output on one line.
func jailed(_ command: String...) throws -> String {
    let root = "/tmp/dosirak-chroot-\(getpid())"
    let spawn = Spawn("/proc/self/exe", arguments: ["jail", root] + command)
    let (status, output) = try spawn.output(includeErrors: true)
    guard status == .exited(0) else { throw DemoError("\(command.joined(separator: " ")) \(status): \(output)") }
    return output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
}

/// The command name `ps` printed for `pid`, from its flattened "PID COMMAND" rows.
func row(_ ps: [Substring], _ pid: pid_t) -> String {
    guard let index = ps.firstIndex(of: Substring(String(pid))), index + 1 < ps.count else { return "(not shown)" }
    return "(\(ps[index + 1]))"
}

func command(of pid: pid_t) throws -> String {
    let fd = try FileDescriptor.open("/proc/\(pid)/comm")
    return try fd.closeAfter { String(decoding: try fd.readAll(), as: UTF8.self).trimmingCharacters() }
}

func mountLine(of target: String, in file: String) throws -> String {
    let fd = try FileDescriptor.open(file)
    let text = try fd.closeAfter { String(decoding: try fd.readAll(), as: UTF8.self) }
    let line = text.split(separator: "\n").first { $0.split(separator: " ")[1] == target } ?? "(none)"
    return line.split(separator: " ").prefix(3).joined(separator: " ")
}

func listing(_ path: String) throws -> String {
    try FileSystem.entries(of: path).map(\.name).filter { !$0.hasPrefix(".") }.sorted().joined(separator: " ")
}

func hostProcessCount() throws -> Int {
    try FileSystem.entries(of: "/proc").filter { Int($0.name) != nil }.count
}

func hostInterfaces() throws -> String {
    try FileSystem.entries(of: "/sys/class/net").map(\.name).sorted().joined(separator: " ")
}

func section(_ title: String) { print("\n== \(title)") }

func compare(_ what: String, host: String, jail: String) {
    let label = what.padding(to: 10)
    print("\(label) host:  \(host)")
    print("\(String().padding(to: 10)) jail:  \(jail)")
}

extension StringProtocol {
    func trimmingCharacters() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
    func padding(to width: Int) -> String {
        String(self) + String(repeating: " ", count: Swift.max(0, width - count))
    }
}

struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Entry point

let arguments = CommandLine.arguments
do {
    switch arguments.count > 1 ? arguments[1] : "" {
    case "jail" where arguments.count > 3:
        try jail(root: arguments[2], command: Array(arguments[3...]))
    case "escape" where arguments.count == 3:
        try escape(root: arguments[2])
    case "":
        guard getuid() == 0 else {
            print("chroot-demo: chroot(2) needs root; run it with sudo")
            exit(1)
        }
        try tour()
    default:
        print("usage: chroot-demo [jail ROOT COMMAND... | escape ROOT]")
        exit(2)
    }
} catch {
    print("chroot-demo: \(error)")
    exit(1)
}
