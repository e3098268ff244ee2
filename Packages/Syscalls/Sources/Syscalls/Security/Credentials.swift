import CSyscalls
import Glibc

/// The user and group IDs a process acts as.
public enum Credentials {
    /// Sets the real, effective and saved user IDs at once. Leaving uid 0 for another
    /// drops every capability (unless keepcaps is set); in a user namespace, `setUserID(0)`
    /// after the maps are written makes the process the namespace's root.
    ///
    /// The corresponding system call is `setresuid(2)`.
    public static func setUserID(_ uid: uid_t) throws {
        try nothingOrErrno { dsk_setresuid(uid, uid, uid) }
    }

    /// Sets the real, effective and saved group IDs at once.
    ///
    /// The corresponding system call is `setresgid(2)`.
    public static func setGroupID(_ gid: gid_t) throws {
        try nothingOrErrno { dsk_setresgid(gid, gid, gid) }
    }

    /// Replaces the supplementary groups (an empty list drops them all).
    ///
    /// The corresponding system call is `setgroups(2)`.
    public static func setSupplementaryGroups(_ groups: [gid_t]) throws {
        try nothingOrErrno { setgroups(groups.count, groups) }
    }
}
