// swift-tools-version:6.1
// The fuzz targets live in their own package so `swift test` never builds them; scripts/fuzz
// builds this one with libFuzzer and AddressSanitizer.
import Foundation
import PackageDescription

// A path dependency is known by its folder's name, which depends on where the project was cloned.
let projectFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let projectIdentity = projectFolder.lastPathComponent.lowercased()

let package = Package(
    name: "import-prep-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "FuzzImportPrep",
            dependencies: [.product(name: "ImportPrepTestSupport", package: projectIdentity)],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    ]
)
