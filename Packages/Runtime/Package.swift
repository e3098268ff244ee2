// swift-tools-version:6.0
// Runtime: chapter 06. Chapters 02-05 assembled into a container that follows the OCI
// runtime specification: config.json, the lifecycle, hardening, supervision, and
// `dosirak-runtime`, a runc-compatible command that Docker, containerd and podman can call.
import PackageDescription

let package = Package(
    name: "Runtime",
    products: [
        .library(name: "Runtime", targets: ["Runtime"]),
        .library(name: "Relay", targets: ["Relay"]),
        .executable(name: "dosirak-runtime", targets: ["dosirak-runtime"]),
        .executable(name: "runtime-demo", targets: ["runtime-demo"]),
        .executable(name: "dosirak-relay", targets: ["dosirak-relay"]),
    ],
    dependencies: [
        .package(path: "../Syscalls"),
        .package(path: "../Namespaces"),
        .package(path: "../Cgroups"),
    ],
    targets: [
        // The long-lived half of a container's monitor: Syscalls only, no Foundation, so that
        // `dosirak-relay`, which sits beside every running container, stays small.
        .target(name: "Relay", dependencies: [.product(name: "Syscalls", package: "Syscalls")]),
        .executableTarget(name: "dosirak-relay", dependencies: ["Relay", .product(name: "Syscalls", package: "Syscalls")]),
        .target(name: "Runtime", dependencies: [
            "Relay",
            .product(name: "Syscalls", package: "Syscalls"),
            .product(name: "Namespaces", package: "Namespaces"),
            .product(name: "Cgroups", package: "Cgroups"),
        ]),
        .executableTarget(name: "dosirak-runtime", dependencies: ["Runtime"]),
        .executableTarget(name: "runtime-demo", dependencies: ["Runtime", "Relay"]),
        // Scenarios that need a single-threaded process of their own (installing a seccomp
        // filter, dropping capabilities) run in this helper, spawned by the tests.
        .executableTarget(name: "runtime-test-helper", dependencies: ["Runtime", "Relay"], path: "Tests/Helper"),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "Relay", "dosirak-runtime", "dosirak-relay", "runtime-demo", "runtime-test-helper"]),
    ]
)
