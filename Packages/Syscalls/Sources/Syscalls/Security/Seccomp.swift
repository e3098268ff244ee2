import CSyscalls

/// Installing a seccomp filter: a small BPF program the kernel runs on every system call.
public enum Seccomp {
    /// One BPF instruction (`struct sock_filter`).
    public typealias Instruction = sock_filter

    /// Installs `program` on the calling thread (and, through exec and fork, everything it
    /// starts). Needs `no_new_privs` or `CAP_SYS_ADMIN`; filters can only be added, never
    /// removed. `synchronizeThreads` applies it to every thread (`SECCOMP_FILTER_FLAG_TSYNC`).
    ///
    /// The corresponding system call is `seccomp(2)` with `SECCOMP_SET_MODE_FILTER`.
    public static func install(_ program: [Instruction], synchronizeThreads: Bool = false) throws {
        guard program.count <= Int(UInt16.max) else { throw Errno.invalidArgument }
        let flags: UInt32 = synchronizeThreads ? 1 : 0
        try program.withUnsafeBufferPointer { buffer in
            try nothingOrErrno { dsk_seccomp_set_filter(buffer.baseAddress, UInt16(buffer.count), flags) }
        }
    }
}
