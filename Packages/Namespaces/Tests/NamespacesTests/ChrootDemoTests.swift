import Foundation
import Glibc
import Syscalls
import Testing
@testable import Namespaces

@Suite("chroot-demo", .enabled(if: isRoot && hasBusybox, "needs root and busybox-static"))
struct ChrootDemoTests {
    let demo = builtExecutable("chroot-demo")

    @Test("a command in the jail sees the rootfs as /")
    func jail() throws {
        try withScratchPath { path in
            _ = try Rootfs.build(at: path)
            let (status, output) = try Spawn(demo, arguments: ["jail", path, "ls", "/"]).output(includeErrors: true)
            #expect(status == .exited(0))
            #expect(output.split(separator: "\n") == ["bin", "dev", "etc", "home", "proc", "root", "run", "sbin", "sys", "tmp", "usr", "var"])
        }
    }

    @Test("a command missing from the jail is reported by name")
    func missingCommand() throws {
        try withScratchPath { path in
            _ = try Rootfs.build(at: path)
            let (status, output) = try Spawn(demo, arguments: ["jail", path, "no-such-tool"]).output(includeErrors: true)
            #expect(status == .exited(1))
            #expect(output == "chroot-demo: no-such-tool: command not found in the jail\n")
        }
    }

    @Test("a root process climbs out of the chroot and sees the host's /")
    func escape() throws {
        try withScratchPath { path in
            _ = try Rootfs.build(at: path)
            let (status, output) = try Spawn(demo, arguments: ["escape", path]).output(includeErrors: true)
            #expect(status == .exited(0))
            let lines = output.split(separator: "\n")
            let host = try FileManager.default.contentsOfDirectory(atPath: "/").filter { !$0.hasPrefix(".") }.sorted()
            #expect(lines.first?.hasSuffix("bin dev etc home proc root run sbin sys tmp usr var") == true)
            #expect(lines.last?.hasSuffix(host.joined(separator: " ")) == true)
        }
    }

    @Test("the tour runs, shows the escape, and leaves no rootfs or mount behind")
    func tour() throws {
        let (status, output) = try Spawn(demo).output(includeErrors: true)
        #expect(status == .exited(0), "\(output)")
        #expect(output.contains("== 4. Escaping the jail"))
        #expect(output.contains("the escaped process sees the host's / again"))
        let pid = output.split(separator: "dosirak-chroot-").dropFirst().first?.prefix { $0.isNumber } ?? ""
        #expect(!pid.isEmpty)
        let files = try leftovers("dosirak-chroot-\(pid)")
        let mounts = try mountPoints().filter { $0.contains("dosirak-chroot-\(pid)") }
        #expect(files.isEmpty && mounts.isEmpty)
    }
}

@Suite("namespaces-demo", .enabled(if: isRoot && hasBusybox, "needs root and busybox-static"))
struct NamespacesDemoTests {
    @Test("the tour adds one namespace at a time and shows what each changed, leaving nothing behind")
    func tour() throws {
        let (status, output) = try Spawn(builtExecutable("namespaces-demo")).output(includeErrors: true)
        #expect(status == .exited(0), "\(output)")
        let sections = output.components(separatedBy: "\n== ").dropFirst()
        #expect(sections.count == 8)
        func section(_ number: Int) -> String { sections.first { $0.hasPrefix("\(number).") } ?? "" }
        #expect(section(1).contains("hostname  dosirak"))
        #expect(section(3).contains("pid       1 "))
        #expect(section(4).contains("owned by uid 0 on the host"))
        #expect(section(5).contains("links     lo "))
        #expect(section(6).contains("uid_map   0 100000 65536"))
        #expect(section(6).contains("owned by uid 100000 on the host"))
        #expect(section(7).split(separator: "\n").contains { $0.hasPrefix("   cgroup") && $0.contains(":/ ") })
        let pid = output.split(separator: "dosirak-namespaces-").dropFirst().first?.prefix { $0.isNumber } ?? ""
        let files = try leftovers("dosirak-namespaces-\(pid)")
        let mounts = try mountPoints().filter { $0.contains("dosirak-namespaces-\(pid)") }
        #expect(!pid.isEmpty && files.isEmpty && mounts.isEmpty)
    }
}
