import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

@Suite struct ConvertTests {
    static let ok = #""source":"backend-http-import","inserted_at":"2024-07-28T10:00:00","metadata":{}"#

    /// The one line `convert` writes for `record`.
    func converted(_ record: String, _ configure: (inout ConvertOptions) -> Void = { _ in }) throws -> String {
        let result = try convert(record, configure)
        #expect(result.summary.written == 1, "\(result.rejects)")
        return result.outputLines.first ?? ""
    }

    @Test func keyOrderDefaultsAndMetadataLast() throws {
        let line = try converted(
            #"{"metadata":{"b":1,"a":"x"},"browser":"Firefox","url":"https://a.example/p?x","inserted_at":"2024-07-28T10:00:00","user_id":"u","event_type":"page_view","country_code":"DE"}"#
        )
        #expect(
            line
                == #"{"event_type":"page_view","user_id":"u","source":"backend-http-import","inserted_at":"2024-07-28T10:00:00.000000","hostname":"a.example","pathname":"/p","url":"https://a.example/p?x","browser":"Firefox","country_code":"DE","metadata":{"b":1,"a":"x"}}"#
        )
    }

    @Test func numericIdsBecomeStringsDigitForDigit() throws {
        let line = try converted(
            #"{"event_type":"identify_user","user_id":12345678901234567890,"company_id":-42,"# + Self.ok + "}")
        #expect(line.contains(#""user_id":"12345678901234567890","company_id":"-42""#))
        let result = try convert(#"{"event_type":"track","user_id":"u","event_name":42,"# + Self.ok + "}")
        #expect(result.summary.rejected == 1, "only ids are repaired")
    }

    /// Only an integer is an id written as a number: a fraction or an exponent stays `wrong_type`.
    @Test(arguments: ["0.5", "1e3", "-0.5e-300", "1E2", "-0"])
    func nonIntegerIdsAreRejected(number: String) throws {
        let result = try convert(#"{"event_type":"identify_user","user_id":"# + number + "," + Self.ok + "}")
        if number == "-0" {
            #expect(result.summary.written == 1)
            #expect(result.outputLines.first?.contains(#""user_id":"-0""#) == true)
        } else {
            #expect(result.summary.rejected == 1 && result.summary.rejectedByCode[ProblemCode.wrongType.index] == 1)
        }
    }

    @Test(arguments: [
        ("2024-07-28T10:00:00", "2024-07-28T10:00:00.000000"),
        ("2024-07-28 10:00:00.5", "2024-07-28T10:00:00.500000"),
        ("2024-07-28T10:00:00.1", "2024-07-28T10:00:00.100000"),
        ("2024-07-28T10:00:00.12", "2024-07-28T10:00:00.120000"),
        ("2024-07-28T10:00:00.1234567", "2024-07-28T10:00:00.123456"),
        ("2024-07-28T10:00:00.123456789", "2024-07-28T10:00:00.123456"),
        ("2024-07-28T10:00:00.999999999Z", "2024-07-28T10:00:00.999999"),
        ("2024-07-28T01:30:00+02:00", "2024-07-27T23:30:00.000000"),
        ("2024-07-28T22:30:00-0300", "2024-07-29T01:30:00.000000"),
        ("2024-03-01T00:30:00+01:00", "2024-02-29T23:30:00.000000"),
        ("2023-03-01T00:30:00+01:00", "2023-02-28T23:30:00.000000"),
        ("2024-12-31T23:00:00-02:00", "2025-01-01T01:00:00.000000"),
        ("2025-01-01T00:15:00+05:30", "2024-12-31T18:45:00.000000"),
        ("2024-04-30T23:59:59.5-00:01", "2024-05-01T00:00:59.500000"),
        ("2000-02-29T12:00:00Z", "2000-02-29T12:00:00.000000"),
    ])
    func timestampsBecomeUTCWithMicroseconds(input: String, expected: String) throws {
        let line = try converted(
            #"{"event_type":"identify_user","user_id":"u","source":"backend-http","inserted_at":"\#(input)","metadata":{}}"#
        )
        #expect(line.contains(#""inserted_at":"\#(expected)""#), "\(line)")
    }

    @Test(arguments: [
        ("1722160800", EpochUnit.auto, "2024-07-28T10:00:00.000000"),
        ("1722160800", .s, "2024-07-28T10:00:00.000000"),
        ("1722160800.25", .auto, "2024-07-28T10:00:00.250000"),
        ("1722160800123", .auto, "2024-07-28T10:00:00.123000"),
        ("1722160800123", .ms, "2024-07-28T10:00:00.123000"),
        ("1722160800123456", .auto, "2024-07-28T10:00:00.123456"),
        ("1722160800123456", .us, "2024-07-28T10:00:00.123456"),
        ("951782400", .s, "2000-02-29T00:00:00.000000"),
        ("0", .s, "1970-01-01T00:00:00.000000"),
    ])
    func epochNumbersWithTheEpochOption(epoch: String, unit: EpochUnit, expected: String) throws {
        let record =
            #"{"event_type":"identify_user","user_id":"u","source":"backend-http","inserted_at":\#(epoch),"metadata":{}}"#
        #expect(try convert(record).summary.rejected == 1, "without --epoch an epoch number is rejected")
        let line = try converted(record) { $0.epoch = unit }
        #expect(line.contains(#""inserted_at":"\#(expected)""#), "\(line)")
        let csv = try convert([
            ("in.csv", Array("event_type,user_id,source,inserted_at\nidentify_user,u,backend-http,\(epoch)\n".utf8))
        ]) { $0.epoch = unit }
        #expect(
            csv.outputLines.first?.contains(#""inserted_at":"\#(expected)""#) == true, "CSV cells are strings of digits"
        )
    }

    @Test func epochOutOfRangeIsRejected() throws {
        let result = try convert(
            #"{"event_type":"identify_user","user_id":"u","inserted_at":999999999999999999,"metadata":{}}"#
        ) { $0.epoch = .s }
        #expect(result.summary.rejected == 1)
    }

    @Test func identifyCompanyKeepsOnlyWhatTheAPIProcesses() throws {
        let result = try convert(
            #"{"event_type":"identify_company","company_id":"c","user_id":"u","browser":"x","url":"nope","# + Self.ok
                + "}")
        #expect(
            result.outputLines == [
                #"{"event_type":"identify_company","company_id":"c","source":"backend-http-import","inserted_at":"2024-07-28T10:00:00.000000","metadata":{}}"#
            ])
        #expect(result.summary.repairs[RepairKind.companyFieldsDropped.rawValue] == 1)
    }

    @Test func nestedMetadataBecomesJSONText() throws {
        let line = try converted(
            #"{"event_type":"identify_user","user_id":"u","source":"backend-http","inserted_at":"2024-07-28T10:00:00","metadata":{"cart": {"items": [1, 2], "note": "a b"},"ok":true,"n":null}}"#
        )
        #expect(
            line.hasSuffix(#""metadata":{"cart":"{\"items\":[1,2],\"note\":\"a b\"}","ok":true,"n":null}}"#), "\(line)")
    }

    /// Metadata already in the written form is copied as it came; white space, escapes or a
    /// nested value anywhere in it send it through the member-by-member writer, with the same
    /// result as before.
    @Test(arguments: [
        (
            #"{"a":"x","b":1,"c":true,"d":null,"e":-1.5e3,"é":"ü"}"#,
            #"{"a":"x","b":1,"c":true,"d":null,"e":-1.5e3,"é":"ü"}"#, true
        ),
        (#"{}"#, #"{}"#, true),
        (#"{ }"#, #"{}"#, false),
        (#"{"a":"x" ,"b":1}"#, #"{"a":"x","b":1}"#, false),
        (#"{"a" : 1}"#, #"{"a":1}"#, false),
        (#"{"a":"\u0078"}"#, #"{"a":"x"}"#, false),
        (#"{"\u0061":"x"}"#, #"{"a":"x"}"#, false),
        (#"{"a":"x\"y"}"#, #"{"a":"x\"y"}"#, false),
        (#"{"a":[1,2]}"#, #"{"a":"[1,2]"}"#, false),
        (#"{"a":{}}"#, #"{"a":"{}"}"#, false),
    ])
    func metadataAlreadyInWrittenFormIsCopied(metadata: String, written: String, copied: Bool) throws {
        let line = try converted(
            #"{"event_type":"identify_user","user_id":"u","source":"backend-http","inserted_at":"2024-07-28T10:00:00","metadata":"#
                + metadata + "}")
        #expect(line.hasSuffix(#""metadata":"# + written + "}"), "\(line)")
        let scanner = JSONScanner()
        var bytes = Array(metadata.utf8)
        let canonical = bytes.withUnsafeMutableBytes { text in
            let text = UnsafeRawBufferPointer(text)
            return scanner.scan(text) == .object && NormalizedWriter.isCanonical(text, scanner.members)
        }
        #expect(canonical == copied, "\(metadata)")
    }

    /// Keys outside the schema and their string values: copied between quotes when read without
    /// escapes, re-escaped canonically when any key (or the value) had one.
    @Test func otherKeysAndValuesPlainOrEscaped() throws {
        let plain = try converted(
            #"{"event_type":"track","user_id":"u","event_name":"e","br":"Fire fox","n":1,"# + Self.ok + "}")
        #expect(plain.contains(#""br":"Fire fox","n":1,"#), "\(plain)")
        let escaped = try converted(
            #"{"event_type":"track","user_id":"u","event_name":"e","br":"a\u0062","q\"k":"x\/y","\u0070l":"ok","#
                + Self.ok
                + "}")
        #expect(escaped.contains(#""br":"ab","q\"k":"x/y","pl":"ok","#), "\(escaped)")
    }

    @Test func stringsAreReescapedCanonically() throws {
        let line = try converted(
            #"{"event_type":"track","user_id":"\u0075\/1","event_name":"caf\u00e9 \ud83c\udf89 \"q\" \u0001","extra":"\u00e9","#
                + Self.ok + "}")
        #expect(line.contains(#""user_id":"u/1","event_name":"café 🎉 \"q\" \u0001""#), "\(line)")
        #expect(line.contains(#""extra":"é""#))
    }

    @Test func nullsAreDroppedAndMetadataFilled() throws {
        let result = try convert(
            #"{"event_type":"track","user_id":"u","event_name":"e","company_id":null,"inserted_at":"2024-07-28T10:00:00","metadata":null}"#
        )
        #expect(
            result.outputLines == [
                #"{"event_type":"track","user_id":"u","event_name":"e","source":"backend-http-import","inserted_at":"2024-07-28T10:00:00.000000","metadata":{}}"#
            ])
        #expect(result.summary.repairs[RepairKind.nullsDropped.rawValue] == 1)
        #expect(result.summary.repairs[RepairKind.metadataFilled.rawValue] == 1)
    }

    @Test func csvCellsWithQuotesCommasNewlinesAndNonASCII() throws {
        let csv =
            "event_type,user_id,event_name,inserted_at,metadata.note,metadata.n,metadata.zip,metadata.big,metadata.flag,metadata\n"
            + "track,\"u,1\",\"say \"\"hi\"\"\nthen go\",2024-07-28T10:00:00,\"Zoë, 日本\",42,01234,1234567890123456,true,\"{\"\"j\"\":1}\"\n"
        let result = try convert([("in.csv", Array(csv.utf8))])
        #expect(
            result.outputLines == [
                #"{"event_type":"track","user_id":"u,1","event_name":"say \"hi\"\nthen go","source":"backend-http-import","inserted_at":"2024-07-28T10:00:00.000000","metadata":{"j":1,"note":"Zoë, 日本","n":42,"zip":"01234","big":"1234567890123456","flag":"true"}}"#
            ])
        let strings = try convert([("in.csv", Array(csv.utf8))]) { $0.inferNumbers = false }
        #expect(strings.outputLines.first?.contains(#""n":"42""#) == true)
    }

    @Test func rejectsKeepTheRawTextAndTheirErrors() throws {
        let bad = #"{"event_type":"track","user_id":"",}"#
        let result = try convert(Fixtures.track + "\n\n" + bad + "\n" + #"{"event_type":"nope"}"#)
        #expect(result.summary.records == 3 && result.summary.written == 1 && result.summary.rejected == 2)
        #expect(result.summary.blankLines == 1)
        #expect(result.exitStatus == .invalidRecords)
        #expect(result.rejects[0]["line"] as? Int == 3)
        #expect(result.rejects[0]["record"] as? Int == 2)
        #expect(result.rejects[0]["raw"] as? String == bad)
        let errors = result.rejects[1]["errors"] as! [[String: Any]]
        #expect(errors.map { $0["code"] as? String } == ["unknown_event_type", "missing_field"])
    }

    @Test func csvRejectsKeepMultiLineRawText() throws {
        let row = "nope,u,\"a\nb\",2024-07-28T10:00:00"
        let result = try convert([("in.csv", Array("event_type,user_id,event_name,inserted_at\r\n\(row)\r\n".utf8))])
        #expect(result.rejects.first?["raw"] as? String == row)
        #expect(result.rejects.first?["line"] as? Int == 2)
    }

    @Test func invalidUTF8RawIsKeptAsBase64() throws {
        let bytes = Array(#"{"event_type":"track","user_id":"u"#.utf8) + [0xFF] + Array(#""}"#.utf8)
        let result = try convert([("in.ndjson", bytes)])
        #expect(result.rejects.first?["raw_base64"] as? String == Data(bytes).base64EncodedString())
    }

    /// The samples, and a generated file with every kind of error mixed in: what convert writes
    /// validates with no error and no warning, and every record is accounted for.
    @Test(arguments: ["clean.ndjson", "clean.csv", "api-docs-examples.ndjson", "errors.ndjson", "errors.csv"])
    func outputValidatesCleanly(sample: String) throws {
        let bytes = try [UInt8](Data(contentsOf: Paths.samples.appendingPathComponent(sample)))
        let result = try convert([(sample, bytes)]) { $0.epoch = .auto }
        let check = validateNDJSON(result.output)
        #expect(check.errorCount == 0 && check.warningCount == 0, "\(check.byCode)")
        #expect(check.records == result.summary.written)
        #expect(result.summary.records == result.summary.written + result.summary.rejected)
        #expect(result.rejects.count == result.summary.rejected)
    }

    @Test func generatedDataWithErrorsMixedIn() throws {
        var generator = EventGenerator(seed: 7)
        let events = (0..<400).map { _ in generator.event() }
        var lines = generator.ndjson(events).split(separator: "\n").map(String.init)
        let corruptions = [
            { (s: String) in String(s.dropLast()) },  // malformed_json
            { (s: String) in s.replacingOccurrences(of: #""event_type":"#, with: #""event_type":"X"# + ",\"e\":") },
            { (s: String) in s.replacingOccurrences(of: "2024-", with: "2024/") },  // invalid_timestamp
            { (s: String) in s.replacingOccurrences(of: #""inserted_at""#, with: #""source":"bad","inserted_at""#) },
            { (s: String) in "[" + s + "]" },  // not_an_object
            { (s: String) in s.replacingOccurrences(of: #""metadata": {"#, with: #""metadata": 5, "m": {"#) },
            // duplicate_key
            { (s: String) in s.replacingOccurrences(of: #""event_type":"#, with: #""inserted_at":"x","event_type":"#) },
            { (s: String) in "" },  // blank line
        ]
        for k in stride(from: 3, to: lines.count, by: 9) { lines[k] = corruptions[k % corruptions.count](lines[k]) }
        let text = lines.joined(separator: "\n") + "\n"
        let result = try convert(text)
        let check = validateNDJSON(result.output)
        #expect(check.errorCount == 0 && check.warningCount == 0, "\(check.byCode)")
        #expect(result.summary.rejected > 20)
        #expect(result.summary.records + result.summary.blankLines == lines.count)
        #expect(result.summary.records == result.summary.written + result.summary.rejected)
    }

    /// CSV and NDJSON built from one generator convert to identical bytes.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func csvAndNDJSONGiveIdenticalOutput(seed: UInt64) throws {
        var generator = EventGenerator(seed: seed)
        let events = (0..<300).map { _ in generator.event() }
        let ndjson = try convert(generator.ndjson(events), as: "g.ndjson")
        let csv = try convert(EventGenerator.csv(events), as: "g.csv")
        #expect(
            ndjson.summary.written == 300 && csv.summary.written == 300,
            "\(ndjson.rejects.prefix(2)) \(csv.rejects.prefix(2))")
        #expect(ndjson.output == csv.output)
        let firstDifference = zip(ndjson.outputLines, csv.outputLines).first { $0 != $1 }
        #expect(firstDifference == nil, "\(String(describing: firstDifference))")
    }

    @Test func splitKeepsLinesAsTheyAre() throws {
        let folder = try ScratchFolder()
        let valid = #"{"inserted_at":"2024-07-28T10:00:00+02:00","event_type":"track","user_id":"u","event_name":"e"}"#
        let input =
            [valid, #"{"event_type":"track","user_id":7,"event_name":"e","inserted_at":"2024-07-28T10:00:00"}"#, valid]
            .joined(separator: "\r\n") + "\r\n"
        var options = ConvertOptions()
        options.mode = .split
        options.maxChunkBytes = 150
        let converter = try Converter(options: options, destination: .directory(folder.path("out")), rejects: nil)
        converter.convert(source: ByteSource(bytes: Array(input.utf8), name: "in.ndjson"))
        converter.finish()
        #expect(converter.summary.written == 2 && converter.summary.rejected == 1, "split repairs nothing")
        #expect(converter.summary.chunks.count == 2)
        #expect(try folder.read("out/part-00001.ndjson") == Array((valid + "\n").utf8))
        #expect(converter.summary.chunks[0].firstInsertedAt == "2024-07-28T08:00:00.000000")
    }
}
