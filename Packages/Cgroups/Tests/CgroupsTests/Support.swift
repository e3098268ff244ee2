import Foundation
import Glibc
import Syscalls
@testable import Cgroups

let isRoot = geteuid() == 0
let layout = try? CgroupLayout.current()
let hasCgroups = isRoot && layout.map { $0.unified != nil || !$0.legacy.isEmpty } == true

/// A cgroup with a unique parent (`dosirak-test-XXXX/NAME`), created and, afterwards,
/// removed together with its parent from every hierarchy.
func withTestCgroup<T>(_ name: String = "c", _ body: (any Cgroup) throws -> T) throws -> T {
    let parent = "dosirak-test-\(UUID().uuidString.prefix(8))"
    let cgroup = layout!.cgroup(parent + "/" + name)
    defer {
        try? cgroup.remove()
        for directory in hierarchyDirectories(of: parent) { rmdir(directory) }
    }
    try cgroup.create()
    return try body(cgroup)
}

/// Every directory a cgroup called `name` may have: one per mounted tree.
func hierarchyDirectories(of name: String) -> [String] {
    guard let layout else { return [] }
    return (Set(layout.legacy.values) + (layout.unified.map { [$0] } ?? [])).map { $0 + "/" + name }
}

/// Whether any directory of `name` still exists in any hierarchy.
func anyLeft(_ name: String) -> [String] {
    hierarchyDirectories(of: name).filter { FileManager.default.fileExists(atPath: $0) }
}

/// The contents of a (control) file, without the final newline.
func contents(_ path: String) throws -> String {
    try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .newlines)
}

/// Runs busybox sh with `script` inside `cgroup`, in new PID/UTS/IPC namespaces, quietly.
func spawnInside(_ cgroup: any Cgroup, _ script: String) throws -> SpawnedProcess {
    let null = try FileDescriptor.open("/dev/null", .readWrite)
    defer { try? null.close() }
    var spawn = Spawn("/bin/busybox", arguments: ["sh", "-c", script], environment: ["PATH=/bin:/usr/bin"])
    spawn.namespaces = [.pid, .uts, .ipc]
    spawn.fileDescriptors = [0: null, 1: null, 2: null]
    return try cgroup.spawn(spawn)
}

/// A temporary directory populated like cgroupfs: each file with its kernel name and format.
struct FakeCgroupfs {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "dosirak-fake-cgroupfs-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func write(_ relative: String, _ text: String) throws {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    func read(_ relative: String) throws -> String { try contents(root + "/" + relative) }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}
