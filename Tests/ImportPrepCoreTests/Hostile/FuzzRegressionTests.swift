import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// Every saved fuzzer input runs through the same harness as the fuzz target.
@Suite struct FuzzRegressionTests {
    static let folder = Paths.root.appendingPathComponent("Tests/Fixtures/fuzz-regressions")
    static var inputs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasSuffix(".md") }
            .sorted()
    }

    @Test func thereAreSavedInputs() { #expect(Self.inputs.count >= 3) }

    @Test(arguments: inputs)
    func savedInputStillEndsInAVerdict(name: String) throws {
        let bytes = try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(name)))
        bytes.withUnsafeBufferPointer { FuzzHarness.run($0) }
    }
}
