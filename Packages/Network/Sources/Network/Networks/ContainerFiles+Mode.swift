extension ContainerFiles {
    /// The /etc files for `--network none` (no address, no resolver) and `--network host`
    /// (the host's resolvers as they are, loopback ones included: they work there).
    public init(hostname: String, mode: NetworkMode, hostResolvConf: String) {
        self.init(hostname: hostname, address: nil, nameserver: nil, hostResolvConf: mode == .host ? "" : hostResolvConf)
        if mode == .host { resolvConf = hostResolvConf }
        if mode == .none { resolvConf = "" }
    }
}
