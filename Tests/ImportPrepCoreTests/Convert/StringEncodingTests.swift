import Testing

@_spi(Testing) @testable import ImportPrepCore

/// `JSONEncoding.appendString` reads eight bytes at a time while none needs an escape: its output
/// must be what escaping byte by byte gives, wherever the special bytes fall.
@Suite struct StringEncodingTests {
    /// The byte-by-byte rule: `\"`, `\\`, the short escapes, `\u00XX` for other control bytes.
    static func reference(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x22]
        for c in text {
            switch c {
            case 0x22: out += Array(#"\""#.utf8)
            case 0x5C: out += Array(#"\\"#.utf8)
            case 0x0A: out += Array(#"\n"#.utf8)
            case 0x0D: out += Array(#"\r"#.utf8)
            case 0x09: out += Array(#"\t"#.utf8)
            case 0x08: out += Array(#"\b"#.utf8)
            case 0x0C: out += Array(#"\f"#.utf8)
            case ..<0x20:
                out +=
                    Array("\\u00".utf8) + Array("0123456789abcdef".utf8)[Int(c >> 4)...Int(c >> 4)]
                    + Array("0123456789abcdef".utf8)[Int(c & 15)...Int(c & 15)]
            default: out.append(c)
            }
        }
        return out + [0x22]
    }

    static func encoded(_ text: [UInt8]) -> [UInt8] {
        let out = LineBuffer()
        text.withUnsafeBytes { JSONEncoding.appendString($0, to: out) }
        return Array(out.bytes)
    }

    @Test func everySpecialByteAtEveryPositionOfAWord() {
        let specials: [UInt8] = Array(0..<0x20) + [0x22, 0x5C]
        let plain: [UInt8] =
            Array("abcdefghijklmnopqrstuvwxyz0123".utf8) + [0xC3, 0xA9, 0x7F, 0x80, 0xFF, 0x21, 0x23, 0x5B, 0x5D]
        for length in 0...24 {
            for position in 0..<max(length, 1) where length > 0 {
                for special in specials {
                    var text = (0..<length).map { plain[($0 * 7 + length) % plain.count] }
                    text[position] = special
                    #expect(Self.encoded(text) == Self.reference(text), "length \(length), \(special) at \(position)")
                }
            }
            let clean = (0..<length).map { plain[($0 * 5) % plain.count] }
            #expect(Self.encoded(clean) == Self.reference(clean))
        }
    }

    @Test func randomTexts() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let length = Int.random(in: 0...80, using: &generator)
            // Mostly printable bytes, some specials, some high bytes.
            let text = (0..<length).map { _ -> UInt8 in
                switch Int.random(in: 0..<10, using: &generator) {
                case 0: [0x22, 0x5C, 0x0A, 0x00, 0x1F][Int.random(in: 0..<5, using: &generator)]
                case 1: UInt8.random(in: 0x80...0xFF, using: &generator)
                default: UInt8.random(in: 0x20...0x7E, using: &generator)
                }
            }
            #expect(Self.encoded(text) == Self.reference(text), "\(text)")
        }
    }

    /// The word test is never false when a byte of the word needs an escape (it may be true when
    /// none does; the bytes are then looked at one by one).
    @Test func theWordTestMissesNoSpecialByte() {
        for special in Array(UInt8(0)..<0x20) + [0x22, 0x5C] {
            for position in 0..<8 {
                for filler: UInt8 in [0x20, 0x41, 0x7F, 0x80, 0xFF, 0x21, 0x5D, 0x23] {
                    var bytes = [UInt8](repeating: filler, count: 8)
                    bytes[position] = special
                    let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                    #expect(JSONEncoding.mayNeedEscape(word), "\(bytes)")
                }
            }
        }
        let clean = Array("abcdefgh".utf8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(!JSONEncoding.mayNeedEscape(clean))
    }
}
