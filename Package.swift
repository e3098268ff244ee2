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
            ],
            path: "Tests/DosirakTests"),
    ]
)
