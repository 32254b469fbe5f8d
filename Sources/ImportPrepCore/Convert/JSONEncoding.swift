/// Writing JSON text into a byte buffer, in one canonical form: strings with only the escapes
/// JSON requires (`\"`, `\\`, control characters), non-ASCII as UTF-8, containers without
/// insignificant white space. Output of CSV and NDJSON input comes out byte for byte the same.
enum JSONEncoding {
    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// `"text"` for decoded UTF-8 `text`.
    static func appendString(_ text: UnsafeRawBufferPointer, to out: LineBuffer) {
        out.append(UInt8(ascii: "\""))
        let count = text.count
        var runStart = 0
        var i = 0
        if let base = text.baseAddress {
            while i < count {
                // Eight bytes at a time while none needs an escape; the rest one by one.
                while i + 8 <= count && !mayNeedEscape(base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) {
                    i += 8
                }
                // Fewer than eight left: the word that ends the text covers them (and some checked already).
                if i + 8 > count && count >= 8
                    && !mayNeedEscape(base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
                {
                    break
                }
                let end = min(i + 8, count)
                while i < end {
                    let c = base.load(fromByteOffset: i, as: UInt8.self)
                    if c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") {
                        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[runStart..<i]))
                        runStart = i + 1
                        appendEscape(c, to: out)
                    }
                    i += 1
                }
            }
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[runStart..<count]))
        out.append(UInt8(ascii: "\""))
    }

    /// Whether one of the eight bytes of `word` may be a control byte, `"` or `\` (never false
    /// when one is; the SWAR tests of "Bit Twiddling Hacks", hasless and haszero).
    @inline(__always) static func mayNeedEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word & highs
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        return (control | ((quotes &- ones) & ~quotes & highs) | ((backslashes &- ones) & ~backslashes & highs)) != 0
    }

    private static func appendEscape(_ c: UInt8, to out: LineBuffer) {
        out.append(UInt8(ascii: "\\"))
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(c)
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        default:
            out.append(contentsOf: [
                UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(c >> 4)], hex[Int(c & 15)],
            ])
        }
    }

    /// `"text"` for text that needs no escaping (read from JSON without escapes), copied as it is.
    @inline(__always)
    static func appendQuoted(_ text: UnsafeRawBufferPointer, to out: LineBuffer) {
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: text)
        out.append(UInt8(ascii: "\""))
    }

    /// A string given as a JSON string body (between the quotes, escapes still encoded).
    static func appendStringBody(
        _ body: UnsafeRawBufferPointer, hasEscapes: Bool, scratch: ByteArena, to out: LineBuffer
    ) {
        if !hasEscapes {
            // A body without escapes holds no quote, backslash or control byte: already canonical.
            appendQuoted(body, to: out)
            return
        }
        let mark = scratch.count
        let decoded = scratch.decodeJSONString(body)!
        appendString(decoded, to: out)
        scratch.truncate(to: mark)
    }

    /// A JSON value (already checked by the scanner) in canonical form: white space outside
    /// strings removed, every string inside re-escaped as `appendString` writes it, so that the
    /// same data gives the same bytes whatever escapes the source used (SPEC §6).
    static func appendCanonical(_ json: UnsafeRawBufferPointer, scratch: ByteArena, to out: LineBuffer) {
        let n = json.count
        var i = 0
        while i < n {
            let c = json[i]
            if c == UInt8(ascii: "\"") {
                var end = i + 1
                var hasEscapes = false
                while end < n && json[end] != UInt8(ascii: "\"") {
                    if json[end] == UInt8(ascii: "\\") {
                        hasEscapes = true
                        end += 1
                    }
                    end += 1
                }
                appendStringBody(
                    UnsafeRawBufferPointer(rebasing: json[(i + 1)..<min(end, n)]), hasEscapes: hasEscapes,
                    scratch: scratch, to: out)
                i = end + 1
            } else {
                if !(c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D) { out.append(c) }
                i += 1
            }
        }
    }

    /// An id `convert` may quote digit for digit: an optional `-` and digits only (SPEC §3).
    static func isInteger(_ number: UnsafeRawBufferPointer) -> Bool {
        var digits = 0
        for (k, c) in number.enumerated() {
            if k == 0 && c == UInt8(ascii: "-") { continue }
            guard c &- UInt8(ascii: "0") < 10 else { return false }
            digits += 1
        }
        return digits > 0
    }

    @inline(__always)
    static func appendLiteral(_ literal: StaticString, quoted: Bool = false, to out: LineBuffer) {
        if quoted { out.append(UInt8(ascii: "\"")) }
        out.append(contentsOf: literal.bytes)
        if quoted { out.append(UInt8(ascii: "\"")) }
    }

    /// `"key":` for a key that needs no escaping (the schema's names).
    @inline(__always)
    static func appendKey(_ name: StaticString, to out: LineBuffer) {
        out.append(UInt8(ascii: "\""))
        appendLiteral(name, to: out)
        appendLiteral("\":", to: out)
    }

    /// Whether a CSV cell reads as a JSON number that survives any parser: RFC 8259 grammar
    /// without an exponent (`1e999` stays a string), no leading zeros, at most 15 significant
    /// digits (SPEC §4).
    static func isPortableNumber(_ cell: UnsafeRawBufferPointer) -> Bool {
        guard let base = cell.baseAddress, cell.count > 0 else { return false }
        let p = base.assumingMemoryBound(to: UInt8.self)
        guard JSONScanner.scanNumber(p, 0, cell.count) == cell.count else { return false }
        var significant = 0
        var leading = true
        for c in cell {
            if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { return false }
            guard c &- UInt8(ascii: "0") < 10 else { continue }
            if leading && c == UInt8(ascii: "0") { continue }
            leading = false
            significant += 1
        }
        return significant <= 15
    }
}
