// swift-tools-version:6.1
// package-benchmark suites, in their own package so that `swift test` never builds them:
//   swift package --package-path Benchmarks benchmark
import Foundation
import PackageDescription

// A path dependency is known by its folder's name, which depends on where the project was cloned.
let projectFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let projectIdentity = projectFolder.lastPathComponent.lowercased()

let package = Package(
    name: "import-prep-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ImportPrepBenchmarks",
            dependencies: [
                .product(name: "ImportPrepCore", package: projectIdentity),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ImportPrepBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
