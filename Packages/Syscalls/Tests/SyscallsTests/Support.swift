import Foundation
import Glibc
import Syscalls

/// True when the tests run as root; kernel tests that need it are skipped, by name, otherwise.
let isRoot = geteuid() == 0

/// The helper executable built next to this test bundle.
let helperPath: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("syscalls-test-helper").path
}()

/// Runs a helper scenario and returns its trimmed output; fails the test on a non-zero exit.
func helper(_ arguments: String...) throws -> String {
    let (status, output) = try Spawn(helperPath, arguments: arguments).output(includeErrors: true)
    guard status == .exited(0) else { throw HelperFailed(status: status, output: output) }
    return output.trimmingCharacters(in: .whitespacesAndNewlines)
}

struct HelperFailed: Error, CustomStringConvertible {
    let status: WaitStatus
    let output: String
    var description: String { "helper \(status): \(output)" }
}

/// A fresh directory under /tmp with a unique name, removed (after unmounting anything
/// left on it) when `body` returns or throws.
@discardableResult
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = NSTemporaryDirectory() + "dosirak-syscalls-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer {
        _ = umount2(path, CInt(MNT_DETACH))
        try? FileManager.default.removeItem(atPath: path)
    }
    return try body(path)
}

/// The mount points the kernel reports for this process (field 5 of /proc/self/mountinfo).
func mountPoints() throws -> [String] {
    try procText("/proc/self/mountinfo")
        .split(separator: "\n").map { String($0.split(separator: " ")[4]) }
}

/// The descriptor numbers open in process `pid`.
func openDescriptors(of pid: ProcessID) throws -> [Int] {
    try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").compactMap(Int.init).sorted()
}

/// A /proc file's whole text. /proc files report a size of 0 and are produced a page at a
/// time: `String(contentsOfFile:)` can stop after the first 4 KB, which on a machine with
/// many mounts cuts /proc/self/mountinfo short. Reading until read(2) returns 0 does not.
func procText(_ path: String) throws -> String {
    let fd = try FileDescriptor.open(path)
    return String(decoding: try fd.closeAfter { try fd.readAll() }, as: UTF8.self)
}
