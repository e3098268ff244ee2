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
}
