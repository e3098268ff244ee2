import Namespaces
import Syscalls

/// Setting a process's capabilities to exactly what config.json says, across a change of
/// user. The order matters: the bounding set can only be lowered with CAP_SETPCAP, which
/// the new user may not have; and leaving uid 0 clears every capability unless
/// PR_SET_KEEPCAPS is set first.
enum CapabilityDance {
    static func apply(_ wanted: Spec.Capabilities, uid: UInt32, gid: UInt32, groups: [UInt32]) throws {
        let bounding = try ContainerInit.step("capabilities") { try set(wanted.bounding) }
        for capability in Capability.all() where !bounding.contains(capability) {
            try ContainerInit.step("prctl PR_CAPBSET_DROP", capability.name) { try Capabilities.dropFromBounding(capability) }
        }
        try ContainerInit.step("prctl", "PR_SET_KEEPCAPS") { try CurrentProcess.setKeepCapabilities(true) }
        try ContainerInit.switchUser(uid: uid, gid: gid, groups: groups)
        try ContainerInit.step("prctl", "PR_SET_KEEPCAPS 0") { try CurrentProcess.setKeepCapabilities(false) }
        let sets = try ContainerInit.step("capabilities") {
            Capabilities(effective: try set(wanted.effective), permitted: try set(wanted.permitted),
                         inheritable: try set(wanted.inheritable))
        }
        try ContainerInit.step("capset") { try sets.apply() }
        try ContainerInit.step("prctl PR_CAP_AMBIENT_CLEAR_ALL") { try Capabilities.clearAmbient() }
        // A capability can be ambient only if it is also permitted and inheritable (capabilities(7)).
        // `runc spec` writes ambient capabilities with no inheritable ones, and the runtime spec
        // says a runtime should not fail over capabilities it cannot grant: runc leaves those out,
        // and so do we.
        let ambient = try ContainerInit.step("capabilities", "", { try set(wanted.ambient) })
        for capability in ambient.members where sets.permitted.contains(capability) && sets.inheritable.contains(capability) {
            try ContainerInit.step("prctl PR_CAP_AMBIENT_RAISE", capability.name) { try Capabilities.raiseAmbient(capability) }
        }
    }

    /// Names to a set; an unknown name is a configuration error, named.
    static func set(_ names: [String]?) throws -> CapabilitySet {
        try CapabilitySet((names ?? []).map { name in
            guard let capability = Capability(name: name) else { throw RuntimeError.unsupported("unknown capability \(name)") }
            return capability
        })
    }
}
