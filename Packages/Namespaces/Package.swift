// swift-tools-version:6.0
// Namespaces: chapters 01 (chroot) and 02 (namespaces). A root filesystem, a jail that
// leaks, and then a process that believes it is alone on the machine.
import PackageDescription

let package = Package(
    name: "Namespaces",
    products: [
        .library(name: "Namespaces", targets: ["Namespaces"]),
        .executable(name: "chroot-demo", targets: ["chroot-demo"]),
        .executable(name: "namespaces-demo", targets: ["namespaces-demo"]),
    ],
    dependencies: [
        .package(path: "../Syscalls"),
    ],
    targets: [
        .target(name: "Namespaces", dependencies: [.product(name: "Syscalls", package: "Syscalls")]),
        .executableTarget(name: "chroot-demo", dependencies: ["Namespaces"]),
        .executableTarget(name: "namespaces-demo", dependencies: ["Namespaces"]),
        // The tests' init, and scenarios that need a single-threaded process of their own.
        .executableTarget(name: "namespaces-test-helper", dependencies: ["Namespaces"], path: "Tests/Helper"),
        .testTarget(name: "NamespacesTests",
                    dependencies: ["Namespaces", "chroot-demo", "namespaces-demo", "namespaces-test-helper"]),
    ]
)
