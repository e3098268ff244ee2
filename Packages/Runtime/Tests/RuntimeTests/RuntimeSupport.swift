import Foundation
import Glibc
import Namespaces
import Syscalls
@testable import Runtime

let isRoot = geteuid() == 0
let canRunContainers = isRoot && Rootfs.findBusybox() != nil

/// An executable built next to this test bundle.
func builtExecutable(_ name: String) -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent(name).path
}

let runtime = builtExecutable("dosirak-runtime")

/// A scratch world for one test: a bundle with a busybox rootfs and a config.json made
/// from `Spec.default`, and a state root of its own. Everything is removed afterwards,
/// containers included (`delete --force`), and the test fails if anything is left over.
final class Sandbox {
    let directory: String
    /// Unique to this sandbox: container ids end with it, since cgroups are machine-wide.
    let tag = String(UUID().uuidString.prefix(6)).lowercased()
    let bundle: String
    let root: String
    var spec: Spec

    init(_ script: String = "true", terminal: Bool = false) throws {
        directory = NSTemporaryDirectory() + "dosirak-rt-\(UUID().uuidString.prefix(8))"
        bundle = directory + "/bundle"
        root = directory + "/state"
        try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)
        _ = try Rootfs.build(at: bundle + "/rootfs")
        // A container's init outlives the `create` that made it, as it would under a shim:
        // this process adopts such orphans (and reaps them when a sandbox ends) instead of
        // leaving them to a PID 1 that may not reap at all.
        try CurrentProcess.setChildSubreaper()
        spec = Spec.default(args: ["sh", "-c", script], terminal: terminal)
        try save()
    }

    func save() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(spec).write(to: URL(fileURLWithPath: bundle + "/config.json"))
    }

    /// Runs `dosirak-runtime --root ROOT ARGUMENTS...` and returns its status and output.
    /// Output goes through a file, not a pipe: a container started by the command inherits
    /// its stdout, and a pipe would not reach end of file until that container exits.
    @discardableResult
    func runtimeCommand(_ arguments: String..., stdin: FileDescriptor? = nil) throws -> (status: WaitStatus, output: String) {
        let path = directory + "/output-\(UUID().uuidString.prefix(8))"
        let output = try FileDescriptor.open(path, .writeOnly, options: [.create, .append], permissions: 0o600)
        let null = try FileDescriptor.open("/dev/null")
        defer { try? null.close(); unlink(path) }
        var spawn = Spawn(runtime, arguments: ["--root", root] + arguments)
        spawn.workingDirectory = bundle
        spawn.fileDescriptors = [0: stdin ?? null, 1: output, 2: output]
        let child: SpawnedProcess
        do {
            defer { try? output.close() }
            child = try spawn.start()
        }
        let status = try child.wait()
        if status == .exited(0), ["create", "run"].contains(arguments.first), let id = arguments.last {
            remember(id)
        }
        return (status, try String(contentsOfFile: path, encoding: .utf8))
    }

    func state(_ id: String) throws -> State {
        let (status, output) = try runtimeCommand("state", id)
        guard status == .exited(0) else { throw RuntimeError.failed("state \(id): \(output)") }
        return try JSONDecoder().decode(State.self, from: Data(output.utf8))
    }

    /// A file inside the container's rootfs, as the host sees it.
    func file(_ path: String) -> String { bundle + "/rootfs" + path }

    func waitFor(_ path: String, timeout: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            usleep(10_000)
        }
        return false
    }

    /// Init processes of this sandbox's containers, adopted by this process: reaped at the end.
    var adopted: Set<Int32> = []

    func remember(_ id: String) {
        if let pid = try? state(id).pid, pid > 0 { adopted.insert(pid) }
        if let output = try? runtimeCommand("ps", "--format", "json", id).output,
           let pids = try? JSONDecoder().decode([Int32].self, from: Data(output.utf8)) {
            adopted.formUnion(pids)
        }
    }

    /// Reaps whatever adopted process has ended, as a shim (a subreaper) does. A PID
    /// namespace's init cannot finish dying while a process of its namespace waits, as a
    /// zombie, for its parent outside the namespace to reap it.
    func reapAdopted() {
        for pid in adopted {
            var status: CInt = 0
            _ = waitpid(pid, &status, WNOHANG)
        }
    }

    deinit {
        // Kill every container's processes and reap the ones adopted here before deleting:
        // a PID namespace's init cannot die while its namespace has an unreaped zombie.
        let ids = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { !$0.hasPrefix(".") }
        for id in ids {
            remember(id)
            _ = try? runtimeCommand("kill", "--all", id, "KILL")
        }
        for _ in 0..<500 {
            guard adopted.contains(where: { ProcessIdentity.of($0)?.isAlive == true }) else { break }
            reapAdopted()
            usleep(10_000)
        }
        for id in ids { _ = try? runtimeCommand("delete", "--force", id) }
        reapAdopted()
        for mount in ((try? procText("/proc/self/mountinfo")) ?? "").split(separator: "\n")
            .map({ String($0.split(separator: " ")[4]) }) where mount.hasPrefix(directory) {
            umount2(mount, CInt(MNT_DETACH))
        }
        try? Rootfs(path: bundle + "/rootfs").remove()
        if ProcessInfo.processInfo.environment["DOSIRAK_KEEP_SANDBOX"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
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
