import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// The crashes, silent row losses and wrong answers differential testing found (issue 18), and
/// the rules SPEC §3, §4 and §6 settled for them: each from input bytes, NDJSON and CSV where both
/// apply, asserting codes, counts and output bytes.
@Suite struct ExactnessTests {
    static let csvHeader = "event_type,user_id,event_name,inserted_at"

    /// An NDJSON track record with `insertedAt`, and the same as a CSV row.
    static func track(_ insertedAt: String) -> (ndjson: String, csv: String) {
        (
            #"{"event_type":"track","user_id":"u","event_name":"e","inserted_at":""# + insertedAt + #""}"#,
            "track,u,e,\(insertedAt)"
        )
    }

    // MARK: Timestamps at the ends of the range

    @Test(arguments: [
        ("0000-01-01T00:30:00+01:00", false),
        ("0001-01-01T00:30:00+01:00", false),
        ("9999-12-31T23:30:00-01:00", false),
        ("0000-06-01T00:00:00", false),
        ("0001-01-01T01:30:00+01:00", true),
        ("9999-12-31T22:30:00-01:00", true),
        ("9999-12-31T23:30:00+01:00", true),
        ("0001-01-01T00:30:00-01:00", true),
    ])
    func yearsStayWithin0001And9999InUTC(insertedAt: String, valid: Bool) throws {
        let record = Self.track(insertedAt)
        for sink in [
            try read(record.ndjson + "\n", as: .ndjson),
            try read(Self.csvHeader + "\n" + record.csv + "\n", as: .csv),
        ] {
            let codes = sink.errors.map(\.code)
            #expect(codes == (valid ? [] : [.invalidTimestamp]), "\(insertedAt): \(sink.errors)")
        }
        let converted = try convert(record.ndjson + "\n")
        #expect(converted.summary.written + converted.summary.rejected == 1)
        #expect(converted.summary.rejected == (valid ? 0 : 1))
        if valid {
            let written = converted.outputLines[0]
            #expect(
                written.contains(#""inserted_at":"0001-"#) || written.contains(#""inserted_at":"9999-"#), "\(written)")
        }
    }

    @Test func convertWritesTheUTCTimeOfTheLastValidYear() throws {
        let result = try convert(Self.track("9999-12-31T23:30:00+01:00").ndjson + "\n")
        #expect(result.outputLines.first?.contains(#""inserted_at":"9999-12-31T22:30:00.000000""#) == true)
    }

    // MARK: CSV metadata cells with escaped keys

    /// A metadata cell whose `\u`-escaped keys, decoded, no longer fit beside the copied cells
    /// (the arena ran out and a nil was unwrapped).
    @Test(arguments: [1024, 1 << 20])
    func escapedMetadataKeysDoNotOverflow(cap: Int) throws {
        let count = cap == 1024 ? 20 : 31_000
        let keys = (0..<count).map { String(format: #"""\u00e9t\u00e4t_%05d"":1"#, $0) }.joined(separator: ",")
        let row = "track,u,e,2024-01-01T00:00:00,\"{\(keys)}\",x"
        #expect(row.utf8.count < cap && row.utf8.count > cap / 2)
        let text = Self.csvHeader + ",metadata,metadata.p\n" + row + "\n"
        let result = try convert(text, as: "in.csv") { $0.maxRecordBytes = cap }
        #expect(result.summary.written == 1, "\(result.rejects)")
        #expect(result.outputLines.first?.contains("\"étät_00000\":1") == true)
        #expect(validateNDJSON(result.output).invalid == 0)
    }

    // MARK: Same-name columns

    @Test func anyNumberOfSameNameColumnsFilledInOneRowIsADuplicate() throws {
        let text = """
            event_type,user_id,user_id,user_id,event_name,inserted_at,metadata.p,metadata.p,metadata.p
            track,,u2,u3,e,2024-01-01T00:00:00,,a,b
            track,u1,u2,u3,e,2024-01-01T00:00:00,,,
            track,,,u3,e,2024-01-01T00:00:00,a,,

            """
        let sink = try read(text, as: .csv)
        #expect(
            sink.errors == [
                Finding(.duplicateKey, line: 2, record: 1, field: "user_id"),
                Finding(.duplicateKey, line: 2, record: 1, field: "metadata.p"),
                Finding(.duplicateKey, line: 3, record: 2, field: "user_id"),
                Finding(.duplicateKey, line: 3, record: 2, field: "user_id"),
            ])
        let result = try convert(text, as: "in.csv")
        #expect(result.summary.rejected == 2 && result.summary.written == 1)
        #expect(result.outputLines.first?.contains(#""user_id":"u3""#) == true)
        #expect(result.outputLines.first?.hasSuffix(#""metadata":{"p":"a"}}"#) == true)
    }

    // MARK: CSV headers that cannot be read

    @Test(arguments: [
        "event_type,user_id,event_name,inserted_at,bad\u{FFFD}", "event_\"type,user_id,event_name,inserted_at",
    ])
    func aHeaderThatCannotBeReadFailsConvertAndCountsTheLines(header: String) throws {
        var bytes = Array((header + "\ntrack,u,e,2024-01-01T00:00:00,x\n\ntrack,u,e,2024-01-01T00:00:00,x\n").utf8)
        if header.contains("\u{FFFD}") { bytes = replacingReplacementCharacter(in: bytes, with: 0xFF) }
        let folder = try ScratchFolder()
        let converter = try Converter(
            options: ConvertOptions(), destination: .directory(folder.path("out")), rejects: nil)
        converter.convert(source: ByteSource(bytes: bytes, name: "in.csv"))
        converter.finish()
        #expect(converter.exitStatus == .invalidRecords)
        let input = converter.summary.inputs[0]
        #expect(input.fileError?.code == (header.contains("\"") ? .malformedCSV : .invalidUTF8))
        #expect(input.fileError?.location.line == 1)
        #expect(input.linesNotRead == 2)
        #expect(converter.summary.records == 0)
        let manifest = try JSONSerialization.jsonObject(with: Data(folder.read("out/manifest.json"))) as! [String: Any]
        let entry = (manifest["inputs"] as! [[String: Any]])[0]
        #expect((entry["file_error"] as? [String: Any])?["line"] as? Int == 1)
        #expect(entry["lines_not_read"] as? Int == 2)
        let json = ReportRenderer.json(converter.summary, exitStatus: converter.exitStatus)
        #expect(json.contains(#""lines_not_read":2"#) && json.contains(#""exit_status":1"#))
        let text = ReportRenderer.text(converter.summary, destination: .directory("out"), rejects: nil)
        #expect(text.contains("no record of this file was read; 2 non-blank lines not read"), "\(text)")
    }

    @Test(arguments: [
        "event_type,,event_name,inserted_at", "event_type,\"\",event_name,inserted_at",
        "event_type,user_id,metadata.,inserted_at", "event_type,user_id, \u{3000} ,inserted_at",
    ])
    func emptyHeaderNamesAreHeaderErrors(header: String) throws {
        let sink = try read(header + "\ntrack,u,e,2024-01-01T00:00:00\n", as: .csv)
        #expect(sink.fileProblems.map(\.code) == [.malformedCSV])
        #expect(sink.records.isEmpty)
    }

    @Test func headerNamesAreTrimmedOfUnicodeWhiteSpace() throws {
        let sink = try read(
            "\u{A0}event_type\u{3000},user_id\u{2003},event_name,inserted_at\ntrack,u,e,2024-01-01T00:00:00\n", as: .csv
        )
        #expect(sink.errors.isEmpty, "\(sink.errors)")
        #expect(sink.records.first?.eventType == .track)
    }

    // MARK: Blank lines

    @Test func aBlankLineOfAnyLengthIsBlank() throws {
        let valid = Self.track("2024-01-01T00:00:00")
        let longSpaces = String(repeating: " ", count: 3000)
        let longIdeographic = String(repeating: "\u{3000}", count: 700)
        for chunk in [Int.max, 7, 4096] {
            let ndjson = try read(
                [valid.ndjson, longSpaces, longIdeographic, " \u{A0}\u{2028}\t\r", valid.ndjson, ""].joined(
                    separator: "\n"),
                as: .ndjson, maxRecordBytes: 1000, chunk: chunk)
            #expect(ndjson.blankLines == 3 && ndjson.records.count == 2 && ndjson.errors.isEmpty, "\(ndjson.errors)")
            let csv = try read(
                [Self.csvHeader, valid.csv, longSpaces, longIdeographic, valid.csv, ""].joined(separator: "\n"),
                as: .csv, maxRecordBytes: 1000, chunk: chunk)
            #expect(csv.blankLines == 2 && csv.records.count == 2 && csv.errors.isEmpty, "\(csv.errors)")
        }
        // Not blank: a long line with a visible character at its end.
        let sink = try read(longSpaces + "x\n", as: .ndjson, maxRecordBytes: 1000)
        #expect(sink.errors.map(\.code) == [.recordTooLarge])
        // Inside JSON only RFC 8259's four bytes separate tokens.
        #expect(try read("\u{0B}" + valid.ndjson + "\n", as: .ndjson).errors.map(\.code) == [.malformedJSON])
    }

    @Test func withATabDelimiterALineOfTabsIsARow() throws {
        let text = "event_type\tuser_id\tevent_name\tinserted_at\ntrack\tu\te\t2024-01-01T00:00:00\n\t\t\t\n \t \n\n"
        let sink = try read(Array(text.utf8), as: .csv, delimiter: 0x09)
        #expect(sink.records.count == 3)
        #expect(sink.blankLines == 1)
        #expect(sink.records[1].problems.contains { $0.code == .missingField && $0.field == "event_type" })
        #expect(sink.records[2].problems.contains { $0.code == .columnCount })
    }

    // MARK: Record size: what convert writes passes validate

    @Test func aNormalizedLineLongerThanTheCapIsRejected() throws {
        let padding = String(repeating: "x", count: 1000 - 96)
        let record =
            #"{"event_type":"track","user_id":"u","event_name":"e","inserted_at":"2024-01-01T00:00:00","p":""# + padding
            + #""}"#
        #expect(record.utf8.count == 1000)
        #expect(try read(record + "\n", as: .ndjson, maxRecordBytes: 1000).errors.isEmpty)
        let result = try convert(record + "\n") { $0.maxRecordBytes = 1000 }
        #expect(result.summary.rejected == 1 && result.summary.written == 0)
        #expect(
            result.rejects.first.map { ($0["errors"] as! [[String: Any]])[0]["code"] as? String } == "record_too_large")
        let roomy = try convert(record + "\n") { $0.maxRecordBytes = 2000 }
        #expect(roomy.summary.written == 1)
    }

    // MARK: Unicode white space

    @Test(arguments: [
        "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{1680}", "\u{2000}", "\u{200A}", "\u{2028}", "\u{2029}", "\u{202F}",
        "\u{205F}", "\u{3000}", " \u{A0} ",
    ])
    func unicodeWhiteSpaceIdsAreEmpty(space: String) throws {
        let escaped = space.unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined()
        // Raw C0 controls are not allowed inside a JSON string: only their escapes are ids.
        for id in space.unicodeScalars.allSatisfy({ $0.value >= 0x20 }) ? [escaped, space] : [escaped] {
            let record =
                #"{"event_type":"track","user_id":""# + id + #"","event_name":"e","inserted_at":"2024-01-01T00:00:00"}"#
            let sink = try read(record + "\n", as: .ndjson)
            #expect(sink.errors == [Finding(.emptyField, line: 1, record: 1, field: "user_id")], "\(escaped)")
        }
        let csv = try read(Self.csvHeader + "\ntrack,\(space),e,2024-01-01T00:00:00\n", as: .csv)
        #expect(csv.errors == [Finding(.emptyField, line: 2, record: 1, field: "user_id")], "\(escaped)")
        // Not white space: a zero-width space is text.
        #expect(try read(Self.csvHeader + "\ntrack,\u{200B},e,2024-01-01T00:00:00\n", as: .csv).errors.isEmpty)
    }

    // MARK: URLs

    @Test(arguments: [
        ("https://a~b.example.com/x", "a^b.example.com", true),
        ("https://my-host/x", "my\\rhost", true),
        ("https://My-Host.Example/x", "my-host.example", false),
        ("https://a.example/x", "A.EXAMPLE", false),
        ("https://a[b/x", "a{b", true),
    ])
    func onlyASCIILettersCompareWithoutCase(url: String, hostname: String, overrides: Bool) throws {
        let record =
            #"{"event_type":"page_view","user_id":"u","url":""# + url + #"","hostname":""# + hostname
            + #"","pathname":"/x","inserted_at":"2024-01-01T00:00:00"}"#
        let sink = try read(record + "\n", as: .ndjson)
        #expect(sink.problems.contains { $0.code == .urlOverrides } == overrides, "\(sink.problems)")
    }

    @Test(arguments: [
        "https://a.example/x y", "https://a.example/x\\ty", "https://a.example/x\\\\y", "https://a.example/x\\u00a0y",
        "https://a.example/x\\u0085y", "https://a.example/x\\u0080", "https://a.example/x\\u3000",
        "https://a\\\\b.example/",
        "https://a.example/x\\u007f",
    ])
    func whiteSpaceControlsAndBackslashesMakeAURLInvalid(url: String) throws {
        let record =
            #"{"event_type":"page_view","user_id":"u","url":""# + url + #"","inserted_at":"2024-01-01T00:00:00"}"#
        #expect(try read(record + "\n", as: .ndjson).errors.map(\.code) == [.invalidURL], "\(url)")
    }

    // MARK: Canonical form

    @Test func nestedValuesAndPassThroughObjectsWriteOneCanonicalForm() throws {
        let escaped =
            #"{"event_type":"track","user_id":"u","event_name":"e","inserted_at":"2024-01-01T00:00:00","x":{"b":"\u00e9\/", "c" : [ "\u0041\t" ]},"metadata":{"a":{"b":"\u00e9\/"},"\u006b":"v"}}"#
        let plain =
            #"{"event_type":"track","user_id":"u","event_name":"e","inserted_at":"2024-01-01T00:00:00","x":{"b":"é/","c":["A\t"]},"metadata":{"a":{"b":"é/"},"k":"v"}}"#
        let result = try convert(escaped + "\n" + plain + "\n")
        #expect(result.outputLines.count == 2)
        #expect(result.outputLines[0] == result.outputLines[1])
        #expect(
            result.outputLines[0].hasSuffix(#""x":{"b":"é/","c":["A\t"]},"metadata":{"a":"{\"b\":\"é/\"}","k":"v"}}"#))
    }

    // MARK: Bare CR inside a line

    @Test func aBareCRStartsTheNextRecordWithItsOwnOffsetAndText() throws {
        let text = Self.csvHeader + ",x\ntrack,u1,e\rtrack,u2,e,2024-01-01T00:00:00,extra\n"
        let sink = try read(text, as: .csv)
        #expect(sink.records.count == 2)
        #expect(
            sink.records.map(\.location) == [
                RecordLocation(line: 2, record: 1, byteOffset: 44), RecordLocation(line: 2, record: 2, byteOffset: 55),
            ])
        #expect(
            sink.raws.map { String(decoding: $0, as: UTF8.self) } == [
                "track,u1,e", "track,u2,e,2024-01-01T00:00:00,extra",
            ])
        let result = try convert(text, as: "in.csv")
        #expect(result.rejects.map { $0["raw"] as? String } == ["track,u1,e"])
        #expect(result.summary.written == 1)
    }

    // MARK: Metadata

    @Test func aNullMetadataCellBesideMetadataColumnsIsNotDefaulted() throws {
        let text = Self.csvHeader + ",metadata,metadata.plan\ntrack,u,e,2024-01-01T00:00:00,null,pro\n"
        let sink = try read(text, as: .csv)
        #expect(sink.problems.map(\.code) == [.sourceDefaulted])
        let result = try convert(text, as: "in.csv")
        #expect(result.outputLines.first?.hasSuffix(#""metadata":{"plan":"pro"}}"#) == true)
    }

    @Test func duplicateMetadataKeysAreErrors() throws {
        let ndjson =
            #"{"event_type":"track","user_id":"u","event_name":"e","inserted_at":"2024-01-01T00:00:00","metadata":{"a":1,"b":{"a":2,"a":3},"\u0061":4}}"#
        #expect(
            try read(ndjson + "\n", as: .ndjson).errors == [
                Finding(.duplicateKey, line: 1, record: 1, field: "metadata.a")
            ])
        let csv =
            Self.csvHeader + ",metadata\ntrack,u,e,2024-01-01T00:00:00,\"{\"\"p\"\":1,\"\"q\"\":2,\"\"p\"\":3}\"\n"
        #expect(try read(csv, as: .csv).errors == [Finding(.duplicateKey, line: 2, record: 1, field: "metadata.p")])
        #expect(try convert(ndjson + "\n").summary.rejected == 1)
    }

    @Test func csvNumberTypingLeavesExponentsAsStrings() throws {
        let text =
            Self.csvHeader
            + ",metadata.a,metadata.b,metadata.c,metadata.d\ntrack,u,e,2024-01-01T00:00:00,1e999,12,-0.5,1E2\n"
        let result = try convert(text, as: "in.csv")
        #expect(result.outputLines.first?.hasSuffix(#""metadata":{"a":"1e999","b":12,"c":-0.5,"d":"1E2"}}"#) == true)
    }

    @Test func nullReadsAsAbsentForEveryField() throws {
        let record =
            #"{"event_type":"track","user_id":null,"event_name":"e","source":null,"inserted_at":"2024-01-01T00:00:00","metadata":null,"company_id":null,"url":null}"#
        let sink = try read(record + "\n", as: .ndjson)
        #expect(
            Set(sink.problems.map(\.code)) == [.missingField, .sourceDefaulted, .metadataDefaulted], "\(sink.problems)")
        #expect(sink.errors == [Finding(.missingField, line: 1, record: 1, field: "user_id")])
    }

    // MARK: One stray quote costs one row

    @Test func aStrayQuoteCostsOneRowAndTheSwallowedLinesAreReadAgain() throws {
        var rows = (1...8).map { "track,u\($0),e,2024-01-01T00:00:00" }
        rows[2] = "track,\"u3,e,2024-01-01T00:00:00"
        let text = ([Self.csvHeader] + rows).joined(separator: "\n") + "\n"
        for chunk in [Int.max, 5, 64] {
            let sink = try read(Array(text.utf8), as: .csv, chunk: chunk)
            #expect(sink.records.count == 8)
            #expect(sink.errors == [Finding(.malformedCSV, line: 4, record: 3)])
            #expect(sink.records.map(\.location.line) == Array(2...9))
        }
        // A closing quote later with text after it: the record breaks where it starts, the lines
        // between are read again, and the line with the quote is its own broken record.
        var closed = rows
        closed[5] = "track,u6\"x,e,2024-01-01T00:00:00"
        let sink = try read(([Self.csvHeader] + closed).joined(separator: "\n") + "\n", as: .csv)
        #expect(sink.errors.first == Finding(.malformedCSV, line: 4, record: 3))
        #expect(sink.records.count == 8, "\(sink.records.map(\.location))")
        #expect(sink.errors.contains(Finding(.malformedCSV, line: 7, record: 6)))
    }

    @Test func aQuotedRecordOutgrowingTheCapResumesAtItsSecondLine() throws {
        let long = String(repeating: "y", count: 60)
        var rows = (1...6).map { "track,u\($0),e,2024-01-01T00:00:00" }
        rows[1] = "track,\"u2\n\(long)\n\(long)\",e,2024-01-01T00:00:00"
        let text = ([Self.csvHeader] + rows).joined(separator: "\n") + "\n"
        let sink = try read(text, as: .csv, maxRecordBytes: 100)
        #expect(sink.errors.first == Finding(.recordTooLarge, line: 3, record: 2))
        // The two lines it swallowed come back as rows (with the wrong number of cells), then the rest.
        #expect(sink.records.map(\.location.line) == [2, 3, 4, 5, 6, 7, 8, 9])
        #expect(sink.records.suffix(4).allSatisfy { $0.problems.allSatisfy(\.code.isWarning) })
    }

    // MARK: Properties over edge values

    /// Generated records with edge values (years 0001/9999 with offsets both ways, escapes of every
    /// kind, Unicode white space, ids as integers and not, duplicate columns) never crash; convert
    /// writes or rejects each record, what it writes passes validate with the same options, and
    /// the same records as CSV and as NDJSON convert to the same bytes.
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func convertOutputPassesValidateOnEdgeValues(seed: UInt64) throws {
        var g = EventGenerator(seed: seed)
        let stamps = [
            "0001-01-01T00:30:00+01:00", "0001-01-01T00:30:00-01:00", "9999-12-31T23:30:00-01:00",
            "9999-12-31T23:30:00+01:00", "0000-01-01T00:00:00", "2024-02-29T12:00:00.123456789Z", "2023-02-29T00:00:00",
        ]
        let texts = [
            "plain", "é", "\u{3000}", "\u{A0}x", "a\"b", "back\\slash", "tab\there", "\u{85}", "\u{1F389}", "", " ",
        ]
        let ids = ["u1", "12345678901234567890", "-7", "0.5", "1e3", "\u{2028}"]
        var ndjson = ""
        var csv = "event_type,user_id,event_name,inserted_at,metadata.note,metadata.n\n"
        var csvOnly = "event_type,user_id,user_id,event_name,inserted_at\n"
        for _ in 0..<400 {
            let stamp = g.pick(stamps)
            let note = g.pick(texts)
            let name = g.pick(texts.filter { !$0.isEmpty })
            let id = g.pick(ids)
            let idIsNumber = id == "12345678901234567890" || id == "-7"
            let ascii = g.next(2) == 0
            let idJSON = idIsNumber && g.next(2) == 0 ? id : EventGenerator.jsonString(id, asciiEscapes: ascii)
            ndjson +=
                #"{"event_type":"track","user_id":"# + idJSON + #","event_name":"#
                + EventGenerator.jsonString(name, asciiEscapes: ascii) + #","inserted_at":""# + stamp
                + #"","metadata":{"#
                + (note.isEmpty ? "" : #""note":"# + EventGenerator.jsonString(note, asciiEscapes: !ascii) + ",")
                + #""n":7}}"# + "\n"
            // An empty note is a quoted empty cell: absent, like a missing key.
            let noteCell = note.isEmpty ? "\"\"" : EventGenerator.csvCell(note)
            csv += ["track", id, name, stamp].map(EventGenerator.csvCell).joined(separator: ",") + ",\(noteCell),7\n"
            csvOnly +=
                ["track", g.next(3) == 0 ? id : "", id, name, stamp].map(EventGenerator.csvCell).joined(separator: ",")
                + "\n"
        }
        for cap in [200, 1 << 20] {
            for (name, text) in [("in.ndjson", ndjson), ("in.csv", csv), ("dup.csv", csvOnly)] {
                let result = try convert(text, as: name) { $0.maxRecordBytes = cap }
                #expect(result.summary.records == 400)
                #expect(result.summary.records == result.summary.written + result.summary.rejected)
                var options = ValidationOptions()
                options.format = .ndjson
                options.maxRecordBytes = cap
                let validator = Validator(options: options)
                validator.validate(source: ByteSource(bytes: result.output, name: "out.ndjson"))
                #expect(validator.summaries[0].invalid == 0, "\(name) cap \(cap)")
                #expect(validator.summaries[0].records == result.summary.written)
            }
            // Input sizes differ between the two forms, so only the default cap compares them.
            guard cap == 1 << 20 else { continue }
            let fromNDJSON = try convert(ndjson) { $0.maxRecordBytes = cap }
            let fromCSV = try convert(csv, as: "in.csv") { $0.maxRecordBytes = cap }
            let sameLines = zip(fromNDJSON.outputLines, fromCSV.outputLines).filter { $0 != $1 }
            #expect(fromNDJSON.summary.written == fromCSV.summary.written, "cap \(cap)")
            #expect(sameLines.isEmpty, "first difference: \(sameLines.first.map { "\($0)\n\($1)" } ?? "")")
        }
    }
}
