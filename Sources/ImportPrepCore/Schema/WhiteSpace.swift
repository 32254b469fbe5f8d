#if canImport(Glibc)
    import Glibc
#endif

/// White space as SPEC §3 means it everywhere: every Unicode White_Space character (space, tab,
/// LF, VT, FF, CR, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F,
/// U+3000), read from UTF-8 bytes. Blank fields, blank lines and header names use this one rule;
/// only the JSON grammar's own separators are RFC 8259's four bytes.
enum WhiteSpace {
    /// Length in bytes of the white-space character starting at `i`, or 0 when there is none.
    @inline(__always)
    static func length(_ bytes: UnsafeRawBufferPointer, at i: Int) -> Int {
        let c = bytes[i]
        if c == 0x20 || (c >= 0x09 && c <= 0x0D) { return 1 }
        if c < 0xC2 || c > 0xE3 { return 0 }
        let n = bytes.count
        if c == 0xC2 { return i + 1 < n && (bytes[i + 1] == 0x85 || bytes[i + 1] == 0xA0) ? 2 : 0 }
        guard i + 2 < n else { return 0 }
        let c1 = bytes[i + 1]
        let c2 = bytes[i + 2]
        switch c {
        case 0xE1: return c1 == 0x9A && c2 == 0x80 ? 3 : 0
        case 0xE2:
            if c1 == 0x80 { return c2 <= 0x8A && c2 >= 0x80 || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF ? 3 : 0 }
            return c1 == 0x81 && c2 == 0x9F ? 3 : 0
        case 0xE3: return c1 == 0x80 && c2 == 0x80 ? 3 : 0
        default: return 0
        }
    }

    /// Whether a white-space character starts anywhere in `bytes`: one compare per byte, `length`
    /// only where a byte could start one (ASCII space and controls, lead bytes from 0xC2).
    static func occurs(in bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        for i in 0..<bytes.count {
            let c = base.load(fromByteOffset: i, as: UInt8.self)
            if c &- 0x21 >= 0xC2 &- 0x21, length(bytes, at: i) > 0 { return true }
        }
        return false
    }

    /// Only white space, or nothing.
    @inline(__always)
    static func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // Most values start with a visible ASCII character.
        if let first = bytes.first, first > 0x20 && first < 0x80 { return false }
        return isBlankSlowly(bytes)
    }

    private static func isBlankSlowly(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            if c == 0x20 || c == 0x09 {
                i += 1
                continue
            }
            let k = length(bytes, at: i)
            if k == 0 { return false }
            i += k
        }
        return true
    }

    /// A blank line: only white space, and no `rowDelimiter` (with `--delimiter '\t'` a line of
    /// tabs is a row of empty cells, not a blank line).
    @inline(__always)
    static func isBlankLine(_ bytes: UnsafeRawBufferPointer, rowDelimiter: UInt8? = nil) -> Bool {
        guard isBlank(bytes) else { return false }
        guard let rowDelimiter, let base = bytes.baseAddress, bytes.count > 0 else { return true }
        return memchr(base, Int32(rowDelimiter), bytes.count) == nil
    }

    /// `bytes` without white space at either end.
    static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var lower = 0
        while lower < bytes.count {
            let k = length(bytes, at: lower)
            if k == 0 { break }
            lower += k
        }
        var upper = bytes.count
        // Trailing: try each white-space length ending at `upper`.
        outer: while upper > lower {
            for k in 1...3 where upper - k >= lower && length(bytes, at: upper - k) == k {
                upper -= k
                continue outer
            }
            break
        }
        return UnsafeRawBufferPointer(rebasing: bytes[lower..<upper])
    }
}

/// Tells whether a long line is blank while it streams past in pieces (an oversized line is
/// never held whole): a white-space character may be cut between two pieces.
struct BlankRun {
    private(set) var isBlank = true
    private var pending: (UInt8, UInt8, UInt8) = (0, 0, 0)
    private var pendingCount = 0
    private var rowDelimiter: UInt8?

    init(rowDelimiter: UInt8?) { self.rowDelimiter = rowDelimiter }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        var i = 0
        let n = bytes.count
        while isBlank && i < n {
            if pendingCount > 0 {
                switch pendingCount {
                case 1: pending.1 = bytes[i]
                default: pending.2 = bytes[i]
                }
                pendingCount += 1
                i += 1
                let needed = pending.0 == 0xC2 ? 2 : 3
                guard pendingCount == needed else { continue }
                pendingCount = 0
                let length = withUnsafeBytes(of: pending) {
                    WhiteSpace.length(UnsafeRawBufferPointer(rebasing: $0[0..<needed]), at: 0)
                }
                if length != needed { isBlank = false }
                continue
            }
            let c = bytes[i]
            if c == rowDelimiter {
                isBlank = false
                break
            }
            if c == 0x20 || (c >= 0x09 && c <= 0x0D) {
                i += 1
                continue
            }
            let needed = c == 0xC2 ? 2 : (c >= 0xE1 && c <= 0xE3 ? 3 : 0)
            if needed == 0 {
                isBlank = false
            } else if i + needed <= n {
                if WhiteSpace.length(bytes, at: i) == needed { i += needed } else { isBlank = false }
            } else {
                pending = (c, 0, 0)
                pendingCount = 1
                i += 1
            }
        }
    }

    /// At the end of the line: a character cut short is not white space.
    var endsBlank: Bool { isBlank && pendingCount == 0 }
}
