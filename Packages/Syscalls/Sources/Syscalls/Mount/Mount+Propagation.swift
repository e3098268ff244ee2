import Glibc

extension Mount {
    /// How mount and unmount events spread between this mount and its peers.
    public enum Propagation: String, Codable, Sendable {
        /// Events spread both ways with the peer group (systemd makes `/` shared).
        case shared
        /// Events from the master arrive; ours go nowhere.
        case slave
        /// Nothing arrives and nothing leaves.
        case `private`
        /// Private, and cannot be bind-mounted.
        case unbindable

        var flag: Flags {
            switch self {
            case .shared: .shared
            case .slave: .slave
            case .private: .private_
            case .unbindable: .unbindable
            }
        }
    }

    /// Changes the propagation of the mount at `target` (and every mount below it when
    /// `recursive`). A new mount namespace starts with copies of the host's mounts, still
    /// shared with them: make `/` private first, or every mount made inside leaks out.
    ///
    ///     try Mount.setPropagation(.private, of: "/", recursive: true)
    ///
    /// The corresponding system call is `mount(2)` with `MS_PRIVATE`, `MS_SLAVE`, ...
    public static func setPropagation(
        _ propagation: Propagation, of target: String, recursive: Bool = true
    ) throws {
        var flags = propagation.flag
        if recursive { flags.insert(.recursive) }
        try nothingOrErrno { Glibc.mount("none", target, nil, flags.rawValue, nil) }
    }
}
