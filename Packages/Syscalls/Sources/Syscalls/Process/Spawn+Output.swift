extension Spawn {
    /// Runs the program to the end with its stdout (and, if `includeErrors`, its stderr)
    /// captured, and returns how it ended and what it printed.
    ///
    ///     let (status, output) = try Spawn("/bin/busybox", arguments: ["--list"]).output()
    public func output(includeErrors: Bool = false) throws -> (status: WaitStatus, output: String) {
        let (read, write) = try FileDescriptor.pipe()
        var spawn = self
        spawn.fileDescriptors[1] = write
        if includeErrors { spawn.fileDescriptors[2] = write }
        let child: SpawnedProcess
        do {
            child = try spawn.start()
        } catch {
            try? read.close()
            try? write.close()
            throw error
        }
        try? write.close()
        let bytes = try read.closeAfter { try read.readAll() }
        return (try child.wait(), String(decoding: bytes, as: UTF8.self))
    }
}
