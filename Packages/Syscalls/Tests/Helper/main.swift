// syscalls-test-helper: runs one scenario that needs a process of its own (a single
// thread, or a change that must not touch the test runner), and prints what it saw.
// Usage: syscalls-test-helper SCENARIO [ARGUMENTS...]
import Glibc
import Syscalls

func run(_ scenario: String, _ arguments: [String]) throws {
    switch scenario {
    case "threads":
        print(try CurrentProcess.threadCount())

    case "unshare-uts":
        // A new UTS namespace: our hostname changes, the host's does not.
        try CurrentProcess.requireSingleThreaded()
        try Namespace.unshare([.uts])
        try Hostname.set(arguments[0])
        print(try Hostname.get())

    case "join-uts":
        // Join the UTS namespace of process arguments[0] and report its hostname.
        let fd = try FileDescriptor.open("/proc/\(arguments[0])/ns/uts")
        try Namespace.join(fd, kind: .uts)
        try fd.close()
        print(try Hostname.get())

    case "join-wrong-kind":
        // A network namespace file offered as a UTS namespace: the kernel refuses.
        let fd = try FileDescriptor.open("/proc/self/ns/net")
        do {
            try Namespace.join(fd, kind: .uts)
            print("joined")
        } catch let error as Errno {
            print(error)
        }

    case "pivot-root":
        // A private mount namespace, then pivot_root into arguments[0]; list the new "/".
        let root = arguments[0]
        try Namespace.unshare([.mount])
        try Mount.setPropagation(.private, of: "/")
        try Mount.bind(root, on: root)
        try FileSystem.makeDirectory(root + "/.old-root", permissions: 0o700)
        try Mount.pivotRoot(root, putOld: root + "/.old-root")
        try FileSystem.changeDirectory(to: "/")
        try Mount.unmount("/.old-root", flags: .detach)
        try nothingOrThrow(rmdir("/.old-root"))
        print(try listDirectory("/").joined(separator: " "))

    case "pivot-root-not-mount-point":
        // new_root is a plain directory on the root mount: the kernel refuses.
        try Namespace.unshare([.mount])
        try Mount.setPropagation(.private, of: "/")
        do {
            try Mount.pivotRoot(arguments[0], putOld: arguments[0] + "/old")
            print("pivoted")
        } catch let error as Errno {
            print(error)
        }

    case "mount-private":
        // A tmpfs mounted in a private mount namespace is invisible to the host.
        try Namespace.unshare([.mount])
        try Mount.setPropagation(.private, of: "/")
        try Mount.mount("tmpfs", on: arguments[0], type: "tmpfs", flags: [.noSetUID, .noDevices])
        let marker = try FileDescriptor.open(arguments[0] + "/inside", .writeOnly, options: [.create])
        try marker.close()
        print(try listDirectory(arguments[0]).joined(separator: " "))

    case "chroot":
        try FileSystem.changeRoot(to: arguments[0])
        try FileSystem.changeDirectory(to: "/")
        print(try listDirectory("/").joined(separator: " "))

    case "pdeathsig":
        print(try CurrentProcess.parentDeathSignal().map(\.name) ?? "none")

    case "no-new-privs":
        let before = try CurrentProcess.noNewPrivileges()
        try CurrentProcess.setNoNewPrivileges()
        print(before, try CurrentProcess.noNewPrivileges())

    case "subreaper":
        let before = try CurrentProcess.isChildSubreaper()
        try CurrentProcess.setChildSubreaper()
        print(before, try CurrentProcess.isChildSubreaper())

    case "keepcaps":
        try CurrentProcess.setKeepCapabilities(true)
        print(try CurrentProcess.keepCapabilities())

    case "name":
        try CurrentProcess.setName(arguments[0])
        let fd = try FileDescriptor.open("/proc/self/comm")
        print(String(decoding: try fd.readAll(), as: UTF8.self), terminator: "")

    case "drop-capabilities":
        // Drop CAP_NET_ADMIN from every set and the bounding set; report from the kernel.
        let netAdmin = Capability(name: "NET_ADMIN")!
        var caps = try Capabilities.of()
        caps.effective.remove(CapabilitySet([netAdmin]))
        caps.permitted.remove(CapabilitySet([netAdmin]))
        caps.inheritable.remove(CapabilitySet([netAdmin]))
        try caps.apply()
        try Capabilities.dropFromBounding(netAdmin)
        let after = try Capabilities.of()
        print(after.effective.contains(netAdmin), after.permitted.contains(netAdmin),
              try Capabilities.boundingContains(netAdmin))

    case "ambient":
        let chown = Capability(name: "CAP_CHOWN")!
        var caps = try Capabilities.of()
        caps.inheritable.insert(CapabilitySet([chown]))
        try caps.apply()
        try Capabilities.raiseAmbient(chown)
        let raised = try Capabilities.ambientContains(chown)
        try Capabilities.clearAmbient()
        print(raised, try Capabilities.ambientContains(chown))

    case "seccomp":
        // A four-instruction filter: chdir fails with EPERM, everything else is allowed.
        try CurrentProcess.setNoNewPrivileges()
        #if arch(x86_64)
        let chdirNumber: UInt32 = 80
        #elseif arch(arm64)
        let chdirNumber: UInt32 = 49
        #endif
        let ret: UInt16 = 0x06, ld: UInt16 = 0x20, jeq: UInt16 = 0x15  // BPF_RET, BPF_LD|W|ABS, BPF_JMP|JEQ|K
        let program: [Seccomp.Instruction] = [
            .init(code: ld, jt: 0, jf: 0, k: 0),                             // A = seccomp_data.nr
            .init(code: jeq, jt: 0, jf: 1, k: chdirNumber),
            .init(code: ret, jt: 0, jf: 0, k: 0x0005_0000 | UInt32(EPERM)),  // SECCOMP_RET_ERRNO
            .init(code: ret, jt: 0, jf: 0, k: 0x7fff_0000),                  // SECCOMP_RET_ALLOW
        ]
        try Seccomp.install(program)
        let result = chdir("/")
        print(try CurrentProcess.seccompMode(), result == -1 ? Errno.current.name : "allowed")

    case "become-nobody":
        // Drop to uid/gid 65534 with no supplementary groups; report what the kernel says.
        try Credentials.setSupplementaryGroups([])
        try Credentials.setGroupID(65534)
        try Credentials.setUserID(65534)
        let caps = try Capabilities.of()
        print(getuid(), geteuid(), getgid(), getegid(), getgroups(0, nil), caps.effective.rawValue)

    case "loopback-up":
        // A new network namespace: lo starts down; bring it up.
        try Namespace.unshare([.network])
        let before = try NetworkInterface.isUp("lo")
        try NetworkInterface.bringUp("lo")
        print(before, try NetworkInterface.isUp("lo"))

    case "reap":
        // Two children end; reapAnyChild collects both, then reports none left.
        let first = try Spawn("/bin/sh", arguments: ["-c", "exit 3"]).start()
        let second = try Spawn("/bin/sh", arguments: ["-c", "kill -TERM $$"]).start()
        var reaped: [String] = []
        while reaped.count < 2 {
            if let (pid, status) = try ProcessID.reapAnyChild() {
                reaped.append(pid == first.pid ? "first \(status)" : pid == second.pid ? "second \(status)" : "other")
            } else {
                usleep(1000)
            }
        }
        print(reaped.sorted().joined(separator: ", "), try ProcessID.reapAnyChild() == nil)

    case "fchdir":
        let dir = try FileDescriptor.open(arguments[0], options: [.directory])
        try FileSystem.changeDirectory(to: dir)
        print(try FileSystem.currentDirectory())

    case "rlimit":
        let nofile = ResourceLimit.resources["RLIMIT_NOFILE"]!
        try ResourceLimit.set(nofile, ResourceLimit(soft: 512, hard: 1024))
        let limit = try ResourceLimit.get(nofile)
        print(limit.soft, limit.hard)

    case "exec":
        try CurrentProcess.exec(arguments[0], arguments: Array(arguments), environment: ["FROM=exec"])

    default:
        throw Errno.invalidArgument
    }
}

func listDirectory(_ path: String) throws -> [String] {
    guard let dir = opendir(path) else { throw Errno.current }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

func nothingOrThrow(_ result: CInt) throws {
    if result == -1 { throw Errno.current }
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let scenario = arguments.first else {
    print("usage: syscalls-test-helper SCENARIO [ARGUMENTS...]")
    exit(2)
}
do {
    try run(scenario, Array(arguments.dropFirst()))
} catch {
    print("error: \(error)")
    exit(1)
}
