// layers-test-helper: benchmarks for `make bench`, and scenarios that need a process of their own.
import Foundation
import Glibc
import Layers

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "sha256":
    // sha256 FILE: hash a file with the Swift SHA-256, print the digest and the throughput.
    let path = arguments.dropFirst().first!
    let fd = open(path, O_RDONLY)
    var hash = SHA256()
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
    let start = Date()
    while true {
        let n = read(fd, buffer.baseAddress, buffer.count)
        if n <= 0 { break }
        hash.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    }
    let seconds = Date().timeIntervalSince(start)
    print("\(hash.finalize().hex) \(String(format: "%.3f", seconds))")
default:
    FileHandle.standardError.write(Data("usage: layers-test-helper sha256 FILE\n".utf8))
    exit(2)
}
