import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// `JSONScanner.scan` reads a record that is an object with its own loop (`scanObjectRecord`)
/// and falls back to the general one (`scanAnyValue`) for anything else. The two must agree:
/// the object loop accepts exactly the texts the general loop finds to be objects, and records
/// the same members and keys, byte offsets, kinds and flags included.
@Suite struct ObjectRecordScanTests {
    /// Every field of a member and of the keys of its object, as text (readable when they differ).
    static func described(_ scanner: JSONScanner) -> [String] {
        scanner.members.map { m in
            let keys = scanner.keys(of: m).map { k in
                "\(k.start)-\(k.end)\(k.hasEscapes ? "e" : "") \(k.kind) \(k.valueStart)-\(k.valueEnd)\(k.valueHasEscapes ? "e" : "")"
            }
            return
                "\(m.keyStart)-\(m.keyEnd)\(m.keyHasEscapes ? "e" : "") \(m.kind) \(m.valueStart)-\(m.valueEnd)"
                + "\(m.valueHasEscapes ? "e" : "")\(m.holdsContainers ? " nested" : "") keys \(m.keysStart)-\(m.keysEnd) \(keys)"
        }
    }

    /// What each loop makes of `bytes`, for both kinds of scan; nil when they agree.
    static func disagreement(_ bytes: [UInt8]) -> String? {
        for withValues in [false, true] {
            let general = JSONScanner()
            let objectLoop = JSONScanner()
            let outcome = bytes.withUnsafeBytes { general.scanAnyValue($0, valuesOfMemberObjects: withValues) }
            let accepted = bytes.withUnsafeBytes { raw in
                raw.baseAddress.map {
                    objectLoop.scanObjectRecord($0.assumingMemoryBound(to: UInt8.self), raw.count, withValues)
                } ?? false
            }
            if accepted != (outcome == .object) {
                return "object loop \(accepted ? "accepts" : "refuses"), general loop says \(outcome)"
            }
            if accepted && described(general) != described(objectLoop) {
                return "members differ: \(described(general)) against \(described(objectLoop))"
            }
        }
        return nil
    }

    static let records: [String] = [
        #"{}"#, #" { } "#, #"{"a":1}"#, "{\"a\" :\t\"x\" ,\r\n \"b\": [ ] }\n",
        #"{"event_type":"track","user_id":"u-1","metadata":{"plan":"pro","seats":3,"ok":true,"n":null}}"#,
        #"{"m":{},"a":[],"o":{"x":{}},"p":{"y":[]},"q":[{}],"r":[[1,[2]],{"k":"v"}],"s":"\u00e9\n"}"#,
        #"{"us\u0065r":{"k\"ey":"v\\al","n":-0.5e+3,"f":false,"deep":{"a":{"b":{"c":[1,2,{"d":"e"}]}}}}}"#,
        #"{"a":1,"a":2,"m":{"k":1,"k":"2"}}"#, #"{"é":"ü","日本":{"語":"✓"},"emoji":"😀"}"#,
        #"{"a":"x","b":{"c":1} ,"d":[ "e" , 2 , true , null ] , "f":{ "g" : { } } }"#,
    ]

    /// Each record cut at every length, and with every byte replaced by each of a few bytes
    /// that matter to JSON's grammar or to UTF-8.
    static func variants(of record: String) -> [[UInt8]] {
        let bytes = Array(record.utf8)
        var out: [[UInt8]] = [bytes]
        for cut in 0..<bytes.count { out.append(Array(bytes[..<cut])) }
        let replacements: [UInt8] = Array("\"\\{}[],: 0-e.a\tn".utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xA9, 0xED, 0xFF]
        for k in bytes.indices {
            for r in replacements where r != bytes[k] {
                var changed = bytes
                changed[k] = r
                out.append(changed)
            }
            var dropped = bytes
            dropped.remove(at: k)
            out.append(dropped)
        }
        return out
    }

    @Test(arguments: records)
    func bothLoopsAgreeOnARecordAndEveryVariantOfIt(record: String) {
        var checked = 0
        for bytes in Self.variants(of: record) {
            if let why = Self.disagreement(bytes) {
                Issue.record("\(String(decoding: bytes, as: UTF8.self).debugDescription): \(why)")
                return
            }
            checked += 1
        }
        #expect(checked > Array(record.utf8).count * 20)
    }

    @Test func bothLoopsAgreeOnEveryJSONTestSuiteFileAndEverySampleLine() throws {
        var inputs: [[UInt8]] = []
        for file in ConformanceTests.files {
            inputs.append(try [UInt8](Data(contentsOf: ConformanceTests.folder.appendingPathComponent(file))))
        }
        for sample in ["clean.ndjson", "errors.ndjson", "api-docs-examples.ndjson", "profile-history.ndjson"] {
            let data = try Data(contentsOf: Paths.samples.appendingPathComponent(sample))
            inputs += data.split(separator: UInt8(ascii: "\n")).map { Array($0) }
        }
        #expect(inputs.count > 400)
        var objects = 0
        for bytes in inputs {
            if let why = Self.disagreement(bytes) {
                Issue.record("\(String(decoding: bytes, as: UTF8.self).debugDescription): \(why)")
            }
            if case .object = bytes.withUnsafeBytes({ JSONScanner().scan($0) }) { objects += 1 }
        }
        #expect(objects > 100)
    }

    /// The object loop finds a string's end through a bitmap of the record, 64 bytes a word
    /// (`import_prep_string_stops`): quotes, escapes, control and non-ASCII bytes at every
    /// position around the first two word boundaries, strings that cross them, records whose
    /// length is at, before and after a multiple of 64, all read as the general loop reads them.
    @Test func stringEndsAreFoundAtEveryPositionAroundTheBitmapsWords() {
        let specials: [[UInt8]] = [
            [0x22], [0x5C], Array(#"\n"#.utf8), Array(#"\""#.utf8), Array(#"\u00e9"#.utf8),
            Array(#"\ud83d\ude00"#.utf8), Array("é".utf8), Array("😀".utf8), [0x1F], [0x80], [0xC3], [0x7F],
        ]
        let head = Array(#"{"k":""#.utf8)
        let tail = Array(#"","m":{"a":"b"},"z":["c"]}"#.utf8)
        var checked = 0
        for length in 40...140 {
            let body = [UInt8](repeating: UInt8(ascii: "x"), count: length)
            // More of the record after the string, so its end is followed by other members.
            if let why = Self.disagreement(head + body + tail) {
                Issue.record("length \(length): \(why)")
                return
            }
            for position in stride(from: 0, to: length, by: length > 50 && length < 130 ? 1 : 9) {
                for special in specials {
                    var changed = body
                    changed.replaceSubrange(position..<(position + 1), with: special)
                    let bytes = head + changed + tail
                    if let why = Self.disagreement(bytes) {
                        Issue.record("\(String(decoding: bytes, as: UTF8.self).debugDescription): \(why)")
                        return
                    }
                    checked += 1
                }
            }
        }
        #expect(checked > 10_000)
    }

    /// What follows a record in memory is not part of it: the bitmap's bits past its end are 0,
    /// so a string left open at the end is refused, whatever the next bytes are.
    @Test(arguments: [1, 30, 63, 64, 65, 127, 128, 129])
    func bytesAfterTheRecordAreNotReadAsItsOwn(length: Int) {
        let body = [UInt8](repeating: UInt8(ascii: "y"), count: length)
        let whole = Array(#"{"k":""#.utf8) + body + Array(#""}"#.utf8)
        for cut in [whole.count, whole.count - 1, whole.count - 2] {
            let record = Array(whole[..<cut])
            let alone = JSONScanner()
            let aloneAccepted = record.withUnsafeBytes {
                alone.scanObjectRecord($0.baseAddress!.assumingMemoryBound(to: UInt8.self), $0.count, true)
            }
            // The same bytes followed in memory by the rest of the record and by more quotes.
            let padded = record + Array(whole[cut...]) + Array(#""}""}"#.utf8) + body
            let inBuffer = JSONScanner()
            let bufferAccepted = padded.withUnsafeBytes {
                inBuffer.scanObjectRecord($0.baseAddress!.assumingMemoryBound(to: UInt8.self), record.count, true)
            }
            #expect(aloneAccepted == (cut == whole.count), "length \(length), cut \(cut)")
            #expect(bufferAccepted == aloneAccepted, "length \(length), cut \(cut)")
            if aloneAccepted { #expect(Self.described(alone) == Self.described(inBuffer)) }
        }
        // A record of `length` bytes whose last byte opens a string, followed in memory by its end.
        if length >= 6 {
            let open = Array("{".utf8) + [UInt8](repeating: 0x20, count: length - 6) + Array(#""k":""#.utf8)
            let padded = open + Array(#""}"#.utf8)
            let accepted = padded.withUnsafeBytes {
                JSONScanner().scanObjectRecord($0.baseAddress!.assumingMemoryBound(to: UInt8.self), open.count, true)
            }
            #expect(open.count == length && !accepted, "length \(length)")
        }
    }

    /// Depth is counted the same way: 64 levels are read, 65 are refused (by both loops).
    @Test(arguments: [63, 64, 65])
    func depthIsCountedTheSameWay(levels: Int) {
        let inner = String(repeating: "[", count: levels - 2) + String(repeating: "]", count: levels - 2)
        let record = Array("{\"a\":[\(inner)]}".utf8)
        #expect(Self.disagreement(record) == nil)
        let outcome = record.withUnsafeBytes { JSONScanner().scan($0) }
        #expect((outcome == .object) == (levels <= JSONScanner.maxDepth))
    }
}
