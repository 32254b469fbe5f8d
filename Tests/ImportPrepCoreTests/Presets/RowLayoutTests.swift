import Foundation
import Testing

@_spi(Testing) @testable import ImportPrepCore

/// `RowLayout`: the members a preset notes while it writes a row are the ones a scan of that row
/// finds, escapes, flattened and deep objects, arrays and derived rows included; the row check
/// reads them instead of scanning the row again.
@Suite struct RowLayoutTests {
    static let cases: [(Preset, [String])] = [
        (
            .mixpanel,
            [
                #"{"event":"$mp_web_page_view","properties":{"time":1704067204,"distinct_id":"u1","$current_url":"https://a.example.com/x?q=\"1\"","$browser":"Chrome","$os":"Mac\nOS","$screen_width":1920,"mp_country_code":"BR","plan":"pro"}}"#,
                #"{"event":"Signed \"Up\"","properties":{"time":1704067227,"distinct_id":"u\u00e92","k\"ey":"v\\al","tab\tkey":"x","flag":true,"none":null,"n":-1.5e3,"filters":{"status":"open","tags":["a","b"],"deep":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":1}}}}}}}}},"empty":{},"list":[{"x":1},"y\n"],"nest":{"q\"k":{"z":1},"pl":{"a\u0062":2}}}}"#,
                #"{"event":"$mp_web_page_view","properties":{"time":1704067228,"distinct_id":"u3"}}"#,
            ]
        ),
        (
            .amplitude,
            [
                #"{"event_type":"A","user_id":"u1","event_time":"2025-01-01 00:00:01","user_properties":{"plan":"pro","quote\"d":"x\ty"},"groups":{"company":["c1"]},"group_properties":{"company":{"c1":{"tier":"gold"}}},"event_properties":{"n":1,"s":"\u0041\u00e9","a":[1,2]}}"#,
                #"{"event_type":"$identify","user_id":"u1","event_time":"2025-02-05 23:01:15","user_properties":{"$setOnce":{"first":"a"},"$set":{"plan":"pro","first":"b"}}}"#,
            ]
        ),
        (
            .segment,
            [
                #"{"type":"track","event":"Order \"Done\"","userId":"u1","timestamp":"2025-01-01T00:00:00+02:00","messageId":"m1","properties":{"total":9.5,"note":"a\\b"},"context":{"groupId":"g1","page":{"url":"https://a.example.com/p"}}}"#,
                #"{"type":"page","userId":"u1","timestamp":"2025-01-01T00:00:01Z","messageId":"m2","properties":{"url":"https://a.example.com/p?x=1","title":"T"}}"#,
                #"{"type":"group","userId":"u1","groupId":"g1","timestamp":"2025-01-01T00:00:02Z","messageId":"m3","traits":{"name":"Acme\u2028Inc"}}"#,
            ]
        ),
        (
            .ga4,
            [
                GA4PresetTests.row(
                    "page_view",
                    params: [
                        GA4PresetTests.param("page_location", "string_value", #""https://shop.example.com/pay""#),
                        GA4PresetTests.param("page_title", "string_value", #""P\"ay""#),
                        GA4PresetTests.param("big", "int_value", #""12345678901234567""#),
                    ].joined(separator: ",")),
                GA4PresetTests.row("purchase", params: GA4PresetTests.param("ratio", "double_value", "0.25")),
            ]
        ),
        (
            .pendo,
            [
                #"{"accountId": "acme", "appId": -323232, "day": 1543726800000, "numEvents": 17, "numMinutes": 4, "pageId": "pg-\"1", "remoteIp": "192.0.2.1", "server": "app.example.com", "userAgent": "Mozilla/5.0", "visitorId": "v1"}"#
            ]
        ),
    ]

    @Test func notedMembersAreWhatAScanFinds() throws {
        var noted = 0
        for (preset, lines) in Self.cases {
            let mapper = VendorMapper(settings: PresetSettings(preset: preset), maxRecordBytes: 1 << 20)
            for line in lines {
                var bytes = Array(line.utf8)
                try bytes.withUnsafeMutableBytes { record in
                    let record = UnsafeRawBufferPointer(record)
                    try #require(mapper.begin(record) == .object, "\(preset): \(line)")
                    guard case .rows(let count) = mapper.map() else {
                        Issue.record("\(preset) skipped \(line)")
                        return
                    }
                    try #require(count > 0)
                    for row in 0..<count {
                        let start = row == 0 ? 0 : mapper.rowEnds[row - 1]
                        let text = UnsafeRawBufferPointer(
                            rebasing: mapper.rows.bytes[start..<(mapper.rowEnds[row] - 1)])
                        let scanner = JSONScanner()
                        #expect(mapper.layout.adopt(row: row, into: scanner), "\(preset) row \(row) of \(line)")
                        #expect(
                            mapper.layout.agrees(row: row, with: text),
                            "\(preset) row \(row): \(String(decoding: text, as: UTF8.self))")
                        noted += 1
                    }
                }
            }
        }
        #expect(noted >= 13)
    }

    /// A row is in a normalized line's order exactly when a scan of it finds the schema's fields
    /// in `KnownField` order, other keys after them and `metadata` last; `convert` then copies the
    /// row (debug builds check the copy against the line written field by field).
    @Test func rowsInANormalizedLinesOrderAreFlagged() throws {
        var inOrder = 0
        var outOfOrder = 0
        // The rows above, and one whose event name comes after `inserted_at` (a page event
        // without a location falls back to a track of the same name).
        let cases =
            Self.cases + [(.mixpanel, [#"{"event":"$mp_web_page_view","properties":{"time":1,"distinct_id":"u"}}"#])]
        for (preset, lines) in cases {
            let mapper = VendorMapper(settings: PresetSettings(preset: preset), maxRecordBytes: 1 << 20)
            for line in lines {
                var bytes = Array(line.utf8)
                try bytes.withUnsafeMutableBytes { record in
                    try #require(mapper.begin(UnsafeRawBufferPointer(record)) == .object)
                    guard case .rows(let count) = mapper.map() else { return }
                    for row in 0..<count {
                        let start = row == 0 ? 0 : mapper.rowEnds[row - 1]
                        let text = UnsafeRawBufferPointer(
                            rebasing: mapper.rows.bytes[start..<(mapper.rowEnds[row] - 1)])
                        let scanner = JSONScanner()
                        try #require(scanner.scan(text) == .object)
                        let others = 2 * KnownField.userAgent.rawValue + 1
                        let ranks = scanner.members.map { member in
                            KnownField(bytes: UnsafeRawBufferPointer(rebasing: text[member.keyStart..<member.keyEnd]))
                                .map { 2 * $0.rawValue } ?? others
                        }
                        let expected = zip(ranks, ranks.dropFirst()).allSatisfy {
                            $0 < $1 || ($0 == others && $1 == others)
                        }
                        #expect(
                            mapper.layout.isInWrittenOrder(row: row) == expected,
                            "\(preset) row \(row): \(String(decoding: text, as: UTF8.self))")
                        if expected { inOrder += 1 } else { outOfOrder += 1 }
                    }
                }
            }
        }
        #expect(inOrder >= 12)
        #expect(outOfOrder >= 1)
    }

    /// The comparison behind the check can fail: the same row with a space after its first comma
    /// is not what was noted.
    @Test func aRowThatDiffersFromWhatWasNotedDisagrees() throws {
        let mapper = VendorMapper(settings: PresetSettings(preset: .mixpanel), maxRecordBytes: 1 << 20)
        var bytes = Array(Self.cases[0].1[0].utf8)
        try bytes.withUnsafeMutableBytes { record in
            try #require(mapper.begin(UnsafeRawBufferPointer(record)) == .object)
            guard case .rows(1) = mapper.map() else {
                Issue.record("expected one row")
                return
            }
            var text = Array(mapper.rows.bytes[0..<(mapper.rowEnds[0] - 1)])
            #expect(text.withUnsafeBytes { mapper.layout.agrees(row: 0, with: $0) })
            text.insert(UInt8(ascii: " "), at: text.firstIndex(of: UInt8(ascii: ","))! + 1)
            #expect(!text.withUnsafeBytes { mapper.layout.agrees(row: 0, with: $0) })
        }
    }

    /// Escaped keys and values, flattened objects and arrays reach the output as the mapper
    /// wrote them when the row check reads the noted members.
    @Test func escapedKeysAndValuesReachTheOutput() throws {
        let run = try PresetRun.run(.mixpanel, [Self.cases[0].1[1]])
        #expect(run.rows.count == 1)
        #expect(run.rows[0]["event_name"] as? String == "Signed \"Up\"")
        let metadata = try #require(run.rows[0]["metadata"] as? [String: Any])
        #expect(metadata["k\"ey"] as? String == "v\\al")
        #expect(metadata["filters.tags"] as? String == #"["a","b"]"#)
        #expect(metadata["flag"] as? Bool == true)
        // Keys written without an escape scan when every part was read without escapes; a part
        // with one sends the whole dotted key through the escaper.
        #expect(metadata["nest.q\"k.z"] as? Int == 1)
        #expect(metadata["nest.pl.ab"] as? Int == 2)
        #expect(metadata["tab\tkey"] as? String == "x")
    }
}
