import Cgroups
import FoundationEssentials
import Namespaces
import Syscalls

extension Spec {
    /// The namespace kinds by their config.json names.
    static let namespaceKinds: [String: Syscalls.Namespace] = [
        "pid": .pid, "network": .network, "mount": .mount, "ipc": .ipc, "uts": .uts,
        "user": .user, "cgroup": .cgroup, "time": .time,
    ]

    /// The device nodes every Linux container gets (the spec's "default devices").
    static let defaultDevices: [DeviceNode] = IsolatedProcess.Configuration.standardDevices

    /// Checks what can be checked before anything is created, with errors that name the field.
    func validate() throws {
        guard let process else { throw RuntimeError.bundle("config.json has no process") }
        guard let args = process.args, !args.isEmpty else { throw RuntimeError.bundle("process.args is empty") }
        _ = args
        guard process.cwd.hasPrefix("/") else { throw RuntimeError.bundle("process.cwd \"\(process.cwd)\" is not absolute") }
        for name in Self.capabilityNames(process.capabilities) where Capability(name: name) == nil {
            throw RuntimeError.bundle("process.capabilities: unknown capability \(name)")
        }
        for limit in process.rlimits ?? [] where ResourceLimit.resources[limit.type] == nil {
            throw RuntimeError.bundle("process.rlimits: unknown type \(limit.type)")
        }
        for limit in process.rlimits ?? [] where limit.soft > limit.hard {
            throw RuntimeError.bundle("process.rlimits: \(limit.type) soft limit \(limit.soft) above hard limit \(limit.hard)")
        }
        for namespace in linux?.namespaces ?? [] {
            guard Self.namespaceKinds[namespace.type] != nil else {
                throw RuntimeError.bundle("linux.namespaces: unknown type \(namespace.type)")
            }
            if let path = namespace.path, !path.hasPrefix("/") {
                throw RuntimeError.bundle("linux.namespaces: path \(path) of \(namespace.type) is not absolute")
            }
        }
        for mount in mounts ?? [] where !mount.destination.hasPrefix("/") {
            throw RuntimeError.bundle("mounts: destination \(mount.destination) is not absolute")
        }
        if let propagation = linux?.rootfsPropagation, Self.propagation(propagation) == nil {
            throw RuntimeError.bundle("linux.rootfsPropagation: unknown value \(propagation)")
        }
    }

    static func capabilityNames(_ capabilities: Capabilities?) -> [String] {
        guard let capabilities else { return [] }
        return [capabilities.bounding, capabilities.effective, capabilities.inheritable,
                capabilities.permitted, capabilities.ambient].compactMap { $0 }.flatMap { $0 }
    }

    static func propagation(_ name: String) -> Syscalls.Mount.Propagation? {
        switch name {
        case "private", "rprivate": .private
        case "slave", "rslave": .slave
        case "shared", "rshared": .shared
        case "unbindable", "runbindable": .unbindable
        default: nil
        }
    }

    /// What chapter 02's init needs to build this container. `cgroup` is where the
    /// container's processes live (for a `cgroup` mount); `startFIFO` is the exec FIFO of the
    /// OCI lifecycle; `state` is what hooks run by init get on stdin.
    func isolation(bundle: String, cgroup: (any Cgroup)?, startFIFO: String?, state: State?) throws -> IsolatedProcess.Configuration {
        guard let process, let args = process.args else { throw RuntimeError.bundle("config.json has no process.args") }
        var configuration = IsolatedProcess.Configuration(command: args, rootfs: try rootfs(bundle: bundle))
        for namespace in linux?.namespaces ?? [] {
            let kind = Self.namespaceKinds[namespace.type]!
            if let path = namespace.path {
                configuration.joinedNamespaces.append(.init(kind: kind, path: path))
            } else {
                configuration.namespaces.insert(kind)
            }
        }
        configuration.environment = process.env ?? []
        configuration.workingDirectory = process.cwd
        configuration.readonlyRootfs = root?.readonly ?? false
        configuration.hostname = hostname.flatMap { $0.isEmpty ? nil : $0 }
        configuration.uid = process.user.uid
        configuration.gid = process.user.gid
        configuration.additionalGroups = process.user.additionalGids ?? []
        configuration.umask = process.user.umask
        configuration.uidMappings = linux?.uidMappings ?? []
        configuration.gidMappings = linux?.gidMappings ?? []
        // config.json lists its own mounts (proc, /dev, devpts, ...): none are added.
        configuration.standardFileSystems = false
        configuration.mounts = try (mounts ?? []).flatMap { try Self.mountPoints(for: $0, cgroup: cgroup) }
        configuration.terminal = process.terminal ?? false
        configuration.terminalSize = process.consoleSize.map { .init(rows: $0.height, columns: $0.width) }
        configuration.devices = Self.defaultDevices + (linux?.devices ?? []).map {
            DeviceNode(path: $0.path, type: $0.type == "u" ? "c" : $0.type, major: UInt32(clamping: $0.major),
                       minor: UInt32(clamping: $0.minor), permissions: $0.fileMode.map { $0 & 0o7777 } ?? 0o666,
                       uid: $0.uid, gid: $0.gid)
        }
        configuration.maskedPaths = linux?.maskedPaths ?? []
        configuration.readonlyPaths = linux?.readonlyPaths ?? []
        configuration.sysctl = linux?.sysctl ?? [:]
        configuration.rootPropagation = linux?.rootfsPropagation.flatMap(Self.propagation)
        configuration.startFIFO = startFIFO

        var hardening = Hardening()
        hardening.capabilities = process.capabilities
        hardening.noNewPrivileges = process.noNewPrivileges ?? false
        hardening.rlimits = process.rlimits ?? []
        hardening.oomScoreAdj = process.oomScoreAdj
        if let seccomp = linux?.seccomp {
            hardening.seccomp = BPFProgram(try SeccompCompiler.compile(seccomp).program)
        }
        hardening.createContainer = hooks?.createContainer ?? []
        hardening.startContainer = hooks?.startContainer ?? []
        hardening.state = state
        hardening.reaper = annotations?[Spec.initAnnotation] == "true"
        configuration.extensionData = try hardening.encoded()
        return configuration
    }

    /// One config.json mount as init's mount points. A `cgroup` mount on a v1 or hybrid host
    /// becomes a read-only tmpfs holding a bind of the container's own directory in each
    /// controller's tree, as runc does; on v2 it is a cgroup2 mount (rooted by the cgroup
    /// namespace, if the container has one).
    static func mountPoints(for mount: Mount, cgroup: (any Cgroup)?) throws -> [MountPoint] {
        let options = mount.options ?? []
        let isBind = options.contains("bind") || options.contains("rbind") || mount.type == "bind"
        guard mount.type == "cgroup" || mount.type == "cgroup2" else {
            return [MountPoint(destination: mount.destination, type: isBind ? "bind" : (mount.type ?? "none"),
                               source: mount.source ?? "none", options: options)]
        }
        let readOnly = options.contains("ro")
        if let v1 = cgroup as? CgroupV1 {
            var points = [MountPoint(destination: mount.destination, type: "tmpfs", source: "cgroup",
                                     options: ["nosuid", "nodev", "noexec", "mode=755"])]
            for (controller, mountPoint) in v1.hierarchies.sorted(by: { $0.key < $1.key }) {
                let name = URL(fileURLWithPath: mountPoint).lastPathComponent
                guard controller == name || !name.contains(",") || name.hasPrefix(controller) else { continue }
                guard !points.contains(where: { $0.destination == mount.destination + "/" + name }) else { continue }
                points.append(MountPoint(destination: mount.destination + "/" + name, type: "bind",
                                         source: mountPoint + "/" + v1.name,
                                         options: ["rbind", "nosuid", "nodev", "noexec"] + (readOnly ? ["ro"] : [])))
            }
            return points
        }
        return [MountPoint(destination: mount.destination, type: "cgroup2", source: "cgroup2",
                           options: ["nosuid", "nodev", "noexec"] + (readOnly ? ["ro"] : []))]
    }
}
