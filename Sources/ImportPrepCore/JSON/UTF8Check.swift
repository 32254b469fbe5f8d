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
            while i &+ 8 <= n {
                let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                let nul = (w &- 0x0101_0101_0101_0101) & ~w
                guard (w | nul) & 0x8080_8080_8080_8080 == 0 else { break }
                i &+= 8
            }
            guard i < n else { break }
            if p[i] == 0 { return i }
            if p[i] < 0x80 {
                i &+= 1
                continue
            }
            let length = JSONScanner.utf8SequenceLength(p, i, n)
            if length == 0 { return i }
            i &+= length
        }
        return nil
    }
}
