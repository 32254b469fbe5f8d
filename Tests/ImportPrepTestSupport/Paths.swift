import Foundation

/// Where the project's files are, from the tests' point of view.
public enum Paths {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    public static let samples = root.appendingPathComponent("samples")
    public static let shared = root.deletingLastPathComponent().appendingPathComponent("shared")
    public static let fixtures = root.appendingPathComponent("Tests/Fixtures")
}

/// A temporary folder, removed when the value goes away.
public final class ScratchFolder: @unchecked Sendable {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("import-prep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    public func read(_ name: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: url.appendingPathComponent(name)))
    }
}

/// SHA-256 by coreutils' `sha256sum`: an oracle independent of the OpenSSL code import-prep uses.
public enum IndependentSHA256 {
    public static func hex(_ bytes: [UInt8]) throws -> String {
        let folder = try ScratchFolder()
        let file = folder.url.appendingPathComponent("bytes")
        try Data(bytes).write(to: file)
        return try hex(ofFile: file.path)
    }

    public static func hex(ofFile path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return String(text.prefix(64))
    }
}
