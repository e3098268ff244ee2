import Cgroups
import Foundation
import Glibc
import Syscalls
import Testing
@testable import Runtime

@Suite("Faults and leaks", .enabled(if: canRunContainers, "needs root and busybox-static"))
struct FaultTests {
    @Test("dosirak-runtime killed during create: the next command says stopped, and delete --force leaves nothing")
    func killedDuringCreate() throws {
        let sandbox = try Sandbox("true")
        var hooks = Spec.Hooks()
        hooks.createRuntime = [Spec.Hook(path: "/bin/sleep", args: ["sleep", "5"])]
        sandbox.spec.hooks = hooks
        try sandbox.save()
        let id = "kc-\(sandbox.tag)"
        let null = try FileDescriptor.open("/dev/null", .readWrite)
        defer { try? null.close() }
        var spawn = Spawn(runtime, arguments: ["--root", sandbox.root, "create", "--bundle", sandbox.bundle, id])
        spawn.fileDescriptors = [0: null, 1: null, 2: null]
        let creating = try spawn.start()
        #expect(sandbox.waitFor(sandbox.root + "/" + id + "/state.json"))
        for _ in 0..<200 { guard try sandbox.state(id).pid == 0 && (try? Cgroups.exists("dosirak/\(id)")) != true else { break }; usleep(10_000) }
        #expect(try sandbox.state(id).status == .creating)
        try creating.pid.send(.kill)
        _ = try creating.wait()
        usleep(100_000)
        #expect(try sandbox.state(id).status == .stopped)
        #expect(try sandbox.runtimeCommand("delete", "--force", id).status == .exited(0))
        #expect(!FileManager.default.fileExists(atPath: sandbox.root + "/" + id))
        #expect(try !Cgroups.exists("dosirak/\(id)"))
    }

    @Test("the container's init killed with SIGKILL: state says stopped, delete cleans up")
    func initKilled() throws {
        let sandbox = try Sandbox("exec sleep 30")
        let id = "ik-\(sandbox.tag)"
        try sandbox.runtimeCommand("run", "--detach", "--bundle", sandbox.bundle, id)
        let pid = try sandbox.state(id).pid
        kill(pid, SIGKILL)
        for _ in 0..<200 {
            guard try sandbox.state(id).status != .stopped else { break }
            sandbox.reapAdopted()
            usleep(10_000)
        }
        #expect(try sandbox.state(id).status == .stopped)
        #expect(try sandbox.runtimeCommand("delete", id).status == .exited(0))
        #expect(try !Cgroups.exists("dosirak/\(id)"))
    }

    @Test("200 create/start/delete cycles leave no descriptor, mount, cgroup, child or state behind")
    func cycles() throws {
        let sandbox = try Sandbox("true")
        let (status, output) = try Spawn(builtExecutable("runtime-test-helper"),
                                         arguments: ["cycles", "200", sandbox.bundle, sandbox.root]).output(includeErrors: true)
        #expect(status == .exited(0), "\(output)")
        let lines = output.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.dropFirst("before ".count) == lines.last?.dropFirst("after ".count), "\(output)")
    }
}

/// Whether a cgroup of that name exists in any hierarchy of this machine.
enum Cgroups {
    static func exists(_ name: String) throws -> Bool {
        try CgroupLayout.current().cgroup(name).exists
    }
}
