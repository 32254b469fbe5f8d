import CPUHints

/// UTF-8 validation for text outside JSON strings (CSV cells), with an ASCII fast path.
/// A NUL byte counts as bad too: no export holds one in text, and UTF-16 or binary files do.
public enum UTF8Check {
    /// Offset of the first NUL byte or byte that does not start a well-formed UTF-8 sequence, or nil.
    @inline(__always)
    public static func firstInvalidByte(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let n = bytes.count
        var i = 0
        while i < n {
            // ASCII runs in one C loop (sixteen bytes a compare with SSE2); it stops at NUL or non-ASCII.
            i = import_prep_skip_ascii(p, i, n)
            guard i < n else { break }
            if p[i] == 0 { return i }
            let length = JSONScanner.utf8SequenceLength(p, i, n)
            if length == 0 { return i }
            i &+= length
        }
        return nil
    }
}
