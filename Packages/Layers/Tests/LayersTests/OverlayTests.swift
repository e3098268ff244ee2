import Foundation
import Glibc
import Syscalls
import Testing
@testable import Layers

@Suite("Overlay", .enabled(if: isRoot && hasBusybox, "needs root (mount) and busybox-static"))
struct OverlayTests {
    @Test("writes and deletes in the merged view land in the upper directory; the layers stay unchanged")
    func copyOnWrite() throws {
        try withStore { store, directory in
            let busybox = try store.buildBusybox()
            let top = try store.createLayer { tar in
                try tar.add(TarEntry(path: "etc/motd", kind: .regular, mode: 0o644), contents: Array("layer two\n".utf8))
                try tar.add(TarEntry(path: "etc/.wh.group", kind: .regular, mode: 0o644))
                try tar.finish()
            }
            let image = try store.createImage(layers: [(busybox.manifest.layers[0], busybox.snapshots[0].diffID), top],
                                              configuration: busybox.configuration, references: [])
            let overlay = try Overlay.mount(image.lowerDirectories, at: directory + "/container")
            defer { try? overlay.remove() }
            let merged = overlay.mergedDirectory
            #expect(try overlay.isMounted && mountPoints().contains(merged))
            #expect(contents(of: merged + "/etc/motd") == "layer two\n")
            #expect(access(merged + "/etc/group", F_OK) != 0, "the second layer's whiteout hides the first layer's file")
            #expect(contents(of: merged + "/etc/passwd")?.hasPrefix("root:") == true)

            try write("new\n", to: merged + "/tmp/new")
            try write("changed\n", to: merged + "/etc/motd")
            try FileManager.default.removeItem(atPath: merged + "/etc/passwd")
            #expect(contents(of: overlay.upperDirectory + "/tmp/new") == "new\n")
            #expect(contents(of: overlay.upperDirectory + "/etc/motd") == "changed\n")
            var info = stat()
            #expect(lstat(overlay.upperDirectory + "/etc/passwd", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0)
            #expect(contents(of: image.lowerDirectories[0] + "/etc/motd") == "layer two\n")
            #expect(contents(of: image.lowerDirectories[1] + "/etc/passwd")?.hasPrefix("root:") == true)

            let sink = MemorySink()
            try overlay.diff(to: TarWriter(sink))
            let paths = try readEntries(of: sink.bytes).map(\.path)
            #expect(paths == ["etc/", "etc/motd", "etc/.wh.passwd", "tmp/", "tmp/new"])

            // Unmounted, with merged still there: isMounted agrees with the kernel's table.
            try overlay.unmount()
            #expect(try !overlay.isMounted && !mountPoints().contains(merged))
            #expect(access(merged, F_OK) == 0)
            try overlay.remove()
            #expect(!overlay.isMounted)
            #expect(access(directory + "/container", F_OK) != 0)
            #expect(!(try mountPoints()).contains { $0.hasPrefix(directory) })
        }
    }

    @Test("an opaque directory made in the container hides the layer's directory and becomes .wh..wh..opq")
    func opaque() throws {
        try withStore { store, directory in
            let image = try store.buildBusybox()
            let overlay = try Overlay.mount(image.lowerDirectories, at: directory + "/c")
            defer { try? overlay.remove() }
            try FileManager.default.removeItem(atPath: overlay.mergedDirectory + "/etc")
            try FileManager.default.createDirectory(atPath: overlay.mergedDirectory + "/etc", withIntermediateDirectories: false)
            try write("fresh\n", to: overlay.mergedDirectory + "/etc/only")
            #expect(try FileManager.default.contentsOfDirectory(atPath: overlay.mergedDirectory + "/etc") == ["only"])
            let sink = MemorySink()
            try overlay.diff(to: TarWriter(sink))
            #expect(try readEntries(of: sink.bytes).map(\.path) == ["etc/", "etc/.wh..wh..opq", "etc/only"])
        }
    }

    @Test("a volatile overlay (run --rm) is mounted with syncs off, and mounts again after its unmount")
    func volatile() throws {
        try withStore { store, directory in
            let image = try store.buildBusybox()
            let overlay = Overlay(lowerDirectories: image.lowerDirectories, directory: directory + "/c")
            defer { try? overlay.remove() }
            func superOptions() throws -> String? {
                try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n")
                    .first { $0.split(separator: " ")[4] == overlay.mergedDirectory }
                    .map { String($0.split(separator: " - ")[1]) }
            }
            try overlay.mount(volatile: true)
            #expect(try superOptions()?.contains("volatile") == true)
            try write("kept\n", to: overlay.mergedDirectory + "/tmp/file")
            try overlay.unmount()
            // The kernel's mark stays in the work directory, and would refuse this mount.
            #expect(access(overlay.workDirectory + "/work/incompat/volatile", F_OK) == 0)
            try overlay.mount(volatile: true)
            #expect(contents(of: overlay.mergedDirectory + "/tmp/file") == "kept\n")
            try overlay.unmount()
            // An ordinary mount syncs: the option is not there.
            let plain = Overlay(lowerDirectories: image.lowerDirectories, directory: directory + "/p")
            defer { try? plain.remove() }
            try plain.mount()
            #expect(try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n")
                .first { $0.split(separator: " ")[4] == plain.mergedDirectory }?.contains("volatile") == false)
        }
    }

    @Test("a mount that fails leaves no directory behind and says why")
    func failure() throws {
        try withTemporaryDirectory { directory in
            #expect(throws: LayersError.self) { try Overlay.mount([directory + "/missing"], at: directory + "/c") }
            #expect(access(directory + "/c", F_OK) != 0)
        }
    }
}
