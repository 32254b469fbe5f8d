// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "import-prep",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "import-prep", targets: ["import-prep"]),
        .library(name: "ImportPrepCore", targets: ["ImportPrepCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // The one door to C: libcsv from Debian's libcsv-dev (no pkg-config file ships with it).
        .systemLibrary(
            name: "CLibCSV",
            providers: [.apt(["libcsv-dev"])]
        ),
        // zlib from Debian's zlib1g-dev, for .gz input.
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Readers, JSON scanner, schema rules, reports: everything the commands and tests drive.
        .target(
            name: "ImportPrepCore",
            dependencies: [
                "CLibCSV",
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The thin command-line layer.
        .executableTarget(
            name: "import-prep",
            dependencies: [
                "ImportPrepCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "ImportPrepCoreTests",
            dependencies: ["ImportPrepCore"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["import-prep"]
        ),
    ]
)
