import Foundation
import Glibc
import Syscalls
@testable import Layers

let isRoot = geteuid() == 0

/// An executable built next to this test bundle (the demo, or the helper).
func builtExecutable(_ name: String) -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent(name).path
}

/// A fresh directory with a unique name under /tmp; whatever is mounted below it is
/// detached and everything in it removed when `body` returns or throws.
@discardableResult
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = NSTemporaryDirectory() + "dosirak-layers-test-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { removeTree(path) }
    return try body(path)
}

/// Async flavour of `withTemporaryDirectory`.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = NSTemporaryDirectory() + "dosirak-layers-test-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { removeTree(path) }
    return try await body(path)
}

func removeTree(_ path: String) {
    for mount in ((try? mountPoints()) ?? []).filter({ $0.hasPrefix(path + "/") || $0 == path }).reversed() {
        _ = umount2(mount, CInt(MNT_DETACH))
    }
    // Snapshots are made read-only by nothing here, but a test may have chmod'ed a directory.
    _ = try? Spawn("/bin/chmod", arguments: ["-R", "u+rwx", path]).output(includeErrors: true)
    try? FileManager.default.removeItem(atPath: path)
}

func mountPoints() throws -> [String] {
    try procText("/proc/self/mountinfo")
        .split(separator: "\n").map { String($0.split(separator: " ")[4]) }
}

/// Runs a command and returns its output; throws when it fails.
@discardableResult
func run(_ executable: String, _ arguments: String..., directory: String? = nil) throws -> String {
    var spawn = Spawn(executable, arguments: arguments)
    spawn.workingDirectory = directory
    let (status, output) = try spawn.output(includeErrors: true)
    guard status == .exited(0) else { throw TestFailure("\(executable) \(arguments.joined(separator: " ")): \(status): \(output)") }
    return output
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func write(_ text: String, to path: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

func contents(of path: String) -> String? {
    (try? Data(contentsOf: URL(fileURLWithPath: path))).map { String(decoding: $0, as: UTF8.self) }
}

/// A /proc file's whole text. /proc files report a size of 0 and are produced a page at a
/// time: `String(contentsOfFile:)` can stop after the first 4 KB, which on a machine with
/// many mounts cuts /proc/self/mountinfo short. Reading until read(2) returns 0 does not.
func procText(_ path: String) throws -> String {
    let fd = try FileDescriptor.open(path)
    return String(decoding: try fd.closeAfter { try fd.readAll() }, as: UTF8.self)
}
