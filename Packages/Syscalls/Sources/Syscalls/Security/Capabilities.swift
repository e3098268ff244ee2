import CSyscalls
import Glibc

/// A process's three classic capability sets.
///
/// `permitted` is what the process may use, `effective` what the kernel checks right now,
/// and `inheritable` what may pass through an exec. Two more sets live apart: the bounding
/// set (a ceiling, only ever lowered) and the ambient set (kept across exec of unprivileged
/// programs); both are reached through `prctl(2)` below.
public struct Capabilities: Hashable, Sendable {
    public var effective: CapabilitySet
    public var permitted: CapabilitySet
    public var inheritable: CapabilitySet

    public init(effective: CapabilitySet, permitted: CapabilitySet, inheritable: CapabilitySet) {
        self.effective = effective
        self.permitted = permitted
        self.inheritable = inheritable
    }

    /// The sets of process `pid` (0: this thread).
    ///
    /// The corresponding system call is `capget(2)`.
    public static func of(_ pid: pid_t = 0) throws -> Capabilities {
        var caps = dsk_capabilities()
        try nothingOrErrno { dsk_capget(pid, &caps) }
        return Capabilities(
            effective: CapabilitySet(rawValue: caps.effective),
            permitted: CapabilitySet(rawValue: caps.permitted),
            inheritable: CapabilitySet(rawValue: caps.inheritable))
    }

    /// Makes these the calling thread's sets. A set can only shrink, except that effective
    /// and inheritable may grow within permitted (and bounding, for inheritable).
    ///
    /// The corresponding system call is `capset(2)`.
    public func apply() throws {
        var caps = dsk_capabilities(
            effective: effective.rawValue, permitted: permitted.rawValue, inheritable: inheritable.rawValue)
        try nothingOrErrno { dsk_capset(&caps) }
    }

    /// Whether `capability` is still in the bounding set.
    ///
    /// The corresponding system call is `prctl(2)` with `PR_CAPBSET_READ`.
    public static func boundingContains(_ capability: Capability) throws -> Bool {
        try valueOrErrno { dsk_capbset_read(capability.rawValue) } == 1
    }

    /// Removes `capability` from the bounding set, for good (needs `CAP_SETPCAP`).
    ///
    /// The corresponding system call is `prctl(2)` with `PR_CAPBSET_DROP`.
    public static func dropFromBounding(_ capability: Capability) throws {
        try nothingOrErrno { dsk_capbset_drop(capability.rawValue) }
    }

    /// Adds `capability` to the ambient set (it must be permitted and inheritable).
    ///
    /// The corresponding system call is `prctl(2)` with `PR_CAP_AMBIENT_RAISE`.
    public static func raiseAmbient(_ capability: Capability) throws {
        try nothingOrErrno { dsk_cap_ambient_raise(capability.rawValue) }
    }

    /// Whether `capability` is in the ambient set.
    ///
    /// The corresponding system call is `prctl(2)` with `PR_CAP_AMBIENT_IS_SET`.
    public static func ambientContains(_ capability: Capability) throws -> Bool {
        try valueOrErrno { dsk_cap_ambient_is_set(capability.rawValue) } == 1
    }

    /// Empties the ambient set.
    ///
    /// The corresponding system call is `prctl(2)` with `PR_CAP_AMBIENT_CLEAR_ALL`.
    public static func clearAmbient() throws {
        try nothingOrErrno { dsk_cap_ambient_clear_all() }
    }
}
