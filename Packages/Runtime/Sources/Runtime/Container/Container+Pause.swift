import Cgroups

extension Container {
    /// `pause`: freezes every process in the container's cgroup.
    public mutating func pause() throws {
        let lock = try store.lock(id)
        defer { lock.release() }
        record = try store.load(id, withSpec: false)
        try require(.pause, status)
        try cgroup.freeze()
        record.status = .paused
        try store.save(record)
    }

    /// `resume`: thaws a paused container.
    public mutating func resume() throws {
        let lock = try store.lock(id)
        defer { lock.release() }
        record = try store.load(id, withSpec: false)
        try require(.resume, status)
        try cgroup.thaw()
        record.status = .running
        try store.save(record)
    }

    /// `update`: new limits for a live container's cgroup.
    public mutating func update(_ resources: Resources) throws {
        let lock = try store.lock(id)
        defer { lock.release() }
        record = try store.load(id)
        try require(.update, status)
        try resources.validate(onlineCPUs: Resources.onlineCPUs())
        try cgroup.apply(resources)
        var linux = record.spec.linux ?? Spec.Linux()
        linux.resources = resources
        record.spec.linux = linux
        try store.saveSpec(record)
        try store.save(record)
    }

    /// The PIDs (as the host sees them) of every process in the container.
    public func processes() throws -> [Int32] {
        guard status != .stopped else { return [] }
        return try cgroup.processes().map(\.rawValue).sorted()
    }
}
