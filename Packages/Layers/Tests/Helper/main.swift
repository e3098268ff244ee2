// layers-test-helper: benchmarks for `make bench`, and scenarios that need a process of
// their own (a pull the tests kill halfway).
//
//   layers-test-helper sha256 FILE [portable]   digest and seconds, with the Swift SHA-256
//                                               (the fastest engine, or the portable one)
//   layers-test-helper sha256-engine            the engine SHA256() uses on this CPU
//   layers-test-helper pull ROOT REFERENCE      pull into the store at ROOT, plain progress
//   layers-test-helper push ROOT REFERENCE [busybox]   push (building busybox:latest as REFERENCE first)
//   layers-test-helper image ROOT NAME LAYER...       an image from layer tarballs, bottom first
//   layers-test-helper unpack DIR LAYER...      unpack layer files, each into DIR/N, in parallel
import Foundation
import Glibc
import Layers
import Registry
import Syscalls

let arguments = Array(CommandLine.arguments.dropFirst())

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("layers-test-helper: \(message)\n".utf8))
    exit(1)
}

switch arguments.first {
case "sha256" where arguments.count == 2 || arguments.count == 3 && arguments[2] == "portable":
    let fd = open(arguments[1], O_RDONLY)
    guard fd >= 0 else { fail("open \(arguments[1]): \(Errno.current)") }
    var hash = SHA256(engine: arguments.count == 3 ? .portable : .fastest)
    // 64 KiB at a time: read into the cache and hashed while still there.
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 64)
    let start = Date()
    while true {
        let n = read(fd, buffer.baseAddress, buffer.count)
        if n <= 0 { break }
        hash.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    }
    print("\(hash.finalize().hex) \(String(format: "%.3f", Date().timeIntervalSince(start)))")
case "sha256-engine" where arguments.count == 1:
    // The engine SHA256() uses on this CPU.
    print(SHA256.Engine.fastest)
case "sha256-memory" where arguments.count == 2:
    // sha256-memory MB: the best of five runs over MB megabytes in memory (no I/O at all).
    let count = (Int(arguments[1]) ?? 256) << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
    for index in 0..<count { buffer[index] = UInt8(truncatingIfNeeded: index &* 2654435761 >> 13) }
    var best = Double.infinity
    for _ in 0..<5 {
        let start = Date()
        var hash = SHA256()
        hash.update(UnsafeRawBufferPointer(buffer))
        _ = hash.finalize()
        best = min(best, Date().timeIntervalSince(start))
    }
    print(String(format: "%.0f MB/s", Double(count) / best / 1e6))
case "pull" where arguments.count >= 3:
    do {
        let store = try ImageStore(root: arguments[1])
        let client = RegistryClient(store: store, progress: PullProgress(terminal: false))
        let platform = arguments.count > 3 ? try Platform(parsing: arguments[3]) : .linuxAMD64
        let start = Date()
        let image = try await client.pull(arguments[2], platform: platform)
        print("pulled \(image.id) in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
    } catch {
        fail("\(error)")
    }
case "push" where arguments.count >= 3:
    do {
        let store = try ImageStore(root: arguments[1])
        if arguments.count > 3 && arguments[3] == "busybox" { try store.buildBusybox(as: arguments[2]) }
        let client = RegistryClient(store: store, progress: PullProgress(terminal: false))
        let start = Date()
        let digest = try await client.push(arguments[2])
        print("pushed \(digest) in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
    } catch {
        fail("\(error)")
    }
case "image" where arguments.count >= 4:
    do {
        let store = try ImageStore(root: arguments[1])
        let image = try store.importLayers(Array(arguments.dropFirst(3)), as: arguments[2])
        print("\(arguments[2]) \(image.id) \(image.manifest.layers.count) layers")
    } catch {
        fail("\(error)")
    }
case "unpack" where arguments.count >= 3:
    do {
        let start = Date()
        try ImageStore.unpackLayers(arguments.dropFirst(2).map { $0 }, into: arguments[1])
        print(String(format: "%.3f", Date().timeIntervalSince(start)))
    } catch {
        fail("\(error)")
    }
default:
    fail("usage: sha256 FILE [portable] | sha256-engine | pull ROOT REFERENCE [PLATFORM] | push ROOT REFERENCE [busybox] | image ROOT NAME LAYER... | unpack DIR LAYER...")
}
