import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// Each finding of `profile` (SPEC §9) from records built so that its count is known.
@Suite struct ProfileTests {
    /// 2024-03-01T00:00:00Z, the clock of these runs (`future_timestamp` is a day past it).
    static let now = 1_709_251_200

    func profile(_ lines: [String], name: String = "history.ndjson", preset: PresetSettings? = nil) -> MigrationProfiler
    {
        var options = ProfileOptions()
        options.startedAt = Self.now
        options.preset = preset
        let profiler = MigrationProfiler(options: options)
        profiler.profile(source: ByteSource(bytes: Array((lines.joined(separator: "\n") + "\n").utf8), name: name))
        return profiler
    }

    func finding(_ code: FindingCode, _ profiler: MigrationProfiler) -> ImportPrepCore.Finding? {
        profiler.findings().first { $0.code == code }
    }

    static func track(
        _ user: String, _ time: String, name: String = "Clicked", company: String? = nil, metadata: String = "{}"
    ) -> String {
        "{\"event_type\":\"track\",\"user_id\":\(user),\"event_name\":\"\(name)\",\"inserted_at\":\"\(time)\""
            + (company.map { ",\"company_id\":\($0)" } ?? "") + ",\"metadata\":\(metadata)}"
    }

    static func identify(_ user: String, _ time: String, metadata: String = "{}") -> String {
        "{\"event_type\":\"identify_user\",\"user_id\":\(user),\"inserted_at\":\"\(time)\",\"metadata\":\(metadata)}"
    }

    /// `n` identified users' tracks on each day of `days` (2024-01-DD), 10:00, and their
    /// identifies on January 1st.
    static func days(_ days: [Int], perDay n: Int) -> [String] {
        days.flatMap { day in
            (0..<n).map { k in track("\"u\(k)\"", String(format: "2024-01-%02dT10:00:00Z", day)) }
        } + (0..<n).map { k in identify("\"u\(k)\"", "2024-01-01T09:00:00Z") }
    }

    @Test func historyGapsCountDaysWithoutRecordsWhenTheHistoryIsDense() {
        // Jan 1–10 with Jan 4, 5 and 8 empty: 3 gap days in 2 runs.
        let dense = profile(Self.days([1, 2, 3, 6, 7, 9, 10], perDay: 15))
        let gap = finding(.historyGap, dense)
        #expect(gap?.count == 3)
        #expect(gap?.breakdown.map(\.0) == ["2024-01-04..2024-01-05", "2024-01-08"])
        // Too sparse (fewer than 10 records a day over the span): no gaps reported.
        #expect(finding(.historyGap, profile(Self.days([1, 20], perDay: 15))) == nil)
        // A 1970 record and a future one do not stretch the span.
        let stray = profile(
            Self.days([1, 2, 3, 6, 7, 9, 10], perDay: 15) + [
                Self.track("\"u1\"", "1970-01-01T00:00:00Z"), Self.track("\"u1\"", "2030-01-01T00:00:00Z"),
            ])
        #expect(finding(.historyGap, stray)?.count == 3)
    }

    @Test func futureAndAncientTimesAreCountedAndAZeroEpochIsNamed() {
        let profiler = profile([
            Self.track("\"u1\"", "2024-03-02T01:00:00Z"),  // 25 hours after the run: future
            Self.track("\"u1\"", "2024-03-01T23:00:00Z"),  // within the day: not future
            Self.track("\"u1\"", "1970-01-01T00:00:00Z"),
            Self.track("\"u1\"", "1999-12-31T23:59:59Z"),
            Self.track("\"u1\"", "2000-01-01T00:00:00Z"),
        ])
        #expect(finding(.futureTimestamp, profiler)?.count == 1)
        let ancient = finding(.ancientTimestamp, profiler)
        #expect(ancient?.count == 2)
        #expect(ancient?.breakdown.contains { $0.0 == "zero epoch (1970-01-01)" && $0.1 == 1 } == true)
    }

    @Test func dateOnlyTimestampsWhenMostRecordsSitAtMidnight() {
        let mostly = profile([
            Self.track("\"u1\"", "2024-01-01T00:00:00Z"), Self.track("\"u1\"", "2024-01-02T00:00:00.000+02:00"),
            Self.track("\"u1\"", "2024-01-03T00:00:00"), Self.track("\"u1\"", "2024-01-04T00:00:00.001Z"),
            Self.track("\"u1\"", "2024-01-05T12:00:00Z"),
        ])
        #expect(finding(.dateOnlyTimestamps, mostly)?.count == 3)
        let half = profile([Self.track("\"u1\"", "2024-01-01T00:00:00Z"), Self.track("\"u1\"", "2024-01-05T12:00:00Z")])
        #expect(finding(.dateOnlyTimestamps, half) == nil)
    }

    @Test func typeDriftCountsScopeKeyPairsWithMoreThanOneKind() {
        let profiler = profile([
            Self.track(
                "\"u1\"", "2024-01-01T10:00:00Z", metadata: "{\"plan\":\"pro\",\"seats\":3,\"at\":\"2024-01-01\"}"),
            Self.track("\"u1\"", "2024-01-01T10:00:00Z", metadata: "{\"plan\":\"team\",\"seats\":3.5,\"at\":\"soon\"}"),
            Self.track("\"u1\"", "2024-01-01T10:00:00Z", metadata: "{\"plan\":null,\"flag\":true,\"tags\":[1]}"),
            Self.track("\"u1\"", "2024-01-01T10:00:00Z", metadata: "{\"flag\":\"yes\",\"tags\":{\"a\":1}}"),
            // The same key in another scope is another pair, with one kind: no drift.
            Self.identify("\"u1\"", "2024-01-01T10:00:00Z", metadata: "{\"seats\":\"3\"}"),
        ])
        let drift = finding(.typeDrift, profiler)
        // events.at (date, string) and events.flag (boolean, string); seats: integers and
        // fractions are one kind; plan's null is ignored; tags: nested twice.
        #expect(drift?.count == 2)
        #expect(drift?.breakdown.map(\.0).contains("events.flag: boolean") == true)
        // The first line of each kind: at (string, date), flag (string, boolean).
        #expect(drift?.examples.map(\.line) == [2, 1, 4, 3])
    }

    @Test func keysEqualButForCaseAndSeparatorsCollide() {
        let profiler = profile([
            Self.track(
                "\"u1\"", "2024-01-01T10:00:00Z", metadata: "{\"Plan\":1,\"plan\":2,\"PLAN_\":3,\"plan-tier\":4}"),
            Self.track("\"u1\"", "2024-01-01T10:00:00Z", metadata: "{\"planTier\":1,\"other\":2}"),
            Self.identify("\"u1\"", "2024-01-01T10:00:00Z", metadata: "{\"plan\":\"x\"}"),
        ])
        // {Plan, plan, PLAN_} and {plan-tier, planTier} among events; users' lone plan is no group.
        #expect(finding(.keyCaseCollision, profiler)?.count == 2)
    }

    @Test func placeholderIdsWhiteSpaceAndEmailsAreCountedPerRecord() {
        let profiler = profile([
            Self.track("\"Anonymous\"", "2024-01-01T10:00:00Z"), Self.track("\"anonymous\"", "2024-01-01T10:00:00Z"),
            Self.track("\"u1\"", "2024-01-01T10:00:00Z", company: "\"test\""),
            Self.track("\"0\"", "2024-01-01T10:00:00Z"), Self.track("\" anonymous\"", "2024-01-01T10:00:00Z"),
            Self.track("\"u2 \"", "2024-01-01T10:00:00Z"), Self.track("\"jane@example.com\"", "2024-01-01T10:00:00Z"),
            Self.track("\"jane@example.com\"", "2024-01-01T10:00:00Z"),
            "{\"event_type\":\"identify_company\",\"company_id\":\"c1\",\"user_id\":\"null\",\"inserted_at\":\"2024-01-01T10:00:00Z\"}",
        ])
        // Anonymous, anonymous, test, 0; " anonymous" is not trimmed; identify_company's user_id is not read.
        #expect(finding(.junkID, profiler)?.count == 4)
        #expect(finding(.idWhitespace, profiler)?.count == 2)
        let email = finding(.idIsEmail, profiler)
        #expect(email?.count == 2)
        #expect(email?.examples.first?.text == "j***@e***.com")
    }

    @Test func entitiesNeverIdentifiedAndIdentifiedLate() {
        let profiler = profile([
            Self.track("\"u1\"", "2024-01-02T10:00:00Z", company: "\"c1\""),
            Self.identify("\"u1\"", "2024-01-03T10:00:00Z"),  // later than its first event
            Self.track("\"u2\"", "2024-01-02T10:00:00Z"), Self.track("\"u2\"", "2024-01-04T10:00:00Z"),
            Self.identify("\"u3\"", "2024-01-01T10:00:00Z"), Self.track("\"u3\"", "2024-01-02T10:00:00Z"),
            Self.identify("\"u4\"", "2024-01-01T10:00:00Z", metadata: "{}"),
            "{\"event_type\":\"identify_company\",\"company_id\":\"c2\",\"inserted_at\":\"2024-01-01T10:00:00Z\"}",
            Self.track("\"u3\"", "2024-01-02T10:00:00Z", company: "\"c2\""),
            Self.track("\"u3\"", "2024-01-02T10:00:00Z", company: "\"c3\""),
        ])
        #expect(finding(.userNeverIdentified, profiler)?.count == 1)  // u2
        #expect(finding(.userNeverIdentified, profiler)?.examples.map(\.text) == ["u2"])
        #expect(finding(.companyNeverIdentified, profiler)?.count == 2)  // c1, c3
        #expect(finding(.identifyAfterFirstEvent, profiler)?.count == 1)  // u1
        #expect(profiler.entityCounts.users == 4)
        #expect(profiler.entityCounts.companies == 3)
    }

    @Test func identifiesOlderThanAnEarlierOneOfTheSameEntityAreOutOfOrder() {
        let profiler = profile([
            Self.identify("\"u1\"", "2024-01-05T10:00:00Z"), Self.identify("\"u1\"", "2024-01-03T10:00:00Z"),
            Self.identify("\"u1\"", "2024-01-04T10:00:00Z"), Self.identify("\"u1\"", "2024-01-06T10:00:00Z"),
            Self.identify("\"u2\"", "2024-01-01T10:00:00Z"),
            "{\"event_type\":\"identify_company\",\"company_id\":\"c1\",\"inserted_at\":\"2024-01-02T00:00:00Z\"}",
            "{\"event_type\":\"identify_company\",\"company_id\":\"c1\",\"inserted_at\":\"2024-01-01T23:00:00-02:00\"}",
        ])
        // u1: the 3rd and the 4th; c1's second is 01:00 UTC on the 2nd, after 00:00: in order.
        #expect(finding(.identifyOutOfOrder, profiler)?.count == 2)
    }

    @Test func personalDataInEventPropertiesByKindAndKey() {
        let profiler = profile([
            Self.track(
                "\"u1\"", "2024-01-01T10:00:00Z",
                metadata:
                    "{\"contact\":\"ann@example.org\",\"phone\":\"+49 151-2345 6789\",\"ip\":\"192.168.1.20\",\"card\":\"4111111111111111\"}"
            ),
            Self.track(
                "\"u1\"", "2024-01-01T10:00:00Z",
                metadata:
                    "{\"card\":\"4111111111111112\",\"ip\":\"300.1.1.1\",\"n\":\"12345\",\"contact\":\"ann@example.org\"}"
            ),
            Self.identify("\"u1\"", "2024-01-01T10:00:00Z", metadata: "{\"email\":\"ann@example.org\"}"),
            Self.track("\"u1\"", "2024-01-01T10:00:00Z", metadata: "{\"nested\":{\"email\":\"ann@example.org\"}}"),
        ])
        let pii = finding(.piiInEventMetadata, profiler)
        // e-mail twice, phone, IPv4, card (the second card fails Luhn, 300 is no IPv4); the
        // identify's e-mail is a user property, and nested values are not top-level.
        #expect(pii?.count == 5)
        #expect(pii?.breakdown.first?.0 == "e-mail in contact")
        #expect(pii?.breakdown.first?.1 == 2)
        #expect(pii?.examples.allSatisfy { !$0.text.contains("ann@") && !$0.text.contains("4111111111111111") } == true)
    }

    @Test func invalidRecordsAreLeftOutAndCounted() {
        let profiler = profile([
            Self.track("\"u1\"", "2024-01-01T10:00:00Z"), "{\"event_type\":\"track\"}", "not json",
            Self.track("\"anonymous\"", "28/07/2024"),
        ])
        #expect(profiler.records == 1)
        #expect(profiler.invalid == 3)
        #expect(finding(.junkID, profiler) == nil)
    }

    @Test func csvMetadataCellsAreTypedAsConvertTypesThem() {
        let csv = [
            "event_type,user_id,event_name,inserted_at,metadata.seats,metadata.contact",
            "track,u1,Clicked,2024-01-01T10:00:00Z,3,ann@example.org", "track,u1,Clicked,2024-01-01T10:00:00Z,lots,",
        ]
        let profiler = profile(csv, name: "history.csv")
        #expect(finding(.typeDrift, profiler)?.count == 1)
        #expect(finding(.piiInEventMetadata, profiler)?.count == 1)
    }

    @Test func aVendorExportIsProfiledThroughItsPreset() {
        let lines = [
            "{\"event\":\"Clicked\",\"properties\":{\"time\":1704103200,\"distinct_id\":\"u1\",\"$insert_id\":\"a\"}}",
            "{\"event\":\"Clicked\",\"properties\":{\"time\":1704103200,\"distinct_id\":\"$device:x\",\"$insert_id\":\"b\"}}",
            "{\"event\":\"Clicked\",\"properties\":{\"time\":1704103200,\"distinct_id\":\"jo@example.com\",\"$insert_id\":\"c\"}}",
        ]
        let profiler = profile(lines, name: "export.ndjson", preset: PresetSettings(preset: .mixpanel))
        #expect(profiler.records == 2)
        #expect(profiler.skipped == 1)
        #expect(finding(.userNeverIdentified, profiler)?.count == 2)
        #expect(finding(.idIsEmail, profiler)?.count == 1)
    }

    @Test func passingMaxMemoryStopsTheEntityChecksAndSaysWhere() throws {
        var options = ProfileOptions()
        options.startedAt = Self.now
        options.maxMemory = 1  // any process is larger: the checks stop at the first record
        let profiler = MigrationProfiler(options: options)
        let lines = [Self.track("\"u1\"", "2024-01-01T10:00:00Z"), Self.track("\"anonymous\"", "2024-01-02T10:00:00Z")]
        profiler.profile(
            source: ByteSource(bytes: Array((lines.joined(separator: "\n") + "\n").utf8), name: "h.ndjson"))
        #expect(profiler.entityChecksStopped?.line == 1)
        #expect(profiler.entityCounts.users == 0)
        #expect(finding(.userNeverIdentified, profiler) == nil)
        // The other checks go on.
        #expect(profiler.records == 2)
        #expect(finding(.junkID, profiler)?.count == 1)
        let json = try JSONSerialization.jsonObject(with: Data(ProfileReport.json(profiler).utf8)) as! [String: Any]
        #expect((json["entity_checks_stopped"] as? [String: Any])?["line"] as? Int == 1)
        #expect(ProfileReport.text(profiler).contains("entity checks stopped at h.ndjson:1"))
        // The default (2 GB) is far from these files.
        #expect(profile(lines).entityChecksStopped == nil)
    }

    @Test func theJSONReportHasTheShapeOfTheSpec() throws {
        let profiler = profile(Self.days([1, 2, 3, 6, 7, 9, 10], perDay: 15))
        let object = try JSONSerialization.jsonObject(with: Data(ProfileReport.json(profiler).utf8)) as! [String: Any]
        #expect(Set(object.keys).isSuperset(of: ["files", "span", "by_day", "entities", "findings"]))
        let span = object["span"] as! [String: String]
        #expect(span == ["first": "2024-01-01", "last": "2024-01-10"])
        let byDay = object["by_day"] as! [String: [String: Int]]
        #expect(byDay["2024-01-02"] == ["track": 15])
        #expect(byDay["2024-01-01"] == ["identify_user": 15, "track": 15])
        let findings = object["findings"] as! [[String: Any]]
        let gap = try #require(findings.first { $0["code"] as? String == "history_gap" })
        #expect(gap["severity"] as? String == "risk")
        #expect(gap["count"] as? Int == 3)
        #expect((gap["breakdown"] as? [String: Int])?["2024-01-08"] == 1)
        #expect(ProfileReport.text(profiler).contains("history_gap: 3"))
    }
}

/// The accumulative-property and duplicate findings.
@Suite struct ProfileIdentifyAndDuplicateTests {
    let base = ProfileTests()

    @Test func identifiesThatDropOrEraseEarlierProperties() {
        let profiler = base.profile([
            ProfileTests.identify(
                "\"u1\"", "2024-01-01T10:00:00Z", metadata: "{\"plan\":\"pro\",\"seats\":3,\"note\":\"\"}"),
            // Leaves out note (set to "" earlier: "" counts as set): dropped.
            ProfileTests.identify("\"u1\"", "2024-01-02T10:00:00Z", metadata: "{\"plan\":\"team\",\"seats\":4}"),
            // Sets plan to null and seats to "": one record with null overwrites (and nothing left out).
            ProfileTests.identify(
                "\"u1\"", "2024-01-03T10:00:00Z", metadata: "{\"plan\":null,\"seats\":\"\",\"note\":\"x\"}"),
            // A full set again: neither.
            ProfileTests.identify(
                "\"u1\"", "2024-01-04T10:00:00Z", metadata: "{\"plan\":\"pro\",\"seats\":5,\"note\":\"y\"}"),
            // Another user: its first identify drops nothing.
            ProfileTests.identify("\"u2\"", "2024-01-04T10:00:00Z", metadata: "{\"plan\":\"pro\"}"),
            // Companies separately: the second leaves out tier and erases name.
            "{\"event_type\":\"identify_company\",\"company_id\":\"c1\",\"inserted_at\":\"2024-01-01T10:00:00Z\",\"metadata\":{\"tier\":\"a\",\"name\":\"C\"}}",
            "{\"event_type\":\"identify_company\",\"company_id\":\"c1\",\"inserted_at\":\"2024-01-02T10:00:00Z\",\"metadata\":{\"name\":null}}",
            // A null for a key never set is no overwrite.
            ProfileTests.identify("\"u2\"", "2024-01-05T10:00:00Z", metadata: "{\"plan\":\"pro\",\"fresh\":null}"),
        ])
        #expect(base.finding(.identifyPropertyDropped, profiler)?.count == 2)
        #expect(base.finding(.identifyPropertyDropped, profiler)?.examples.map(\.line) == [2, 7])
        #expect(base.finding(.identifyNullOverwrite, profiler)?.count == 2)
        #expect(base.finding(.identifyNullOverwrite, profiler)?.examples.map(\.line) == [3, 7])
    }

    @Test func moreThanSixtyFourPropertiesAreTrackedExactly() {
        let many = (0..<80).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let fewer = (0..<79).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let profiler = base.profile([
            ProfileTests.identify("\"u1\"", "2024-01-01T10:00:00Z", metadata: "{\(many)}"),
            ProfileTests.identify("\"u1\"", "2024-01-02T10:00:00Z", metadata: "{\(many)}"),
            ProfileTests.identify("\"u1\"", "2024-01-03T10:00:00Z", metadata: "{\(fewer)}"),  // k79 left out
        ])
        #expect(base.finding(.identifyPropertyDropped, profiler)?.count == 1)
    }

    @Test func exactCopiesAndEventsThatChangedBetweenExports() {
        let click = ProfileTests.track("\"u1\"", "2024-01-01T10:00:00Z", metadata: "{\"plan\":\"pro\"}")
        let profiler = base.profile([
            click, click, click,  // two copies
            // Same event, other metadata twice: a group with 3 versions → 2.
            ProfileTests.track("\"u1\"", "2024-01-01T10:00:00Z", metadata: "{\"plan\":\"team\"}"),
            ProfileTests.track("\"u1\"", "2024-01-01T10:00:00.000+00:00", metadata: "{\"plan\":\"free\"}"),
            // Numbers as written: 1.0 is not 1 (another version).
            ProfileTests.track("\"u2\"", "2024-01-01T10:00:00Z", metadata: "{\"n\":1}"),
            ProfileTests.track("\"u2\"", "2024-01-01T10:00:00Z", metadata: "{\"n\":1.0}"),
            // A page view by its page, derived from the url.
            "{\"event_type\":\"page_view\",\"user_id\":\"u3\",\"url\":\"https://a.example.com/x?q=1\",\"inserted_at\":\"2024-01-01T10:00:00Z\",\"metadata\":{}}",
            "{\"event_type\":\"page_view\",\"user_id\":\"u3\",\"hostname\":\"a.example.com\",\"pathname\":\"/x\",\"inserted_at\":\"2024-01-01T10:00:00Z\",\"metadata\":{\"v\":2}}",
            // Another time: no duplicate.
            ProfileTests.track("\"u1\"", "2024-01-01T10:00:01Z", metadata: "{\"plan\":\"team\"}"),
        ])
        let records = base.finding(.duplicateRecord, profiler)
        #expect(records?.count == 2)
        #expect(records?.examples.map(\.line) == [2, 3])
        let events = base.finding(.duplicateEvent, profiler)
        #expect(events?.count == 4)
        #expect(events?.examples.first?.line == 4)
    }
}

/// Property kinds per scope and key when records of one shape are followed by others: the keys a
/// record had at each place are tried first, so a key moved to another place, the same key in
/// another scope, a key written with an escape, and places past 64 must each land on their own
/// entry with exact counts.
@Suite struct PropertyKindCountTests {
    @Test func everyScopeKeyAndKindIsCountedWhateverThePlaces() {
        let kinds = ["\"text\"", "12", "true", "\"2024-01-02\"", "{\"a\":1}", "null"]
        let kindOf: [String: Int?] = [
            "\"text\"": 0, "12": 1, "true": 2, "\"2024-01-02\"": 3, "{\"a\":1}": 4, "null": nil,
        ]
        var state: UInt64 = 7
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33) % n
        }
        var expected: [String: [Int]] = [:]
        var lines: [String] = []
        for record in 0..<600 {
            let (type, scope, id) = [
                ("track", "events", "\"user_id\":\"u1\",\"event_name\":\"E\""),
                ("identify_user", "users", "\"user_id\":\"u1\""),
                ("identify_company", "companies", "\"company_id\":\"c1\""),
            ][next(3)]
            // Runs of one shape, then a shuffle, a dropped key or a wide record.
            var keys = Array(0..<6)
            switch record % 10 {
            case 3:
                var generator = SeededGenerator(seed: UInt64(record))
                keys.shuffle(using: &generator)
            case 5: keys.remove(at: next(6))
            case 7: keys = Array(0..<70)
            default: break
            }
            var members: [String] = []
            for key in keys {
                let value = kinds[next(kinds.count)]
                // Key 5 is sometimes written with an escape (`k\u0035`): the same key.
                let written = key == 5 && next(2) == 0 ? "k\\u0035" : "k\(key)"
                members.append("\"\(written)\":\(value)")
                var counts = expected["\(scope).k\(key)", default: [0, 0, 0, 0, 0]]
                if let kind = kindOf[value]! { counts[kind] += 1 }
                expected["\(scope).k\(key)"] = counts
            }
            lines.append(
                "{\"event_type\":\"\(type)\",\(id),\"inserted_at\":\"2024-01-01T10:00:00Z\",\"metadata\":{"
                    + members.joined(separator: ",") + "}}")
        }
        let profiler = MigrationProfiler(options: ProfileOptions())
        profiler.profile(
            source: ByteSource(bytes: Array((lines.joined(separator: "\n") + "\n").utf8), name: "k.ndjson"))
        #expect(profiler.records == 600)
        let counted = Dictionary(uniqueKeysWithValues: profiler.keyKinds.map { ("\($0.scope).\($0.key)", $0.records) })
        #expect(counted == expected)
    }
}
