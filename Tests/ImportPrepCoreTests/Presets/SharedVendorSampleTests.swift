import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// Every public vendor sample of `../shared/vendor-samples/` through its preset: what convert
/// writes passes validate with no invalid record, and the counts are the ones these files hold.
@Suite struct SharedVendorSampleTests {
    struct Sample: Sendable, CustomStringConvertible {
        var file: String
        var preset: Preset
        var read: Int
        var written: Int
        var skipped: [SkipReason: Int] = [:]
        var truncated = false
        var description: String { file }
    }

    static let samples: [Sample] = [
        Sample(file: "amplitude/fivetran-amplitude_event_data.csv", preset: .amplitude, read: 10, written: 17),
        Sample(file: "amplitude/openpanel-amplitude-export.json", preset: .amplitude, read: 7, written: 7),
        Sample(
            file: "ga4/ga4-sample-row.extracted.json", preset: .ga4, read: 1, written: 0, skipped: [.anonymousUser: 1]),
        Sample(file: "mixpanel/fivetran-mixpanel-event.csv", preset: .mixpanel, read: 5, written: 5),
        Sample(file: "mixpanel/numetric-exampleDataMixPanel.extracted.ndjson", preset: .mixpanel, read: 8, written: 8),
        Sample(
            file: "mixpanel/openpanel-mixpanel.test.extracted.ndjson", preset: .mixpanel, read: 3, written: 2,
            skipped: [.anonymousUser: 1]),
        Sample(file: "pendo/fivetran-pendo-account_history.csv", preset: .pendo, read: 5, written: 5),
        Sample(
            file: "pendo/fivetran-pendo-event.csv", preset: .pendo, read: 5, written: 0, skipped: [.activityRollup: 5]),
        Sample(file: "pendo/fivetran-pendo-feature_event.csv", preset: .pendo, read: 5, written: 5),
        Sample(file: "pendo/fivetran-pendo-page_event.csv", preset: .pendo, read: 5, written: 5),
        Sample(
            file: "pendo/fivetran-pendo-page_history.csv", preset: .pendo, read: 5, written: 0,
            skipped: [.definition: 5]),
        Sample(file: "pendo/fivetran-pendo-visitor_account_history.csv", preset: .pendo, read: 3, written: 3),
        Sample(file: "pendo/fivetran-pendo-visitor_history.csv", preset: .pendo, read: 5, written: 5),
        Sample(file: "pendo/pendo-etl-sample-account-data.json", preset: .pendo, read: 2, written: 2, truncated: true),
        Sample(
            file: "pendo/pendo-etl-sample-feature-event-data.json", preset: .pendo, read: 3, written: 3, truncated: true
        ),
        Sample(
            file: "pendo/pendo-etl-sample-page-event-data.json", preset: .pendo, read: 3, written: 3, truncated: true),
        Sample(
            file: "pendo/pendo-etl-sample-page-lookup.json", preset: .pendo, read: 3, written: 0,
            skipped: [.definition: 3], truncated: true),
        Sample(file: "pendo/pendo-etl-sample-visitor-data.json", preset: .pendo, read: 1, written: 1, truncated: true),
        Sample(file: "segment/dbt-segment-example_segment_pages.csv", preset: .segment, read: 1, written: 1),
        Sample(file: "segment/segment-import-test-76f2337.csv", preset: .segment, read: 2, written: 2),
        Sample(file: "segment/segment-import-test.csv", preset: .segment, read: 4, written: 0, skipped: [.noTime: 4]),
        Sample(file: "segment/segment-import-test2.csv", preset: .segment, read: 1, written: 0, skipped: [.noTime: 1]),
    ]

    @Test func everySampleFileIsListed() throws {
        let folder = Paths.shared.appendingPathComponent("vendor-samples")
        let files = try #require(FileManager.default.enumerator(atPath: folder.path)).compactMap { $0 as? String }
            .filter { $0.contains("/") && !$0.hasSuffix(".md") }
        #expect(Set(files) == Set(Self.samples.map(\.file)), "a new sample file needs its expected counts here")
    }

    @Test(arguments: samples)
    func sampleConvertsAndWhatItWritesValidates(sample: Sample) throws {
        let url = Paths.shared.appendingPathComponent("vendor-samples/" + sample.file)
        let bytes = try [UInt8](Data(contentsOf: url))
        let result = try convert([(url.lastPathComponent, bytes)]) { $0.preset = PresetSettings(preset: sample.preset) }
        let summary = result.summary
        let counts = try #require(summary.presetCounts)
        #expect(counts.vendorRecords(rows: summary.records) == sample.read)
        #expect(summary.written == sample.written && summary.rejected == 0)
        for reason in SkipReason.allCases {
            #expect(counts.skipped[reason.rawValue] == sample.skipped[reason] ?? 0, "\(reason.code)")
        }
        #expect((summary.inputs[0].fileError?.code == .truncatedExport) == sample.truncated)
        let check = validateNDJSON(result.output)
        #expect(check.invalid == 0 && check.records == sample.written)
    }
}
