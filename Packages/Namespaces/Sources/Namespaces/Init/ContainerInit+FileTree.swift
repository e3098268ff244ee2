import FoundationEssentials
import Glibc
import Syscalls

extension ContainerInit {
    /// Builds the container's file tree and makes it `/`.
    ///
    /// With a mount namespace: make every mount private (so nothing we do reaches the host),
    /// bind the rootfs onto itself (pivot_root wants a mount point), mount /proc, /dev and
    /// the rest inside it, pivot_root, and detach the old root. Without one, only chroot is
    /// possible, with the weaknesses chapter 01 showed.
    static func setUpFileTree(_ configuration: IsolatedProcess.Configuration, extension initExtension: (any InitExtension)?) throws {
        guard let rootfs = configuration.rootfs else { return }
        guard configuration.isolatedKinds.contains(.mount) else {
            try step("chroot", rootfs) { try FileSystem.changeRoot(to: rootfs) }
            try step("chdir", "/") { try FileSystem.changeDirectory(to: "/") }
            return
        }
        try step("make private", "/") { try Mount.setPropagation(.private, of: "/") }
        try step("bind mount", rootfs) { try Mount.bind(rootfs, on: rootfs) }

        let root = try step("open", rootfs) { try FileDescriptor.open(rootfs, options: [.directory, .path]) }
        defer { try? root.close() }
        let inUserNamespace = configuration.isolatedKinds.contains(.user)
        for mount in configuration.mounts {
            try mountInside(root, mount)
        }
        for device in configuration.devices {
            try createDevice(device, in: root, bindFromHost: inUserNamespace)
        }
        for link in configuration.deviceLinks {
            let (parent, name) = try openParent(of: link.path, in: root)
            defer { try? parent.close() }
            try step("symlink", link.path) {
                do {
                    try FileSystem.makeSymbolicLink(name, to: link.target, in: parent)
                } catch Errno.fileExists {}  // the image or a mount already provides it
            }
        }
        try initExtension?.beforePivot(configuration)
        try pivot(into: rootfs)
        try restrict(configuration)
    }

    /// What is done to the finished tree: masked paths, sysctls (before /proc/sys turns
    /// read-only), read-only paths, the root's propagation, and a read-only root. Paths
    /// are the container's own now.
    static func restrict(_ configuration: IsolatedProcess.Configuration) throws {
        for path in configuration.maskedPaths {
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }  // nothing there to hide
            if info.st_mode & S_IFMT == S_IFDIR {
                try step("mask", path) { try Mount.mount("tmpfs", on: path, type: "tmpfs", flags: [.readOnly]) }
            } else {
                try step("mask", path) { try Mount.bind("/dev/null", on: path, recursive: false) }
            }
        }
        for (key, value) in configuration.sysctl.sorted(by: { $0.key < $1.key }) {
            let file = "/proc/sys/" + key.replacing(".", with: "/")
            try step("sysctl", "\(key)=\(value)") {
                let fd = try FileDescriptor.open(file, .writeOnly)
                try fd.closeAfter { try fd.writeAll(value) }
            }
        }
        for path in configuration.readonlyPaths {
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            try step("make read-only", path) {
                try Mount.bind(path, on: path, flags: [.readOnly, .noSetUID, .noDevices, .noExec])
            }
        }
        if let propagation = configuration.rootPropagation {
            try step("set propagation", "/ \(propagation.rawValue)") { try Mount.setPropagation(propagation, of: "/") }
        }
        if configuration.readonlyRootfs {
            try step("remount read-only", "/") {
                try Mount.mount("none", on: "/", flags: [.bind, .remount, .readOnly])
            }
        }
    }

    /// pivot_root(2): the rootfs becomes `/`. Given "." for both, the old root is stacked on
    /// the new one at `/`, where a lazy unmount takes it away: no directory to make in the
    /// image and remove again (runc does the same; pivot_root(2) shows the trick). `/` is a
    /// private mount by now, so the unmount reaches no other namespace. Afterwards no path
    /// leads back to the host's files.
    static func pivot(into rootfs: String) throws {
        try step("chdir", rootfs) { try FileSystem.changeDirectory(to: rootfs) }
        try step("pivot_root", rootfs) { try Mount.pivotRoot(".", putOld: ".") }
        try step("umount", "the old root") { try Mount.unmount(".", flags: .detach) }
        try step("chdir", "/") { try FileSystem.changeDirectory(to: "/") }
    }

    /// Mounts one file system at a path inside the rootfs. The path is resolved with
    /// RESOLVE_IN_ROOT, so a symbolic link in the image (say /proc -> /host) cannot point the
    /// mount outside the container; the mount then goes onto /proc/self/fd/N, the very
    /// directory we opened.
    static func mountInside(_ root: FileDescriptor, _ mount: MountPoint) throws {
        var isDirectory = true
        if mount.isBind {
            var info = stat()
            try step("stat", mount.source) { if stat(mount.source, &info) != 0 { throw Errno.current } }
            isDirectory = info.st_mode & S_IFMT == S_IFDIR
        }
        let target = try openMountPoint(mount.destination, in: root, directory: isDirectory)
        defer { try? target.close() }
        let targetPath = "/proc/self/fd/\(target.rawValue)"
        let (flags, data) = mount.flagsAndData
        let detail = "\(mount.type) on \(mount.destination)"
        if mount.isBind {
            try step("bind mount", "\(mount.source) on \(mount.destination)") {
                try Mount.bind(mount.source, on: targetPath, recursive: flags.contains(.recursive))
            }
            // A bind mount takes ro, nosuid, ... only on a remount, and the remount must name
            // the new mount: the descriptor we hold is the directory underneath it.
            let perMount = flags.intersection([.readOnly, .noSetUID, .noDevices, .noExec])
            if !perMount.isEmpty {
                let mounted = try openMountPoint(mount.destination, in: root, directory: isDirectory)
                defer { try? mounted.close() }
                try step("remount", "\(mount.destination) \(mount.options.joined(separator: ","))") {
                    try Mount.mount("none", on: "/proc/self/fd/\(mounted.rawValue)",
                                    flags: Mount.Flags([.bind, .remount]).union(perMount))
                }
            }
        } else {
            try step("mount", detail) {
                try Mount.mount(mount.source, on: targetPath, type: mount.type,
                                flags: flags.subtracting([.bind, .recursive]), data: data.isEmpty ? nil : data)
            }
        }
    }

    /// A device node: created with mknod, or, in a user namespace (where mknod is not
    /// allowed), the host's node bind-mounted onto an empty file.
    static func createDevice(_ device: DeviceNode, in root: FileDescriptor, bindFromHost: Bool) throws {
        if bindFromHost {
            try mountInside(root, MountPoint(destination: device.path, type: "bind", source: device.path, options: ["bind"]))
            return
        }
        let (parent, name) = try openParent(of: device.path, in: root)
        defer { try? parent.close() }
        try step("mknod", device.path) {
            do {
                try FileSystem.makeNode(name, type: device.fileType, permissions: mode_t(device.permissions),
                                        major: device.major, minor: device.minor, in: parent)
            } catch Errno.fileExists {
                // The image has a node there already: replace it with exactly this one.
                try FileSystem.remove(name, in: parent)
                try FileSystem.makeNode(name, type: device.fileType, permissions: mode_t(device.permissions),
                                        major: device.major, minor: device.minor, in: parent)
            }
        }
        // mknod applies the umask; make the mode exactly what was asked for.
        let node = try step("open", device.path) {
            try FileDescriptor.open(name, options: [.path, .noFollow], in: parent)
        }
        defer { try? node.close() }
        try step("chmod", device.path) {
            if chmod("/proc/self/fd/\(node.rawValue)", mode_t(device.permissions)) != 0 { throw Errno.current }
        }
        if device.uid != nil || device.gid != nil {
            try step("chown", device.path) {
                let uid = device.uid.map { uid_t($0) } ?? uid_t.max, gid = device.gid.map { gid_t($0) } ?? gid_t.max
                if fchownat(parent.rawValue, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 { throw Errno.current }
            }
        }
    }

    /// Opens (creating what is missing) the directory or empty file at `path` inside `root`.
    static func openMountPoint(_ path: String, in root: FileDescriptor, directory: Bool) throws -> FileDescriptor {
        let relative = String(path.drop { $0 == "/" })
        if relative.isEmpty { return try step("open", "/") { try root.duplicate() } }
        if let existing = try? FileDescriptor.open(relative, options: [.path], in: root, resolve: .inRoot) {
            return existing
        }
        let (parent, name) = try openParent(of: path, in: root)
        defer { try? parent.close() }
        if directory {
            try step("mkdir", path) {
                do { try FileSystem.makeDirectory(name, permissions: 0o755, in: parent) } catch Errno.fileExists {}
            }
        } else {
            let file = try step("create", path) {
                try FileDescriptor.open(name, .writeOnly, options: [.create, .noFollow], permissions: 0o644, in: parent)
            }
            try? file.close()
        }
        return try step("open", path) { try FileDescriptor.open(relative, options: [.path], in: root, resolve: .inRoot) }
    }

    /// The directory that will hold `path` (created, inside `root`, if missing) and the last name.
    /// Usually the directory exists and one lookup finds it; a missing one is made the same way,
    /// its own parent first.
    static func openParent(of path: String, in root: FileDescriptor) throws -> (FileDescriptor, String) {
        var components = path.split(separator: "/").map(String.init)
        guard let name = components.popLast(), name != "..", name != "." else {
            throw Failure(.failed(stage: "resolve", errno: EINVAL, detail: path))
        }
        if components.isEmpty { return (try step("open", "/") { try root.duplicate() }, name) }
        let parentPath = components.joined(separator: "/")
        func openParentPath() throws -> FileDescriptor {
            try FileDescriptor.open(parentPath, options: [.directory], in: root, resolve: .inRoot)
        }
        if let parent = try? openParentPath() { return (parent, name) }
        let (up, last) = try openParent(of: parentPath, in: root)
        defer { try? up.close() }
        try step("mkdir", "/" + parentPath) {
            do { try FileSystem.makeDirectory(last, permissions: 0o755, in: up) } catch Errno.fileExists {}
        }
        return (try step("open", "/" + parentPath) { try openParentPath() }, name)
    }
}
