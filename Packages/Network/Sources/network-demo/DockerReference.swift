import Foundation
import Glibc
import Network
import Syscalls

/// Docker, for `make bench` to compare with, when docker.io is installed: a private
/// dockerd of the bench's own, in the bench's network namespace and in a private mount
/// namespace, with its data under the bench's temporary directory. It never touches the
/// machine's Docker (if any), its network, or /var/lib/docker. Its container runs the same
/// busybox httpd from an image imported from a tar of busybox (no registry needed), behind
/// `-p 127.0.0.1:8081:80`, which Docker serves through its userland docker-proxy.
struct DockerReference {
    let directory: String
    let daemon: SpawnedProcess
    let socket: String
    static let dockerd = "/usr/sbin/dockerd"
    static let port: UInt16 = 8081

    /// Starts it, or says why not.
    static func start(state: String, www: String) -> Result<DockerReference, DemoError> {
        guard access(dockerd, X_OK) == 0, let docker = client else { return .failure(DemoError("docker.io is not installed")) }
        let directory = state + "/docker"
        let socket = directory + "/docker.sock"
        let image = directory + "/image"
        do {
            try FileManager.default.createDirectory(atPath: image + "/bin", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: busybox, toPath: image + "/bin/busybox")
            let log = try FileDescriptor.open(directory + "/dockerd.log", .writeOnly, options: [.create, .truncate])
            defer { try? log.close() }
            var spawn = Spawn("/usr/bin/unshare", arguments: [
                "--mount", "--propagation", "private", dockerd, "--data-root", directory + "/data",
                "--exec-root", directory + "/exec", "-H", "unix://" + socket, "--pidfile", directory + "/docker.pid",
            ])
            spawn.fileDescriptors = [0: .standardInput, 1: log, 2: log]
            spawn.parentDeathSignal = .terminate
            let daemon = try spawn.start()
            let reference = DockerReference(directory: directory, daemon: daemon, socket: socket)
            var ready = false
            for _ in 0..<150 {
                guard !ready else { break }
                usleep(100_000)
                ready = (try? reference.run(docker, ["version"]).0) == .exited(0)
            }
            guard ready else { reference.stop(); return .failure(DemoError("dockerd did not start (see \(directory)/dockerd.log)")) }
            let steps: [[String]] = [
                ["sh", "-c", "tar -C \(image) -c . | \(docker) -H unix://\(socket) import - dosirak-bench:httpd"],
                [docker, "-H", "unix://" + socket, "run", "-d", "--name", "web", "-p", "127.0.0.1:\(port):80",
                 "-v", "\(www):/www:ro", "dosirak-bench:httpd", "/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"],
            ]
            for step in steps {
                let (status, output) = try Spawn(step[0] == "sh" ? "/bin/sh" : step[0], arguments: Array(step.dropFirst()))
                    .output(includeErrors: true)
                guard status == .exited(0) else {
                    reference.stop()
                    return .failure(DemoError("\(step.joined(separator: " ")): \(output)"))
                }
            }
            return .success(reference)
        } catch {
            return .failure(DemoError("\(error)"))
        }
    }

    static var client: String? {
        ["/usr/bin/docker", "/usr/local/bin/docker"].first { access($0, X_OK) == 0 }
    }

    /// The container's httpd, the server at the end of Docker's data path.
    var server: pid_t? {
        guard let docker = DockerReference.client, let (status, output) = try? run(docker, ["inspect", "-f", "{{.State.Pid}}", "web"]),
              status == .exited(0) else { return nil }
        return pid_t(output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// dockerd's docker-proxy children, through which connections to 127.0.0.1 go.
    var proxies: [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
            // "PID (COMM) STATE PPID ...": the command name may hold spaces, so split after ")".
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            let isProxy = stat[stat.index(after: open)..<close] == "docker-proxy"
            return isProxy && fields.count > 1 && pid_t(fields[1]) == daemon.pid.rawValue ? pid : nil
        }
    }

    func run(_ docker: String, _ arguments: [String]) throws -> (WaitStatus, String) {
        try Spawn(docker, arguments: ["-H", "unix://" + socket] + arguments).output(includeErrors: true)
    }

    /// Removes the container and stops dockerd; removes the empty cgroups it made.
    func stop() {
        if let docker = DockerReference.client { _ = try? run(docker, ["rm", "-f", "web"]) }
        try? daemon.pid.send(.terminate)
        for _ in 0..<100 {
            if (try? daemon.pid.waitIfEnded()) != nil { break }
            usleep(100_000)
        }
        try? daemon.pid.send(.kill)
        _ = try? daemon.wait()
        // Docker leaves an empty "docker" cgroup in each hierarchy; rmdir removes only empty ones.
        for hierarchy in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            rmdir("/sys/fs/cgroup/\(hierarchy)/docker")
        }
        rmdir("/sys/fs/cgroup/docker")
    }
}
