import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// Bad input through a preset: one clear message, no crash, nothing lost.
@Suite struct PresetHostileTests {
    func validate(_ text: [UInt8], name: String, preset: Preset) -> FileSummary {
        var options = ValidationOptions()
        options.preset = PresetSettings(preset: preset)
        let validator = Validator(options: options)
        validator.validate(source: ByteSource(bytes: text, name: name))
        return validator.summaries[0]
    }

    @Test func theWrongPresetSaysWhichOneFitsAfterTheFirstRecordNotPerRow() throws {
        let segment = (0..<500).map { i in
            #"{"type":"track","userId":"u\#(i)","messageId":"m\#(i)","event":"E","timestamp":"2024-03-01T10:00:00Z"}"#
        }.joined(separator: "\n")
        let summary = validate(Array(segment.utf8), name: "messages.ndjson", preset: .mixpanel)
        let failure = try #require(summary.readFailure)
        #expect(failure.contains("is not a Mixpanel export") && failure.contains("use --from segment"), "\(failure)")
        #expect(summary.errorCount == 0, "no per-row errors")

        let engage = #"{"page": 0, "results": [{"$distinct_id": "u", "$properties": {}}], "session_id": "x"}"#
        let document = validate(Array(engage.utf8), name: "engage.json", preset: .amplitude)
        #expect(document.readFailure?.contains("use --from mixpanel-profiles") == true, "\(document.readFailure ?? "")")
    }

    @Test func anArrayOfRecordsOrAPrettyPrintedOneIsReadAsDocuments() {
        let array = """
            [
              {"event": "A", "properties": {"time": 1, "distinct_id": "u"}},
              {"event": "B", "properties": {"time": 2, "distinct_id": "u"}}
            ]
            """
        let summary = validate(Array(array.utf8), name: "export.json", preset: .mixpanel)
        #expect(summary.records == 2 && summary.valid == 2 && summary.readFailure == nil)
    }

    @Test(arguments: [Preset.mixpanel, .amplitude, .segment, .posthog, .ga4, .pendo, .heap, .mixpanelProfiles])
    func garbageAndEmptyInputEndInAVerdict(preset: Preset) {
        var generator = EventGenerator(seed: 3)
        let garbage = (0..<4_000).map { _ in UInt8(truncatingIfNeeded: generator.next(256)) }
        for (name, bytes) in [("garbage.ndjson", garbage), ("empty.ndjson", []), ("blank.csv", Array("\n\n".utf8))] {
            let summary = validate(bytes, name: name, preset: preset)
            let read = summary.presetCounts.map { $0.vendorRecords(rows: summary.records) } ?? 0
            #expect(summary.records == summary.valid + summary.invalid)
            #expect(read >= 0)
        }
        let empty = validate([], name: "empty.ndjson", preset: preset)
        #expect(empty.records == 0 && empty.readFailure == nil)
    }
}
