// swift-tools-version:6.0
// Layers: chapter 04. Images as stacks of read-only layers: SHA-256 and a content-addressed
// store, a tar reader and writer that extracts safely, overlayfs, and a registry client.
import PackageDescription

let package = Package(
    name: "Layers",
    products: [
        .library(name: "Layers", targets: ["Layers"]),
        .executable(name: "layers-demo", targets: ["layers-demo"]),
    ],
    dependencies: [
        .package(path: "../Syscalls"),
    ],
    targets: [
        .target(name: "Layers", dependencies: [.product(name: "Syscalls", package: "Syscalls")]),
        .executableTarget(name: "layers-demo", dependencies: ["Layers"]),
        // Benchmarks and scenarios that want a process of their own (make bench uses it too).
        .executableTarget(name: "layers-test-helper", dependencies: ["Layers"], path: "Tests/Helper"),
        .testTarget(name: "LayersTests", dependencies: ["Layers", "layers-demo", "layers-test-helper"]),
    ]
)
