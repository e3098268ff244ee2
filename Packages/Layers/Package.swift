// swift-tools-version:6.0
// Layers: chapter 04. Images as stacks of read-only layers: SHA-256 and a content-addressed
// store, a tar reader and writer that extracts safely, overlayfs, and (module Registry) a registry client.
import PackageDescription

// SHA256+Extensions.swift calls the SHA instructions of x86-64 CPUs through clang's
// intrinsics, which may only be used in code compiled for the `sha` feature. The compiler never
// emits those instructions on its own, so nothing else in the module changes, and the code
// checks the CPU (CPUID) before it uses them.
#if arch(x86_64)
let shaInstructions: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-msha"])]
#else
let shaInstructions: [SwiftSetting] = []
#endif

let package = Package(
    name: "Layers",
    products: [
        .library(name: "Layers", targets: ["Layers"]),
        .library(name: "Registry", targets: ["Registry"]),
        .executable(name: "layers-demo", targets: ["layers-demo"]),
    ],
    dependencies: [
        .package(path: "../Syscalls"),
    ],
    targets: [
        .target(name: "Layers", dependencies: [.product(name: "Syscalls", package: "Syscalls")], swiftSettings: shaInstructions),
        // The registry client is a module of its own: it brings URLSession, and with it libcurl
        // and its TLS libraries, which only the programs that talk to registries should load.
        .target(name: "Registry", dependencies: ["Layers", .product(name: "Syscalls", package: "Syscalls")]),
        .executableTarget(name: "layers-demo", dependencies: ["Layers", "Registry"]),
        // Benchmarks and scenarios that want a process of their own (make bench uses it too).
        .executableTarget(name: "layers-test-helper", dependencies: ["Layers", "Registry"], path: "Tests/Helper"),
        .testTarget(name: "LayersTests", dependencies: ["Layers", "Registry", "layers-demo", "layers-test-helper"]),
    ]
)
