// swift-tools-version:6.0
// Dosirak, the umbrella: every stage's package by path, the `dosirak` command (chapter 07),
// and the end-to-end tests in Tests/, which drive the built binaries and check the chapters.
import PackageDescription

let package = Package(
    name: "Dosirak",
    dependencies: [
        .package(path: "Packages/Syscalls"),
        .package(path: "Packages/Namespaces"),
        .package(path: "Packages/Cgroups"),
        .package(path: "Packages/Layers"),
        .package(path: "Packages/Network"),
        .package(path: "Packages/Runtime"),
        .package(path: "Packages/CLI"),
    ],
    targets: [
        .testTarget(
            name: "DosirakTests",
            dependencies: [
                .product(name: "Syscalls", package: "Syscalls"),
                .product(name: "Namespaces", package: "Namespaces"),
                .product(name: "Cgroups", package: "Cgroups"),
                .product(name: "Layers", package: "Layers"),
                .product(name: "Network", package: "Network"),
                .product(name: "Runtime", package: "Runtime"),
                .product(name: "CLI", package: "CLI"),
                .product(name: "dosirak", package: "CLI"),
                .product(name: "dosirak-registry", package: "CLI"),
                .product(name: "dosirak-relay", package: "Runtime"),
            ],
            path: "Tests/DosirakTests"),
    ]
)
