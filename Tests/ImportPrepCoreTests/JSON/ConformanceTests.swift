import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// JSONTestSuite verdicts as ../shared/conformance/README.md asks: every file of the folder,
/// fed whole as one record.
@Suite struct ConformanceTests {
    static let folder = Paths.shared.appendingPathComponent("conformance/JSONTestSuite/test_parsing")

    static var files: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted())
            ?? []
    }

    /// The verdicts of the whole suite at once: every `y_` file accepted, every `n_` file refused
    /// (with no files there would be no verdict to check, so the suite must be there).
    @Test func everyMustAcceptFileIsAcceptedAndEveryMustRejectFileRefused() {
        let scanner = JSONScanner()
        var verdicts: [Character: (accepted: Int, refused: Int)] = [:]
        for file in Self.files {
            guard let bytes = try? [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(file))) else { continue }
            let accepted = if case .invalid = bytes.withUnsafeBytes({ scanner.scan($0) }) { false } else { true }
            let kind = file.first!
            verdicts[kind, default: (0, 0)].accepted += accepted ? 1 : 0
            verdicts[kind, default: (0, 0)].refused += accepted ? 0 : 1
        }
        #expect(
            (verdicts["y"]?.accepted ?? 0) > 90 && verdicts["y"]?.refused == 0, "JSONTestSuite at \(Self.folder.path)")
        #expect((verdicts["n"]?.refused ?? 0) > 180 && verdicts["n"]?.accepted == 0)
    }

    @Test(arguments: files)
    func verdict(file: String) throws {
        let bytes = try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(file)))
        let scanner = JSONScanner()
        let outcome = bytes.withUnsafeBytes { scanner.scan($0) }
        let accepted: Bool
        if case .invalid(let error) = outcome {
            accepted = false
            #expect([.malformedJSON, .invalidUTF8, .tooDeep].contains(error.code))
        } else {
            accepted = true
        }
        let mustAccept = file.hasPrefix("y_") || file.hasPrefix("i_number_")
        #expect(accepted == mustAccept, "\(file): \(outcome)")
    }
}
