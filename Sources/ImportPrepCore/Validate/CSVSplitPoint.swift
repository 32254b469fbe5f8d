/// Where a CSV file can be cut in two for reading on two cores: just after a newline that lies
/// outside quotes, i.e. with an even number of `"` bytes before it (RFC 4180 quoting, which
/// libcsv's strict mode enforces). Quotes are counted eight bytes at a time.
enum CSVSplitPoint {
    /// The header (through its newline) and the first record start at or after the middle of the
    /// file; nil when the header is longer than `maxHeaderBytes` or no such newline exists.
    static func find(in path: String, size: Int, maxHeaderBytes: Int) -> (header: [UInt8], middle: Int)? {
        guard let source = try? ByteSource(path: path, range: 0..<size) else { return nil }
        let blockSize = 1 << 20
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 8)
        defer { block.deallocate() }
        let half = size / 2
        var position = 0
        var quotes = 0
        var header: [UInt8]?
        var pending: [UInt8] = []
        while true {
            guard let n = try? source.read(into: block), n > 0 else { return nil }
            let bytes = UnsafeRawBufferPointer(rebasing: block[0..<n])
            var i = 0
            if header == nil {
                // The header ends at the first newline outside quotes.
                while i < n {
                    let c = bytes[i]
                    i += 1
                    if c == UInt8(ascii: "\"") { quotes += 1 }
                    if c == 0x0A && quotes & 1 == 0 { break }
                }
                pending += bytes[0..<i]
                if pending.count > maxHeaderBytes { return nil }
                if pending.last == 0x0A && quotes & 1 == 0 { header = pending }
            }
            if header != nil {
                // Count quotes up to the middle, then look for a newline outside quotes.
                let countUntil = max(i, min(n, half - position))
                quotes += countQuotes(UnsafeRawBufferPointer(rebasing: bytes[i..<countUntil]))
                i = countUntil
                while i < n {
                    let c = bytes[i]
                    if c == UInt8(ascii: "\"") { quotes += 1 }
                    if c == 0x0A && quotes & 1 == 0 && position + i >= half {
                        let middle = position + i + 1
                        return middle < size && middle > header!.count ? (header!, middle) : nil
                    }
                    i += 1
                }
            }
            position += n
        }
    }

    /// Number of `"` bytes: each 8-byte word is compared with `"` in every lane at once, and the
    /// exact per-lane zero test gives one bit per matching byte.
    static func countQuotes(_ bytes: UnsafeRawBufferPointer) -> Int {
        let n = bytes.count
        guard let base = bytes.baseAddress else { return 0 }
        let quote: UInt64 = 0x2222_2222_2222_2222
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        var count = 0
        var i = 0
        while i &+ 8 <= n {
            let x = base.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ quote
            let zeroLanes = ~(((x & low7) &+ low7) | x | low7)
            count &+= zeroLanes.nonzeroBitCount
            i &+= 8
        }
        while i < n {
            if bytes[i] == UInt8(ascii: "\"") { count &+= 1 }
            i &+= 1
        }
        return count
    }
}
