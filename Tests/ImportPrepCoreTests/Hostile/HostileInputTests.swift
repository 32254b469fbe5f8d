import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// Inputs an export can really arrive as: each ends in a clear verdict, never a crash or a hang.
@Suite struct HostileInputTests {
    func validate(_ bytes: [UInt8], name: String = "input", format: InputFormat? = nil, maxRecordBytes: Int = 1 << 20)
        -> FileSummary
    {
        var options = ValidationOptions()
        options.format = format
        options.maxRecordBytes = maxRecordBytes
        let validator = Validator(options: options)
        validator.validate(source: ByteSource(bytes: bytes, name: name))
        return validator.summaries[0]
    }

    @Test func emptyFiles() throws {
        for name in ["empty.csv", "empty.ndjson", "empty"] {
            let summary = validate([], name: name)
            #expect(summary.records == 0 && summary.readFailure == nil && summary.errorCount == 0)
        }
        let converted = try convert("")
        #expect(converted.summary.records == 0 && converted.output.isEmpty && converted.exitStatus == .success)
    }

    @Test func headerOnlyCSVConvertsToNothing() throws {
        let result = try convert([("h.csv", Array("event_type,user_id\r\n".utf8))])
        #expect(result.summary.records == 0 && result.exitStatus == .success)
    }

    @Test func fileCutInsideAJSONString() throws {
        let sink = try read(Fixtures.track + "\n" + #"{"event_type":"track","user_id":"u"#, as: .ndjson)
        #expect(sink.errors == [Finding(.malformedJSON, line: 2, record: 2)])
    }

    @Test func nulBytes() throws {
        let inString = try read(Array(#"{"event_type":"tr"#.utf8) + [0] + Array(#"ack"}"#.utf8), as: .ndjson)
        #expect(inString.errors.map(\.code) == [.malformedJSON])
        let outside = try read([0x7B, 0x00, 0x7D], as: .ndjson)
        #expect(outside.errors.map(\.code) == [.malformedJSON])
        let csv = try read(Array("event_type,user_id\ntrack,u".utf8) + [0] + Array("1\n".utf8), as: .csv)
        #expect(csv.records[0].problems.first { $0.code == .invalidUTF8 }?.message.contains("NUL byte") == true)
    }

    @Test func invalidUTF8InKeysAndCSVHeaders() throws {
        let key = try read(Array(#"{"us"#.utf8) + [0xC0, 0x80] + Array(#"er":1}"#.utf8), as: .ndjson)
        #expect(key.errors.map(\.code) == [.invalidUTF8])
        let header = try read(Array("event_type,us".utf8) + [0xFF] + Array("er\ntrack,u\n".utf8), as: .csv)
        #expect(header.records.isEmpty)
        #expect(header.fileProblems.map(\.code) == [.invalidUTF8])
        #expect(header.fileProblems.first?.location.line == 1)
    }

    @Test func utf16FilesAreRefusedWithAHint() {
        let text = "event_type,user_id\ntrack,u\n"
        let withBOM: [UInt8] = [0xFF, 0xFE] + Array(text.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let withoutBOM: [UInt8] = Array(text.utf16).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        for bytes in [withBOM, withoutBOM] {
            let summary = validate(bytes, name: "export.csv")
            #expect(summary.readFailure?.contains("UTF-16") == true, "\(summary)")
            #expect(summary.records == 0)
        }
    }

    @Test func hundredThousandBrackets() throws {
        let deep = String(repeating: "[", count: 100_000)
        let ndjson = try read(#"{"metadata":"# + deep + "\n" + Fixtures.track + "\n", as: .ndjson)
        #expect(ndjson.errors.map(\.code) == [.tooDeep])
        #expect(ndjson.records.count == 2)
        let cell = try read("event_type,metadata\ntrack,\"{\"\"a\"\":" + deep + "\"\n", as: .csv)
        #expect(cell.records[0].problems.contains { $0.code == .invalidMetadata })
    }

    @Test func tenThousandColumns() throws {
        let extra = (1...9_995).map { "c\($0)" }
        let header = (["event_type", "user_id", "event_name", "inserted_at", "metadata.plan"] + extra + ["c17"]).joined(
            separator: ",")
        let row = (["track", "u", "e", "2024-07-28T10:00:00", "pro"] + extra.map { _ in "x" } + [""]).joined(
            separator: ",")
        let duplicate = (["track", "u", "e", "2024-07-28T10:00:00", "pro"] + extra.map { _ in "x" } + ["y"]).joined(
            separator: ",")
        let sink = try read(header + "\n" + row + "\n" + duplicate + "\n", as: .csv)
        #expect(sink.records.count == 2)
        #expect(sink.records[0].problems.allSatisfy { $0.code.isWarning })
        #expect(sink.errors == [Finding(.duplicateKey, line: 3, record: 2, field: "c17")])
    }

    @Test func binaryGarbageEndsInVerdicts() {
        var generator = EventGenerator(seed: 99)
        for _ in 0..<40 {
            let bytes = (0..<(1 + generator.next(3000))).map { _ in UInt8(generator.next(256)) }
            for format in [InputFormat.csv, .ndjson] {
                let summary = validate(bytes, format: format, maxRecordBytes: 700)
                #expect(summary.records == summary.valid + summary.invalid)
            }
        }
    }

    @Test func gzipIsReadWhateverTheName() throws {
        let text = try Data(contentsOf: Paths.samples.appendingPathComponent("clean.csv"))
        let once = try gzip(text)
        for (name, bytes) in [
            ("clean.csv.gz", once), ("export.bin", once), ("twice.gz", try gzip(once)), ("two-members.gz", once + once),
        ] {
            let summary = validate(Array(bytes), name: name)
            #expect(summary.readFailure == nil, "\(name): \(summary.readFailure ?? "")")
            #expect(summary.format == .csv)
            #expect(summary.records == (name == "two-members.gz" ? 13 : 6), "\(name)")
        }
        let cut = validate(Array(once.prefix(once.count / 2)), name: "cut.csv.gz")
        #expect(cut.readFailure?.contains("cut short") == true)
        var corrupt = Array(once)
        for k in 20..<40 { corrupt[k] ^= 0x5A }
        #expect(validate(corrupt, name: "corrupt.gz").readFailure != nil)
    }

    @Test func readErrorsNameThePath() {
        let validator = Validator(options: ValidationOptions())
        validator.validate(path: "/proc/self/mem")
        #expect(validator.summaries[0].readFailure?.hasPrefix("/proc/self/mem") == true)
        #expect(validator.exitStatus == .ioFailure)
    }

    /// gzip through the system's `gzip` (a trusted encoder; the tests only need one).
    func gzip(_ data: Data) throws -> Data {
        let folder = try ScratchFolder()
        try data.write(to: folder.url.appendingPathComponent("plain"))
        let run = try ChildProcess.run(
            "/bin/gzip", ["-c", folder.path("plain")], stdout: .file(folder.path("plain.gz")))
        #expect(run.ending == .init(status: 0, signalled: false), "\(run.stderr)")
        return try Data(contentsOf: folder.url.appendingPathComponent("plain.gz"))
    }
}

/// Properties over many generated inputs.
@Suite struct PropertyTests {
    /// Records encoded by Foundation pass the scanner with the same keys and values.
    @Test func foundationEncodedRecordsRoundTrip() throws {
        var generator = EventGenerator(seed: 5)
        let alphabet = Array("aZ09 _-\"\\/\n\t\u{1}é日🎉\u{7F}")
        for _ in 0..<500 {
            var object: [String: Any] = [:]
            for k in 0..<(1 + generator.next(12)) {
                let key =
                    "k\(k)" + String((0..<generator.next(4)).map { _ in alphabet[generator.next(alphabet.count)] })
                switch generator.next(5) {
                case 0:
                    object[key] = String((0..<generator.next(40)).map { _ in alphabet[generator.next(alphabet.count)] })
                case 1: object[key] = generator.next(1_000_000) - 500_000
                case 2: object[key] = Double(generator.next(10_000)) / 7
                case 3: object[key] = ["a": [1, 2, ["b": NSNull()]]]
                default: object[key] = generator.next(2) == 0
                }
            }
            let bytes = try [UInt8](JSONSerialization.data(withJSONObject: object))
            let scanner = JSONScanner()
            let arena = ByteArena(capacity: bytes.count + 1)
            try bytes.withUnsafeBytes { record in
                #expect(scanner.scan(record) == .object, "\(String(decoding: bytes, as: UTF8.self))")
                #expect(scanner.members.count == object.count)
                for member in scanner.members {
                    let keyBytes = try #require(
                        arena.decodeJSONString(
                            UnsafeRawBufferPointer(rebasing: record[member.keyStart..<member.keyEnd])))
                    let key = String(decoding: keyBytes, as: UTF8.self)
                    let raw = UnsafeRawBufferPointer(rebasing: record[member.valueStart..<member.valueEnd])
                    let expected = try #require(object[key], "unknown key \(key)")
                    switch member.kind {
                    case .string:
                        #expect(String(decoding: arena.decodeJSONString(raw)!, as: UTF8.self) == expected as? String)
                    case .number:
                        #expect(Double(String(decoding: raw, as: UTF8.self)) == (expected as? NSNumber)?.doubleValue)
                    case .bool:
                        #expect((String(decoding: raw, as: UTF8.self) == "true") == (expected as? Bool))
                    case .object:
                        let nested = try JSONSerialization.jsonObject(with: Data(raw)) as? NSDictionary
                        #expect(nested == (expected as? NSDictionary))
                    default:
                        Issue.record("unexpected kind \(member.kind) for \(key)")
                    }
                }
            }
        }
    }

    /// Byte mutations of the samples never crash and always end in a verdict whose counts add up.
    @Test func mutationsEndInVerdicts() throws {
        var generator = EventGenerator(seed: 3)
        let samples = try ["clean.ndjson", "clean.csv", "api-docs-examples.ndjson"].map {
            try [UInt8](Data(contentsOf: Paths.samples.appendingPathComponent($0)))
        }
        for round in 0..<1_500 {
            var bytes = samples[round % samples.count]
            for _ in 0..<(1 + generator.next(6)) {
                let at = generator.next(bytes.count)
                switch generator.next(4) {
                case 0: bytes[at] = UInt8(generator.next(256))
                case 1: bytes.insert(generator.pick([0x22, 0x2C, 0x0A, 0x0D, 0x5C, 0x7B, 0x7D, 0x00, 0xFF]), at: at)
                case 2: bytes.remove(at: at)
                default: bytes = Array(bytes.prefix(at))
                }
                if bytes.isEmpty { break }
            }
            let selector = UInt8(round % 6)
            ([selector] + bytes).withUnsafeBufferPointer { FuzzHarness.run($0) }
        }
    }
}
