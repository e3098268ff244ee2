import Syscalls

/// Steps a later stage adds to init, at fixed points of its sequence. Chapter 06 uses
/// this for the OCI hooks that run inside the container, capabilities, no_new_privs and
/// seccomp; its data travels in `Configuration.extensionData`. Errors thrown here reach
/// the parent like init's own (use `ContainerInit.step` to name them).
public protocol InitExtension {
    /// After the mounts, before pivot_root: the host's paths are still reachable.
    func beforePivot(_ configuration: IsolatedProcess.Configuration) throws
    /// After everything privileged: becomes the configured user and gives up privileges.
    /// (Without an extension, init only switches user.)
    func dropPrivileges(_ configuration: IsolatedProcess.Configuration) throws
    /// After `start`, just before exec: the last restrictions (seccomp goes here, so it
    /// need not allow what init does before).
    func beforeExec(_ configuration: IsolatedProcess.Configuration) throws
    /// Runs the command. The default replaces init with it (execve); chapter 06's `--init`
    /// keeps a small reaper as PID 1 and runs the command as its child. `started` must be
    /// called once the command runs: it tells the parent, as a successful exec would.
    func execute(_ configuration: IsolatedProcess.Configuration, program: String, environment: [String],
                 started: () -> Void) throws -> Never
}

extension InitExtension {
    public func execute(_ configuration: IsolatedProcess.Configuration, program: String, environment: [String],
                        started: () -> Void) throws -> Never {
        // The parent learns of the exec from the close-on-exec socket closing.
        try CurrentProcess.exec(program, arguments: configuration.command, environment: environment)
    }
}
