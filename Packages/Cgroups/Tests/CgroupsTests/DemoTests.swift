import Foundation
import Syscalls
import Testing

@Suite("cgroups-demo", .enabled(if: hasCgroups, "needs root and mounted cgroups"))
struct DemoTests {
    @Test("the three demos run and report what the kernel counted, leaving no cgroup behind")
    func demo() throws {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        let demo = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("cgroups-demo").path
        let (status, output) = try Spawn(demo).output(includeErrors: true)
        #expect(status == .exited(0), "\(output)")
        // The bomb fills the cgroup up to the limit and never past it.
        let samples = output.split(separator: "\n").first { $0.contains("pids.current every 0.5 s:") }?
            .split(separator: ":").last?.split(separator: " ").compactMap { Int($0) } ?? []
        #expect(samples.count == 4 && samples.allSatisfy { $0 <= 20 } && samples.last! >= 10, "\(samples)")
        let refused = output.split(separator: "\n").first { $0.contains("forks refused by the kernel:") }?
            .split(separator: ":").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        #expect(refused > 0)
        #expect(output.contains("the hog killed by SIGKILL"))
        #expect(output.contains("OOM kills counted by the cgroup: 1"))
        #expect(output.contains("throttled in "))
        let pid = output.split(separator: "dosirak/demo-").dropFirst().first?.prefix { $0.isNumber } ?? ""
        #expect(!pid.isEmpty)
        for label in ["forkbomb", "hog", "busy"] {
            #expect(anyLeft("dosirak/demo-\(pid)-\(label)").isEmpty)
        }
    }
}
