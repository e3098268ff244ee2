// swift-tools-version:6.0
// Runtime: chapter 06. Chapters 02-05 assembled into a container that follows the OCI
// runtime specification: config.json, the lifecycle, hardening, supervision, and
// `dosirak-runtime`, a runc-compatible command that Docker, containerd and podman can call.
import PackageDescription

let package = Package(
    name: "Runtime",
    products: [
        .library(name: "Runtime", targets: ["Runtime"]),
        .executable(name: "dosirak-runtime", targets: ["dosirak-runtime"]),
        .executable(name: "runtime-demo", targets: ["runtime-demo"]),
    ],
    dependencies: [
        .package(path: "../Syscalls"),
        .package(path: "../Namespaces"),
        .package(path: "../Cgroups"),
    ],
    targets: [
        .target(name: "Runtime", dependencies: [
            .product(name: "Syscalls", package: "Syscalls"),
            .product(name: "Namespaces", package: "Namespaces"),
            .product(name: "Cgroups", package: "Cgroups"),
        ]),
        .executableTarget(name: "dosirak-runtime", dependencies: ["Runtime"]),
        .executableTarget(name: "runtime-demo", dependencies: ["Runtime"]),
        // Scenarios that need a single-threaded process of their own (installing a seccomp
        // filter, dropping capabilities) run in this helper, spawned by the tests.
        .executableTarget(name: "runtime-test-helper", dependencies: ["Runtime"], path: "Tests/Helper"),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "dosirak-runtime", "runtime-demo", "runtime-test-helper"]),
    ]
)
