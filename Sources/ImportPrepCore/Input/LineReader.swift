#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One physical line of input, with its coordinates. The bytes live until the next `next()`.
public struct PhysicalLine {
    /// The line including its `\n` (absent on a last line without one).
    public var bytes: UnsafeRawBufferPointer
    /// The line without its `\n` and a `\r` before it.
    public var content: UnsafeRawBufferPointer
    /// 1-based physical line number.
    public var number: Int
    /// 0-based offset of the line's first byte in the input.
    public var offset: Int
    /// The line was longer than the limit: `bytes` is empty and the rest was skipped unread.
    public var isOversized: Bool
    /// An oversized line that held only white space (a blank line, whatever its length).
    public var isBlankOversized = false

    /// A line of only white space (SPEC §4), of any length; with `rowDelimiter` (a CSV tab) a
    /// line holding it is a row, not blank.
    @inline(__always)
    public func isBlank(rowDelimiter: UInt8?) -> Bool {
        isOversized ? isBlankOversized : WhiteSpace.isBlankLine(content, rowDelimiter: rowDelimiter)
    }
}

/// Splits a byte stream into physical lines (`\n`), in constant memory.
///
/// The buffer holds one line of at most `maxLineBytes` plus a read block; a longer line is
/// reported as oversized the moment it outgrows that, and skipped to its end without buffering.
/// A UTF-8 BOM at the very start is skipped (offsets still count it).
public final class LineReader {
    public let source: ByteSource
    public let maxLineBytes: Int
    /// A byte that makes a line a row even when all else is white space (CSV with `--delimiter '\t'`).
    public var rowDelimiter: UInt8?
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    private let blockSize: Int
    private var start = 0
    private var end = 0
    private var bufferOffset = 0  // input offset of buffer[0]
    private var atEOF = false
    private var nextLineNumber = 1
    private var checkedBOM = false

    /// `blockSize` is the most one read asks for: small enough that the bytes are still in the
    /// CPU's cache when the line is scanned.
    public init(source: ByteSource, maxLineBytes: Int, blockSize: Int = 128 << 10) {
        self.source = source
        self.maxLineBytes = maxLineBytes
        self.blockSize = max(blockSize, 4096)
        capacity = maxLineBytes + self.blockSize + 1
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Bytes read so far (the file's size once `next()` returned nil).
    public var bytesRead: Int { bufferOffset + end }

    /// Physical lines handed out so far.
    public var linesRead: Int { nextLineNumber - 1 }

    /// The first byte that is not white space, without consuming anything; reads no further than
    /// it must (standard input may be a slow pipe). Nil for input that is empty or all blank.
    public func firstNonBlankByte() throws(IOFailure) -> UInt8? {
        try skipBOMIfNeeded()
        var checked = start
        while true {
            while checked < end {
                let c = buffer.load(fromByteOffset: checked, as: UInt8.self)
                if !(c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A) { return c }
                checked += 1
            }
            if atEOF || end - start > maxLineBytes { return nil }
            let consumed = start
            try fill()
            checked -= consumed - start
        }
    }

    public func next() throws(IOFailure) -> PhysicalLine? {
        try skipBOMIfNeeded()
        var searchFrom = start
        while true {
            if searchFrom < end, let hit = memchr(buffer + searchFrom, 0x0A, end - searchFrom) {
                let newline = buffer.distance(to: hit)
                let line = makeLine(from: start, newlineAt: newline, to: newline + 1)
                start = newline + 1
                if line.content.count > maxLineBytes { return oversized(line) }
                return line
            }
            searchFrom = end
            if atEOF {
                guard start < end else { return nil }
                let line = makeLine(from: start, newlineAt: nil, to: end)
                start = end
                if line.content.count > maxLineBytes { return oversized(line) }
                return line
            }
            if end - start > maxLineBytes + 1 {
                return try skipOversizedLine()
            }
            let kept = end - start
            try fill()
            searchFrom = start + kept
        }
    }

    private func makeLine(from lineStart: Int, newlineAt: Int?, to lineEnd: Int) -> PhysicalLine {
        var contentEnd = newlineAt ?? lineEnd
        if contentEnd > lineStart && buffer.load(fromByteOffset: contentEnd - 1, as: UInt8.self) == 0x0D {
            contentEnd -= 1
        }
        let number = nextLineNumber
        nextLineNumber += 1
        return PhysicalLine(
            bytes: UnsafeRawBufferPointer(start: buffer + lineStart, count: lineEnd - lineStart),
            content: UnsafeRawBufferPointer(start: buffer + lineStart, count: contentEnd - lineStart),
            number: number, offset: bufferOffset + lineStart, isOversized: false)
    }

    private func oversized(_ line: PhysicalLine) -> PhysicalLine {
        var line = line
        line.isOversized = true
        line.isBlankOversized = WhiteSpace.isBlankLine(line.content, rowDelimiter: rowDelimiter)
        line.bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        line.content = line.bytes
        return line
    }

    /// The line at `start` outgrew the limit: note it, then drop bytes up to its newline.
    private func skipOversizedLine() throws(IOFailure) -> PhysicalLine {
        var line = PhysicalLine(
            bytes: UnsafeRawBufferPointer(start: nil, count: 0), content: UnsafeRawBufferPointer(start: nil, count: 0),
            number: nextLineNumber, offset: bufferOffset + start, isOversized: true)
        nextLineNumber += 1
        var blank = BlankRun(rowDelimiter: rowDelimiter)
        while true {
            if start < end, let hit = memchr(buffer + start, 0x0A, end - start) {
                let newline = buffer.distance(to: hit)
                var contentEnd = newline
                if contentEnd > start && buffer.load(fromByteOffset: contentEnd - 1, as: UInt8.self) == 0x0D {
                    contentEnd -= 1
                }
                blank.feed(UnsafeRawBufferPointer(start: buffer + start, count: contentEnd - start))
                line.isBlankOversized = blank.endsBlank
                start = newline + 1
                return line
            }
            blank.feed(UnsafeRawBufferPointer(start: buffer + start, count: end - start))
            start = end
            if atEOF {
                line.isBlankOversized = blank.endsBlank
                return line
            }
            try fill()
        }
    }

    /// Moves the unread tail to the front and reads more behind it.
    private func fill() throws(IOFailure) {
        if start > 0 {
            let kept = end - start
            if kept > 0 { memmove(buffer, buffer + start, kept) }
            bufferOffset += start
            start = 0
            end = kept
        }
        let n = try source.read(
            into: UnsafeMutableRawBufferPointer(start: buffer + end, count: min(capacity - end, blockSize)))
        if n == 0 { atEOF = true }
        end += n
    }

    private func skipBOMIfNeeded() throws(IOFailure) {
        guard !checkedBOM else { return }
        checkedBOM = true
        guard source.startsAtBeginning else { return }
        while end - start < 3 && !atEOF { try fill() }
        if end - start >= 3 && buffer.load(fromByteOffset: start, as: UInt8.self) == 0xEF
            && buffer.load(fromByteOffset: start + 1, as: UInt8.self) == 0xBB
            && buffer.load(fromByteOffset: start + 2, as: UInt8.self) == 0xBF
        {
            start += 3
        }
    }
}
