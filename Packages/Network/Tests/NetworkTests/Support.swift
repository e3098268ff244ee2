import Foundation
import Glibc
import Syscalls
@testable import Network

let isRoot = geteuid() == 0
let hasNft = access("/usr/sbin/nft", X_OK) == 0

/// An executable built next to this test bundle (a demo, or the helper).
func builtExecutable(_ name: String) -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent(name).path
}

/// A unique short name for links and networks: tests run in parallel.
func uniqueName(_ prefix: String) -> String { prefix + UUID().uuidString.lowercased().prefix(6) }

/// A network namespace made by the test, so that nothing it does touches the machine's own
/// network: a `sleep` spawned with CLONE_NEWNET holds it, and /proc/PID/ns/net names it.
/// `close()` kills the holder; with nothing else inside, the kernel destroys the namespace
/// and every link in it.
final class TestNamespace: @unchecked Sendable {
    let holder: SpawnedProcess
    let namespace: NetworkNamespace

    init() throws {
        var spawn = Spawn("/bin/sleep", arguments: ["3600"])
        spawn.namespaces = [.network]
        holder = try spawn.start()
        namespace = NetworkNamespace.of(pid: holder.pid.rawValue)
        // Every namespace starts with lo down; bring it up as a host would have it.
        do {
            try namespace.socket().setUp("lo")
        } catch {
            close()
            throw error
        }
    }

    var path: String { namespace.path! }

    /// Runs a command inside the namespace and returns its status and output.
    @discardableResult
    func run(_ executable: String, _ arguments: [String]) throws -> (status: WaitStatus, output: String) {
        try namespace.perform { try Spawn(executable, arguments: arguments).output(includeErrors: true) }
    }

    /// `ip ARGS` inside the namespace: an independent view of what the kernel holds.
    func ip(_ arguments: String) throws -> String {
        try run("/usr/sbin/ip", arguments.split(separator: " ").map(String.init)).output
    }

    func close() {
        try? holder.pid.send(.kill)
        _ = try? holder.wait()
    }
}

/// A temporary directory, removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = NSTemporaryDirectory() + "dosirak-net-test-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Bytes from a hex dump such as strace's (`3c 00 00 00 10 00 ...`).
func hexBytes(_ text: String) -> [UInt8] {
    text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { UInt8($0, radix: 16)! }
}
