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

    @Test func theSuiteIsThere() {
        #expect(Self.files.count > 300, "JSONTestSuite not found at \(Self.folder.path)")
        #expect(
            Self.files.contains { $0.hasPrefix("y_") } && Self.files.contains { $0.hasPrefix("n_") }
                && Self.files.contains { $0.hasPrefix("i_") })
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
