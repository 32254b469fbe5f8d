import Foundation
import Testing

@_spi(Testing) @testable import ImportPrepCore

@Suite struct ValidatorTests {
    func source(_ text: String, name: String) -> ByteSource { ByteSource(bytes: Array(text.utf8), name: name) }

    static let mixed = [
        Fixtures.track, #"{"event_type":"track"}"#, "", Fixtures.track, "[]",
        #"{"event_type":"identify_user","user_id":"u","inserted_at":"2024-07-28T10:00:00"}"#,
    ].joined(separator: "\n")

    @Test func countsEverythingButShowsOnlyTheCap() throws {
        var options = ValidationOptions()
        options.maxErrors = 2
        let validator = Validator(options: options)
        validator.validate(source: source(Self.mixed, name: "a.ndjson"))
        let s = validator.summaries[0]
        #expect((s.records, s.valid, s.invalid, s.blankLines) == (5, 3, 2, 1))
        #expect(s.count(.missingField) == 3)
        #expect(s.count(.notAnObject) == 1)
        #expect(s.count(.sourceDefaulted) == 2 && s.count(.metadataDefaulted) == 2)
        #expect(s.count(.track) == 3 && s.count(.identifyUser) == 1)
        #expect(s.bytes == Self.mixed.utf8.count)
        #expect(validator.shownErrors.count == 2)
        #expect(validator.exitStatus == .invalidRecords)
    }

    @Test func jsonReportIsValidJSONWithTheSpecKeys() throws {
        let validator = Validator(options: ValidationOptions())
        validator.validate(source: source(Self.mixed, name: "a.ndjson"))
        validator.validate(source: source("event_type,user_id\nnope,\"x\ny\"\n", name: "b.csv"))
        let object = try JSONSerialization.jsonObject(with: Data(ReportRenderer.json(validator).utf8)) as! [String: Any]
        let files = object["files"] as! [[String: Any]]
        #expect(files.map { $0["format"] as? String } == ["ndjson", "csv"])
        for key in [
            "records", "valid", "invalid", "blank_lines", "bytes", "by_event_type", "warnings_by_code",
            "errors_by_code",
        ] {
            #expect(files[0][key] != nil, "\(key)")
            #expect((object["total"] as! [String: Any])[key] != nil, "\(key)")
        }
        let total = object["total"] as! [String: Any]
        #expect(total["records"] as? Int == 6)
        let errors = files[1]["errors"] as! [[String: Any]]
        #expect(errors.first?["line"] as? Int == 2)
        #expect(errors.first?["record"] as? Int == 1)
        #expect(errors.first?["byte_offset"] as? Int == 19)
        #expect(Set((files[0]["errors_by_code"] as! [String: Int]).keys) == Set(ProblemCode.errors.map(\.rawValue)))
        #expect(Set((files[0]["warnings_by_code"] as! [String: Int]).keys) == Set(ProblemCode.warnings.map(\.rawValue)))
    }

    @Test func failFastStopsAtTheFirstInvalidRecord() {
        var options = ValidationOptions()
        options.failFast = true
        let validator = Validator(options: options)
        validator.validate(source: source(Self.mixed, name: "a.ndjson"))
        validator.validate(source: source(Self.mixed, name: "b.ndjson"))
        #expect(validator.summaries.count == 1)
        #expect(validator.summaries[0].records == 2)
        #expect(validator.summaries[0].stoppedEarly)
    }

    @Test func formatIsDetectedByExtensionThenContent() throws {
        func detect(_ path: String, _ text: String) throws -> InputFormat {
            try RecordInput.detectFormat(
                path: path, lines: LineReader(source: source(text, name: path), maxLineBytes: 1024))
        }
        #expect(try detect("x.CSV", "{") == .csv)
        #expect(try detect("x.jsonl", "a,b") == .ndjson)
        #expect(try detect("x.json", "a,b") == .ndjson)
        #expect(try detect("-", "\u{FEFF}\n  {\"a\":1}") == .ndjson)
        #expect(try detect("export.txt", "event_type,user_id") == .csv)
    }

    @Test func unreadableInputsAreReportedNotFatal() {
        let validator = Validator(options: ValidationOptions())
        validator.validate(path: "/nonexistent/file.ndjson")
        validator.validate(path: "/tmp")
        #expect(validator.summaries.map { $0.readFailure != nil } == [true, true])
        #expect(validator.summaries[1].readFailure?.contains("directory") == true)
        #expect(validator.exitStatus == .ioFailure)
    }

    @Test func sizesParseWithUnits() {
        #expect(ByteSize.parse("50MB") == 50_000_000)
        #expect(ByteSize.parse("1MiB") == 1_048_576)
        #expect(ByteSize.parse("512 KiB") == 524_288)
        #expect(ByteSize.parse("2GB") == 2_000_000_000)
        #expect(ByteSize.parse("65536") == 65536)
        #expect(ByteSize.parse("ten") == nil)
        #expect(ByteSize.parse("-1") == nil)
    }
}
