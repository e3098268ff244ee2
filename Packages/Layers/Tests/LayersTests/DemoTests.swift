import Foundation
import Glibc
import Syscalls
import Testing
@testable import Layers

@Suite("layers-demo", .enabled(if: isRoot && hasBusybox, "needs root and busybox-static"))
struct DemoTests {
    @Test("the tour shows each change where it landed, keeps the layers unchanged, and leaves nothing behind")
    func tour() throws {
        let (status, output) = try Spawn(builtExecutable("layers-demo")).output(includeErrors: true)
        #expect(status == .exited(0), "\(output)")
        let sections = output.components(separatedBy: "\n== ").dropFirst()
        #expect(sections.count == 7)
        func section(_ number: Int) -> String { sections.first { $0.hasPrefix("\(number).") } ?? "" }
        #expect(section(1).contains("Cmd [\"sh\"]"))
        #expect(section(2).contains("layer 1's snapshot is the one busybox uses"))
        #expect(section(2).contains("etc/group there is character device 0/0: a whiteout"))
        #expect(section(3).contains("(no group: layer 2 whited it out)"))
        #expect(section(4).contains("upper/etc/passwd: character device 0/0: a whiteout"))
        #expect(section(4).contains("upper/home: directory, trusted.overlay.opaque=y: opaque"))
        #expect(section(4).contains("layer 1 etc/passwd: unchanged") && section(4).contains("layer 2 etc/motd: unchanged"))
        #expect(section(5).contains("etc/.wh.passwd") && section(5).contains("home/.wh..wh..opq"))
        #expect(section(5).contains("no mount left"))
        if hasRegistry {
            #expect(section(6).contains("PUT /v2/demo/busybox/manifests/latest -> 201"))
            #expect(section(6).contains("same image: yes"))
        }
        #expect(section(7).contains("Untagged: demo:two"))
        let pid = output.split(separator: "dosirak-layers-").dropFirst().first?.prefix { $0.isNumber } ?? ""
        #expect(!pid.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/dosirak-layers-\(pid)"))
        #expect(!(try mountPoints()).contains { $0.contains("dosirak-layers-\(pid)") })
    }
}
