import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// A vendor export read in blocks on several cores gives exactly what one core gives: the same
/// rows (derived identifies decided across blocks), rejects, counts, duplicates, errors shown and
/// `--errors` stream.
@Suite struct PresetBlockTests {
    /// Amplitude rows: users whose properties change now and then (derived identifies, some
    /// decided only at hand-over), companies with group properties, anonymous and internal events,
    /// repeated `$insert_id`s, a broken line, rows without a time and rows the schema rejects.
    static func amplitude(records: Int, seed: UInt64) -> String {
        var rng = SeededGenerator(seed: seed)
        var lines: [String] = []
        for i in 0..<records {
            let user = Int.random(in: 1...40, using: &rng)
            let plan = ["free", "pro", "team"][(user + i / 150) % 3]
            let company = "c-\(user % 7)"
            let stamp = String(format: "2024-03-%02d 10:%02d:%02d.000123", 1 + i / 1440 % 28, i / 60 % 60, i % 60)
            var event = "Report Exported"
            var userID = "\"u-\(user)\""
            var extra = ""
            switch Int.random(in: 0..<40, using: &rng) {
            case 0: userID = "null"
            case 1: event = "session_start"
            case 2: event = "[Amplitude] Page Viewed"
            case 3: extra = ",\"event_properties\":{\"[Amplitude] Page Location\":\"not a url\"}"
            case 4: lines.append("{\"event_type\": broken")
            case 5: userID = "\"u-\(user)\",\"groups\":{\"company\":{\"an\":\"object\"}}"
            default: break
            }
            let insert = Int.random(in: 0..<30, using: &rng) == 0 ? "dup-\(i % 50)" : "id-\(i)"
            let time = Int.random(in: 0..<60, using: &rng) == 0 ? "" : "\"event_time\":\"\(stamp)\","
            lines.append(
                "{\"event_type\":\"\(event)\",\"amplitude_id\":\(1000 + user),\"user_id\":\(userID),\(time)"
                    + "\"user_properties\":{\"plan\":\"\(plan)\",\"seats\":\(user % 5)},"
                    + "\"groups\":{\"company\":\"\(company)\"},"
                    + "\"group_properties\":{\"company\":{\"\(company)\":{\"tier\":\"\(["a", "b"][(i / 300) % 2])\"}}},"
                    + "\"$insert_id\":\"\(insert)\"\(extra)}")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Mixpanel rows with anonymous ids, merges, a broken line and the `terminated early` line.
    static func mixpanel(records: Int, seed: UInt64) -> String {
        var rng = SeededGenerator(seed: seed)
        var lines: [String] = []
        for i in 0..<records {
            let kind = Int.random(in: 0..<20, using: &rng)
            let who = kind == 0 ? "$device:abc\(i)" : "u-\(i % 50)"
            let event = kind == 1 ? "$identify" : kind == 2 ? "$mp_web_page_view" : "Clicked"
            if kind == 3 { lines.append("not json at all") }
            let insert = Int.random(in: 0..<25, using: &rng) == 0 ? "dup" : "i\(i)"
            lines.append(
                "{\"event\":\"\(event)\",\"properties\":{\"time\":\(1_700_000_000 + i),\"distinct_id\":\"\(who)\","
                    + "\"$insert_id\":\"\(insert)\",\"$current_url\":\"https://app.example.com/p/\(i)\",\"plan\":\"x\"}}"
            )
        }
        lines.append("terminated early")
        return lines.joined(separator: "\n") + "\n"
    }

    func convert(_ path: String, _ settings: PresetSettings, parallel: Bool) throws -> (Converter, [String: String]) {
        let folder = try ScratchFolder()
        var options = ConvertOptions()
        options.preset = settings
        options.parallel = parallel
        options.parallelThreshold = 0
        options.blockSize = 3_000
        options.maxChunkBytes = 40_000
        let rejects = try OutputFile.create(path: folder.path("rejects.ndjson"))
        let converter = try Converter(options: options, destination: .directory(folder.path("out")), rejects: rejects)
        converter.convert(path: path)
        converter.finish()
        try rejects.flush()
        var files: [String: String] = [:]
        for name in ["rejects.ndjson"]
            + (try FileManager.default.contentsOfDirectory(atPath: folder.path("out")))
            .map({ "out/" + $0 })
        {
            files[name] = String(decoding: try folder.read(name), as: UTF8.self).replacingOccurrences(
                of: folder.url.path, with: "FOLDER")
        }
        return (converter, files)
    }

    func validate(_ path: String, _ settings: PresetSettings, parallel: Bool, errors: String) throws -> Validator {
        var options = ValidationOptions()
        options.preset = settings
        options.parallel = parallel
        options.parallelThreshold = 0
        options.blockSize = 3_000
        options.maxErrors = 7
        let validator = Validator(options: options, errorStream: try OutputFile.create(path: errors))
        validator.validate(path: path)
        validator.finish()
        return validator
    }

    func expectSame(_ text: String, _ settings: PresetSettings, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let folder = try ScratchFolder()
        let path = folder.path("export.ndjson")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))

        let (one, oneFiles) = try convert(path, settings, parallel: false)
        let (blocks, blockFiles) = try convert(path, settings, parallel: true)
        #expect(one.filesReadInBlocks == 0, sourceLocation: sourceLocation)
        #expect(blocks.filesReadInBlocks == 1, sourceLocation: sourceLocation)
        #expect(blocks.summary.presetCounts == one.summary.presetCounts, sourceLocation: sourceLocation)
        #expect(blocks.summary.records == one.summary.records, sourceLocation: sourceLocation)
        #expect(blocks.summary.written == one.summary.written, sourceLocation: sourceLocation)
        #expect(blocks.summary.rejected == one.summary.rejected, sourceLocation: sourceLocation)
        #expect(blockFiles.keys.sorted() == oneFiles.keys.sorted(), sourceLocation: sourceLocation)
        for (name, content) in oneFiles {
            let a = content.split(separator: "\n")
            let b = (blockFiles[name] ?? "").split(separator: "\n")
            let line =
                (0..<min(a.count, b.count)).first { a[$0] != b[$0] }
                ?? (a.count == b.count ? nil : min(a.count, b.count))
            #expect(
                line == nil,
                "\(name) differs at line \((line ?? 0) + 1): \(line.map { a.count > $0 ? a[$0] : "-" } ?? "") vs \(line.map { b.count > $0 ? b[$0] : "-" } ?? "")",
                sourceLocation: sourceLocation)
        }

        let sequential = try validate(path, settings, parallel: false, errors: folder.path("one-errors.ndjson"))
        let parallel = try validate(path, settings, parallel: true, errors: folder.path("block-errors.ndjson"))
        #expect(parallel.filesReadInBlocks == 1, sourceLocation: sourceLocation)
        #expect(parallel.summaries == sequential.summaries, sourceLocation: sourceLocation)
        #expect(parallel.shownErrors == sequential.shownErrors, sourceLocation: sourceLocation)
        #expect(
            try folder.read("block-errors.ndjson") == (try folder.read("one-errors.ndjson")),
            sourceLocation: sourceLocation)
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func amplitudeInBlocksWritesWhatOneCoreWrites(seed: UInt64) throws {
        let text = Self.amplitude(records: 3_000, seed: seed)
        try expectSame(text, PresetSettings(preset: .amplitude))
        // The case the hand-over decides: derived rows of entities first seen in a later block.
        let settings = PresetSettings(preset: .amplitude)
        let folder = try ScratchFolder()
        let path = folder.path("a.ndjson")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let (blocks, _) = try convert(path, settings, parallel: true)
        #expect(blocks.summary.presetCounts!.derivedRows > 100)
        #expect(blocks.summary.presetCounts!.duplicateEvents > 10)
        #expect(blocks.summary.rejected > 0)
    }

    @Test func mixpanelInBlocksWritesWhatOneCoreWrites() throws {
        try expectSame(Self.mixpanel(records: 2_000, seed: 7), PresetSettings(preset: .mixpanel))
    }

    @Test func derivedIdentifiesOffAndAnonymousKeptAgree() throws {
        var settings = PresetSettings(preset: .amplitude)
        settings.derivedIdentify = false
        settings.keepAnonymous = true
        try expectSame(Self.amplitude(records: 1_500, seed: 9), settings)
    }

    @Test func dedupeAndDocumentsStayOnOneCore() throws {
        let folder = try ScratchFolder()
        let path = folder.path("export.ndjson")
        try Data(Self.mixpanel(records: 500, seed: 1).utf8).write(to: URL(fileURLWithPath: path))
        var settings = PresetSettings(preset: .mixpanel)
        settings.dedupe = true
        let (converter, _) = try convert(path, settings, parallel: true)
        #expect(converter.filesReadInBlocks == 0)
        #expect(converter.summary.presetCounts!.skipped[SkipReason.duplicateEvent.rawValue] > 0)

        let document = folder.path("page.json")
        try Data(
            ("{\"results\": ["
                + (1...300).map {
                    "{\"$distinct_id\": \"u\($0)\", \"$properties\": {\"$last_seen\": \"2024-01-01T00:00:00\"}}"
                }.joined(separator: ",\n") + "]}\n").utf8
        ).write(to: URL(fileURLWithPath: document))
        let (profiles, _) = try convert(document, PresetSettings(preset: .mixpanelProfiles), parallel: true)
        #expect(profiles.filesReadInBlocks == 0)
        #expect(profiles.summary.written == 300)
    }

    @Test func aWrongVendorStopsInBlocksAsOnOneCore() throws {
        let folder = try ScratchFolder()
        let path = folder.path("segment.ndjson")
        let line =
            "{\"type\":\"track\",\"messageId\":\"m\",\"userId\":\"u\",\"event\":\"E\",\"timestamp\":\"2024-01-01T00:00:00Z\"}"
        try Data(Array(repeating: line, count: 400).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))
        let (one, _) = try convert(path, PresetSettings(preset: .mixpanel), parallel: false)
        let (blocks, _) = try convert(path, PresetSettings(preset: .mixpanel), parallel: true)
        #expect(blocks.summary.inputs[0].readFailure != nil)
        #expect(blocks.summary.inputs[0].readFailure == one.summary.inputs[0].readFailure)
        #expect(blocks.summary.written == 0)
    }
}

/// SplitMix64: the same numbers for the same seed on every machine.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The rest of a vendor export read on one core after a block with more errors than it keeps
/// does not check the vendor's shape again: only the file's first record decides it.
@Suite struct PresetRestTests {
    @Test func aRestStartingAtAnotherVendorsRecordIsNotAWrongVendor() throws {
        let folder = try ScratchFolder()
        let path = folder.path("export.ndjson")
        let mixpanel = (0..<38).map {
            "{\"event\":\"Clicked\",\"properties\":{\"time\":\(1_700_000_000 + $0),\"distinct_id\":\"u\($0)\"}}"
        }
        let segment =
            "{\"type\":\"track\",\"messageId\":\"m\",\"userId\":\"u\",\"event\":\"E\",\"timestamp\":\"2024-01-01T00:00:00Z\"}"
        let rest = (0..<300).flatMap { _ in [segment, "not json"] }
        try Data(((mixpanel + rest).joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        func validate(parallel: Bool) throws -> Validator {
            var options = ValidationOptions()
            options.preset = PresetSettings(preset: .mixpanel)
            options.parallel = parallel
            options.parallelThreshold = 0
            options.blockSize = 3_000
            options.blockErrorBudget = 5
            let validator = Validator(
                options: options, errorStream: try OutputFile.create(path: folder.path("errors-\(parallel).ndjson")))
            validator.validate(path: path)
            validator.finish()
            return validator
        }
        let one = try validate(parallel: false)
        let blocks = try validate(parallel: true)
        #expect(blocks.filesReadInBlocks == 1 && blocks.oneCoreRests == 1)
        #expect(one.summaries[0].readFailure == nil)
        #expect(blocks.summaries == one.summaries)
        #expect(try folder.read("errors-true.ndjson") == (try folder.read("errors-false.ndjson")))
    }
}
