import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// `--from amplitude`, `segment` and `posthog` (SPEC §8), and detection without `--from`.
@Suite struct OtherPresetTests {
    @Test func amplitudeRowsTimesGroupsAndIdentifies() throws {
        let lines = [
            #"{"event_type":"Get Card","user_id":"u1","device_id":"d1","event_time":"2025-02-05 23:01:10.000000","event_properties":{"card":"virtual"},"groups":{"company":["c1"]},"amplitude_id":1}"#,
            #"{"event_type":"Late","user_id":"u1","client_event_time":"2025-02-05 23:01:11","groups":{"company":["c1"],"team":["t1"]}}"#,
            #"{"event_type":"Anon","user_id":null,"device_id":"d9","event_time":"2025-02-05 23:01:12"}"#,
            #"{"event_type":"session_start","user_id":"u1","event_time":"2025-02-05 23:01:13"}"#,
            #"{"event_type":"[Amplitude] Page Viewed","user_id":"u1","event_time":"2025-02-05 23:01:14","event_properties":{"[Amplitude] Page Location":"https://app.example.com/home","[Amplitude] Page Title":"Home","ref":"x"}}"#,
            #"{"event_type":"$identify","user_id":"u1","event_time":"2025-02-05 23:01:15","user_properties":{"$setOnce":{"first":"a"},"$set":{"plan":"pro","first":"b"}}}"#,
            #"{"event_type":"$groupidentify","user_id":null,"event_time":"2025-02-05 23:01:16","groups":{"company":["c1"]},"group_properties":{"company":{"c1":{"name":"Acme"}}}}"#,
            #"{"event_type":"Web","user_id":"u1","event_time":"2025-02-05 23:01:17","platform":"Web","os_name":"Firefox"}"#,
        ]
        let run = try PresetRun.run(.amplitude, lines)
        #expect(
            run.shapes == [
                "track u1 Get Card", "track u1 Late", "page_view u1", "identify_user u1", "identify_company c1",
                "track u1 Web",
            ])
        #expect(run.skipped(.anonymousUser) == 1 && run.skipped(.vendorInternalEvent) == 1)
        #expect(
            run.rows[0]["company_id"] as? String == "c1"
                && run.rows[0]["inserted_at"] as? String == "2025-02-05T23:01:10.000000")
        #expect(run.rows[1]["inserted_at"] as? String == "2025-02-05T23:01:11.000000")
        #expect(run.warnings(.severalGroups) == 1)
        #expect(run.rows[2]["url"] as? String == "https://app.example.com/home")
        #expect((run.rows[2]["metadata"] as! [String: Any]).keys.sorted() == ["ref"])
        let traits = run.rows[3]["metadata"] as! [String: Any]
        #expect(traits["plan"] as? String == "pro" && traits["first"] as? String == "b", "$set wins over $setOnce")
        #expect((run.rows[4]["metadata"] as! [String: Any])["name"] as? String == "Acme")
        #expect(run.rows[5]["browser"] as? String == "Firefox")
        #expect(run.validated.invalid == 0)

        let kept = try PresetRun.run(.amplitude, [lines[2], lines[3], lines[1]]) {
            $0.keepAnonymous = true
            $0.keepEvents = ["session_start"]
            $0.groupType = "team"
        }
        #expect(kept.shapes == ["track d9 Anon", "track u1 session_start", "track u1 Late"])
        #expect(kept.rows[2]["company_id"] as? String == "t1" && kept.warnings(.severalGroups) == 0)
    }

    @Test func propertiesCarriedOnEventsDeriveIdentifyRowsWhenTheyChange() throws {
        let lines = [
            #"{"event_type":"A","user_id":"u1","event_time":"2025-01-01 00:00:01","user_properties":{"plan":"pro"},"groups":{"company":["c1"]},"group_properties":{"company":{"c1":{"tier":"gold"}}}}"#,
            #"{"event_type":"B","user_id":"u1","event_time":"2025-01-01 00:00:02","user_properties":{"plan":"pro"},"groups":{"company":["c1"]},"group_properties":{"company":{"c1":{"tier":"gold"}}}}"#,
            #"{"event_type":"C","user_id":"u1","event_time":"2025-01-01 00:00:03","user_properties":{"plan":"team"}}"#,
            #"{"event_type":"D","user_id":"u2","event_time":"2025-01-01 00:00:04","user_properties":{}}"#,
        ]
        let run = try PresetRun.run(.amplitude, lines)
        #expect(
            run.shapes == [
                "identify_user u1", "identify_company c1", "track u1 A", "track u1 B", "identify_user u1", "track u1 C",
                "track u2 D",
            ])
        #expect(run.rows[0]["company_id"] as? String == "c1", "a derived row carries the event's company")
        #expect(run.rows[0]["inserted_at"] as? String == "2025-01-01T00:00:01.000000")
        #expect((run.rows[1]["metadata"] as! [String: Any])["tier"] as? String == "gold")
        #expect((run.rows[4]["metadata"] as! [String: Any])["plan"] as? String == "team")
        #expect(run.counts.derivedRows == 3)
        let summary = run.converted.summary
        #expect(lines.count + run.counts.derivedRows == summary.written + summary.rejected + run.counts.skippedTotal)

        let off = try PresetRun.run(.amplitude, lines) { $0.derivedIdentify = false }
        #expect(off.shapes == ["track u1 A", "track u1 B", "track u1 C", "track u2 D"])

        let posthog = try PresetRun.run(
            .posthog,
            [
                #"{"event":"upgraded","distinct_id":"u1","timestamp":"2024-05-01T12:00:00Z","properties":{"$set":{"plan":"pro"},"x":1}}"#,
                #"{"event":"upgraded","distinct_id":"u1","timestamp":"2024-05-01T12:00:01Z","properties":{"$set":{"plan":"pro"}}}"#,
            ])
        #expect(posthog.shapes == ["identify_user u1", "track u1 upgraded", "track u1 upgraded"])
        #expect((posthog.rows[1]["metadata"] as! [String: Any]).keys.sorted() == ["x"], "$set is not event metadata")
    }

    @Test func segmentMessagesOfEveryType() throws {
        let lines = [
            #"{"type":"track","event":"Order Completed","userId":"u1","messageId":"m1","timestamp":"2024-03-01T10:00:00+02:00","properties":{"total":9.5},"context":{"groupId":"acme"}}"#,
            #"{"type":"identify","userId":"u1","originalTimestamp":"2024-03-01T10:00:01Z","traits":{"createdAt":"2020-01-01","firstName":"Ann"},"context":{"userAgent":"Mozilla/5.0","page":{"url":"https://app.example.com/a"}}}"#,
            #"{"type":"page","userId":"u1","name":"Pricing","receivedAt":"2024-03-01T10:00:02Z","properties":{"url":"https://example.com/pricing","title":"Pricing"}}"#,
            #"{"type":"screen","userId":"u1","name":"Home","timestamp":"2024-03-01T10:00:03Z","properties":{}}"#,
            #"{"type":"group","userId":"u1","groupId":"acme","timestamp":"2024-03-01T10:00:04Z","traits":{"name":"Acme","createdAt":"2019-05-05"}}"#,
            #"{"type":"alias","userId":"u1","previousId":"anon-1","timestamp":"2024-03-01T10:00:05Z"}"#,
            #"{"type":"track","event":"Anon","anonymousId":"a-1","timestamp":"2024-03-01T10:00:06Z"}"#,
            #"{"type":"page","userId":"u1","name":"Nowhere","timestamp":"2024-03-01T10:00:07Z"}"#,
        ]
        let run = try PresetRun.run(.segment, lines)
        #expect(
            run.shapes == [
                "track u1 Order Completed", "identify_user u1", "page_view u1", "track u1 Screen Viewed",
                "identify_company acme", "identify_user u1", "track u1 Nowhere",
            ])
        #expect(run.rows[0]["inserted_at"] as? String == "2024-03-01T08:00:00.000000", "offset to UTC")
        #expect(run.rows[0]["company_id"] as? String == "acme")
        let traits = run.rows[1]["metadata"] as! [String: Any]
        #expect(traits["created_at"] as? String == "2020-01-01" && traits["first_name"] as? String == "Ann")
        #expect(
            run.rows[1]["user_agent"] as? String == "Mozilla/5.0"
                && run.rows[1]["url"] as? String == "https://app.example.com/a")
        #expect(run.rows[2]["url"] as? String == "https://example.com/pricing")
        #expect((run.rows[2]["metadata"] as! [String: Any])["name"] as? String == "Pricing")
        #expect((run.rows[3]["metadata"] as! [String: Any])["name"] as? String == "Home")
        #expect((run.rows[4]["metadata"] as! [String: Any])["created_at"] as? String == "2019-05-05")
        #expect(run.rows[5]["company_id"] as? String == "acme")
        #expect(run.skipped(.identityMerge) == 1 && run.skipped(.anonymousUser) == 1)
        #expect(run.counts.derivedRows == 1 && run.validated.presetCounts?.derivedRows == 1)
        #expect(run.warnings(.pageWithoutURL) == 1)
        let summary = run.converted.summary
        #expect(lines.count + run.counts.derivedRows == summary.written + summary.rejected + run.counts.skippedTotal)
    }

    @Test func posthogEventsPeopleAndGroups() throws {
        let lines = [
            #"{"event":"$pageview","distinct_id":"u1","timestamp":"2024-05-01T12:00:00.123456Z","properties":{"$current_url":"https://app.example.com/x","$host":"app.example.com","$pathname":"/x","$browser":"Safari","$session_id":"s","$feature/beta":true,"$groups":{"company":"acme"},"plan":"pro"}}"#,
            #"{"event":"$autocapture","distinct_id":"u1","timestamp":"2024-05-01T12:00:01Z","properties":{}}"#,
            #"{"event":"$identify","distinct_id":"u1","timestamp":"2024-05-01T12:00:02Z","properties":{"$set":{"email":"a@example.com"},"$set_once":{"first_seen":"2024"}}}"#,
            #"{"event":"$groupidentify","distinct_id":"u1","timestamp":"2024-05-01T12:00:03Z","properties":{"$group_type":"company","$group_key":"acme","$group_set":{"name":"Acme"}}}"#,
            #"{"event":"clicked","distinct_id":"u2","timestamp":"2024-05-01T12:00:04Z","properties":{"$process_person_profile":false}}"#,
            #"{"event":"$create_alias","distinct_id":"u1","timestamp":"2024-05-01T12:00:05Z","properties":{}}"#,
            #"{"event":"$screen","distinct_id":"u1","timestamp":"2024-05-01T12:00:06Z","properties":{"$screen_name":"Home","$groups":{"company":"acme","team":"t"}}}"#,
        ]
        let run = try PresetRun.run(.posthog, lines)
        #expect(run.shapes == ["page_view u1", "identify_user u1", "identify_company acme", "track u1 Screen Viewed"])
        #expect(
            run.rows[0]["url"] as? String == "https://app.example.com/x"
                && run.rows[0]["company_id"] as? String == "acme")
        #expect(run.rows[0]["browser"] as? String == "Safari")
        #expect((run.rows[0]["metadata"] as! [String: Any]).keys.sorted() == ["plan"])
        let traits = run.rows[1]["metadata"] as! [String: Any]
        #expect(traits["email"] as? String == "a@example.com" && traits["first_seen"] as? String == "2024")
        #expect((run.rows[2]["metadata"] as! [String: Any])["name"] as? String == "Acme")
        #expect((run.rows[3]["metadata"] as! [String: Any])["name"] as? String == "Home")
        #expect(run.warnings(.severalGroups) == 1)
        #expect(
            run.skipped(.vendorInternalEvent) == 1 && run.skipped(.anonymousUser) == 1
                && run.skipped(.identityMerge) == 1)
    }

    @Test(arguments: [
        (#"{"event":"A","properties":{"time":1,"distinct_id":"u"}}"#, Preset.mixpanel),
        (#"{"event_type":"A","amplitude_id":1,"user_id":"u"}"#, Preset.amplitude),
        (#"{"type":"track","messageId":"m","event":"A"}"#, Preset.segment),
        (#"{"event":"A","distinct_id":"u","properties":{}}"#, Preset.posthog),
        (#"{"event_name":"A","event_timestamp":"1","event_params":[]}"#, Preset.ga4),
        (#"{"$distinct_id":"u","$properties":{}}"#, Preset.mixpanelProfiles),
    ])
    func validateRecognisesAVendorShape(line: String, preset: Preset) {
        let validator = Validator(options: ValidationOptions())
        validator.validate(source: ByteSource(bytes: Array((line + "\n").utf8), name: "x.ndjson"))
        #expect(validator.summaries[0].looksLike == preset)
    }

    @Test func aFileInUserpilotsShapeIsNoVendorsExport() {
        let validator = Validator(options: ValidationOptions())
        validator.validate(source: ByteSource(bytes: Array((Fixtures.track + "\n").utf8), name: "x.ndjson"))
        #expect(validator.summaries[0].looksLike == nil)
    }

    @Test(arguments: [Preset.mixpanel, .amplitude, .segment, .posthog])
    func whatConvertWritesFromAPresetValidatesWithoutOne(preset: Preset) throws {
        var generator = EventGenerator(seed: 5)
        let files: [Preset: [String]] = [
            .mixpanel: (0..<50).map { i in
                #"{"event":"E\#(i % 7)","properties":{"time":\#(1_700_000_000 + i),"distinct_id":"u\#(i % 9)","n":\#(i),"s":"\#(generator.next(1000))","o":{"k":[1,{"z":null}]}}}"#
            },
            .amplitude: (0..<50).map { i in
                #"{"event_type":"E\#(i % 7)","user_id":"u\#(i % 9)","event_time":"2024-01-01 00:00:\#(10 + i % 50).5","event_properties":{"n":\#(i)},"groups":{"g":["c\#(i % 3)"]}}"#
            },
            .segment: (0..<50).map { i in
                #"{"type":"\#(["track","identify","page","group","screen"][i % 5])","event":"E","name":"N","groupId":"c\#(i % 3)","userId":"u\#(i % 9)","timestamp":"2024-01-01T00:00:00+01:00","properties":{"url":"https://e.com/\#(i)"},"traits":{"t":\#(i)}}"#
            },
            .posthog: (0..<50).map { i in
                #"{"event":"\#(["$pageview","clicked","$identify","$groupidentify"][i % 4])","distinct_id":"u\#(i % 9)","timestamp":"2024-01-01T00:00:00Z","properties":{"$current_url":"https://e.com/\#(i)","$set":{"a":\#(i)},"$group_type":"company","$group_key":"c\#(i % 3)","$group_set":{"n":1}}}"#
            },
        ]
        let run = try PresetRun.run(preset, files[preset]!)
        #expect(run.converted.summary.written > 40 && run.converted.summary.rejected == 0)
        let check = validateNDJSON(run.converted.output)
        #expect(check.invalid == 0 && check.records == run.converted.summary.written)
    }
}
