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

    /// Each saved input gives the same verdict read whole and drip-fed 7 bytes at a time, as NDJSON
    /// and as CSV (the inputs that once crashed are the ones most likely to tell the two apart).
    @Test func savedInputsGiveTheSameVerdictWholeAndDripFed() throws {
        #expect(Self.inputs.count >= 3, "saved inputs at \(Self.folder.path)")
        for name in Self.inputs {
            let bytes = Array(try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(name))).dropFirst())
            for format in InputFormat.allCases {
                let verdicts = [Int.max, 7].map { chunk in
                    var options = ValidationOptions()
                    options.format = format
                    options.maxRecordBytes = 512
                    let validator = Validator(options: options)
                    validator.validate(source: ByteSource(bytes: bytes, name: name, maxReadSize: chunk))
                    let summary = validator.summaries[0]
                    return [summary.records, summary.invalid, summary.blankLines] + summary.byCode
                }
                #expect(verdicts[0] == verdicts[1], "\(name) as \(format)")
            }
        }
    }

    @Test(arguments: inputs)
    func savedInputStillEndsInAVerdict(name: String) throws {
        let bytes = try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(name)))
        bytes.withUnsafeBufferPointer { FuzzHarness.run($0) }
    }
}
