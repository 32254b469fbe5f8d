import Dispatch
import Foundation

/// What a block of input gave, as far as reading in blocks needs to know.
protocol BlockResult: AnyObject, Sendable {
    /// Physical lines read, the copy of a CSV header included.
    var lines: Int { get }
    var records: Int { get }
    var readFailed: Bool { get }
    /// Whether the block's reader ended between records (nil when it was not read to the end).
    var endedBetweenRecords: Bool? { get }
    /// The block stopped early (it had more than it could keep): it and the rest of the file
    /// must be read on one core.
    var overflowed: Bool { get }
}

extension BlockResult {
    var overflowed: Bool { false }
}

/// One large regular file read in blocks on every core, handed over in input order.
///
/// Blocks are about `blockSize` bytes and end after a newline; for CSV one outside quotes (a cut
/// found by counting quotes), and every CSV block after the first is read after a copy of the
/// header. A CSV cut is a guess until libcsv confirms it: a block is handed over only when the
/// block before it ended between records. When one did not (a stray quote misled the count), or a
/// block overflowed, the caller reads the rest, from that block's start, on one core. At most `slots` blocks are in
/// memory at once; each slot's result object is reused.
final class BlockReader {
    let path: String
    let size: Int
    let format: InputFormat
    /// The CSV header row through its newline (empty for NDJSON).
    let header: [UInt8]
    let blockSize: Int
    private let headerLines: Int
    private let cuts: CSVCutPoints?

    /// Nil when the file cannot be read in blocks: a CSV header longer than `maxRecordBytes`, or
    /// one that raises a problem of its own or follows blank lines (a copy of it would not read
    /// the same).
    init?(path: String, size: Int, format: InputFormat, delimiter: UInt8, maxRecordBytes: Int, blockSize: Int) {
        self.path = path
        self.size = size
        self.format = format
        self.blockSize = max(blockSize, 1)
        if format == .csv {
            var check = ValidationOptions()
            check.format = .csv
            check.delimiter = delimiter
            check.maxRecordBytes = maxRecordBytes
            guard let cuts = CSVCutPoints(path: path, size: size, maxHeaderBytes: maxRecordBytes),
                Self.headerIsClean(cuts.header, path: path, options: check)
            else { return nil }
            self.cuts = cuts
            header = cuts.header
        } else {
            cuts = nil
            header = []
        }
        headerLines = header.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    /// Where the block starting at `start` ends.
    private func end(ofBlockAt start: Int) -> Int {
        guard start + blockSize < size else { return size }
        let end =
            cuts != nil
            ? cuts!.next(atOrAfter: start + blockSize)
            : Self.lineStart(after: start + blockSize, in: path, size: size)
        return end ?? size
    }

    /// What a block starting at `start` is read after (the header copy, for CSV blocks but the first).
    func prefix(forBlockAt start: Int) -> [UInt8] { start > 0 ? header : [] }

    /// The lines of that prefix.
    func prefixLines(forBlockAt start: Int) -> Int { start > 0 ? headerLines : 0 }

    /// The coordinates a block's records are moved by: the lines and records before it, less the
    /// header copy it was read after.
    func shift(forBlockAt start: Int, linesBefore: Int, recordsBefore: Int) -> RecordLocation {
        RecordLocation(
            line: linesBefore - prefixLines(forBlockAt: start), record: recordsBefore,
            byteOffset: start - prefix(forBlockAt: start).count)
    }

    /// Reads `range` of `path`, after `prefix`, into `sink` with the reader for `format` (no
    /// gzip or UTF-16 check: those are for a file's start). `counted` gets the bytes and lines
    /// read, the prefix's included, also when it throws. Returns whether the range ended between
    /// records. Used by the workers and for a rest read on one core.
    /// A vendor export's lines go through `vendor` (a preset's row checker) instead.
    @discardableResult
    static func read(
        path: String, range: Range<Int>, prefix: [UInt8], format: InputFormat, delimiter: UInt8,
        maxRecordBytes: Int, vendor: VendorRowChecker? = nil, into sink: RecordSink,
        counted: (_ bytes: Int, _ lines: Int) -> Void
    ) throws(IOFailure) -> Bool {
        let lines = LineReader(
            source: try ByteSource(path: path, range: range, prefix: prefix), maxLineBytes: maxRecordBytes)
        defer { counted(lines.bytesRead, lines.linesRead) }
        if let vendor { return try VendorRecordReader(lines: lines, checker: vendor).run(into: sink) }
        return try format.makeReader(lines: lines, delimiter: delimiter).run(into: sink)
    }

    /// Reads every block: `read(slot, range, prefix)` runs on a worker thread and leaves its
    /// result in `slot`; `handOver(slot, range, shift)` runs on this thread, in input order.
    /// Returns where the rest of the file starts, and the shift of its coordinates, when a CSV
    /// cut was not confirmed or a block overflowed (the caller reads the rest on one core); nil
    /// when every block was handed over or `shouldStop` turned true.
    func run<Slot: BlockResult>(
        slots: [Slot], shouldStop: () -> Bool, read: @escaping @Sendable (Slot, Range<Int>, [UInt8]) -> Void,
        handOver: (Slot, Range<Int>, RecordLocation) -> Void
    ) -> (start: Int, shift: RecordLocation)? {
        let done = slots.map { _ in DispatchSemaphore(value: 0) }
        var ranges = [Range<Int>](repeating: 0..<0, count: slots.count)
        var nextStart = 0
        var started = 0
        var finished = 0
        var before = (lines: 0, records: 0)
        var unconfirmed: (start: Int, shift: RecordLocation)?
        while true {
            while started - finished < slots.count && nextStart < size && !shouldStop() && unconfirmed == nil {
                let range = nextStart..<end(ofBlockAt: nextStart)
                let slot = slots[started % slots.count]
                let signal = done[started % slots.count]
                let prefix = prefix(forBlockAt: range.lowerBound)
                ranges[started % slots.count] = range
                DispatchQueue.global().async {
                    read(slot, range, prefix)
                    signal.signal()
                }
                nextStart = range.upperBound
                started += 1
            }
            guard finished < started else { break }
            let slot = slots[finished % slots.count]
            let range = ranges[finished % slots.count]
            done[finished % slots.count].wait()
            finished += 1
            // After a stop or an unconfirmed cut, only waits for the blocks still being read.
            guard !shouldStop() && unconfirmed == nil else { continue }
            let shift = shift(forBlockAt: range.lowerBound, linesBefore: before.lines, recordsBefore: before.records)
            if !slot.readFailed
                && (slot.overflowed
                    || (range.upperBound < size && slot.endedBetweenRecords != true))
            {
                unconfirmed = (range.lowerBound, shift)
                continue
            }
            handOver(slot, range, shift)
            before.lines += slot.lines - prefixLines(forBlockAt: range.lowerBound)
            before.records += slot.records
        }
        return shouldStop() ? nil : unconfirmed
    }
}

extension BlockReader {
    /// A reader of `path` in blocks, or nil when it is read on one core: `parallel` off, one core,
    /// not a regular file of at least `threshold` bytes, gzip, zip, UTF-16, a format that cannot be
    /// told, or a CSV header that is not clean. The one eligibility check of validate, convert
    /// and split.
    static func open(
        path: String, format: InputFormat?, parallel: Bool, threshold: Int, delimiter: UInt8, maxRecordBytes: Int,
        blockSize: Int
    ) -> BlockReader? {
        guard parallel, ProcessInfo.processInfo.activeProcessorCount >= 2,
            let probe = ByteSource.probe(path: path), let size = probe.regularFileSize,
            size >= threshold, let head = try? probe.peek(64),
            !head.starts(with: [0x1F, 0x8B]), !head.starts(with: [0x50, 0x4B, 0x03, 0x04]), !RecordInput.isUTF16(head),
            let format = format
                ?? (try? RecordInput.detectFormat(
                    path: path, lines: LineReader(source: probe, maxLineBytes: maxRecordBytes)))
        else { return nil }
        return BlockReader(
            path: path, size: size, format: format, delimiter: delimiter, maxRecordBytes: maxRecordBytes,
            blockSize: blockSize)
    }

    /// Whether a vendor export read through `preset` can be read in blocks: lines of records
    /// (not JSON documents, not CSV), without `--dedupe` (its first pass reads the whole file).
    func serves(_ preset: PresetSettings) -> Bool {
        guard format == .ndjson, !preset.dedupe, !preset.preset.readsDocuments,
            !RecordInput.isCSVName(path), let head = try? ByteSource.probe(path: path)?.peek(4096)
        else { return false }
        return !RecordInput.startsWithDocument(head)
    }

    /// Reads the rest of the file, from `rest.start`, on this core into `sink` with coordinates
    /// moved by `rest.shift` (after an unconfirmed cut or an overflowing block). `counted` gets
    /// the bytes and lines read, the header copy left out.
    func readRest(
        _ rest: (start: Int, shift: RecordLocation), delimiter: UInt8, maxRecordBytes: Int,
        vendor: VendorRowChecker? = nil, into sink: RecordSink, counted: (_ bytes: Int, _ lines: Int) -> Void
    ) throws(IOFailure) {
        let prefix = prefix(forBlockAt: rest.start)
        let prefixLines = prefixLines(forBlockAt: rest.start)
        try Self.read(
            path: path, range: rest.start..<size, prefix: prefix, format: format, delimiter: delimiter,
            maxRecordBytes: maxRecordBytes, vendor: vendor, into: ShiftedSink(sink, shift: rest.shift),
            counted: { bytes, lines in counted(bytes - prefix.count, lines - prefixLines) })
    }

    /// The header alone raises no problem (else the second half would report it again), and is
    /// the file's first line (blank lines before it would make the copy end before the header).
    static func headerIsClean(_ header: [UInt8], path: String, options: ValidationOptions) -> Bool {
        let check = Validator(options: options)
        check.validate(source: ByteSource(bytes: header, name: path))
        let summary = check.total
        return summary.readFailure == nil && summary.records == 0 && summary.blankLines == 0
            && summary.byCode.allSatisfy { $0 == 0 }
    }

    /// Where the first line after `offset` starts (just after a newline), or nil when none does.
    static func lineStart(after offset: Int, in path: String, size: Int) -> Int? {
        guard let source = try? ByteSource(path: path, range: offset..<size) else { return nil }
        source.countsProgress = false
        var block = [UInt8](repeating: 0, count: 64 * 1024)
        var position = offset
        while true {
            let n = (try? block.withUnsafeMutableBytes { buffer in try source.read(into: buffer) }) ?? 0
            guard n > 0 else { return nil }
            if let newline = block[0..<n].firstIndex(of: 0x0A) {
                return position + newline + 1 < size ? position + newline + 1 : nil
            }
            position += n
        }
    }
}

/// Hands records to another sink with coordinates moved by `shift` (the rest of a file read on
/// one core after its start was read in blocks).
final class ShiftedSink: RecordSink {
    let target: RecordSink
    let shift: RecordLocation

    init(_ target: RecordSink, shift: RecordLocation) {
        self.target = target
        self.shift = shift
    }

    var needsValues: Bool { target.needsValues }
    var readsMetadata: Bool { target.readsMetadata }
    var shouldStop: Bool { target.shouldStop }
    func blankLine() { target.blankLine() }

    func accept(
        _ location: RecordLocation, eventType: EventType?, fields: RecordFields, problems: [Problem],
        raw: UnsafeRawBufferPointer
    ) {
        target.accept(location.shifted(by: shift), eventType: eventType, fields: fields, problems: problems, raw: raw)
    }

    func fileProblem(_ problem: Problem, at location: RecordLocation) {
        target.fileProblem(problem, at: location.shifted(by: shift))
    }

    func skipped(_ reason: SkipReason, at location: RecordLocation) {
        target.skipped(reason, at: location.shifted(by: shift))
    }

    func derivedRowFollows() { target.derivedRowFollows() }
    func duplicateEvents(_ count: Int) { target.duplicateEvents(count) }
    func duplicatesNotChecked(_ why: String) { target.duplicatesNotChecked(why) }
}

extension RecordLocation {
    /// Moved by the coordinates of what came before (a block's start).
    func shifted(by shift: RecordLocation) -> RecordLocation {
        RecordLocation(
            line: line + shift.line, record: record + shift.record, byteOffset: byteOffset + shift.byteOffset)
    }
}
