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
