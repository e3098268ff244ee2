import FoundationEssentials
import Glibc
import Syscalls

/// A container's root filesystem: the image's snapshots stacked read-only, with one
/// read-write directory on top, merged by overlayfs.
///
///     let overlay = try Overlay.mount(image.lowerDirectories, at: "/var/lib/dosirak/containers/abc")
///     // abc/merged is the container's /; writes land in abc/upper
///     try overlay.remove()                      // unmount, and delete upper, work and merged
///
/// Reading a file looks in the upper directory, then in each lower directory from the top;
/// the first hit wins. Writing a file that lives in a lower layer first copies it up into
/// the upper directory (copy-on-write). Deleting one leaves a *whiteout* in the upper
/// directory, a 0/0 character device that hides the name below; `rm -r` of a directory
/// and `mkdir` of it again leaves an *opaque* directory (`trusted.overlay.opaque=y`) that
/// hides everything below it. The lower directories are never written.
public struct Overlay: Sendable {
    /// The read-only layers, top first (as `lowerdir=` lists them).
    public let lowerDirectories: [String]
    /// The container's directory, holding `upper`, `work` and `merged`.
    public let directory: String

    public var upperDirectory: String { directory + "/upper" }
    public var workDirectory: String { directory + "/work" }
    /// Where the merged tree is mounted: the container's root filesystem.
    public var mergedDirectory: String { directory + "/merged" }

    public init(lowerDirectories: [String], directory: String) {
        self.lowerDirectories = lowerDirectories
        self.directory = directory
    }

    /// The mount options: `lowerdir=TOP:...:BOTTOM,upperdir=...,workdir=...`.
    public var options: String {
        "lowerdir=\(lowerDirectories.joined(separator: ":")),upperdir=\(upperDirectory),workdir=\(workDirectory)"
    }

    /// Creates fresh `upper`, `work` and `merged` directories in `directory` (which must not
    /// exist yet) and mounts the overlay on `merged`. On failure nothing is left behind.
    public static func mount(_ lowerDirectories: [String], at directory: String) throws -> Overlay {
        guard !lowerDirectories.isEmpty else { throw LayersError.context("overlay \(directory)", "an overlay needs at least one lower directory") }
        for lower in lowerDirectories where lower.contains(":") || lower.contains(",") {
            throw LayersError.context("overlay", "lower directory \(lower) contains ':' or ','")
        }
        let overlay = Overlay(lowerDirectories: lowerDirectories, directory: directory)
        // The options must fit in one page, which the kernel copies.
        guard overlay.options.utf8.count < Int(getpagesize()) - 1 else {
            throw LayersError.context("overlay \(directory)", "\(lowerDirectories.count) layers make the mount options longer than a page")
        }
        try check("mkdir", directory) { mkdir(directory, 0o711) }
        do {
            try overlay.mount()
        } catch {
            SnapshotStore.removeTree(directory)
            throw error
        }
        return overlay
    }

    /// Mounts the overlay on `merged`, making whichever of `directory`, `upper`, `work` and
    /// `merged` is missing. A stopped container started again is mounted this way, over the
    /// `upper` directory that holds its changes so far.
    ///
    /// `volatile`, for changes that are thrown away anyway (`run --rm`; podman does the same):
    /// overlayfs skips every sync of the upper directory, fsync(2) and syncfs(2), and above all
    /// the one at unmount, which writes back the whole file system the store is on, whoever
    /// wrote to it (85 ms here with 100 MiB of another program's writes pending, 0.2 ms
    /// without). The kernel then marks the work directory (`work/incompat/volatile`) and will
    /// not mount it again, lest a crash has left the upper directory half-written; for changes
    /// of no worth, the mark is removed first. A kernel older than 5.10 gets an ordinary mount.
    public func mount(volatile: Bool = false) throws {
        guard !isMounted else { return }
        if access(directory, F_OK) != 0 { try check("mkdir", directory) { mkdir(directory, 0o711) } }
        for path in [upperDirectory, workDirectory, mergedDirectory] where access(path, F_OK) != 0 {
            try check("mkdir", path) { mkdir(path, 0o755) }
        }
        if volatile { SnapshotStore.removeTree(workDirectory + "/work/incompat") }
        do {
            do {
                try Mount.mount("overlay", on: mergedDirectory, type: "overlay", data: options + (volatile ? ",volatile" : ""))
            } catch Errno.invalidArgument where volatile {
                try Mount.mount("overlay", on: mergedDirectory, type: "overlay", data: options)
            }
        } catch let error as Errno {
            throw LayersError.context("mount overlay on \(mergedDirectory)", "\(error)\(Overlay.hint(for: error, directory: directory))")
        }
    }

    /// Whether something is mounted on `merged`. A mount point is where the device number
    /// changes from its parent directory's, and an overlay always has a device of its own.
    /// (Reading the mount table instead costs a millisecond once 30 containers are running.)
    public var isMounted: Bool {
        var merged = stat(), parent = stat()
        guard stat(mergedDirectory, &merged) == 0, stat(directory, &parent) == 0 else { return false }
        return merged.st_dev != parent.st_dev
    }

    /// Unmounts the merged tree (a busy mount is detached lazily).
    public func unmount() throws {
        guard isMounted else { return }
        do {
            try Mount.unmount(mergedDirectory)
        } catch Errno.busy {
            try Mount.unmount(mergedDirectory, flags: .detach)
        } catch let error as Errno {
            throw LayersError.file("umount", mergedDirectory, error)
        }
    }

    /// Unmounts and removes the container's directory: upper, work and merged.
    public func remove() throws {
        try unmount()
        SnapshotStore.removeTree(directory)
        if access(directory, F_OK) == 0 { throw LayersError.context("remove \(directory)", "still there (something is mounted below it?)") }
    }

    /// The container's changes as a layer: the upper directory as a tar, with overlayfs's
    /// whiteouts and opaque directories turned back into OCI whiteouts. (`commit` and `build`
    /// make images this way.) `excluding` leaves out paths such as the empty `etc/hosts` a
    /// runtime made as a mount point: they belong to the container, not to its image.
    public func diff(to writer: TarWriter, excluding: Set<String> = []) throws {
        try DirectoryArchiver(whiteouts: .fromOverlay, excluding: excluding).archive(upperDirectory, to: writer)
    }

    static func hint(for error: Errno, directory: String) -> String {
        if error == .invalidArgument && fileSystemType(of: directory) == "overlay" {
            return " (the store is itself on overlayfs, which cannot be an upper directory; use a volume or another --root)"
        }
        if error == .noSuchFileOrDirectory || error == .notSupported {
            return " (is the overlay module loaded? modprobe overlay)"
        }
        return ""
    }

    /// The type of the file system holding `path` (the longest mount point above it, from
    /// /proc/self/mountinfo: `ext4`, `xfs`, `overlay`, ...).
    public static func fileSystemType(of path: String) -> String? {
        guard let table = Overlay.mountTable() else { return nil }
        var best: (length: Int, type: String)?
        for line in table.split(separator: "\n") {
            let halves = line.split(separator: " - ", omittingEmptySubsequences: false)
            let fields = halves[0].split(separator: " ")
            guard halves.count == 2, fields.count > 4, let type = halves[1].split(separator: " ").first else { continue }
            let mountPoint = String(fields[4])
            let inside = mountPoint == "/" || path == mountPoint || path.hasPrefix(mountPoint + "/")
            if inside && mountPoint.count >= (best?.length ?? -1) { best = (mountPoint.count, String(type)) }
        }
        return best?.type
    }

    /// /proc/self/mountinfo, read until `read(2)` returns 0. A /proc file has a size of 0 and
    /// is produced a page at a time: a reader that trusts the size, or stops after one read,
    /// sees the first 4 KB only, and on a machine with many mounts misses the rest.
    static func mountTable() -> String? {
        guard let fd = try? FileDescriptor.open("/proc/self/mountinfo"),
              let bytes = try? fd.closeAfter({ try fd.readAll() }) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
