import Glibc
import Syscalls

extension ContainerFiles {
    /// Inside a container's new mount namespace: bind-mounts the files written by `write(to:)`
    /// over /etc/hostname, /etc/hosts and /etc/resolv.conf, after making every mount
    /// private so that nothing leaks to the host. What the runtime (chapter 06) does for
    /// every container, and the demo for its two.
    ///
    /// The corresponding system call is `mount(2)` with `MS_BIND`.
    public static func mount(from directory: String, etc: String = "/etc") throws {
        do {
            try Mount.setPropagation(.private, of: "/")
            for name in ["hostname", "hosts", "resolv.conf"] {
                let target = etc + "/" + name
                if access(target, F_OK) != 0 {
                    let fd = try FileDescriptor.open(target, .writeOnly, options: [.create], permissions: 0o644)
                    try fd.close()
                }
                try Mount.bind(directory + "/" + name, on: target, recursive: false)
            }
        } catch let error as Errno {
            throw NetworkError.system("bind-mount \(directory) over \(etc)", error)
        }
    }
}
