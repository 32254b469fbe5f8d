import Testing

@testable import ImportPrepCore

/// The loops that read several bytes a step — the string scan and the UTF-8 check of CSV cells
/// (sixteen bytes with SSE2, then eight), the short-key compare, the key hash's last bytes —
/// against byte-by-byte references, with the byte that matters at every position and every
/// length around the word sizes.
@Suite struct ByteLoopTests {
    /// Where `scanString` must stop in `body` + `"`: the first control byte (an error at its
    /// offset), else the closing quote (nil: an error for another reason).
    static func scanned(_ bytes: [UInt8], from start: Int) -> (end: Int, error: Int?) {
        var escaped = false
        var error = JSONSyntaxError(code: .malformedJSON, offset: -1, reason: "")
        let end = bytes.withUnsafeBytes {
            JSONScanner.scanString(
                $0.baseAddress!.assumingMemoryBound(to: UInt8.self), start, bytes.count, &escaped, &error)
        }
        return (end, end < 0 ? error.offset : nil)
    }

    @Test func stringScanStopsAtTheFirstSpecialByteWhereverItFalls() {
        let plain = Array("abcdefghijklmnopqrstuvwxyz0123456789 _-:/.".utf8)
        for start in 0..<3 {
            for length in 0...40 {
                let prefix = [UInt8](repeating: UInt8(ascii: "x"), count: start)
                let body = (0..<length).map { plain[($0 * 7 + start) % plain.count] }
                // Plain text, then the quote: the scan ends at the quote.
                #expect(Self.scanned(prefix + body + [0x22, 0x2C, 0x20], from: start).end == start + length)
                // No quote before the end: unterminated, at the string's opening quote.
                if start + length > 0 {
                    let open = Self.scanned(prefix + body, from: start)
                    #expect(open.end == -1 && open.error == start - 1, "start \(start), length \(length)")
                }
                for position in 0..<length {
                    var text = body
                    // A quote ends it early.
                    text[position] = 0x22
                    #expect(Self.scanned(prefix + text + [0x22], from: start).end == start + position)
                    // A control byte is an error at its offset.
                    for control: UInt8 in [0x00, 0x0A, 0x1F] {
                        text[position] = control
                        let result = Self.scanned(prefix + text + [0x22], from: start)
                        #expect(result.end == -1 && result.error == start + position, "control at \(position)")
                    }
                    // An escape is read and the scan goes on.
                    var escapedText = body
                    escapedText.replaceSubrange(position..<(position + 1), with: Array(#"\n"#.utf8))
                    #expect(Self.scanned(prefix + escapedText + [0x22], from: start).end == start + length + 1)
                    // Two-byte UTF-8 goes on; a lone continuation byte is invalid UTF-8 at its offset.
                    var accented = body
                    accented.replaceSubrange(position..<(position + 1), with: [0xC3, 0xA9])
                    #expect(Self.scanned(prefix + accented + [0x22], from: start).end == start + length + 1)
                    text[position] = 0x80
                    let broken = Self.scanned(prefix + text + [0x22], from: start)
                    #expect(broken.end == -1 && broken.error == start + position)
                }
            }
        }
    }

    /// The byte-by-byte rule of `UTF8Check`: the first NUL, or the first byte that starts no
    /// well-formed sequence.
    static func firstInvalidByteOneByOne(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBytes { raw -> Int? in
            guard let base = raw.baseAddress else { return nil }
            let p = base.assumingMemoryBound(to: UInt8.self)
            var i = 0
            while i < bytes.count {
                if bytes[i] == 0 { return i }
                if bytes[i] < 0x80 {
                    i += 1
                    continue
                }
                let length = JSONScanner.utf8SequenceLength(p, i, bytes.count)
                if length == 0 { return i }
                i += length
            }
            return nil
        }
    }

    /// The record's stop bitmap (`import_prep_string_stops`), built with AVX2 and with SSE2,
    /// against a byte-by-byte reference: every byte that stops a string at every position, texts
    /// of every length up to three words and a half, the word after the last left at 0.
    @Test func stopBitmapMarksEveryStopByteWithEitherInstructionSet() {
        let filler = Array("abcdefghijklmnopqrstuvwxyz0123456789 ,:{}[]/".utf8)
        let stops: [UInt8] = [0x22, 0x5C, 0x00, 0x0A, 0x1F, 0x80, 0xC3, 0xFF]
        let near: [UInt8] = [0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7F]
        func reference(_ bytes: [UInt8]) -> [UInt64] {
            var bits = [UInt64](repeating: 0, count: (bytes.count + 63) / 64 + 1)
            for (k, c) in bytes.enumerated() where c == 0x22 || c == 0x5C || c < 0x20 || c >= 0x80 {
                bits[k / 64] |= 1 << UInt64(k % 64)
            }
            return bits
        }
        var compared = 0
        for length in 0...224 {
            let text = (0..<length).map { filler[($0 * 7 + length) % filler.count] }
            var texts = [text]
            for position in stride(from: 0, to: length, by: length > 130 ? 5 : 1) {
                for byte in stops + near {
                    var changed = text
                    changed[position] = byte
                    texts.append(changed)
                }
            }
            for bytes in texts {
                let expected = reference(bytes)
                #expect(JSONScanner.stopBitmap(of: bytes, avx2: true) == expected, "AVX2, length \(length)")
                #expect(JSONScanner.stopBitmap(of: bytes, avx2: false) == expected, "SSE2, length \(length)")
                compared += 1
            }
        }
        #expect(compared > 20_000)
    }

    @Test func utf8CheckFindsTheFirstBadByteWhereverItFalls() {
        let plain = Array("abcdefghijklmnopqrstuvwxyz0123456789 ,\"".utf8)
        let inserts: [[UInt8]] = [
            [0x00], [0x80], [0xFF], [0xC3, 0xA9], [0xE6, 0x97, 0xA5], [0xC3], [0xED, 0xA0, 0x80],
        ]
        for length in 0...40 {
            let text = (0..<length).map { plain[($0 * 5 + length) % plain.count] }
            #expect(text.withUnsafeBytes { UTF8Check.firstInvalidByte($0) } == nil)
            for position in 0...length {
                for insert in inserts {
                    let bytes = Array(text[..<position]) + insert + Array(text[position...])
                    let found = bytes.withUnsafeBytes { UTF8Check.firstInvalidByte($0) }
                    #expect(found == Self.firstInvalidByteOneByOne(bytes), "\(insert) at \(position) of \(length)")
                }
            }
        }
    }

    /// The URL check's skip of visible ASCII (`import_prep_skip_visible`, sixteen bytes a compare)
    /// against the byte-by-byte test it replaced: each byte that stops it, and characters that
    /// pass after a closer look, at every position of the host and the path of URLs of every
    /// length around the vector size.
    @Test func urlCheckFindsWhiteSpaceControlAndBackslashWhereverTheyFall() {
        /// The test before the skip: white space, C0, DEL, C1 controls or a backslash anywhere.
        func refusedOneByOne(_ bytes: [UInt8]) -> Bool {
            bytes.withUnsafeBytes { raw in
                for k in 0..<raw.count {
                    let c = raw[k]
                    guard c &- 0x21 >= 0x5E || c == UInt8(ascii: "\\") else { continue }
                    if c < 0x80 { return true }
                    if c == 0xC2 && k + 1 < raw.count && raw[k + 1] >= 0x80 && raw[k + 1] <= 0xA0 { return true }
                    if c >= 0xE1 && c <= 0xE3 && WhiteSpace.length(raw, at: k) > 0 { return true }
                }
                return false
            }
        }
        let inserts: [[UInt8]] = [
            [0x20], [0x09], [0x00], [0x1F], [0x7F], [0x5C], [0x21], [0x7E], [0x80], [0xFF],
            [0xC2, 0x85], [0xC2, 0xA0], [0xC2, 0xA9], [0xC3, 0xA9], [0xE3, 0x80, 0x80], [0xE2, 0x80, 0x8B],
            [0xE2, 0x82, 0xAC], [0xE1, 0x9A, 0x80],
        ]
        var refused = 0
        var accepted = 0
        for length in 0...40 {
            let path = (0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) }
            let url = Array("https://app.example.com/".utf8) + path
            #expect(url.withUnsafeBytes { EventURL.parse($0) } != nil)
            for position in 8...url.count {
                for insert in inserts {
                    var bytes = url
                    bytes.insert(contentsOf: insert, at: position)
                    let parsed = bytes.withUnsafeBytes { EventURL.parse($0) } != nil
                    let expected = !refusedOneByOne(bytes)
                    #expect(parsed == expected, "\(insert) at \(position) of \(bytes.count)")
                    if expected { accepted += 1 } else { refused += 1 }
                }
            }
        }
        #expect(refused > 5_000 && accepted > 2_000)
    }

    /// `WhiteSpace.occurs` agrees with `WhiteSpace.length` tried at every byte: each white-space
    /// character (ASCII and the multi-byte ones) at every position of a URL-like text, and
    /// near misses (other two- and three-byte characters with the same lead bytes).
    @Test func whiteSpaceIsFoundWhereverItFalls() {
        let inserts: [[UInt8]] = [
            [0x20], [0x09], [0x0A], [0x0D], [0x0B], [0x0C], [0xC2, 0xA0], [0xC2, 0x85], [0xE2, 0x80, 0x80],
            [0xE2, 0x80, 0xA8], [0xE3, 0x80, 0x80], [0xE1, 0x9A, 0x80], [0xE2, 0x81, 0x9F],
            [0xC2, 0xA9], [0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xE3, 0x81, 0x82], [0x21], [0x7E],
        ]
        let base = Array("https://app.example.com/p?q=1".utf8)
        for insert in inserts {
            for at in 0...base.count {
                var text = base
                text.insert(contentsOf: insert, at: at)
                text.withUnsafeBytes { bytes in
                    let expected = (0..<bytes.count).contains { WhiteSpace.length(bytes, at: $0) > 0 }
                    #expect(WhiteSpace.occurs(in: bytes) == expected, "\(insert) at \(at)")
                }
            }
        }
        #expect(!base.withUnsafeBytes { WhiteSpace.occurs(in: $0) })
        #expect(!WhiteSpace.occurs(in: UnsafeRawBufferPointer(start: nil, count: 0)))
    }

    @Test func shortCompareFindsADifferenceInEveryByte() {
        for length in 0...40 {
            let a = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            a.withUnsafeBytes { x in
                let same = Array(a)
                same.withUnsafeBytes { y in #expect(x.sameBytes(as: y)) }
                for position in 0..<length {
                    var b = a
                    b[position] ^= 0x01
                    b.withUnsafeBytes { y in #expect(!x.sameBytes(as: y), "length \(length), byte \(position)") }
                }
                let longer = a + [0]
                longer.withUnsafeBytes { y in #expect(!x.sameBytes(as: y)) }
            }
        }
    }

    @Test func byteSetFindsEachNameAndNoNeighbour() {
        // Names of every length up to 24, and names that differ only in their last byte.
        let names =
            (0...24).map { String(repeating: "k", count: $0) }
            + (1...20).map { "p" + String(repeating: "q", count: $0) + "z" }
        let set = ByteSet(names)
        for (index, name) in names.enumerated() {
            Array(name.utf8).withUnsafeBytes { #expect(set.index(of: $0) == index, "\(name)") }
            for position in 0..<name.utf8.count {
                var changed = Array(name.utf8)
                changed[position] = UInt8(ascii: "x")
                changed.withUnsafeBytes { #expect(set.index(of: $0) == nil, "\(name) with x at \(position)") }
            }
        }
    }

    /// The placeholder-id check: each name in any case, no one-byte change of it, no id of
    /// another length (it answers those from a bitmap of the names' lengths and first bytes).
    @Test func byteSetIgnoringCaseFindsEachPlaceholderAndNothingElse() {
        let names = Preset.junkIDs + ["0", "-1", "test"]
        let set = ByteSet(names)
        func found(_ text: String) -> Bool { Array(text.utf8).withUnsafeBytes { set.containsIgnoringASCIICase($0) } }
        for name in names {
            #expect(found(name), "\(name)")
            #expect(found(name.uppercased()), "\(name)")
            #expect(found(name.prefix(1).uppercased() + name.dropFirst()), "\(name)")
            for position in 0..<name.utf8.count {
                var changed = Array(name.utf8)
                changed[position] = UInt8(ascii: "x")
                let text = String(decoding: changed, as: UTF8.self)
                #expect(found(text) == names.contains(text), "\(name) with x at \(position)")
            }
            #expect(!found(name + "s") || names.contains(name + "s"), "\(name)s")
        }
        for length in 0...40 {
            #expect(!found(String(repeating: "u", count: length)), "\(length)")
            #expect(!found("u-" + String(repeating: "7", count: length)), "\(length)")
        }
        let withEmpty = ByteSet(["", "a"])
        #expect([UInt8]().withUnsafeBytes { withEmpty.containsIgnoringASCIICase($0) })
        #expect(Array("A".utf8).withUnsafeBytes { withEmpty.containsIgnoringASCIICase($0) })
        #expect([UInt8]().withUnsafeBytes { !set.containsIgnoringASCIICase($0) })
    }

    @Test func byteStringMatchesLiteralAndRuntimeNames() {
        let literal: ByteString = "$current_url"
        let made = ByteString("$current_" + "url")
        for name in [literal, made] {
            #expect(Array("$current_url".utf8).withUnsafeBytes { name.matches($0) })
            #expect(!Array("$current_urL".utf8).withUnsafeBytes { name.matches($0) })
            #expect(!Array("$current_ur".utf8).withUnsafeBytes { name.matches($0) })
            #expect(name.count == 12)
        }
        let empty: ByteString = ""
        #expect([UInt8]().withUnsafeBytes { empty.matches($0) })
    }
}
