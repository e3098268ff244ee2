// swift-tools-version:6.0
// Syscalls: the base every Dosirak stage stands on. Thin, typed Swift wrappers over the
// Linux system calls containers are made of, and the C they cannot do without.
import PackageDescription

let package = Package(
    name: "Syscalls",
    products: [
        .library(name: "Syscalls", targets: ["Syscalls"]),
    ],
    targets: [
        .target(name: "CSyscalls"),
        .target(name: "Syscalls", dependencies: ["CSyscalls"]),
        // Scenarios that need a single-threaded process (unshare, setns) run in this helper,
        // spawned by the tests: the test runner itself is multithreaded.
        .executableTarget(name: "syscalls-test-helper", dependencies: ["Syscalls"], path: "Tests/Helper"),
        .testTarget(name: "SyscallsTests", dependencies: ["Syscalls", "syscalls-test-helper"]),
    ]
)
