import Glibc

/// Seccomp profiles Dosirak ships, as config.json would carry them.
public enum SeccompProfile {
    /// Docker's default profile, for a container whose capability set holds `capabilities`
    /// (`"CAP_SYS_ADMIN"` or `"SYS_ADMIN"`). The policy follows Docker's: moby's
    /// `profiles/seccomp/default.json`, written out here as Swift.
    ///
    /// An allowlist: some 360 names of calls that ordinary programs make are allowed, and
    /// everything else fails with EPERM. Left out on purpose are calls that reach past the
    /// container: `kexec_load`, `init_module`, `keyctl` (the kernel keyring is not namespaced),
    /// `bpf`, `perf_event_open`, `add_key`, `userfaultfd`, `mount`, `unshare`, `setns`,
    /// `reboot`, `swapon`, and more. Some come back with the capability that guards them in
    /// the kernel: a container given CAP_SYS_ADMIN may mount and unshare, one given
    /// CAP_SYS_BOOT may reboot; kexec never comes back. Without CAP_SYS_ADMIN, `clone` is
    /// allowed only without `CLONE_NEW*` flags, and `clone3`, whose flags sit in memory a
    /// filter cannot read, fails with ENOSYS so that libc falls back to `clone`.
    ///
    ///     let profile = SeccompProfile.dockerDefault(capabilities: ["CAP_CHOWN", "CAP_KILL"])
    ///     let filter = try SeccompCompiler.compile(profile)
    public static func dockerDefault(capabilities: Set<String>,
                                     architecture: SeccompArchitecture = .current) -> Spec.Seccomp {
        let capabilities = Set(capabilities.map { name in
            let upper = name.uppercased()
            return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
        })
        var syscalls = [Spec.Seccomp.Syscall(names: allowed, action: "SCMP_ACT_ALLOW")]

        // Sockets of the address families that containers use; not AF_ALG (the kernel's
        // crypto API) nor AF_VSOCK (host and virtual machines talking, across namespaces).
        syscalls += socketDomains.map { domain in
            Spec.Seccomp.Syscall(names: ["socket"], action: "SCMP_ACT_ALLOW",
                                 args: [Spec.Seccomp.Arg(index: 0, value: domain, op: "SCMP_CMP_EQ")])
        }
        // personality(2) only to ask (0xffffffff), or to set Linux, with or without the
        // 32-bit address space flags; not ADDR_NO_RANDOMIZE, which would switch ASLR off.
        syscalls += [0x0, 0x0008, 0x20000, 0x20008, 0xffff_ffff].map { persona in
            Spec.Seccomp.Syscall(names: ["personality"], action: "SCMP_ACT_ALLOW",
                                 args: [Spec.Seccomp.Arg(index: 0, value: persona, op: "SCMP_CMP_EQ")])
        }
        switch architecture {
        case .x86_64:
            syscalls.append(Spec.Seccomp.Syscall(names: ["arch_prctl", "modify_ldt"], action: "SCMP_ACT_ALLOW"))
        case .aarch64:
            syscalls.append(Spec.Seccomp.Syscall(
                names: ["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"],
                action: "SCMP_ACT_ALLOW"))
        }

        for (capability, names) in allowedWithCapability where capabilities.contains(capability) {
            syscalls.append(Spec.Seccomp.Syscall(names: names, action: "SCMP_ACT_ALLOW"))
        }
        if !capabilities.contains("CAP_SYS_ADMIN") {
            syscalls.append(Spec.Seccomp.Syscall(names: ["clone"], action: "SCMP_ACT_ALLOW", args: [
                Spec.Seccomp.Arg(index: 0, value: newNamespaceFlags, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ"),
            ]))
            syscalls.append(Spec.Seccomp.Syscall(names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: UInt32(ENOSYS)))
        }

        return Spec.Seccomp(defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: UInt32(EPERM),
                            architectures: [architecture.rawValue], syscalls: syscalls)
    }

    /// CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
    /// | CLONE_NEWCGROUP: the flags that make new namespaces.
    static let newNamespaceFlags: UInt64 =
        0x0002_0000 | 0x0400_0000 | 0x0800_0000 | 0x1000_0000 | 0x2000_0000 | 0x4000_0000 | 0x0200_0000

    /// AF_UNIX (1) to AF_ROSE (11), AF_NETBEUI (13) to AF_ASH (18), AF_RDS, AF_SNA, AF_PPPOX,
    /// AF_LLC to AF_RXRPC (26-33), AF_PHONET, AF_IEEE802154, AF_NFC, AF_KCM to AF_MCTP (41-45).
    /// Missing: families the kernel no longer has (DECnet 12, Econet 19, ATMSVC 20, IrDA 23,
    /// WANPIPE 25, ISDN 34, CAIF 37), AF_ALG (38) and AF_VSOCK (40).
    static let socketDomains: [UInt64] =
        Array(1...11) + Array(13...18) + [21, 22, 24] + Array(26...33) + [35, 36, 39] + Array(41...45)

    /// Calls allowed only with a capability, as the kernel itself would demand it.
    static let allowedWithCapability: KeyValuePairs<String, [String]> = [
        "CAP_DAC_READ_SEARCH": ["open_by_handle_at"],
        "CAP_SYS_ADMIN": [
            "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
            "lookup_dcookie", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "mount",
            "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd",
            "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2", "unshare",
        ],
        "CAP_SYS_BOOT": ["reboot"],
        "CAP_SYS_CHROOT": ["chroot"],
        "CAP_SYS_MODULE": ["delete_module", "init_module", "finit_module"],
        "CAP_SYS_PACCT": ["acct"],
        "CAP_SYS_PTRACE": ["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"],
        "CAP_SYS_RAWIO": ["iopl", "ioperm"],
        "CAP_SYS_TIME": ["settimeofday", "stime", "clock_settime", "clock_settime64"],
        "CAP_SYS_TTY_CONFIG": ["vhangup"],
        "CAP_SYS_NICE": ["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"],
        "CAP_SYSLOG": ["syslog"],
        "CAP_BPF": ["bpf"],
        "CAP_PERFMON": ["perf_event_open"],
    ]

    /// Calls allowed to every container. Names of other ABIs (`chown32`, `_llseek`) and of
    /// calls newer than the syscall table are skipped by the compiler.
    static let allowed: [String] = [
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
        "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
        "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
        "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat",
        "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
        "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
        "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
        "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2",
        "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr",
        "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
        "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64",
        "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd", "getdents",
        "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32",
        "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid",
        "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid",
        "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname",
        "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
        "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
        "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
        "ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule",
        "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr",
        "link", "linkat", "listen", "listmount", "listxattr", "listxattrat", "llistxattr", "_llseek",
        "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack",
        "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
        "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr",
        "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
        "mq_timedsend_time64", "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd",
        "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat",
        "_newselect", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe",
        "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
        "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
        "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
        "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
        "remap_file_pages", "removexattr", "removexattrat", "rename", "renameat", "renameat2",
        "restart_syscall", "riscv_hwprobe", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
        "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
        "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
        "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
        "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
        "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
        "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
        "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid",
        "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid",
        "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
        "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
        "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr",
        "setxattrat", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
        "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat",
        "stat64", "statfs", "statfs64", "statmount", "statx", "symlink", "symlinkat", "sync",
        "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
        "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
        "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
        "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
        "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "uretprobe", "utime", "utimensat",
        "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
        "writev",
        // Allowed by Docker on kernels from 4.8 on, where seccomp can no longer be bypassed
        // through ptrace; earlier kernels would not run Dosirak anyway.
        "process_vm_readv", "process_vm_writev", "ptrace",
    ]
}
