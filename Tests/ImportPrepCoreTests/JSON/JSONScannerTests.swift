import Testing

@testable import ImportPrepCore

@Suite struct JSONScannerTests {
    func scan(_ text: String) -> (JSONScanner.Outcome, [JSONMember]) {
        let scanner = JSONScanner()
        let bytes = Array(text.utf8)
        let outcome = bytes.withUnsafeBytes { scanner.scan($0) }
        return (outcome, Array(scanner.members))
    }

    func text(_ source: String, _ start: Int, _ end: Int) -> String {
        String(decoding: Array(source.utf8)[start..<end], as: UTF8.self)
    }

    @Test func membersCarryKeysKindsAndValueSpans() {
        let source = #" { "a" : "x\"y" , "n":-1.5e3,"o":{"p":[1]},"arr":[],"t":true,"z":null } "#
        let (outcome, members) = scan(source)
        #expect(outcome == .object)
        #expect(members.map { text(source, $0.keyStart, $0.keyEnd) } == ["a", "n", "o", "arr", "t", "z"])
        #expect(members.map(\.kind) == [.string, .number, .object, .array, .bool, .null])
        #expect(
            members.map { text(source, $0.valueStart, $0.valueEnd) } == [
                #"x\"y"#, "-1.5e3", #"{"p":[1]}"#, "[]", "true", "null",
            ])
        #expect(members[0].valueHasEscapes)
        #expect(!members[1].valueHasEscapes)
        #expect(members[2].holdsContainers)
        #expect(!members[3].holdsContainers)
    }

    @Test func nestedMembersAreNotTopLevel() {
        let (outcome, members) = scan(#"{"m":{"a":1,"b":{"c":2}},"k":"v"}"#)
        #expect(outcome == .object)
        #expect(members.count == 2)
        #expect(members[0].holdsContainers)
    }

    @Test func escapedKeysAreFlagged() {
        let (_, members) = scan(#"{"us\u0065r_id":"1"}"#)
        #expect(members.count == 1)
        #expect(members[0].keyHasEscapes)
    }

    @Test(arguments: [
        ("[1,2]", JSONValueKind.array), ("\"s\"", .string), ("42", .number), ("true", .bool), ("null", .null),
    ])
    func topLevelNonObjects(text: String, kind: JSONValueKind) {
        #expect(scan(text).0 == .notAnObject(kind))
    }

    @Test(arguments: [
        "", "   ", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}", "{'a':1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}",
        "{\"a\":.5}", "{\"a\":NaN}", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"tab\there\"}",
        "{\"a\":1}x", "{\"a\":1} {}", "{\"a\":[1,]}", "{\"a\":1 /* c */}", "{\"a\":\"\\uDC00\"}", "{\"a\":\"\\uD800\"}",
        "{\"a\":\"\\uD800\\u0041\"}", "{\"a\":\"unterminated}",
    ])
    func malformedJSON(text: String) {
        guard case .invalid(let error) = scan(text).0 else {
            Issue.record("accepted \(text)")
            return
        }
        #expect(error.code == .malformedJSON)
    }

    @Test func invalidUTF8IsItsOwnCode() {
        for bytes: [UInt8] in [
            [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D],  // {"a":"\xFF"}
            [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC0, 0xAF, 0x22, 0x7D],  // overlong "/"
            [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D],  // UTF-8 surrogate
            [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xE2, 0x82, 0x22, 0x7D],  // truncated
            [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xF4, 0x90, 0x80, 0x80, 0x22, 0x7D],  // above U+10FFFF
        ] {
            let scanner = JSONScanner()
            let outcome = bytes.withUnsafeBytes { scanner.scan($0) }
            guard case .invalid(let error) = outcome else {
                Issue.record("accepted \(bytes)")
                continue
            }
            #expect(error.code == .invalidUTF8)
            #expect(error.offset == 6)
        }
    }

    @Test func validUTF8AndSurrogatePairsPass() {
        #expect(scan(#"{"a":"Zoë 日本 🎉 \uD83C\uDF89 \u00e9"}"#).0 == .object)
    }

    @Test func depthLimitIs64() {
        let ok = "{\"a\":" + String(repeating: "[", count: 63) + String(repeating: "]", count: 63) + "}"
        let deep = "{\"a\":" + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "}"
        #expect(scan(ok).0 == .object)
        guard case .invalid(let error) = scan(deep).0 else {
            Issue.record("65 levels accepted")
            return
        }
        #expect(error.code == .tooDeep)
    }

    @Test func stringsLongerThanAWordAreScannedExactly() {
        // Exercises the eight-bytes-at-a-time skip around every special byte position.
        for position in 0..<20 {
            var body = String(repeating: "a", count: 24)
            let index = body.index(body.startIndex, offsetBy: position)
            body.replaceSubrange(index...index, with: "\\n")
            let source = "{\"k\":\"\(body)\",\"x\":1}"
            let (outcome, members) = scan(source)
            #expect(outcome == .object)
            #expect(members.count == 2)
            #expect(text(source, members[0].valueStart, members[0].valueEnd) == body)

            var bad = Array(source.utf8)
            bad[6 + position] = 0x01
            let scanner = JSONScanner()
            let verdict = bad.withUnsafeBytes { scanner.scan($0) }
            #expect(
                verdict
                    == .invalid(
                        JSONSyntaxError(
                            code: .malformedJSON, offset: 6 + position,
                            reason: "unescaped control character in a string")))
        }
    }

    @Test func decodesEscapesIntoTheArena() {
        let arena = ByteArena(capacity: 256)
        let body = Array(#"a\"b\\c\/d\n\u00e9\uD83C\uDF89"#.utf8)
        let decoded = body.withUnsafeBytes { arena.decodeJSONString($0)! }
        #expect(String(decoding: decoded, as: UTF8.self) == "a\"b\\c/d\né🎉")
    }
}

/// The vendor presets read a record's objects (`properties`, `event_properties`…) from the
/// record's own scan (`scanWithMemberObjects` + `adoptMembers`): what they get must be what a scan
/// of the object alone gives.
@Suite struct AdoptedMembersTests {
    static let records: [String] = [
        #"{"event":"x","properties":{"a":1,"b":"two","c":{"d":[1,{"e":2}]},"f":[],"g":true,"h":null,"i":-1.5e3}}"#,
        #" { "p" : { "k\"ey" : "va\\lue\u00e9" , "n" :  0 , "o" : { } , "arr" : [ { "x" : 1 } ] } , "q" : { } } "#,
        #"{"list":[{"a":1},{"b":2}],"obj":{"a":{"b":{"c":{}}},"z":"Zoë Müller"},"s":"{\"not\":\"an object\"}"}"#,
        #"{"first":{"a":"1"},"second":{"b":"2","c":[]},"third":7}"#,
        "{\"many\":{" + (0..<300).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "},\"after\":{\"x\":\"y\"}}",
    ]

    struct Member: Equatable {
        var key: String
        var keyHasEscapes: Bool
        var kind: JSONValueKind
        var value: String
        var valueHasEscapes: Bool
    }

    func members(_ scanner: JSONScanner, of bytes: UnsafeRawBufferPointer) -> [Member] {
        scanner.members.map { m in
            Member(
                key: String(decoding: bytes[m.keyStart..<m.keyEnd], as: UTF8.self), keyHasEscapes: m.keyHasEscapes,
                kind: m.kind, value: String(decoding: bytes[m.valueStart..<m.valueEnd], as: UTF8.self),
                valueHasEscapes: m.valueHasEscapes)
        }
    }

    @Test(arguments: records)
    func adoptedMembersAreTheObjectsOwnScan(record: String) {
        let bytes = Array(record.utf8)
        bytes.withUnsafeBytes { raw in
            let recordScanner = JSONScanner()
            #expect(recordScanner.scanWithMemberObjects(raw) == .object)
            let topLevel = Array(recordScanner.members)
            #expect(members(recordScanner, of: raw) == members(JSONScanner(), scanning: raw))
            var objects = 0
            for member in topLevel where member.kind == .object {
                objects += 1
                let value = UnsafeRawBufferPointer(rebasing: raw[member.valueStart..<member.valueEnd])
                let adopted = JSONScanner()
                adopted.adoptMembers(of: member, from: recordScanner)
                let direct = JSONScanner()
                #expect(direct.scan(value) == .object)
                #expect(members(adopted, of: value) == members(direct, of: value))
                #expect(adopted.members.count == direct.members.count)
            }
            #expect(objects > 0)
        }
    }

    func members(_ scanner: JSONScanner, scanning raw: UnsafeRawBufferPointer) -> [Member] {
        _ = scanner.scan(raw)
        return members(scanner, of: raw)
    }
}

/// Convert's writer and profile read `metadata`'s members from the record's scan when the sink
/// asks for them (`readsMetadata`): the same members as a scan of the metadata alone.
@Suite struct MetadataMembersTests {
    final class MetadataSink: RecordSink {
        var needsValues: Bool { true }
        let readsMetadata: Bool
        var shouldStop: Bool { false }
        var kept = 0
        var compared = 0
        var mismatches: [String] = []

        init(readsMetadata: Bool) { self.readsMetadata = readsMetadata }

        func blankLine() {}
        func fileProblem(_ problem: Problem, at location: RecordLocation) {}
        func accept(
            _ location: RecordLocation, eventType: EventType?, fields: RecordFields, problems: [Problem],
            raw: UnsafeRawBufferPointer
        ) {
            let metadata = fields[.metadata]
            guard metadata.kind == .object else { return }
            if fields.metadataMembers != nil { kept += 1 }
            let fromRecord = JSONScanner()
            let alone = JSONScanner()
            guard fromRecord.scanMetadata(of: fields) == .object, alone.scan(metadata.bytes) == .object else {
                mismatches.append("line \(location.line): not an object")
                return
            }
            compared += 1
            let a = AdoptedMembersTests().members(fromRecord, of: metadata.bytes)
            let b = AdoptedMembersTests().members(alone, of: metadata.bytes)
            if a != b { mismatches.append("line \(location.line)") }
        }
    }

    static let lines = [
        #"{"event_type":"track","user_id":"u1","event_name":"e","inserted_at":"2024-01-01T00:00:00Z","metadata":{"a":1,"b\u0041":"x\ny","c":{"d":[1]},"e":null,"f":true}}"#,
        #"{"event_type":"track","metadata" : { } ,"user_id":"u2"}"#,
        #"{"metadata":{"plan":"team","seats":3},"metadata":{"other":1},"event_type":"identify_user","user_id":"u3"}"#,
        #"{"event_type":"track","user_id":"u4","metadata":"{\"not\":\"an object\"}"}"#,
    ]

    @Test(arguments: [true, false])
    func theRecordsScanGivesTheMembersOfAScanOfTheMetadata(readsMetadata: Bool) throws {
        let sink = MetadataSink(readsMetadata: readsMetadata)
        let text = Self.lines.joined(separator: "\n") + "\n"
        let lines = LineReader(source: ByteSource(bytes: Array(text.utf8), maxReadSize: 1 << 20), maxLineBytes: 1 << 20)
        try InputFormat.ndjson.makeReader(lines: lines, delimiter: UInt8(ascii: ",")).run(into: sink)
        #expect(sink.mismatches == [])
        #expect(sink.compared == 3)
        #expect(sink.kept == (readsMetadata ? 3 : 0))
    }
}
