import CSyscalls

/// The small part of a network interface that needs no netlink: its up/down flag.
/// (Chapter 05 speaks rtnetlink for everything else.)
public enum NetworkInterface {
    /// Whether the interface `name` is administratively up (`IFF_UP`).
    ///
    /// The corresponding system call is `ioctl(2)` with `SIOCGIFFLAGS`.
    public static func isUp(_ name: String) throws -> Bool {
        var flags: CInt = 0
        try nothingOrErrno { dsk_interface_flags(name, &flags) }
        return flags & dsk_IFF_UP != 0
    }

    /// Brings the interface `name` up, as `ip link set NAME up` does. A new network
    /// namespace has only `lo`, and it starts down.
    ///
    /// The corresponding system call is `ioctl(2)` with `SIOCSIFFLAGS`.
    public static func bringUp(_ name: String) throws {
        var flags: CInt = 0
        try nothingOrErrno { dsk_interface_flags(name, &flags) }
        try nothingOrErrno { dsk_set_interface_flags(name, flags | dsk_IFF_UP) }
    }
}
