import Foundation
import Glibc
import Syscalls
@testable import Namespaces

let isRoot = geteuid() == 0
let hasBusybox = Rootfs.findBusybox() != nil

/// An executable built next to this test bundle (a demo, or a helper).
func builtExecutable(_ name: String) -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent(name).path
}

/// A unique path under /tmp that does not exist yet; whatever is there afterwards is
/// unmounted (if mounted) and removed.
@discardableResult
func withScratchPath<T>(_ body: (String) throws -> T) throws -> T {
    let path = NSTemporaryDirectory() + "dosirak-ns-test-\(UUID().uuidString.prefix(8))"
    defer {
        for mount in (try? mountPoints().filter { $0.hasPrefix(path) }.reversed()) ?? [] {
            _ = umount2(mount, CInt(MNT_DETACH))
        }
        try? Rootfs(path: path).remove()
    }
    return try body(path)
}

func mountPoints() throws -> [String] {
    try procText("/proc/self/mountinfo")
        .split(separator: "\n").map { String($0.split(separator: " ")[4]) }
}

/// Files and directories in /tmp whose names start with `prefix`.
func leftovers(_ prefix: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix(prefix) }
}

/// A /proc file's whole text. /proc files report a size of 0 and are produced a page at a
/// time: `String(contentsOfFile:)` can stop after the first 4 KB, which on a machine with
/// many mounts cuts /proc/self/mountinfo short. Reading until read(2) returns 0 does not.
func procText(_ path: String) throws -> String {
    let fd = try FileDescriptor.open(path)
    return String(decoding: try fd.closeAfter { try fd.readAll() }, as: UTF8.self)
}
