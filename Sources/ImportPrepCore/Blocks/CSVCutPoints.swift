/// Where a CSV file can be cut for reading on several cores: just after a newline that lies
/// outside quotes, i.e. with an even number of `"` bytes before it (RFC 4180 quoting, which
/// libcsv's strict mode enforces). Reads the file once, front to back; quotes are counted eight
/// bytes at a time.
///
/// A cut is only a guess until libcsv confirms it: a stray quote (which strict mode rejects)
/// misleads the count. Readers check that the part before a cut ended between records.
final class CSVCutPoints {
    /// The header row through its newline.
    private(set) var header: [UInt8] = []
    private let source: ByteSource
    private let block: UnsafeMutableRawBufferPointer
    private var blockStart = 0  // file offset of block[0]
    private var count = 0  // bytes in block
    private var cursor = 0  // next byte of block to look at
    private var quotes = 0  // `"` bytes before the cursor

    /// Reads the header; nil when it is longer than `maxHeaderBytes` or has no newline.
    init?(path: String, size: Int, maxHeaderBytes: Int) {
        guard let source = try? ByteSource(path: path, range: 0..<size) else { return nil }
        source.countsProgress = false
        self.source = source
        block = .allocate(byteCount: 1 << 20, alignment: 8)
        while true {
            guard header.count < maxHeaderBytes, cursor < count || fill() else { return nil }
            let c = block[cursor]
            cursor += 1
            header.append(c)
            if c == UInt8(ascii: "\"") { quotes += 1 }
            if c == 0x0A && quotes & 1 == 0 { break }
        }
    }

    /// Reads the next block; false at the end of the file.
    private func fill() -> Bool {
        blockStart += count
        cursor = 0
        count = (try? source.read(into: block)) ?? 0
        return count > 0
    }

    deinit { block.deallocate() }

    /// The first cut at or after `offset` (the offset just after a newline outside quotes); nil
    /// when there is none before the end of the file. Offsets must grow from call to call.
    func next(atOrAfter offset: Int) -> Int? {
        while true {
            if cursor == count && !fill() { return nil }
            let target = offset - blockStart
            if cursor < target {
                let end = min(count, target)
                quotes += Self.countQuotes(UnsafeRawBufferPointer(rebasing: block[cursor..<end]))
                cursor = end
                continue
            }
            while cursor < count {
                let c = block[cursor]
                cursor += 1
                if c == UInt8(ascii: "\"") { quotes += 1 }
                if c == 0x0A && quotes & 1 == 0 { return blockStart + cursor }
            }
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
