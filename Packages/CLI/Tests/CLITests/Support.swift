import Foundation
import Glibc
import Syscalls
@testable import CLI

let isRoot = geteuid() == 0
let hasBusybox = ["/bin/busybox", "/usr/bin/busybox"].contains { (path: String) in access(path, X_OK) == 0 }
let canRunContainers = isRoot && hasBusybox

/// The `dosirak` built next to this test bundle.
let dosirakBinary: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("dosirak").path
}()

/// What one `dosirak` command did.
struct CommandResult {
    var status: Int32
    var output: String
    var errors: String
    var lines: [String] { output.split(separator: "\n").map(String.init) }
}

/// A world of its own for one test: a `--root` in a temporary directory with the default
/// image in it, and (with `network: true`) a network namespace that the test creates, so that
/// bridges, veths, nftables rules and published ports never touch the machine's own network.
/// Commands run as `nsenter --net=... dosirak --root ROOT ...`. At the end every container is
/// removed, every network and volume too, the monitors adopted here are reaped, mounts under
/// the root are taken down, and the namespace is deleted.
final class World: @unchecked Sendable {  // `adopted` is guarded by `lock`
    let root: String
    /// The network namespace's name (`ip netns`), if this world has one.
    let namespace: String?
    let tag = String(UUID().uuidString.prefix(8)).lowercased()

    init(network: Bool = false, image: Bool = true) throws {
        root = NSTemporaryDirectory() + "dosirak-cli-" + tag
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        // Monitors outlive the command that started them; this process adopts them when that
        // command exits, and reaps them (only them) at the end.
        try CurrentProcess.setChildSubreaper()
        if network {
            namespace = "dsk-" + tag
            try World.tool("/usr/bin/ip", "netns", "add", namespace!)
            try World.tool("/usr/bin/ip", "-n", namespace!, "link", "set", "lo", "up")
        } else {
            namespace = nil
        }
        if image {
            let result = try run("image", "busybox")
            guard result.status == 0 else { throw CommandError.failed("image busybox: \(result.errors)") }
        }
    }

    static func tool(_ path: String, _ arguments: String...) throws {
        let (status, output) = try Spawn(path, arguments: arguments).output(includeErrors: true)
        guard status == .exited(0) else { throw CommandError.failed("\(path) \(arguments.joined(separator: " ")): \(output)") }
    }

    /// Runs `dosirak --root ROOT ARGUMENTS...` (in the world's network namespace, if any).
    /// Output goes through files: a pipe would stay open as long as anything inherited it.
    @discardableResult
    func run(_ arguments: String..., stdin: String? = nil, environment: [String: String] = [:]) throws -> CommandResult {
        try run(arguments, stdin: stdin, environment: environment)
    }

    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> CommandResult {
        let base = root + "/.out-" + UUID().uuidString.prefix(8)
        let out = try FileDescriptor.open(base + ".1", .writeOnly, options: [.create, .truncate], permissions: 0o600)
        let err = try FileDescriptor.open(base + ".2", .writeOnly, options: [.create, .truncate], permissions: 0o600)
        var input = try FileDescriptor.open("/dev/null")
        if let stdin {
            try stdin.write(toFile: base + ".0", atomically: false, encoding: .utf8)
            try input.close()
            input = try FileDescriptor.open(base + ".0")
        }
        defer {
            try? input.close()
            for suffix in [".0", ".1", ".2"] { unlink(base + suffix) }
        }
        let command = [dosirakBinary, "--root", root] + arguments
        let full = namespace.map { ["/usr/bin/nsenter", "--net=/run/netns/" + $0, "--"] + command } ?? command
        var env = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        env["DOSIRAK_ROOT"] = nil
        var spawn = Spawn(full[0], arguments: Array(full.dropFirst()), environment: env.map { "\($0.key)=\($0.value)" })
        spawn.fileDescriptors = [0: input, 1: out, 2: err]
        let child: SpawnedProcess
        do {
            defer { try? out.close(); try? err.close() }
            child = try spawn.start()
        }
        let status = try child.wait()
        adoptMonitors()
        let code: Int32 = switch status {
        case .exited(let code): code
        case .signaled(let signal, _): 128 + signal.rawValue
        }
        return CommandResult(status: code, output: (try? String(contentsOfFile: base + ".1", encoding: .utf8)) ?? "",
                             errors: (try? String(contentsOfFile: base + ".2", encoding: .utf8)) ?? "")
    }

    /// Runs a command inside the world's network namespace (wget, nc, ...).
    func shell(_ script: String) throws -> (status: WaitStatus, output: String) {
        let command = ["/bin/sh", "-c", script]
        let full = namespace.map { ["/usr/bin/nsenter", "--net=/run/netns/" + $0, "--"] + command } ?? command
        return try Spawn(full[0], arguments: Array(full.dropFirst())).output(includeErrors: true)
    }

    /// The processes this test adopted: monitors and DNS responders whose launcher exited.
    private var adopted: Set<pid_t> = []
    private let lock = NSLock()

    func adoptMonitors() {
        lock.lock()
        defer { lock.unlock() }
        let index = ContainerIndex(root: root + "/containers")
        for entry in index.all() {
            if let monitor = entry.state.monitor { adopted.insert(monitor.pid) }
        }
        let networks = root + "/networks"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: networks)) ?? [] {
            if let data = FileManager.default.contents(atPath: networks + "/" + name + "/dns/responder.pid"),
               let identity = try? JSONDecoder().decode(ProcessIdentity.self, from: data) {
                adopted.insert(identity.pid)
            }
        }
    }

    var hasAdopted: Bool {
        lock.lock()
        defer { lock.unlock() }
        return !adopted.isEmpty
    }

    func reapAdopted() {
        lock.lock()
        defer { lock.unlock() }
        for pid in adopted {
            var status: CInt = 0
            if waitpid(pid, &status, WNOHANG) == pid { adopted.remove(pid) }
        }
    }

    /// Waits until `condition` holds (reaping adopted processes meanwhile).
    func eventually(timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            reapAdopted()
            usleep(20_000)
        }
        return try condition()
    }

    deinit {
        let ids = (try? run("ps", "-aq", "--no-trunc").lines) ?? []
        if !ids.isEmpty { _ = try? run(["rm", "-f", "-v"] + ids) }
        for name in (try? run("network", "ls", "-q", "--format", "{{.Name}}").lines) ?? [] where name != "bridge" {
            _ = try? run("network", "rm", name)
        }
        _ = try? run("network", "rm", "bridge")
        for name in (try? run("volume", "ls", "-q").lines) ?? [] { _ = try? run("volume", "rm", name) }
        for _ in 0..<250 {
            guard hasAdopted else { break }
            reapAdopted()
            usleep(20_000)
        }
        for mount in ((try? procText("/proc/self/mountinfo")) ?? "").split(separator: "\n")
            .map({ String($0.split(separator: " ")[4]) }).reversed() where mount.hasPrefix(root) {
            umount2(mount, CInt(MNT_DETACH))
        }
        if let namespace { try? World.tool("/usr/bin/ip", "netns", "delete", namespace) }
        if ProcessInfo.processInfo.environment["DOSIRAK_KEEP_WORLD"] == nil {
            try? FileManager.default.removeItem(atPath: root)
        }
    }
}

/// A /proc file's whole text. /proc files report a size of 0 and are produced a page at a
/// time: `String(contentsOfFile:)` can stop after the first 4 KB, which on a machine with
/// many mounts cuts /proc/self/mountinfo short. Reading until read(2) returns 0 does not.
func procText(_ path: String) throws -> String {
    let fd = try FileDescriptor.open(path)
    return String(decoding: try fd.closeAfter { try fd.readAll() }, as: UTF8.self)
}
