import Foundation
import Glibc
import Namespaces
import Runtime
import Syscalls

/// `runtime-demo bench`: how long `dosirak-runtime run` takes against `runc run` on the same
/// bundle, and how much memory a monitor costs with 50 containers running. Figures from one
/// run, side by side, as ratios.
enum Bench {
    static func run() throws {
        let directory = "/tmp/dosirak-runtime-bench-\(getpid())"
        defer {
            try? Rootfs(path: directory + "/bundle/rootfs").remove()
            try? FileManager.default.removeItem(atPath: directory)
        }
        try makeBundle(directory + "/bundle", script: "true")
        try startupTimes(bundle: directory + "/bundle", root: directory)
        try monitorMemory(bundle: directory + "/bundle", root: directory)
    }

    static var here: String {
        URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "").deletingLastPathComponent().path
    }

    /// Milliseconds for one `ARGV... run --bundle B ID` (create, start, wait, delete).
    static func time(_ argv: [String], bundle: String, id: String) throws -> Double {
        let null = try FileDescriptor.open("/dev/null", .readWrite)
        defer { try? null.close() }
        var spawn = Spawn(argv[0], arguments: Array(argv.dropFirst()) + ["run", "--bundle", bundle, id])
        spawn.fileDescriptors = [0: null, 1: null, 2: null]
        let start = DispatchTime.now().uptimeNanoseconds
        let status = try spawn.start().wait()
        guard status == .exited(0) else { throw RuntimeError.failed("\(argv[0]) run: \(status)") }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    static func startupTimes(bundle: String, root: String) throws {
        print("== run a container to its end (create, start, wait, delete), median of 20, alternating")
        let ours = [here + "/dosirak-runtime", "--root", root + "/dosirak"]
        let runc = ["/usr/sbin/runc", "--root", root + "/runc"]
        let haveRunc = FileManager.default.isExecutableFile(atPath: runc[0])
        var mine: [Double] = [], theirs: [Double] = []
        for round in 0..<21 {
            mine.append(try time(ours, bundle: bundle, id: "bench-\(round)"))
            if haveRunc { theirs.append(try time(runc, bundle: bundle, id: "bench-\(round)")) }
        }
        mine.removeFirst()  // the first run warms the caches
        let ourMedian = median(mine)
        print(String(format: "   dosirak-runtime run   %6.1f ms", ourMedian))
        if haveRunc {
            theirs.removeFirst()
            let runcMedian = median(theirs)
            print(String(format: "   runc run              %6.1f ms", runcMedian))
            print(String(format: "   ratio                 %6.2f (below 1: faster than runc)", ourMedian / runcMedian))
        } else {
            print("   runc run              (runc is not installed)")
        }
    }

    /// Proportional set size of a process, in KiB: its private memory plus its share of
    /// pages it shares with others (the same binary mapped by 50 monitors is split 50 ways).
    static func pss(_ pid: Int32) -> Int {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("Pss:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    static func monitorMemory(bundle: String, root: String) throws {
        // The monitor hands each running container over to dosirak-relay when it is beside
        // this program (make bench-06 puts the fully static build there).
        let directory = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            .deletingLastPathComponent().path
        let relay = access(directory + "/dosirak-relay", X_OK) == 0 ? directory + "/dosirak-relay" : nil
        print("\n== memory of a container's monitor, with 50 containers running (PSS, mean)")
        let spec = Spec.default(args: ["sleep", "300"])
        let encoder = JSONEncoder()
        try encoder.encode(spec).write(to: URL(fileURLWithPath: bundle + "/config.json"))
        try CurrentProcess.setChildSubreaper()
        var monitors: [SpawnedProcess] = []
        defer {
            // Each container goes as it would under dosirak: killed, then deleted (which
            // removes its cgroup); its monitor then ends.
            for index in monitors.indices {
                try? Container.load("pss-\(index)", store: ContainerStore(root: root + "/monitors")).delete(force: true)
            }
            for monitor in monitors { try? monitor.pid.send(.kill) }
            for monitor in monitors { _ = try? monitor.wait() }
            while (try? ProcessID.reapAnyChild()) != nil {}
        }
        for index in 0..<50 {
            var options = MonitorOptions(id: "pss-\(index)", bundle: bundle, runtimeRoot: root + "/monitors",
                                         logPath: nil, attachSocket: root + "/pss-\(index).sock", interactive: false)
            options.relayExecutable = relay
            let (ours, theirs) = try FileDescriptor.socketPair()
            defer { try? ours.close() }
            var spawn = Spawn("/proc/self/exe", arguments: ["monitor", String(decoding: try encoder.encode(options), as: UTF8.self)])
            let null = try FileDescriptor.open("/dev/null", .readWrite)
            spawn.fileDescriptors = [0: null, 1: null, 2: null, 3: theirs]
            spawn.newSession = true
            monitors.append(try spawn.start())
            try? theirs.close()
            try? null.close()
            _ = try ours.read(upTo: 4096)  // created
            try ours.sendMessage(Array(try encoder.encode(MonitorMessage.start)))
            _ = try ours.read(upTo: 4096)  // started
        }
        usleep(500_000)
        let total = monitors.map { pss($0.pid.rawValue) }.reduce(0, +)
        print(String(format: "   dosirak monitor       %6.2f MiB  (%@)", Double(total) / Double(monitors.count) / 1024,
                     relay == nil ? "relaying itself: no dosirak-relay beside runtime-demo" : "handed over to dosirak-relay"))
        for (name, pattern) in [("containerd-shim", "containerd-shim-runc-v2"), ("conmon", "conmon")] {
            let pids = ((try? FileSystem.entries(of: "/proc")) ?? []).compactMap { Int32($0.name) }.filter {
                ((try? String(contentsOfFile: "/proc/\($0)/comm", encoding: .utf8)) ?? "").hasPrefix(String(pattern.prefix(15)))
            }
            if pids.isEmpty {
                print("   \(name.padding(toLength: 21, withPad: " ", startingAt: 0)) (none running to measure)")
            } else {
                let mean = Double(pids.map(pss).reduce(0, +)) / Double(pids.count) / 1024
                print(String(format: "   %@ %6.2f MiB (%d running)", name.padding(toLength: 21, withPad: " ", startingAt: 0), mean, pids.count))
            }
        }
    }
}
