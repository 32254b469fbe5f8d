import Testing

@_spi(Testing) @testable import ImportPrepCore

/// `LineBuffer`'s appends copy short texts inline (overlapping loads and stores by size class):
/// every length across the classes' edges, after every offset, growing and not.
@Suite struct LineBufferTests {
    static func text(_ length: Int, seed: Int) -> [UInt8] {
        (0..<length).map { UInt8(truncatingIfNeeded: ($0 &* 31 &+ seed &* 7) % 251 &+ 1) }
    }

    @Test func appendsOfEveryLengthAfterEveryOffset() {
        for offset in 0..<18 {
            for length in 0...80 {
                let out = LineBuffer(capacity: 64)
                var expected = Self.text(offset, seed: 1)
                expected.withUnsafeBytes { out.append(contentsOf: $0) }
                let added = Self.text(length, seed: length)
                added.withUnsafeBytes { out.append(contentsOf: $0) }
                out.append(UInt8(ascii: "|"))
                expected += added + [UInt8(ascii: "|")]
                #expect(Array(out.bytes) == expected, "offset \(offset), length \(length)")
            }
        }
    }

    @Test func aMemberIsItsOpeningTheValueAndAQuote() {
        for field in KnownField.allCases {
            for length in 0...70 {
                let out = LineBuffer(capacity: 64)
                out.append(UInt8(ascii: "{"))
                let value = Self.text(length, seed: field.rawValue)
                value.withUnsafeBytes { out.appendMember(field.memberOpening, $0) }
                let expected = Array("{,\"\(field.name)\":\"".utf8) + value + [UInt8(ascii: "\"")]
                #expect(Array(out.bytes) == expected, "\(field), length \(length)")
            }
        }
    }
}
