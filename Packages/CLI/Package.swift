// swift-tools-version:6.0
// CLI: chapter 07. The `dosirak` command: Docker's everyday workflow (run, ps, logs, exec,
// images, pull, networks, volumes) on the packages of chapters 01-06, with no daemon; and
// `dosirak-registry`, the same command with the registry client, for pull, push and login.
import PackageDescription

let package = Package(
    name: "CLI",
    products: [
        .library(name: "CLI", targets: ["CLI"]),
        .executable(name: "dosirak", targets: ["dosirak"]),
        .executable(name: "dosirak-registry", targets: ["dosirak-registry"]),
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
            .product(name: "Relay", package: "Runtime"),
        ]),
        .executableTarget(name: "dosirak", dependencies: ["CLI"]),
        // pull, push, login and logout: the only code that needs URLSession (and so libcurl),
        // in a second program that `dosirak` runs for them.
        .target(name: "RegistryCommands", dependencies: [
            "CLI",
            .product(name: "Layers", package: "Layers"),
            .product(name: "Registry", package: "Layers"),
            .product(name: "Syscalls", package: "Syscalls"),
        ]),
        .executableTarget(name: "dosirak-registry", dependencies: ["CLI", "RegistryCommands"]),
        .testTarget(name: "CLITests", dependencies: [
            "CLI", "dosirak", "dosirak-registry", "RegistryCommands",
            .product(name: "dosirak-relay", package: "Runtime"),
            .product(name: "Cgroups", package: "Cgroups"),
            .product(name: "Network", package: "Network"),
        ]),
    ]
)
