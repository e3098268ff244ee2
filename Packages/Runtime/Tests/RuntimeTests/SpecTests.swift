import Foundation
import Testing
@testable import Runtime

@Suite("config.json")
struct SpecTests {
    static let sample = #"""
    {
      "ociVersion": "1.0.2-dev",
      "process": {
        "terminal": true,
        "user": {"uid": 1000, "gid": 1000, "additionalGids": [5, 6], "umask": 18},
        "args": ["sh"],
        "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
        "cwd": "/",
        "capabilities": {"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL"], "effective": ["CAP_KILL"],
                         "permitted": ["CAP_KILL"], "ambient": ["CAP_KILL"]},
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
        "noNewPrivileges": true,
        "oomScoreAdj": 100,
        "apparmorProfile": "unknown-to-dosirak"
      },
      "root": {"path": "rootfs", "readonly": true},
      "hostname": "runc",
      "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
      "hooks": {"poststop": [{"path": "/bin/true", "timeout": 5}]},
      "linux": {
        "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
        "resources": {"devices": [{"allow": false, "access": "rwm"}], "memory": {"limit": 33554432},
                      "pids": {"limit": 20}},
        "namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/x"}],
        "maskedPaths": ["/proc/kcore"],
        "readonlyPaths": ["/proc/sys"],
        "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
                    "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}]},
        "someFutureKey": {"nested": true}
      },
      "annotations": {"org.example": "yes"}
    }
    """#

    @Test("a full runc-style config.json decodes; unknown keys are ignored")
    func decode() throws {
        let spec = try JSONDecoder().decode(Spec.self, from: Data(SpecTests.sample.utf8))
        #expect(spec.process?.user == Spec.User(uid: 1000, gid: 1000, umask: 18, additionalGids: [5, 6]))
        #expect(spec.process?.capabilities?.bounding == ["CAP_AUDIT_WRITE", "CAP_KILL"])
        #expect(spec.process?.rlimits == [Spec.Rlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)])
        #expect(spec.root == Spec.Root(path: "rootfs", readonly: true))
        #expect(spec.linux?.namespaces?.last == Spec.Namespace(type: "network", path: "/var/run/netns/x"))
        #expect(spec.linux?.resources?.memory?.limit == 32 << 20)
        #expect(spec.linux?.resources?.pids?.limit == 20)
        #expect(spec.linux?.seccomp?.syscalls?.first?.names == ["read", "write"])
        #expect(spec.hooks?.poststop?.first?.timeout == 5)
        #expect(spec.annotations == ["org.example": "yes"])
        #expect(try spec.rootfs(bundle: "/b") == "/b/rootfs")
    }

    @Test("a config.json that is missing a required field names it")
    func missingField() throws {
        let dir = NSTemporaryDirectory() + "dosirak-spec-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"ociVersion": "1.0.2", "process": {"args": ["sh"]}}"#.write(toFile: dir + "/config.json", atomically: false, encoding: .utf8)
        #expect(throws: RuntimeError.bundle("\(dir)/config.json: missing process.user")) { try Spec.load(bundle: dir) }
        try "{not json".write(toFile: dir + "/config.json", atomically: false, encoding: .utf8)
        #expect(throws: RuntimeError.bundle("\(dir)/config.json: not valid JSON")) { try Spec.load(bundle: dir) }
        #expect(throws: RuntimeError.bundle("read /nonexistent/config.json: ENOENT")) { try Spec.load(bundle: "/nonexistent") }
    }

    @Test("the lifecycle allows what the spec allows, and nothing else")
    func transitions() {
        #expect(Status.created.allows(.start))
        #expect(!Status.running.allows(.start))
        #expect(!Status.stopped.allows(.start))
        #expect(Status.stopped.allows(.delete))
        #expect(!Status.running.allows(.delete))
        #expect(!Status.created.allows(.delete))
        #expect(Status.running.allows(.pause) && Status.paused.allows(.resume))
        #expect(!Status.stopped.allows(.kill))
    }
}
