import Cgroups
import FoundationEssentials
import Layers
import Runtime
import Syscalls

extension Context {
    /// The OCI configuration for one start of `entry`: chapter 06's defaults (Docker's
    /// capabilities, seccomp profile, masked paths), then the image's configuration, then the
    /// flags. Built again at every start from what was recorded at `create`.
    func spec(for entry: ContainerEntry, image: Image) throws -> Spec {
        let options = entry.options
        let rootfs = containers.rootfs(entry.id)
        var spec = Spec.default(args: [entry.path] + entry.args, terminal: options.tty, rootfs: rootfs)
        spec.hostname = entry.hostname
        if options.initProcess { spec.annotations = [Spec.initAnnotation: "true"] }
        spec.root?.readonly = options.readOnly ? true : nil

        var process = spec.process!
        process.env = ContainerEnvironment.merge(image: image.configuration.config?.env ?? [], hostname: entry.hostname,
                                                 tty: options.tty, flags: options.environment)
        process.cwd = options.workingDirectory ?? nonEmpty(image.configuration.config?.workingDir) ?? "/"
        process.user = try UserDatabase(rootfs: rootfs).resolve(options.user ?? nonEmpty(image.configuration.config?.user))
        // Docker leaves the file limit as the daemon has it; so do we, from our own.
        process.rlimits = nil
        process.noNewPrivileges = options.noNewPrivileges
        let capabilities = options.privileged ? Context.allCapabilities : effectiveCapabilities(options)
        process.capabilities = Spec.Capabilities(bounding: capabilities, effective: capabilities, permitted: capabilities)
        spec.process = process

        var linux = spec.linux!
        if options.network == "host" { linux.namespaces?.removeAll { $0.type == "network" } }
        linux.cgroupsPath = "dosirak/" + entry.id
        linux.resources = resources(options)
        if options.privileged || options.seccompUnconfined { linux.seccomp = nil }
        if !options.privileged {
            linux.seccomp = linux.seccomp.map { _ in SeccompProfile.dockerDefault(capabilities: Set(capabilities)) }
        } else {
            linux.maskedPaths = nil
            linux.readonlyPaths = nil
        }
        spec.linux = linux

        var mounts = Spec.defaultMounts
        if options.privileged {
            // A privileged container may write to /sys and sees the host's devices.
            mounts = mounts.map { mount in
                var mount = mount
                if mount.destination == "/sys" || mount.destination == "/sys/fs/cgroup" { mount.options?.removeAll { $0 == "ro" } }
                return mount
            }
        }
        let files = containers.filesDirectory(entry.id)
        for name in ["hostname", "hosts", "resolv.conf"] {
            mounts.append(Spec.Mount(destination: "/etc/" + name, type: "bind", source: files + "/" + name,
                                     options: ["rbind", "rprivate"] + (options.readOnly ? ["ro"] : [])))
        }
        for volume in entry.volumes {
            mounts.append(volumeMount(volume))
        }
        for path in options.tmpfs {
            let parts = path.split(separator: ":", maxSplits: 1)
            let extra = parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : []
            mounts.append(Spec.Mount(destination: String(parts[0]), type: "tmpfs", source: "tmpfs",
                                     options: ["nosuid", "nodev", "noexec"] + extra))
        }
        // A later mount on the same path replaces an earlier one (a volume on /dev/shm, say).
        spec.mounts = mounts.enumerated().filter { index, mount in
            !mounts[(index + 1)...].contains { $0.destination == mount.destination }
        }.map(\.element)
        return spec
    }

    func volumeMount(_ volume: VolumeSpec) -> Spec.Mount {
        switch volume.kind {
        case .tmpfs:
            return Spec.Mount(destination: volume.destination, type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev"])
        case .bind, .volume:
            let source = volume.kind == .bind ? volume.source! : volumes.dataPath(volume.source!)
            return Spec.Mount(destination: volume.destination, type: "bind", source: source,
                              options: ["rbind", "rprivate"] + (volume.readOnly ? ["ro"] : []))
        }
    }

    /// Docker's default capabilities, with `--cap-add` and `--cap-drop` (`ALL` for all).
    func effectiveCapabilities(_ options: RunOptions) -> [String] {
        var set = Set(options.capDrop.contains("ALL") ? [] : Spec.dockerCapabilities)
        set.subtract(options.capDrop)
        if options.capAdd.contains("ALL") { set.formUnion(Context.allCapabilities) }
        set.formUnion(options.capAdd.filter { $0 != "ALL" })
        return set.sorted()
    }

    /// Every capability we hold ourselves (`--privileged` gets them all): the kernel's list,
    /// less what our own bounding set lacks (a machine may withhold some even from root).
    static var allCapabilities: [String] {
        Capability.all().filter { (try? Capabilities.boundingContains($0)) == true }.map(\.name)
    }

    /// `-m`, `--memory-swap`, `--cpus`, `--cpuset-cpus` and `--pids-limit` as cgroup limits.
    func resources(_ options: RunOptions) -> Resources? {
        var resources = Resources()
        if let memory = options.memory {
            // Swap is limited only when asked (`--memory-swap`): a kernel without swap
            // accounting has no file for it, and the container would not start.
            resources.memory = Resources.Memory(limit: memory, swap: options.memorySwap)
        }
        if options.cpuQuota != nil || options.cpusetCPUs != nil {
            resources.cpu = Resources.CPU(quota: options.cpuQuota, period: options.cpuQuota == nil ? nil : 100_000,
                                          cpus: options.cpusetCPUs)
        }
        if let pids = options.pidsLimit { resources.pids = Resources.Pids(limit: pids) }
        return resources == Resources() ? nil : resources
    }
}

func nonEmpty(_ text: String?) -> String? {
    guard let text, !text.isEmpty else { return nil }
    return text
}

/// The container's environment, in Docker's order of precedence.
enum ContainerEnvironment {
    static let defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// PATH (Docker's default when the image has none), the image's variables, HOSTNAME,
    /// TERM for a terminal, then `-e`: a later value of a name replaces an earlier one.
    static func merge(image: [String], hostname: String, tty: Bool, flags: [String]) -> [String] {
        var result: [String] = []
        func set(_ item: String) {
            let name = item.prefix { $0 != "=" }
            if let index = result.firstIndex(where: { $0.prefix { $0 != "=" } == name }) {
                result[index] = item
            } else {
                result.append(item)
            }
        }
        set(defaultPath)
        image.forEach(set)
        set("HOSTNAME=" + hostname)
        if tty { set("TERM=xterm") }
        flags.forEach(set)
        return result
    }
}
