import Testing

@testable import ImportPrepCore

/// Every error and warning code of SPEC §5, produced from input bytes, in each format where it
/// applies, with its line, record and field.
@Suite struct ErrorCodeTests {
    static let ok = #""source":"backend-http-import","inserted_at":"2024-07-28T10:00:00","metadata":{}"#

    // MARK: NDJSON

    struct NDJSONCase: CustomStringConvertible, Sendable {
        var code: ProblemCode
        var line: String
        var field: String?
        var description: String { code.rawValue }
    }

    static let ndjsonCases: [NDJSONCase] = [
        .init(code: .malformedJSON, line: #"{"event_type":"track","user_id":"u",}"#),
        // The U+FFFD is swapped for a raw 0xFF byte by the test.
        .init(code: .invalidUTF8, line: "{\"event_type\":\"track\",\"user_id\":\"u\u{FFFD}\"}"),
        .init(code: .notAnObject, line: #"["track"]"#),
        .init(
            code: .tooDeep,
            line: #"{"metadata":"# + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "}"),
        .init(
            code: .duplicateKey,
            line: #"{"event_type":"track","user_id":"u","user_id":"v","event_name":"e","# + ok + "}", field: "user_id"),
        .init(
            code: .duplicateKey,
            line: #"{"event_type":"track","user_id":"u","plan":1,"plan":2,"event_name":"e","# + ok + "}", field: "plan"),
        .init(code: .missingField, line: #"{"event_type":"track","user_id":"u","# + ok + "}", field: "event_name"),
        .init(code: .missingField, line: #"{"user_id":"u","# + ok + "}", field: "event_type"),
        .init(
            code: .missingField, line: #"{"event_type":"page_view","user_id":"u","hostname":"a.example","# + ok + "}",
            field: "pathname"),
        .init(code: .missingField, line: #"{"event_type":"identify_company","# + ok + "}", field: "company_id"),
        .init(
            code: .missingField,
            line:
                #"{"event_type":"track","user_id":"u","event_name":"e","source":"web-client","url":"https://a.example/","inserted_at":"2024-07-28T10:00:00","metadata":{}}"#,
            field: "user_agent"),
        .init(
            code: .missingField,
            line: #"{"event_type":"track","user_id":"u","event_name":"e","source":"backend-http","metadata":{}}"#,
            field: "inserted_at"),
        .init(
            code: .emptyField, line: #"{"event_type":"track","user_id":" \t","event_name":"e","# + ok + "}",
            field: "user_id"),
        .init(
            code: .emptyField, line: #"{"event_type":"track","user_id":"u","event_name":"","# + ok + "}",
            field: "event_name"),
        .init(
            code: .wrongType, line: #"{"event_type":"identify_user","user_id":12345678901234567890,"# + ok + "}",
            field: "user_id"),
        .init(
            code: .wrongType, line: #"{"event_type":"track","user_id":"u","event_name":["e"],"# + ok + "}",
            field: "event_name"),
        .init(code: .wrongType, line: #"{"event_type":7,"user_id":"u","# + ok + "}", field: "event_type"),
        .init(code: .unknownEventType, line: #"{"event_type":"Track","user_id":"u","# + ok + "}", field: "event_type"),
        .init(
            code: .invalidSource,
            line:
                #"{"event_type":"identify_user","user_id":"u","source":"mobile","inserted_at":"2024-07-28T10:00:00","metadata":{}}"#,
            field: "source"),
        .init(
            code: .invalidSource,
            line:
                #"{"event_type":"identify_user","user_id":"u","source":"","inserted_at":"2024-07-28T10:00:00","metadata":{}}"#,
            field: "source"),
        .init(
            code: .invalidTimestamp,
            line:
                #"{"event_type":"identify_user","user_id":"u","source":"backend-http","inserted_at":"2024-02-30 10:00:00","metadata":{}}"#,
            field: "inserted_at"),
        .init(
            code: .invalidTimestamp,
            line:
                #"{"event_type":"identify_user","user_id":"u","source":"backend-http","inserted_at":1722157200,"metadata":{}}"#,
            field: "inserted_at"),
        .init(
            code: .invalidURL, line: #"{"event_type":"page_view","user_id":"u","url":"a.example/x","# + ok + "}",
            field: "url"),
        .init(
            code: .invalidMetadata,
            line:
                #"{"event_type":"identify_user","user_id":"u","source":"backend-http","inserted_at":"2024-07-28T10:00:00","metadata":"plan=pro"}"#,
            field: "metadata"),
        .init(
            code: .recordTooLarge,
            line: #"{"event_type":"identify_user","user_id":"u","# + ok + #","pad":""#
                + String(repeating: "x", count: 300) + "\"}"),
        // Warnings.
        .init(
            code: .sourceDefaulted,
            line: #"{"event_type":"identify_user","user_id":"u","inserted_at":"2024-07-28T10:00:00","metadata":{}}"#,
            field: "source"),
        .init(
            code: .metadataDefaulted,
            line:
                #"{"event_type":"identify_user","user_id":"u","source":"backend-http","inserted_at":"2024-07-28T10:00:00"}"#,
            field: "metadata"),
        .init(
            code: .ignoredField,
            line: #"{"event_type":"identify_company","company_id":"c","browser":"Chrome","# + ok + "}", field: "browser"
        ),
        .init(
            code: .ignoredField, line: #"{"event_type":"identify_company","company_id":"c","user_id":42,"# + ok + "}",
            field: "user_id"),
        .init(
            code: .urlOverrides,
            line:
                #"{"event_type":"page_view","user_id":"u","url":"https://a.example/x","hostname":"b.example","pathname":"/x","#
                + ok + "}", field: "hostname"),
        .init(
            code: .timestampOffset,
            line:
                #"{"event_type":"identify_user","user_id":"u","source":"backend-http","inserted_at":"2024-07-28T10:00:00+02:00","metadata":{}}"#,
            field: "inserted_at"),
        .init(
            code: .nestedMetadata,
            line:
                #"{"event_type":"identify_user","user_id":"u","source":"backend-http","inserted_at":"2024-07-28T10:00:00","metadata":{"a":{"b":1}}}"#,
            field: "metadata"),
    ]

    /// Each case sits at line 3 (record 2), after a valid record and a blank line.
    @Test(arguments: ndjsonCases)
    func ndjson(c: NDJSONCase) throws {
        var bytes =
            Array((Fixtures.track + "\n\n").utf8) + Array(c.line.utf8) + Array(("\n" + Fixtures.track + "\n").utf8)
        if c.code == .invalidUTF8 { bytes = replacingReplacementCharacter(in: bytes, with: 0xFF) }
        let sink = try read(bytes, as: .ndjson, maxRecordBytes: c.code == .recordTooLarge ? 256 : 1 << 20)
        #expect(sink.records.count == 3)
        #expect(sink.blankLines == 1)
        #expect(sink.records[0].problems.isEmpty && sink.records[2].problems.isEmpty)
        let found = sink.records[1].problems.map {
            Finding($0.code, line: $0.location.line, record: $0.location.record, field: $0.field)
        }
        #expect(found.contains(Finding(c.code, line: 3, record: 2, field: c.field)), "\(found)")
        if c.code.isWarning {
            #expect(found.allSatisfy { $0.code.isWarning }, "a warning case must stay valid: \(found)")
        }
        #expect(sink.records[1].problems.allSatisfy { $0.location.byteOffset == Fixtures.track.utf8.count + 2 })
    }

    @Test func aRecordCanCarrySeveralErrors() throws {
        let sink = try read(
            #"{"event_type":"track","user_id":5,"source":"x","inserted_at":"yesterday","metadata":[]}"#, as: .ndjson)
        #expect(
            sink.errors == [
                Finding(.wrongType, line: 1, record: 1, field: "user_id"),
                Finding(.invalidSource, line: 1, record: 1, field: "source"),
                Finding(.invalidTimestamp, line: 1, record: 1, field: "inserted_at"),
                Finding(.invalidMetadata, line: 1, record: 1, field: "metadata"),
                Finding(.missingField, line: 1, record: 1, field: "event_name"),
            ])
    }

    @Test func urlStandsInForHostnameAndPathname() throws {
        let sink = try read(
            #"{"event_type":"page_view","user_id":"u","url":"https://a.example/x","# + Self.ok + "}", as: .ndjson)
        #expect(sink.problems.isEmpty)
    }

    @Test func webClientNeedsUserAgentAndPageParts() throws {
        let sink = try read(
            #"{"event_type":"track","user_id":"u","event_name":"e","source":"web-client","inserted_at":"2024-07-28T10:00:00","metadata":{}}"#,
            as: .ndjson)
        #expect(sink.errors.map(\.field) == ["user_agent", "hostname", "pathname"])
    }

    @Test func nullReadsAsAbsent() throws {
        let sink = try read(
            #"{"event_type":"track","user_id":"u","event_name":"e","company_id":null,"source":"backend-http","inserted_at":"2024-07-28T10:00:00","metadata":null}"#,
            as: .ndjson)
        #expect(sink.problems == [Finding(.metadataDefaulted, line: 1, record: 1, field: "metadata")])
    }

    @Test func escapedKeysAndValuesAreDecodedBeforeChecking() throws {
        let sink = try read(
            #"{"event_\u0074ype":"tr\u0061ck","user_id":"u","event_name":"e","source":"backend-http","inserted_at":"2024-07-28T10:00:00","metadata":{},"event_type":"track"}"#,
            as: .ndjson)
        #expect(sink.records[0].eventType == .track)
        #expect(sink.errors == [Finding(.duplicateKey, line: 1, record: 1, field: "event_type")])
    }

    @Test func manyKeysFindDuplicatesThroughTheHashTable() throws {
        let keys = (0..<500).map { #""k\#($0)":1"# }.joined(separator: ",")
        let sink = try read(
            #"{"event_type":"track","user_id":"u","event_name":"e","# + Self.ok + "," + keys + #","k250":2,"k7":3}"#,
            as: .ndjson)
        #expect(sink.errors.map(\.field) == ["k250", "k7"])
    }

    // MARK: CSV

    struct CSVCase: CustomStringConvertible, Sendable {
        var code: ProblemCode
        var header: String
        var row: String
        var field: String?
        var description: String { "\(code.rawValue) \(row)" }
    }

    static let h = "event_type,user_id,event_name,source,inserted_at,metadata.plan"
    static let csvCases: [CSVCase] = [
        .init(code: .malformedCSV, header: h, row: #"track,"u"x,e,backend-http,2024-07-28T10:00:00,pro"#),
        .init(code: .malformedCSV, header: h, row: #"track,u"1,e,backend-http,2024-07-28T10:00:00,pro"#),
        .init(
            code: .invalidUTF8, header: h, row: "track,u\u{FFFD},e,backend-http,2024-07-28T10:00:00,pro",
            field: "user_id"),
        .init(
            code: .recordTooLarge, header: h,
            row: "track,u,e,backend-http,2024-07-28T10:00:00," + String(repeating: "p", count: 300)),
        .init(
            code: .duplicateKey, header: h + ",user_id", row: "track,u,e,backend-http,2024-07-28T10:00:00,pro,v",
            field: "user_id"),
        .init(
            code: .duplicateKey, header: h + ",metadata",
            row: #"track,u,e,backend-http,2024-07-28T10:00:00,pro,"{""plan"":""team""}""#, field: "metadata.plan"),
        .init(code: .columnCount, header: h, row: "track,u,e,backend-http,2024-07-28T10:00:00"),
        .init(code: .columnCount, header: h, row: "track,u,e,backend-http,2024-07-28T10:00:00,pro,extra"),
        .init(
            code: .missingField, header: h, row: "track,u,,backend-http,2024-07-28T10:00:00,pro", field: "event_name"),
        .init(
            code: .missingField, header: h, row: #"track,"",e,backend-http,2024-07-28T10:00:00,pro"#, field: "user_id"),
        .init(code: .emptyField, header: h, row: "track,  ,e,backend-http,2024-07-28T10:00:00,pro", field: "user_id"),
        .init(
            code: .emptyField, header: h, row: #"track,"  ",e,backend-http,2024-07-28T10:00:00,pro"#, field: "user_id"),
        .init(
            code: .unknownEventType, header: h, row: "TRACK,u,e,backend-http,2024-07-28T10:00:00,pro",
            field: "event_type"),
        .init(code: .invalidSource, header: h, row: "track,u,e,Backend-HTTP,2024-07-28T10:00:00,pro", field: "source"),
        .init(code: .invalidSource, header: h, row: "track,u,e, backend-http,2024-07-28T10:00:00,pro", field: "source"),
        .init(code: .invalidTimestamp, header: h, row: "track,u,e,backend-http,1722157200,pro", field: "inserted_at"),
        .init(code: .invalidTimestamp, header: h, row: "track,u,e,backend-http,2024-07-28 ,pro", field: "inserted_at"),
        .init(
            code: .invalidURL, header: h + ",url", row: "track,u,e,backend-http,2024-07-28T10:00:00,pro,www.a.example",
            field: "url"),
        .init(
            code: .invalidMetadata, header: h + ",metadata",
            row: #"track,u,e,backend-http,2024-07-28T10:00:00,,"{""plan"":}""#, field: "metadata"),
        .init(
            code: .invalidMetadata, header: h + ",metadata", row: #"track,u,e,backend-http,2024-07-28T10:00:00,,"[1]""#,
            field: "metadata"),
        .init(code: .sourceDefaulted, header: h, row: "track,u,e,,2024-07-28T10:00:00,pro", field: "source"),
        .init(
            code: .metadataDefaulted, header: h, row: "track,u,e,backend-http,2024-07-28T10:00:00,", field: "metadata"),
        .init(
            code: .ignoredField, header: h + ",company_id",
            row: "identify_company,u,,backend-http,2024-07-28T10:00:00,pro,c", field: "user_id"),
        .init(
            code: .ignoredField, header: h + ",company_id,browser",
            row: "identify_company,,,backend-http,2024-07-28T10:00:00,pro,c,Chrome", field: "browser"),
        .init(
            code: .urlOverrides, header: h + ",url,pathname",
            row: "track,u,e,backend-http,2024-07-28T10:00:00,pro,https://a.example/x,/y", field: "pathname"),
        .init(
            code: .timestampOffset, header: h, row: "track,u,e,backend-http,2024-07-28T10:00:00-0700,pro",
            field: "inserted_at"),
        .init(
            code: .nestedMetadata, header: h + ",metadata",
            row: #"track,u,e,backend-http,2024-07-28T10:00:00,,"{""a"":[1]}""#, field: "metadata"),
    ]

    /// Each case is the second data record, on line 4 after a valid row and a blank line.
    @Test(arguments: csvCases)
    func csv(c: CSVCase) throws {
        let columns = c.header.split(separator: ",").count
        let valid = "track,u0,e,backend-http,2024-07-28T10:00:00,pro" + String(repeating: ",", count: columns - 6)
        var bytes = Array("\(c.header)\n\(valid)\n\n\(c.row)\n\(valid)\n".utf8)
        if c.code == .invalidUTF8 { bytes = replacingReplacementCharacter(in: bytes, with: 0xC3) }
        let sink = try read(bytes, as: .csv, maxRecordBytes: c.code == .recordTooLarge ? 256 : 1 << 20)
        #expect(sink.records.count == 3)
        #expect(sink.blankLines == 1)
        #expect(sink.records[0].problems.isEmpty && sink.records[2].problems.isEmpty, "\(sink.problems)")
        let found = sink.records[1].problems.map {
            Finding($0.code, line: $0.location.line, record: $0.location.record, field: $0.field)
        }
        #expect(found.contains(Finding(c.code, line: 4, record: 2, field: c.field)), "\(found)")
        if c.code.isWarning {
            #expect(found.allSatisfy { $0.code.isWarning }, "a warning case must stay valid: \(found)")
        }
    }

    /// The broken record is reported at its first line; the line it swallowed is read again.
    @Test func unterminatedQuoteAtEndOfInputIsMalformed() throws {
        let sink = try read("event_type,user_id\ntrack,u\ntrack,\"open\nstill open", as: .csv)
        #expect(sink.records.count == 3)
        #expect(
            sink.records[1].problems.map { Finding($0.code, line: $0.location.line, record: $0.location.record) } == [
                Finding(.malformedCSV, line: 3, record: 2)
            ])
        #expect(
            sink.records[2].problems.map { Finding($0.code, line: $0.location.line, record: $0.location.record) } == [
                Finding(.columnCount, line: 4, record: 3)
            ])
    }

    @Test func readingResumesOnTheLineAfterAMalformedRecord() throws {
        let sink = try read(
            "event_type,user_id,event_name,source,inserted_at,metadata.p\ntrack,\"a\"b,e,backend-http,2024-07-28T10:00:00,x\ntrack,u,e,backend-http,2024-07-28T10:00:00,x\n",
            as: .csv)
        #expect(sink.records.count == 2)
        #expect(sink.errors == [Finding(.malformedCSV, line: 2, record: 1)])
        #expect(sink.records[1].problems.isEmpty)
    }

    @Test func aBrokenHeaderIsAFileProblem() throws {
        let sink = try read("event_type,\"user_id\ntrack,u\n", as: .csv)
        #expect(sink.records.isEmpty)
        #expect(sink.fileProblems.map(\.code) == [.malformedCSV])
    }

    @Test func headerNamesAreTrimmed() throws {
        let sink = try read(
            " event_type ,user_id\t,event_name,source,inserted_at,metadata.plan\ntrack,u,e,backend-http,2024-07-28T10:00:00,pro\n",
            as: .csv)
        #expect(sink.problems.isEmpty)
    }

    @Test func anotherDelimiter() throws {
        let sink = try read(
            Array(
                "event_type;user_id;event_name;source;inserted_at;metadata.plan\ntrack;u;\"a;b\";backend-http;2024-07-28T10:00:00;pro\n"
                    .utf8), as: .csv, delimiter: UInt8(ascii: ";"))
        #expect(sink.records.count == 1)
        #expect(sink.problems.isEmpty)
    }
}
