// swift-tools-version:6.0
// Network: chapter 05. rtnetlink spoken from Swift, bridges and veth pairs, addresses that
// survive restarts, NAT and published ports through nftables, and names that resolve.
import PackageDescription

let package = Package(
    name: "Network",
    products: [
        .library(name: "Network", targets: ["Network"]),
        .executable(name: "network-demo", targets: ["network-demo"]),
    ],
    dependencies: [
        .package(path: "../Syscalls"),
        .package(path: "../Cgroups"),
    ],
    targets: [
        .target(name: "Network", dependencies: [.product(name: "Syscalls", package: "Syscalls"),
                                                 // Where the cgroup v2 hierarchy is (CgroupLayout), for the eBPF shortcut.
                                                 .product(name: "Cgroups", package: "Cgroups")]),
        .executableTarget(name: "network-demo", dependencies: ["Network"]),
        // Processes of their own for the tests: containers' programs, servers and clients,
        // and allocations that must come from separate processes.
        .executableTarget(name: "network-test-helper", dependencies: ["Network"], path: "Tests/Helper"),
        .testTarget(name: "NetworkTests", dependencies: ["Network", "network-demo", "network-test-helper"]),
    ]
)
