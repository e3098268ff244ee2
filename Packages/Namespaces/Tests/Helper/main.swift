// namespaces-test-helper: the tests' init (the test runner cannot be one: it is not this
// program), and scenarios that must run in a process of their own.
//   namespaces-test-helper init              the container's init
//   namespaces-test-helper escape PID        join PID's mount namespace, try the chroot escape
import Glibc
import Namespaces
import Syscalls

let arguments = CommandLine.arguments
switch arguments.count > 1 ? arguments[1] : "" {
case "init":
    ContainerInit.run()

case "escape" where arguments.count == 3:
    // Enter the container's mount namespace as its root process would be, then try
    // chapter 01's escape: a second chroot below the cwd, then climb with "..".
    do {
        try CurrentProcess.requireSingleThreaded()
        let fd = try FileDescriptor.open("/proc/\(arguments[2])/ns/mnt")
        try Namespace.join(fd, kind: .mount)
        try FileSystem.changeDirectory(to: "/")
        try? FileSystem.makeDirectory("/.escape", permissions: 0o700)
        try FileSystem.changeRoot(to: "/.escape")
        for _ in 0..<64 { try FileSystem.changeDirectory(to: "..") }
        try FileSystem.changeRoot(to: ".")
        print(try FileSystem.entries(of: "/").map(\.name).filter { !$0.hasPrefix(".") }.sorted().joined(separator: " "))
    } catch {
        print("error: \(error)")
        exit(1)
    }

default:
    print("usage: namespaces-test-helper init | escape PID")
    exit(2)
}
