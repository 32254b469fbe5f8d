import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// `profile` of a file read in blocks on several cores gives the report of one pass: the text,
/// JSON and HTML reports the same byte for byte, examples and their lines included.
@Suite struct ProfileBlockTests {
    func profile(_ path: String, parallel: Bool, blockSize: Int, preset: PresetSettings? = nil) -> MigrationProfiler {
        var options = ProfileOptions()
        options.preset = preset
        options.startedAt = ProfileTests.now
        options.parallel = parallel
        options.parallelThreshold = 0
        options.blockSize = blockSize
        let profiler = MigrationProfiler(options: options)
        profiler.profile(path: path)
        return profiler
    }

    @discardableResult
    func expectSameReports(
        _ path: String, blockSize: Int, preset: PresetSettings? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) -> (one: MigrationProfiler, blocks: MigrationProfiler) {
        let one = profile(path, parallel: false, blockSize: blockSize, preset: preset)
        let blocks = profile(path, parallel: true, blockSize: blockSize, preset: preset)
        #expect(one.filesReadInBlocks == 0, sourceLocation: sourceLocation)
        #expect(blocks.filesReadInBlocks == 1, sourceLocation: sourceLocation)
        #expect(blocks.records == one.records && blocks.invalid == one.invalid, sourceLocation: sourceLocation)
        #expect(ProfileReport.json(blocks) == ProfileReport.json(one), sourceLocation: sourceLocation)
        #expect(
            ProfileReport.text(blocks, style: .plain) == ProfileReport.text(one, style: .plain),
            sourceLocation: sourceLocation)
        #expect(ProfileHTML.page(blocks) == ProfileHTML.page(one), sourceLocation: sourceLocation)
        #expect(blocks.skipped == one.skipped, sourceLocation: sourceLocation)
        return (one, blocks)
    }

    @Test(arguments: [300, 1_000, 4_000])
    func theBundledHistoryJoinsToTheOnePassReport(blockSize: Int) {
        let one = profile(
            Paths.samples.appendingPathComponent("profile-history.ndjson").path, parallel: false, blockSize: blockSize)
        #expect(one.findings().count >= 15)
        expectSameReports(Paths.samples.appendingPathComponent("profile-history.ndjson").path, blockSize: blockSize)
    }

    /// Users identified many times, in and out of order, with more than 64 keys that come and go
    /// (some null or `""`), events before and after, exact and near duplicates, invalid lines.
    static func history(seed: UInt64, records: Int) -> String {
        var random = EventGenerator(seed: seed)
        var lines: [String] = []
        for _ in 0..<records {
            let user = "\"u\(random.next(40))\""
            let time = String(
                format: "2024-01-%02dT%02d:%02d:00Z", 1 + random.next(28), random.next(24), random.next(60))
            switch random.next(10) {
            case 0, 1, 2:
                let keys = (0..<(1 + random.next(6))).map { _ in "k\(random.next(80))" }
                let members = Set(keys).sorted().map { key in
                    let value = random.pick(["1", "\"x\"", "null", "\"\"", "true", "\"2024-01-02\"", "{\"a\":1}"])
                    return "\"\(key)\":\(value)"
                }
                lines.append(ProfileTests.identify(user, time, metadata: "{" + members.joined(separator: ",") + "}"))
            case 3:
                lines.append(
                    "{\"event_type\":\"identify_company\",\"company_id\":\"c\(random.next(9))\",\"inserted_at\":\"\(time)\","
                        + "\"metadata\":{\"plan\":\(random.pick(["\"pro\"", "3", "null"]))}}")
            case 4:
                lines.append(lines.last ?? "")
            case 5:
                lines.append("{\"event_type\":\"track\",\"user_id\":\(user)")
            default:
                let company = random.next(3) == 0 ? "\"c\(random.next(12))\"" : nil
                let metadata = random.pick(["{}", "{\"email\":\"ann@example.org\"}", "{\"n\":\(random.next(3))}"])
                lines.append(
                    ProfileTests.track(
                        random.next(15) == 0 ? "\"anonymous\"" : user, time, name: random.pick(["A", "B"]),
                        company: company, metadata: metadata))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func identifyOrderAndDuplicatesAcrossBlocksAreThoseOfOnePass(seed: UInt64) throws {
        let folder = try ScratchFolder()
        let path = folder.path("history.ndjson")
        try Self.history(seed: seed, records: 1_500).write(toFile: path, atomically: true, encoding: .utf8)
        let one = profile(path, parallel: false, blockSize: 0)
        for code in [
            FindingCode.identifyOutOfOrder, .identifyPropertyDropped, .identifyNullOverwrite, .duplicateRecord,
        ] {
            #expect(one.findings().contains { $0.code == code }, "\(code)")
        }
        for blockSize in [500, 7_000, 40_000] { expectSameReports(path, blockSize: blockSize) }
    }

    @Test func aCSVFileJoinsToTheOnePassReport() throws {
        let folder = try ScratchFolder()
        let path = folder.path("history.csv")
        var random = EventGenerator(seed: 9)
        let events = (0..<600).map { _ in random.event() }
        try EventGenerator.csv(events).write(toFile: path, atomically: true, encoding: .utf8)
        expectSameReports(path, blockSize: 2_000)
    }

    /// A stray quote misleads a CSV cut; the rest of the file is read on one core after the
    /// blocks before it were joined, and the report is still the one-pass report.
    @Test func theRestAfterARefusedCutJoinsToTheOnePassReport() throws {
        let folder = try ScratchFolder()
        let path = folder.path("stray.csv")
        try BlockTestFiles.csvWithStrayQuote().write(toFile: path, atomically: true, encoding: .utf8)
        expectSameReports(path, blockSize: 3_000)
        #expect(profile(path, parallel: true, blockSize: 3_000).oneCoreRests == 1)
    }

    /// A Mixpanel export (anonymous ids, merges, page views, broken lines, `terminated early`) is
    /// mapped on every core: no derived rows, so no block falls back to one core.
    @Test(arguments: [1_000, 3_000])
    func aMixpanelExportIsMappedInBlocksToTheOnePassReport(blockSize: Int) throws {
        let folder = try ScratchFolder()
        let path = folder.path("export.ndjson")
        try PresetBlockTests.mixpanel(records: 2_000, seed: 4).write(toFile: path, atomically: true, encoding: .utf8)
        let (one, blocks) = expectSameReports(path, blockSize: blockSize, preset: PresetSettings(preset: .mixpanel))
        #expect(one.records > 1_500 && one.invalid > 0 && one.skipped > 0)
        #expect(blocks.oneCoreRests == 0)
    }

    /// Amplitude events derive identify rows (SPEC §8 rule 5) that only the blocks before can
    /// decide: the join replays those it writes and merges them with the block's records, so the
    /// report is the one-pass report whether a derived row is written or not.
    @Test func anAmplitudeExportWithDerivedRowsJoinsToTheOnePassReport() throws {
        let folder = try ScratchFolder()
        let path = folder.path("export.ndjson")
        let sessions = (0..<400).map { i in
            "{\"event_type\":\"session_start\",\"amplitude_id\":\(i),\"user_id\":\"u-\(i % 9)\","
                + "\"event_time\":\"2024-03-01 10:00:00.000000\",\"user_properties\":{\"plan\":\"x\"}}"
        }
        try (sessions.joined(separator: "\n") + "\n" + PresetBlockTests.amplitude(records: 1_500, seed: 6))
            .write(toFile: path, atomically: true, encoding: .utf8)
        let amplitude = PresetSettings(preset: .amplitude)
        let (one, blocks) = expectSameReports(path, blockSize: 2_000, preset: amplitude)
        #expect(one.records > 1_500 && one.skipped >= 400)
        #expect(blocks.oneCoreRests == 0)

        var noDerived = amplitude
        noDerived.derivedIdentify = false
        let (fewer, joined) = expectSameReports(path, blockSize: 2_000, preset: noDerived)
        #expect(fewer.records < one.records)
        #expect(joined.oneCoreRests == 0)
    }

    /// Amplitude users identified by `$identify` and by the properties their events carry (derived
    /// rows, user and company), with keys that come and go, null and `""` values, dates, ids with
    /// spaces, e-mail addresses, times out of order: derived rows and the block's own rows meet at
    /// the same lines and in the same entities' histories.
    static func amplitudeHistory(seed: UInt64, records: Int) -> String {
        var random = EventGenerator(seed: seed)
        var lines: [String] = []
        for i in 0..<records {
            let user = random.next(20) == 0 ? " u\(random.next(25))" : "u\(random.next(25))"
            let keys = Set((0..<(1 + random.next(4))).map { _ in "k\(random.next(9))" }).sorted()
            let properties = keys.map { key in
                "\"\(key)\":" + random.pick(["1", "\"x\"", "null", "\"\"", "\"2024-01-02\"", "\"ann@example.org\""])
            }.joined(separator: ",")
            let time = String(
                format: "2024-03-%02d %02d:%02d:00.000000", 1 + random.next(20), random.next(24), random.next(60))
            var fields =
                "\"amplitude_id\":\(i),\"user_id\":\"\(user)\",\"event_time\":\"\(time)\",\"$insert_id\":\"i\(i)\""
            switch random.next(6) {
            case 0:
                fields += ",\"event_type\":\"$identify\",\"user_properties\":{\"$set\":{\(properties)}}"
            case 1:
                let company = "c\(random.next(6))"
                fields +=
                    ",\"event_type\":\"Invited\",\"user_properties\":{\(properties)},\"groups\":{\"company\":\"\(company)\"},"
                    + "\"group_properties\":{\"company\":{\"\(company)\":{\"tier\":\"\(random.pick(["a", "b"]))\",\"\(keys[0])\":2}}}"
            case 2:
                fields +=
                    ",\"event_type\":\"Shared\",\"event_properties\":{\"to\":\"bob@example.org\"},\"user_properties\":{\(properties)}"
            default:
                fields += ",\"event_type\":\"Clicked\",\"user_properties\":{\(properties)}"
            }
            lines.append("{" + fields + "}")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test(arguments: [(1, 600), (2, 1_500), (3, 4_000)] as [(UInt64, Int)])
    func amplitudeIdentifyHistoriesAcrossBlocksAreThoseOfOnePass(seed: UInt64, blockSize: Int) throws {
        let folder = try ScratchFolder()
        let path = folder.path("amplitude.ndjson")
        try Self.amplitudeHistory(seed: seed, records: 1_200).write(toFile: path, atomically: true, encoding: .utf8)
        let (one, blocks) = expectSameReports(path, blockSize: blockSize, preset: PresetSettings(preset: .amplitude))
        let found = Set(one.findings().map(\.code))
        #expect(
            found.isSuperset(of: [
                .identifyPropertyDropped, .identifyNullOverwrite, .identifyOutOfOrder, .idWhitespace,
                .piiInEventMetadata, .typeDrift,
            ]), "\(found)")
        #expect(blocks.oneCoreRests == 0)
    }

    /// A derived identify row comes before its event at the same line: the event's user is not
    /// one met before an identify, so the users never identified keep their examples (the first
    /// 64 entities met before an identify are the candidates).
    @Test func aDerivedRowIsJoinedBeforeTheEventOfItsLine() throws {
        let folder = try ScratchFolder()
        let path = folder.path("amplitude.ndjson")
        let identified = (0..<100).map { i in
            "{\"event_type\":\"Clicked\",\"amplitude_id\":\(i),\"user_id\":\"u\(i)\","
                + "\"event_time\":\"2024-03-01 10:00:00.000000\",\"user_properties\":{\"plan\":\"x\"}}"
        }
        let anonymousToUserpilot = (0..<10).map { i in
            "{\"event_type\":\"Clicked\",\"amplitude_id\":\(200 + i),\"user_id\":\"v\(i)\","
                + "\"event_time\":\"2024-03-01 10:00:00.000000\"}"
        }
        try ((identified + anonymousToUserpilot).joined(separator: "\n") + "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let (one, blocks) = expectSameReports(path, blockSize: 1_000, preset: PresetSettings(preset: .amplitude))
        let never = one.findings().first { $0.code == .userNeverIdentified }
        #expect(never?.count == 10)
        #expect(never?.examples.map(\.line) == Array(101...105))
        #expect(blocks.filesReadInBlocks == 1 && blocks.oneCoreRests == 0)
    }

    /// A property key the block met first (a number) and a derived row gave a string before the
    /// block's own rows did: the string's first line is the derived row's.
    @Test func aKindsFirstLineMayBeADerivedRows() throws {
        let folder = try ScratchFolder()
        let path = folder.path("amplitude.ndjson")
        let lines = [
            #"{"event_type":"$identify","amplitude_id":1,"user_id":"u1","event_time":"2024-03-01 10:00:00.000000","user_properties":{"$set":{"k":5}}}"#,
            #"{"event_type":"Clicked","amplitude_id":2,"user_id":"u2","event_time":"2024-03-01 10:00:01.000000","user_properties":{"k":"x"}}"#,
            #"{"event_type":"$identify","amplitude_id":4,"user_id":"u4","event_time":"2024-03-01 10:00:03.000000","user_properties":{"$set":{"k":"y"}}}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let (one, _) = expectSameReports(path, blockSize: 4_000, preset: PresetSettings(preset: .amplitude))
        let drift = one.findings().first { $0.code == .typeDrift }
        #expect(drift?.examples.map(\.line).sorted() == [1, 2], "\(String(describing: drift))")
    }

    /// PostHog events derive identify rows from `$set` and `$set_once`.
    @Test func aPostHogExportWithDerivedRowsJoinsToTheOnePassReport() throws {
        let folder = try ScratchFolder()
        let path = folder.path("posthog.ndjson")
        var random = EventGenerator(seed: 11)
        let lines = (0..<900).map { i in
            let set = random.next(3) == 0 ? "{}" : "{\"plan\":\"\(random.pick(["free", "pro"]))\"}"
            return "{\"uuid\":\"e\(i)\",\"event\":\"\(random.pick(["Clicked", "$pageview", "$identify"]))\","
                + "\"distinct_id\":\"p\(random.next(15))\",\"timestamp\":\"2024-05-0\(1 + random.next(9))T10:00:00Z\","
                + "\"properties\":{\"$current_url\":\"https://app.example.com/x\",\"$set\":\(set)}}"
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let (one, blocks) = expectSameReports(path, blockSize: 1_500, preset: PresetSettings(preset: .posthog))
        #expect(one.records > 900)
        #expect(blocks.oneCoreRests == 0)
    }

    /// The wrong preset for a file stops it with the same reason in blocks as on one core.
    @Test func aSegmentFileReadAsMixpanelFailsAsOnOneCore() throws {
        let folder = try ScratchFolder()
        let path = folder.path("segment.ndjson")
        let line =
            #"{"type":"track","messageId":"m","event":"Clicked","userId":"u1","timestamp":"2024-01-01T00:00:00Z"}"#
        try String(repeating: line + "\n", count: 300).write(toFile: path, atomically: true, encoding: .utf8)
        let mixpanel = PresetSettings(preset: .mixpanel)
        let one = profile(path, parallel: false, blockSize: 2_000, preset: mixpanel)
        let blocks = profile(path, parallel: true, blockSize: 2_000, preset: mixpanel)
        #expect(blocks.filesReadInBlocks == 1)
        #expect(one.readFailures.map(\.reason).first?.contains("use --from segment") == true)
        #expect(blocks.readFailures.map(\.reason) == one.readFailures.map(\.reason))
        #expect(blocks.records == 0 && one.records == 0)
    }
}
