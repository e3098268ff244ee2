import FoundationEssentials
import Glibc
import Namespaces
import Syscalls

/// The OCI runtime's additions to chapter 02's init: hooks inside the container, resource
/// limits, capabilities, no_new_privs, and seccomp, in the order that keeps each step
/// possible (privileged work first, seccomp last).
///
/// `dosirak-runtime init` (and `dosirak init`) call `ContainerInit.run(extension: RuntimeInit())`.
public struct RuntimeInit: InitExtension {
    public init() {}

    /// The entry point of `init`: chapter 02's init with the runtime's steps added.
    public static func main() -> Never {
        ContainerInit.run(extension: RuntimeInit())
    }

    /// The runtime's part of the configuration, decoded once (init calls us four times, and
    /// a compiled seccomp filter is the largest thing a container's configuration carries).
    func hardening(_ configuration: IsolatedProcess.Configuration) throws -> Hardening {
        guard let text = configuration.extensionData else { return Hardening() }
        if let (source, decoded) = RuntimeInit.decoded, source == text { return decoded }
        let hardening = try JSONDecoder().decode(Hardening.self, from: Data(text.utf8))
        RuntimeInit.decoded = (text, hardening)
        return hardening
    }

    /// Init is single-threaded: a plain static is safe here.
    nonisolated(unsafe) static var decoded: (String, Hardening)?

    /// createContainer hooks: after the mounts, before pivot_root, inside the container's
    /// namespaces (their paths resolve on the host's file tree, still visible here).
    public func beforePivot(_ configuration: IsolatedProcess.Configuration) throws {
        let hardening = try hardening(configuration)
        try ContainerInit.step("createContainer hook") {
            try Hooks.run(hardening.createContainer, state: hardening.state)
        }
    }

    /// Limits, oom score, then the capability dance: drop the bounding set while still
    /// root, keep permitted capabilities across the switch to the configured user, then set
    /// exactly the configured sets; finally no_new_privs.
    public func dropPrivileges(_ configuration: IsolatedProcess.Configuration) throws {
        let hardening = try hardening(configuration)
        for limit in hardening.rlimits {
            try ContainerInit.step("setrlimit", limit.type) {
                // Names were checked when the container was created.
                try ResourceLimit.set(ResourceLimit.resources[limit.type] ?? -1, ResourceLimit(soft: limit.soft, hard: limit.hard))
            }
        }
        if let score = hardening.oomScoreAdj {
            try ContainerInit.step("write", "/proc/self/oom_score_adj \(score)") {
                let fd = try FileDescriptor.open("/proc/self/oom_score_adj", .writeOnly)
                try fd.closeAfter { try fd.writeAll(String(score)) }
            }
        }
        // Without no_new_privs, installing a filter needs CAP_SYS_ADMIN, which the capability
        // sets below may well drop: then the filter goes in first, while we still hold it
        // (runc does the same), and it must allow capset, setresuid and the rest that follow.
        if let filter = hardening.seccomp, !hardening.noNewPrivileges {
            try ContainerInit.step("seccomp") { try Seccomp.install(filter.kernelInstructions) }
        }
        if let capabilities = hardening.capabilities {
            try CapabilityDance.apply(capabilities, uid: configuration.uid, gid: configuration.gid,
                                      groups: configuration.additionalGroups)
        } else {
            try ContainerInit.switchUser(uid: configuration.uid, gid: configuration.gid, groups: configuration.additionalGroups)
        }
        if hardening.noNewPrivileges {
            try ContainerInit.step("prctl", "PR_SET_NO_NEW_PRIVS") { try CurrentProcess.setNoNewPrivileges() }
        }
    }

    /// startContainer hooks (now inside the container's own file tree), then seccomp (with
    /// no_new_privs): the filter goes in last, so it only has to allow what the program
    /// itself needs, and execve.
    public func beforeExec(_ configuration: IsolatedProcess.Configuration) throws {
        let hardening = try hardening(configuration)
        try ContainerInit.step("startContainer hook") {
            try Hooks.run(hardening.startContainer, state: hardening.state)
        }
        if let filter = hardening.seccomp, hardening.noNewPrivileges {
            try ContainerInit.step("seccomp") { try Seccomp.install(filter.kernelInstructions) }
        }
    }

    /// The command: exec'd in place of init, or with `--init` run under a reaper that stays PID 1.
    public func execute(_ configuration: IsolatedProcess.Configuration, program: String, environment: [String],
                        started: () -> Void) throws -> Never {
        if try hardening(configuration).reaper {
            try InitReaper.run(program, arguments: configuration.command, environment: environment, started: started)
        }
        try CurrentProcess.exec(program, arguments: configuration.command, environment: environment)
    }
}
