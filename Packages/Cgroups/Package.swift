// swift-tools-version:6.0
// Cgroups: chapter 03. A namespace hides; a cgroup limits. Memory, CPU and process counts a
// container cannot escape, on cgroup v2, cgroup v1, and the hybrid of both.
import PackageDescription

let package = Package(
    name: "Cgroups",
    products: [
        .library(name: "Cgroups", targets: ["Cgroups"]),
        .executable(name: "cgroups-demo", targets: ["cgroups-demo"]),
    ],
    dependencies: [
        .package(path: "../Syscalls"),
    ],
    targets: [
        .target(name: "Cgroups", dependencies: [.product(name: "Syscalls", package: "Syscalls")]),
        .executableTarget(name: "cgroups-demo", dependencies: ["Cgroups"]),
        .testTarget(name: "CgroupsTests", dependencies: ["Cgroups", "cgroups-demo"]),
    ]
)
