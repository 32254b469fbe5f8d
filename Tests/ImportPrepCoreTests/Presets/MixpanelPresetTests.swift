import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// `--from mixpanel` (SPEC §8): every rule from input bytes.
@Suite struct MixpanelPresetTests {
    static func event(_ name: String, _ properties: String) -> String {
        #"{"event":"\#(name)","properties":{\#(properties)}}"#
    }

    @Test func eventsBecomeTrackRowsWithTheUserTimeAndMetadata() throws {
        let run = try PresetRun.run(
            .mixpanel,
            [
                Self.event(
                    "Signed up",
                    #""time":1602611311,"distinct_id":"d-1","$insert_id":"x","mp_processing_time_ms":1,"plan":"pro","seats":3,"$city":"Oslo""#
                ),
                Self.event("Clicked", #""time":1602611311123,"distinct_id":"d-2","$user_id":"u-2""#),
            ])
        #expect(run.shapes == ["track d-1 Signed up", "track u-2 Clicked"])
        let first = run.rows[0]
        #expect(first["source"] as? String == "backend-http-import")
        #expect(first["inserted_at"] as? String == "2020-10-13T17:48:31.000000")
        #expect(run.rows[1]["inserted_at"] as? String == "2020-10-13T17:48:31.123000")
        let metadata = first["metadata"] as! [String: Any]
        #expect(Set(metadata.keys) == ["plan", "seats", "$city"], "bookkeeping keys dropped, $ keys kept")
        #expect(metadata["seats"] as? Int == 3)
        #expect(run.counts.vendorRecords(rows: run.converted.summary.records) == 2)
    }

    @Test func pageEventsBecomePageViewsAndFallBackToTrackWithoutAURL() throws {
        let run = try PresetRun.run(
            .mixpanel,
            [
                Self.event(
                    "$mp_web_page_view",
                    #""time":1,"distinct_id":"a","$current_url":"https://app.example.com/p?q=1","current_url_search":"?q=1","current_url_protocol":"https:","current_page_title":"P""#
                ),
                Self.event(
                    "Page View",
                    #""time":1,"distinct_id":"b","current_domain":"app.example.com","current_url_path":"/x""#),
                Self.event("$mp_web_page_view", #""time":1,"distinct_id":"c","current_page_title":"T""#),
                Self.event("Opened", #""time":1,"distinct_id":"d","$current_url":"https://example.com/y""#),
                Self.event(
                    "Seen", #""time":1,"distinct_id":"e","$current_url":"https://numetric.com/entity/B-2 A""#),
            ]
        ) { $0.pageEvents = ["Seen"] }
        #expect(
            run.shapes == ["page_view a", "page_view b", "track c $mp_web_page_view", "track d Opened", "page_view e"])
        #expect(run.rows[0]["url"] as? String == "https://app.example.com/p?q=1")
        #expect((run.rows[0]["metadata"] as! [String: Any]).keys.sorted() == ["current_page_title"])
        #expect(run.rows[1]["hostname"] as? String == "app.example.com" && run.rows[1]["pathname"] as? String == "/x")
        #expect((run.rows[2]["metadata"] as! [String: Any])["current_page_title"] as? String == "T")
        #expect((run.rows[3]["metadata"] as! [String: Any])["$current_url"] as? String == "https://example.com/y")
        #expect(run.rows[4]["url"] as? String == "https://numetric.com/entity/B-2%20A")
        #expect(run.warnings(.pageWithoutURL) == 1 && run.warnings(.urlPercentEncoded) == 1)
        #expect(run.validated.invalid == 0)
    }

    @Test func anonymousJunkAndMergedIdsAreSkippedAndCounted() throws {
        let lines = [
            Self.event("A", #""time":1,"distinct_id":"$device:123""#),
            Self.event("B", #""time":1"#),
            Self.event("C", #""time":1,"distinct_id":"Undefined""#),
            Self.event("D", #""time":1,"distinct_id":"00000000-0000-0000-0000-000000000000""#),
            Self.event("$identify", #""time":1,"distinct_id":"u""#),
            Self.event("$merge", #""time":1,"distinct_id":"u""#),
            Self.event("E", #""distinct_id":"u""#),
            Self.event("F", #""time":"yesterday","distinct_id":"u""#),
            Self.event("G", #""time":1,"distinct_id":"0""#),
            Self.event("H", #""time":1,"distinct_id":12345678901234567890"#),
        ]
        let run = try PresetRun.run(.mixpanel, lines)
        #expect(run.skipped(.anonymousUser) == 2)
        #expect(run.skipped(.junkUserID) == 2)
        #expect(run.skipped(.identityMerge) == 2)
        #expect(run.skipped(.noTime) == 2)
        #expect(run.shapes == ["track 0 G", "track 12345678901234567890 H"])
        #expect(run.warnings(.suspiciousUserID) == 1)
        let summary = run.converted.summary
        #expect(run.counts.vendorRecords(rows: summary.records) == lines.count)
        #expect(summary.written + summary.rejected + run.counts.skippedTotal == lines.count)

        let kept = try PresetRun.run(.mixpanel, [lines[0]]) { $0.keepAnonymous = true }
        #expect(kept.shapes == ["track $device:123 A"])
    }

    @Test func userAndCompanyPropertiesShiftsAndClientColumns() throws {
        let run = try PresetRun.run(
            .mixpanel,
            [
                Self.event(
                    "E",
                    #""time":1700000000,"distinct_id":"uuid-1","user_id":"real-7","account":"acme","$browser":"Chrome","$os":"Linux","mp_country_code":"NO","$screen_width":1440,"$ip":"192.0.2.1""#
                )
            ]
        ) {
            $0.userProperty = "user_id"
            $0.companyProperty = "account"
            $0.shiftSeconds = -3600
        }
        let row = try #require(run.rows.first)
        #expect(row["user_id"] as? String == "real-7" && row["company_id"] as? String == "acme")
        #expect(row["inserted_at"] as? String == "2023-11-14T21:13:20.000000")
        #expect(row["browser"] as? String == "Chrome" && row["operating_system"] as? String == "Linux")
        #expect(row["country_code"] as? String == "NO" && row["screen_width"] as? Int == 1440)
        let metadata = row["metadata"] as! [String: Any]
        #expect(metadata["account"] == nil && metadata["$ip"] == nil && metadata["$browser"] == nil)
        #expect(metadata["user_id"] as? String == "real-7", "the property stays in metadata too")
    }

    @Test func metadataIsFlattenedRenamedAndNullsDropped() throws {
        let run = try PresetRun.run(
            .mixpanel,
            [
                Self.event(
                    "E",
                    #""time":1,"distinct_id":"u","$email":"a@example.com","$name":"A","name":"kept","gone":null,"plan":{"tier":"gold","seats":{"max":5}},"tags":["a", "b"],"json":"{\"x\":1}","big":12345678901234567890"#
                )
            ])
        let metadata = run.rows[0]["metadata"] as! [String: Any]
        #expect(metadata["email"] as? String == "a@example.com")
        #expect(metadata["$name"] as? String == "A" && metadata["name"] as? String == "kept")
        #expect(metadata["gone"] == nil)
        #expect(metadata["plan.tier"] as? String == "gold" && metadata["plan.seats.max"] as? Int == 5)
        #expect(metadata["tags"] as? String == #"["a","b"]"#)
        #expect(metadata["json"] as? String == #"{"x":1}"#)
        #expect(run.converted.outputLines[0].contains(#""big":12345678901234567890"#), "numbers kept exactly")
        #expect(run.warnings(.metadataKeyCollision) == 1)
    }

    @Test func aTerminatedExportKeepsEveryRecordAndFailsTheFile() throws {
        let run = try PresetRun.run(
            .mixpanel, [Self.event("A", #""time":1,"distinct_id":"u""#), "terminated early"])
        #expect(run.shapes == ["track u A"])
        #expect(run.validated.count(.truncatedExport) == 1)
        #expect(run.exitStatus == .invalidRecords)
        #expect(run.converted.exitStatus == .invalidRecords)
        #expect(run.converted.summary.inputs[0].fileError?.code == .truncatedExport)
        #expect(run.counts.vendorRecords(rows: run.converted.summary.records) == 1, "the line is not a record")
    }

    @Test func aRecordThatBreaksTheSchemaIsRejectedWithTheVendorLineAsRaw() throws {
        let line = Self.event("", #""time":1,"distinct_id":"u""#)
        let run = try PresetRun.run(
            .mixpanel, [#"{"event":"ok","properties":{"time":1,"distinct_id":"u"}}"#, line, "{oops"])
        #expect(run.converted.summary.written == 1 && run.converted.summary.rejected == 2)
        #expect(run.converted.rejects.map { $0["line"] as? Int } == [2, 3])
        #expect(run.converted.rejects[0]["raw"] as? String == line)
    }
}

/// Rule 13: duplicates of the vendor's event key, found in a first pass over the file.
@Suite struct DuplicateEventTests {
    static let lines = [
        #"{"event":"A","properties":{"time":1,"distinct_id":"u","$insert_id":"k1"}}"#,
        #"{"event":"A","properties":{"time":1,"distinct_id":"u","$insert_id":"k2"}}"#,
        #"{"event":"A","properties":{"time":1,"distinct_id":"u","$insert_id":"k1"}}"#,
        #"{"event":"B","properties":{"time":1,"distinct_id":"u"}}"#,
        #"{"event":"A","properties":{"time":1,"distinct_id":"u","$insert_id":"k1"}}"#,
    ]

    @Test func duplicatesAreCountedAndWrittenUnlessDeduped() throws {
        let counted = try PresetRun.run(.mixpanel, Self.lines)
        #expect(counted.counts.duplicateEvents == 2 && counted.converted.summary.written == 5)
        #expect(counted.validated.presetCounts?.duplicateEvents == 2)
        let deduped = try PresetRun.run(.mixpanel, Self.lines) { $0.dedupe = true }
        #expect(deduped.converted.summary.written == 3 && deduped.skipped(.duplicateEvent) == 2)
        let rows = deduped.converted.rejects.count + deduped.converted.summary.written + deduped.counts.skippedTotal
        #expect(rows == Self.lines.count)
    }

    @Test func manyRecordsAcrossPartitionsAndTheTemporaryFilesAreGone() throws {
        let lines = (0..<5_000).map { i in
            #"{"event":"E","properties":{"time":\#(1_700_000_000 + i),"distinct_id":"u","$insert_id":"k\#(i % 4_000)"}}"#
        }
        let folder = try ScratchFolder()
        let run = try PresetRun.run(.mixpanel, lines) {
            $0.dedupe = true
            $0.temporaryFolder = folder.url.path
        }
        #expect(run.converted.summary.written == 4_000 && run.skipped(.duplicateEvent) == 1_000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty)
    }
}
