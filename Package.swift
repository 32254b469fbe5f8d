// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "import-prep",
    // Linux only: the engine calls Glibc directly (mallopt, sync_file_range, sigaction).
    products: [
        .executable(name: "import-prep", targets: ["import-prep"]),
        .executable(name: "import-prep-standin", targets: ["import-prep-standin"]),
        .library(name: "ImportPrepCore", targets: ["ImportPrepCore"]),
        .library(name: "ImportAPI", targets: ["ImportAPI"]),
        .library(name: "ImportAPIStandIn", targets: ["ImportAPIStandIn"]),
        .library(name: "ImportPrepTestSupport", targets: ["ImportPrepTestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
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
        // SHA-256 from OpenSSL's libcrypto (Debian's libssl-dev). swift-crypto would compile its own
        // BoringSSL copy (about 90 s of a first build here) beside the one swift-nio-ssl carries.
        .systemLibrary(
            name: "COpenSSL",
            providers: [.apt(["libssl-dev"])]
        ),
        // What Swift cannot say to the CPU (a prefetch hint, vector loops), header-only: nothing to link.
        .systemLibrary(name: "CPUHints"),
        // Readers, JSON scanner, schema rules, reports: everything the commands and tests drive.
        .target(
            name: "ImportPrepCore",
            dependencies: [
                "CLibCSV",
                "CZlib",
                "COpenSSL",
                "CPUHints",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The Import API client: uploads chunks one job at a time, keeps the journal, reconciles rows.
        .target(
            name: "ImportAPI",
            dependencies: [
                "ImportPrepCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ]
        ),
        // A local stand-in of the Import API on a real HTTP server, for tests and dry runs.
        .target(
            name: "ImportAPIStandIn",
            dependencies: [
                "ImportPrepCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The thin command-line layer.
        .executableTarget(
            name: "import-prep",
            dependencies: [
                "ImportPrepCore",
                "ImportAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "import-prep-standin",
            dependencies: [
                "ImportAPIStandIn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the tests and the fuzz package share: scratch folders, the built binary's runner
        // with its memory watcher, the event generator, the fuzz harness.
        .target(
            name: "ImportPrepTestSupport",
            dependencies: ["ImportPrepCore"],
            path: "Tests/ImportPrepTestSupport"
        ),
        .testTarget(
            name: "ImportPrepCoreTests",
            dependencies: ["ImportPrepCore", "ImportPrepTestSupport"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["import-prep", "ImportPrepTestSupport"]
        ),
        .testTarget(
            name: "UploadTests",
            dependencies: [
                "ImportAPI", "ImportAPIStandIn", "import-prep", "import-prep-standin", "ImportPrepTestSupport",
            ]
        ),
    ]
)
