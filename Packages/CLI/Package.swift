// swift-tools-version:6.0
// CLI: chapter 07. The `dosirak` command: Docker's everyday workflow (run, ps, logs, exec,
// images, pull, networks, volumes) on the packages of chapters 01-06, with no daemon.
import PackageDescription

let package = Package(
    name: "CLI",
    products: [
        .library(name: "CLI", targets: ["CLI"]),
        .executable(name: "dosirak", targets: ["dosirak"]),
    ],
    dependencies: [
        .package(path: "../Syscalls"),
        .package(path: "../Namespaces"),
        .package(path: "../Cgroups"),
        .package(path: "../Layers"),
        .package(path: "../Network"),
        .package(path: "../Runtime"),
    ],
    targets: [
        .target(name: "CLI", dependencies: [
            .product(name: "Syscalls", package: "Syscalls"),
            .product(name: "Namespaces", package: "Namespaces"),
            .product(name: "Cgroups", package: "Cgroups"),
            .product(name: "Layers", package: "Layers"),
            .product(name: "Network", package: "Network"),
            .product(name: "Runtime", package: "Runtime"),
        ]),
        .executableTarget(name: "dosirak", dependencies: ["CLI"]),
        .testTarget(name: "CLITests", dependencies: [
            "CLI", "dosirak",
            .product(name: "Cgroups", package: "Cgroups"),
            .product(name: "Network", package: "Network"),
        ]),
    ]
)
