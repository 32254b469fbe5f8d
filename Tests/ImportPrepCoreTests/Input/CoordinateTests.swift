import Testing

@testable import ImportPrepCore

/// Line, record and byte offset stay exact across quoted newlines, CRLF, a BOM, blank lines and
/// a last line without a newline.
@Suite struct CoordinateTests {
    let bad = #"{"event_type":"nope"}"#

    func locations(_ sink: RecordingSink) -> [RecordLocation] { sink.records.map(\.location) }

    @Test func ndjsonBlankLinesBOMAndCRLF() throws {
        let text = "\u{FEFF}\(bad)\r\n\r\n   \n\t\r\n\(bad)\r\n\n\(bad)"
        let sink = try read(text, as: .ndjson)
        #expect(sink.blankLines == 4)
        #expect(
            locations(sink) == [
                RecordLocation(line: 1, record: 1, byteOffset: 3),
                RecordLocation(line: 5, record: 2, byteOffset: 3 + 21 + 2 + 2 + 4 + 3),
                RecordLocation(line: 7, record: 3, byteOffset: 3 + (21 + 2) * 2 + 2 + 4 + 3 + 1),
            ])
        #expect(sink.records.allSatisfy { $0.problems.contains { $0.code == .unknownEventType } })
    }

    @Test func ndjsonCRLFDoesNotLeakIntoValues() throws {
        let sink = try read(Fixtures.track + "\r\n" + Fixtures.track + "\r\n", as: .ndjson)
        #expect(sink.records.count == 2)
        #expect(sink.problems.isEmpty)
    }

    @Test func csvQuotedNewlinesCRLFAndBOM() throws {
        let header = "event_type,user_id,event_name,source,inserted_at,metadata.note"
        let rows = [
            "track,u1,\"multi\r\nline\r\nname\",backend-http,2024-07-28T10:00:00,a",  // lines 2-4
            "",  // line 5 blank
            "nope,u2,e,backend-http,2024-07-28T10:00:00,\"x\ny\"",  // lines 6-7
            "nope,u3,e,backend-http,2024-07-28T10:00:00,z",  // line 8, no newline at the end
        ]
        let text = "\u{FEFF}" + header + "\r\n" + rows.joined(separator: "\r\n")
        let sink = try read(text, as: .csv)
        #expect(sink.blankLines == 1)
        let offsets =
            [3 + header.utf8.count + 2]
            + [3 + header.utf8.count + 2 + rows[0].utf8.count + 2 + 2]
            + [3 + header.utf8.count + 2 + rows[0].utf8.count + 2 + 2 + rows[2].utf8.count + 2]
        #expect(
            locations(sink) == [
                RecordLocation(line: 2, record: 1, byteOffset: offsets[0]),
                RecordLocation(line: 6, record: 2, byteOffset: offsets[1]),
                RecordLocation(line: 8, record: 3, byteOffset: offsets[2]),
            ])
        #expect(sink.records[0].problems.isEmpty)
        #expect(sink.errors.map(\.line) == [6, 8])
    }

    @Test func csvHeaderOnlyAndEmptyInputs() throws {
        #expect(try read("event_type,user_id\n", as: .csv).records.isEmpty)
        #expect(try read("event_type,user_id", as: .csv).records.isEmpty)
        #expect(try read("", as: .csv).records.isEmpty)
        #expect(try read("", as: .ndjson).records.isEmpty)
        #expect(try read("\n\n", as: .ndjson).blankLines == 2)
    }

    @Test func csvBlankLinesBeforeTheHeaderAreSkipped() throws {
        let header = "event_type,user_id,event_name,source,inserted_at,metadata.p"
        let sink = try read("\n  \n\(header)\ntrack,u,e,backend-http,2024-07-28T10:00:00,x\n", as: .csv)
        #expect(sink.blankLines == 2)
        #expect(locations(sink) == [RecordLocation(line: 4, record: 1, byteOffset: 4 + header.utf8.count + 1)])
        #expect(sink.problems.isEmpty)
    }

    @Test func oversizedLinesAreCutWithoutLosingCount() throws {
        let long = #"{"event_type":"track","pad":""# + String(repeating: "x", count: 5000) + "\"}"
        let text = [bad, long, bad, long].joined(separator: "\n")
        let sink = try read(text, as: .ndjson, maxRecordBytes: 100)
        #expect(sink.records.map(\.location.line) == [1, 2, 3, 4])
        #expect(sink.errors.filter { $0.code == .recordTooLarge }.map(\.record) == [2, 4])
        #expect(sink.records[2].location.byteOffset == 22 + long.utf8.count + 1)
    }
}

/// The drip-feed test: the same input fed 1…64 and 4096 bytes per read gives the same results.
@Suite struct DripFeedTests {
    static let ndjson: [UInt8] = {
        var text = "\u{FEFF}" + Fixtures.track + "\r\n\n"
        text +=
            #"{"event_type":"track","user_id":"Zoë \u00e9\"q\\","event_name":"日本","source":"web-client","inserted_at":"2024-07-28 10:00:00.5+02:00","metadata":{"a":[1,{"b":null}]}}"#
            + "\n"
        text +=
            #"{"event_type":"page_view","user_id":1,"url":"https://a.example/p","pathname":"/q","inserted_at":"2024-02-30T00:00:00"}"#
            + "\n   \n"
        text += #"{"broken":"# + "\n" + "[1,2]\n"
        text +=
            #"{"event_type":"identify_company","company_id":"c","user_id":"u","x":1,"x":2,"# + ErrorCodeTests.ok + "}\n"
        text += #"{"event_type":"track","pad":""# + String(repeating: "y", count: 400) + "\"}\n"
        text += Fixtures.track
        return Array(text.utf8)
    }()

    static let csv: [UInt8] = {
        var text = "\u{FEFF}event_type,user_id,event_name,source,inserted_at,url,metadata,metadata.k\r\n"
        text += "track,u1,\"multi\r\nline, with comma\",backend-http,2024-07-28T10:00:00,,,v\r\n\r\n"
        text += "track,u2,e,web-client,2024-07-28T10:00:00+0100,https://a.example/x,\"{\"\"k\"\":[1]}\",v\n"
        text += "track,\"bad\"quote,e,backend-http,2024-07-28T10:00:00,,,v\n"
        text += "track,u3,e\n"
        text += "track,u4,\"" + String(repeating: "z", count: 400) + "\",backend-http,2024-07-28T10:00:00,,,v\n"
        text += "identify_company,,,backend-http,2024-07-28T10:00:00,,,v\n"
        text += "track,u5,\"open quote\nnever closed"
        return Array(text.utf8)
    }()

    static let sizes = Array(1...64) + [4096]

    @Test(arguments: [InputFormat.ndjson, .csv])
    func sameResultsForEveryBlockSize(format: InputFormat) throws {
        let input = format == .ndjson ? Self.ndjson : Self.csv
        let whole = try read(input, as: format, maxRecordBytes: 300)
        #expect(whole.records.count >= 7)
        #expect(whole.errors.count >= 6)
        for size in Self.sizes {
            let dripped = try read(input, as: format, maxRecordBytes: 300, chunk: size)
            #expect(dripped.records == whole.records, "block size \(size)")
            #expect(dripped.blankLines == whole.blankLines, "block size \(size)")
            #expect(dripped.fileProblems == whole.fileProblems, "block size \(size)")
        }
    }
}
