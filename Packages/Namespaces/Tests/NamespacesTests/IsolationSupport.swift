import Foundation
import Glibc
import Syscalls
import Testing
@testable import Namespaces

/// The tests' init: the test runner is not a program that can act as one.
let initHelper = builtExecutable("namespaces-test-helper")

let mapTo100000 = [IDMapping(containerID: 0, hostID: 100000, size: 65536)]

/// A configuration running `script` with busybox's sh in `rootfs` with `namespaces`.
func configuration(_ script: String, rootfs: String?, _ namespaces: Set<Namespace>) -> IsolatedProcess.Configuration {
    var configuration = IsolatedProcess.Configuration(command: ["/bin/busybox", "sh", "-c", script],
                                                      rootfs: rootfs, namespaces: namespaces)
    if namespaces.contains(.user) {
        configuration.uidMappings = mapTo100000
        configuration.gidMappings = mapTo100000
    }
    return configuration
}

/// A created (not yet started) process whose stdout and stderr go to a pipe.
struct Created {
    let process: IsolatedProcess
    let output: FileDescriptor

    init(_ configuration: IsolatedProcess.Configuration) throws {
        let (read, write) = try FileDescriptor.pipe()
        let null = try FileDescriptor.open("/dev/null")
        defer { try? write.close(); try? null.close() }
        do {
            process = try IsolatedProcess.create(configuration, initExecutable: initHelper,
                                                 stdio: [0: null, 1: write, 2: write])
        } catch {
            try? read.close()
            throw error
        }
        output = read
    }

    /// Starts the command and returns how it ended and what it printed.
    func finish() throws -> (status: WaitStatus, output: String) {
        defer { try? output.close() }
        try process.start()
        let text = String(decoding: try output.readAll(), as: UTF8.self)
        return (try process.wait(), text)
    }
}

/// Runs `script` in a fresh busybox rootfs (owned by 100000 when a user namespace is asked
/// for) and returns its status and output; the rootfs is removed afterwards, and the test
/// fails if any mount under it is left on the host.
func runInRootfs(_ script: String, _ namespaces: Set<Namespace>,
                 _ adjust: (inout IsolatedProcess.Configuration) -> Void = { _ in }) throws -> (WaitStatus, String) {
    try withScratchPath { path in
        let owner: (uid_t, gid_t)? = namespaces.contains(.user) ? (100000, 100000) : nil
        _ = try Rootfs.build(at: path, owner: owner)
        var config = configuration(script, rootfs: path, namespaces)
        adjust(&config)
        let result = try Created(config).finish()
        let leaked = try mountPoints().filter { $0.hasPrefix(path) }
        #expect(leaked.isEmpty, "mounts left on the host: \(leaked)")
        return result
    }
}

/// Every process on the host that is in the PID namespace `identity` (`pid:[4026532...]`).
func processes(inPIDNamespace identity: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { entry in
        Int(entry) != nil && (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/ns/pid")) == identity
    }
}

/// The host uid the kernel reports for `pid` (first field of Uid: in /proc/PID/status).
func hostUID(of pid: ProcessID) throws -> String {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    let line = status.split(separator: "\n").first { $0.hasPrefix("Uid:") } ?? ""
    return String(line.split(separator: "\t").dropFirst().first ?? "")
}
