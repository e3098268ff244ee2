import FoundationEssentials
import Glibc
import Syscalls

extension ImageStore {
    /// Builds `busybox:latest` from the host's busybox-static: one gzip layer holding the
    /// same layout as chapter 01's `Rootfs` (the usual directories, `/bin/busybox`, a symbolic
    /// link per applet from `busybox --list-full`, `/etc/passwd` and `/etc/group`), and a
    /// config that runs `sh`. No registry is needed, and the same busybox always gives the
    /// same image ID. (Packages/Namespaces is not imported: leaf packages stay independent,
    /// so the layout is written again here, straight into the layer's tar.)
    ///
    ///     let image = try store.buildBusybox()
    ///     image.configuration.config?.cmd     // ["sh"]
    @discardableResult
    public func buildBusybox(busybox: String? = nil, as name: String = "busybox:latest") throws -> Image {
        guard let busybox = busybox ?? ImageStore.busyboxCandidates.first(where: { access($0, X_OK) == 0 }) else {
            throw LayersError.context("busybox", "not found (install busybox-static)")
        }
        var info = stat()
        try check("stat", busybox) { stat(busybox, &info) }
        let time = Int64(info.st_mtim.tv_sec)
        let (status, output) = try Spawn(busybox, arguments: ["--list-full"], environment: []).output()
        guard status == .exited(0) else { throw LayersError.tool(busybox, "--list-full \(status)") }
        let applets = output.split(separator: "\n").map(String.init)
            .filter { $0.contains("/") && !$0.hasPrefix("/") && !$0.contains("..") && $0 != "bin/busybox" }.sorted()
        let version = (try? Spawn(busybox, arguments: ["--help"], environment: []).output().output)?
            .split(separator: "\n").first.map { String($0.split(separator: " ").prefix(2).joined(separator: " ")) } ?? "BusyBox"

        let layer = try createLayer { tar in
            func add(_ entry: TarEntry, _ contents: [UInt8] = []) throws {
                var entry = entry
                entry.modificationTime = time
                entry.userName = "root"
                entry.groupName = "root"
                try tar.add(entry, contents: contents)
            }
            for (directory, mode) in ImageStore.busyboxDirectories {
                try add(TarEntry(path: directory + "/", kind: .directory, mode: mode))
            }
            let fd = try FileDescriptor.open(busybox)
            defer { try? fd.close() }
            var entry = TarEntry(path: "bin/busybox", kind: .regular, mode: 0o755, size: Int64(info.st_size))
            entry.modificationTime = time
            entry.userName = "root"
            entry.groupName = "root"
            try tar.add(entry) { emit in
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
                defer { buffer.deallocate() }
                while true {
                    let n = try FileSource(fd, name: busybox).read(into: buffer)
                    if n == 0 { break }
                    try emit(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                }
            }
            for applet in applets {
                try add(TarEntry(path: applet, kind: .symbolicLink, mode: 0o777, linkTarget: "/bin/busybox"))
            }
            for (file, text) in ImageStore.busyboxFiles {
                try add(TarEntry(path: file, kind: .regular, mode: 0o644), Array(text.utf8))
            }
            try tar.finish()
        }
        let created = Timestamp.rfc3339Seconds(Date(timeIntervalSince1970: TimeInterval(time)))
        let platform = Platform.current
        let configuration = ImageConfiguration(
            architecture: platform.architecture, variant: platform.variant,
            config: ContainerConfiguration(env: ["PATH=" + CurrentProcess.defaultPath], cmd: ["sh"]),
            rootfs: .init(diffIDs: []),
            history: [.init(created: created, createdBy: "dosirak: \(version) from \(busybox), \(applets.count) applets")],
            created: created)
        return try createImage(layers: [layer], configuration: configuration, references: [try Reference(parsing: name)])
    }

    static let busyboxCandidates = ["/bin/busybox", "/usr/bin/busybox", "/sbin/busybox"]

    /// Chapter 01's layout (Packages/Namespaces/Sources/Namespaces/Rootfs/Rootfs.swift).
    static let busyboxDirectories: [(String, UInt32)] = [
        ("bin", 0o755), ("dev", 0o755), ("etc", 0o755), ("home", 0o755), ("proc", 0o555), ("root", 0o700),
        ("run", 0o755), ("sbin", 0o755), ("sys", 0o555), ("tmp", 0o1777), ("usr", 0o755), ("usr/bin", 0o755),
        ("usr/sbin", 0o755), ("var", 0o755),
    ]

    static let busyboxFiles: [(String, String)] = [
        ("etc/group", "root:x:0:\nnogroup:x:65534:\n"),
        ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"),
    ]
}
