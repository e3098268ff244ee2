import Foundation
import Glibc
import Namespaces
import Syscalls
import Testing
@testable import Runtime

let hasDocker = FileManager.default.isExecutableFile(atPath: "/usr/sbin/dockerd") || FileManager.default.isExecutableFile(atPath: "/usr/bin/dockerd")

/// A dockerd of our own: its own data root, exec root, socket and pid file, no iptables,
/// no bridge, and dosirak-runtime registered as the runtime `dosirak`. Stopped (with the
/// containerd it started) and removed at the end.
final class PrivateDocker {
    let directory: String
    let socket: String
    let daemon: SpawnedProcess

    init() throws {
        directory = NSTemporaryDirectory() + "dosirak-docker-\(UUID().uuidString.prefix(8))"
        socket = directory + "/docker.sock"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let log = try FileDescriptor.open(directory + "/dockerd.log", .writeOnly, options: [.create])
        defer { try? log.close() }
        let dockerd = FileManager.default.isExecutableFile(atPath: "/usr/sbin/dockerd") ? "/usr/sbin/dockerd" : "/usr/bin/dockerd"
        var spawn = Spawn(dockerd, arguments: [
            "--data-root", directory + "/data", "--exec-root", directory + "/exec", "--pidfile", directory + "/dockerd.pid",
            "-H", "unix://" + socket, "--iptables=false", "--ip6tables=false", "--bridge=none",
            "--containerd-namespace", "dosirak-\(UUID().uuidString.prefix(6))", "--add-runtime", "dosirak=" + runtime,
        ])
        spawn.fileDescriptors = [0: .standardInput, 1: log, 2: log]
        daemon = try spawn.start()
        for _ in 0..<300 {
            if (try? PrivateDocker.docker(socket, ["version"]).status) == .exited(0) { return }
            usleep(100_000)
        }
        throw RuntimeError.failed("dockerd did not start: \((try? String(contentsOfFile: directory + "/dockerd.log", encoding: .utf8)) ?? "")")
    }

    @discardableResult
    func docker(_ arguments: String...) throws -> (status: WaitStatus, output: String) {
        try PrivateDocker.docker(socket, arguments)
    }

    static func docker(_ socket: String, _ arguments: [String]) throws -> (status: WaitStatus, output: String) {
        try Spawn("/usr/bin/docker", arguments: ["-H", "unix://" + socket] + arguments).output(includeErrors: true)
    }

    deinit {
        try? daemon.pid.send(.terminate)
        for _ in 0..<200 { guard (try? daemon.pid.waitIfEnded()) == nil else { break }; usleep(50_000) }
        try? daemon.pid.send(.kill)
        _ = try? daemon.wait()
        for mount in ((try? procText("/proc/self/mountinfo")) ?? "").split(separator: "\n")
            .map({ String($0.split(separator: " ")[4]) }).reversed() where mount.hasPrefix(directory) {
            umount2(mount, CInt(MNT_DETACH))
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

@Suite("Docker using dosirak-runtime", .serialized,
       .enabled(if: canRunContainers && hasDocker, "needs root, busybox-static and docker.io"))
struct DockerTests {
    @Test("docker run --runtime dosirak: run, exec, a terminal, stop and rm, with Docker's own hardening")
    func docker() throws {
        let docker = try PrivateDocker()
        // An image from the busybox rootfs, through `docker import`.
        let rootfs = docker.directory + "/rootfs"
        _ = try Rootfs.build(at: rootfs)
        let (tarStatus, tarOutput) = try Spawn("/bin/sh", arguments: ["-c", "tar -C \(rootfs) -c . | /usr/bin/docker -H unix://\(docker.socket) import - dosirak-test/busybox"])
            .output(includeErrors: true)
        try? Rootfs(path: rootfs).remove()
        #expect(tarStatus == .exited(0), "\(tarOutput)")

        let (status, output) = try docker.docker("run", "--rm", "--runtime", "dosirak", "--network", "none", "dosirak-test/busybox",
                                                 "sh", "-c", "echo hi from $(hostname | cut -c1-3)...; grep -E '^(Seccomp|CapEff):' /proc/self/status; exit 3")
        #expect(status == .exited(3), "\(output)")
        #expect(output.contains("hi from "))
        #expect(output.contains("Seccomp:\t2"))
        #expect(output.contains("CapEff:\t00000000a80425fb"))

        #expect(try docker.docker("run", "-d", "--name", "web", "--runtime", "dosirak", "--network", "none", "dosirak-test/busybox",
                                  "sh", "-c", "trap 'echo got TERM; exit 0' TERM; echo up; while :; do sleep 0.1; done").status == .exited(0))
        let (execStatus, execOutput) = try docker.docker("exec", "web", "sh", "-c", "echo exec in the container; exit 4")
        #expect(execStatus == .exited(4) && execOutput == "exec in the container\n")
        // A terminal: docker passes --console-socket and gets the terminal from our init.
        let (ttyStatus, ttyOutput) = try Spawn("/usr/bin/script", arguments: ["-qc", "/usr/bin/docker -H unix://\(docker.socket) exec -t web tty", "/dev/null"])
            .output(includeErrors: true)
        #expect(ttyStatus == .exited(0))
        #expect(ttyOutput.contains("/dev/pts/"))
        #expect(try docker.docker("stop", "web").status == .exited(0))
        let logs = try docker.docker("logs", "web").output
        #expect(logs == "up\ngot TERM\n")
        #expect(try docker.docker("rm", "web").status == .exited(0))
        #expect(try docker.docker("ps", "-aq").output == "")
    }
}
