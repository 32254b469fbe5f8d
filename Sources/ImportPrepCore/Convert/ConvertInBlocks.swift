import Dispatch
import Foundation

/// `convert` and `split` of a large file on every core.
///
/// The file is cut into blocks of about `blockSize` bytes, each ending after a newline (for CSV,
/// one outside quotes; every CSV block after the first is read after a copy of the header).
/// Workers read, check and convert blocks at once (each with its own reader, scanner and
/// normalizer) into a `ConvertedBlock`; the converter then hands the blocks' lines to the one
/// `ChunkWriter` in input order, with coordinates shifted by the blocks before. Chunks,
/// manifest, rejects and counts come out exactly as on one core. At most `slots` blocks are in
/// memory.
///
/// A CSV cut is a guess from counting quotes; a block is written only when the block before it
/// ended between records (libcsv's own state). When one did not, the rest of the file, from the
/// last confirmed cut, is read on one core.
extension Converter {
    private static let slots = 3

    /// Converts `path` in blocks; false when it does not qualify (not a large regular file, gzip,
    /// UTF-16, a CSV header that has problems of its own, one core) and must be read on one core.
    func convertInBlocks(path: String) -> Bool {
        guard options.parallel, ProcessInfo.processInfo.activeProcessorCount >= 2,
            let probe = try? ByteSource(path: path), let size = probe.regularFileSize,
            size >= options.parallelThreshold, let head = try? probe.peek(64),
            !head.starts(with: [0x1F, 0x8B]), !RecordInput.isUTF16(head)
        else { return false }
        var format = InputFormat.ndjson
        if options.mode == .convert {
            guard
                let detected = options.format
                    ?? (try? RecordInput.detectFormat(
                        path: path, lines: LineReader(source: probe, maxLineBytes: options.maxRecordBytes)))
            else { return false }
            format = detected
        }
        var csvCuts: CSVCutPoints?
        if format == .csv {
            var check = ValidationOptions()
            check.format = .csv
            check.delimiter = options.delimiter
            check.maxRecordBytes = options.maxRecordBytes
            guard let cuts = CSVCutPoints(path: path, size: size, maxHeaderBytes: options.maxRecordBytes),
                Validator.headerIsClean(cuts.header, path: path, options: check)
            else { return false }
            csvCuts = cuts
        }
        let header = csvCuts?.header ?? []
        let headerLines = header.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        input = summary.inputs.count
        lastLine = 0
        summary.inputs.append(.init(file: path, format: format, bytes: 0, readFailure: nil))

        let options = self.options
        let maxLineBytes = writer.maxBytes
        let blocks = (0..<Self.slots).map { _ in
            ConvertedBlock(
                conversion: RecordConversion(options: options, maxLineBytes: maxLineBytes), file: path,
                keepsRejects: keepsRejects)
        }
        var nextStart = 0
        var started = 0
        var finished = 0
        var before = (lines: 0, records: 0)
        var unconfirmedCut: Int?
        while true {
            while started - finished < blocks.count && nextStart < size && !shouldStop && unconfirmedCut == nil {
                let start = nextStart
                var end = size
                if start + options.blockSize < size {
                    end =
                        (csvCuts != nil
                            ? csvCuts!.next(atOrAfter: start + options.blockSize)
                            : Validator.lineStart(after: start + options.blockSize, in: path, size: size)) ?? size
                }
                let block = blocks[started % blocks.count]
                block.prepare(range: start..<end, format: format, header: start > 0 ? header : [])
                DispatchQueue.global().async { block.convert(path: path, options: options) }
                nextStart = end
                started += 1
            }
            guard finished < started else { break }
            let block = blocks[finished % blocks.count]
            block.done.wait()
            finished += 1
            // After a stop or an unconfirmed cut, only waits for the blocks still being read.
            guard !shouldStop && unconfirmedCut == nil else { continue }
            if block.readFailure == nil && format == .csv && block.range.upperBound < size
                && block.endedBetweenRecords != true
            {
                unconfirmedCut = block.range.lowerBound
                continue
            }
            let shift = RecordLocation(
                line: before.lines - (block.header.isEmpty ? 0 : headerLines), record: before.records,
                byteOffset: block.range.lowerBound - block.header.count)
            write(block, shift: shift)
            before.lines += block.lines - (block.header.isEmpty ? 0 : headerLines)
            before.records += block.entries.count
            summary.inputs[input].bytes += block.range.count
        }
        if let start = unconfirmedCut, !shouldStop {
            csvFallbacks += 1
            readOnOneCore(
                path: path, range: start..<size, header: start > 0 ? header : [],
                shift: RecordLocation(
                    line: before.lines - (start > 0 ? headerLines : 0), record: before.records,
                    byteOffset: start - (start > 0 ? header.count : 0)))
        }
        filesReadInBlocks += 1
        return true
    }

    /// Reads the rest of a CSV file from a confirmed cut on this core, straight into the converter.
    private func readOnOneCore(path: String, range: Range<Int>, header: [UInt8], shift: RecordLocation) {
        do throws(IOFailure) {
            let lines = LineReader(
                source: try ByteSource(path: path, range: range, prefix: header), maxLineBytes: options.maxRecordBytes)
            defer { summary.inputs[input].bytes += range.count }
            try CSVRecordReader(lines: lines, delimiter: options.delimiter)
                .run(into: ShiftedSink(converter: self, shift: shift))
        } catch {
            summary.inputs[input].readFailure = error.description
        }
    }

    /// Writes one block's records, rejects and blank-line count, as `accept` would have.
    private func write(_ block: ConvertedBlock, shift: RecordLocation) {
        if let failure = block.readFailure {
            summary.inputs[input].readFailure = failure.description
            shouldStop = true
            return
        }
        summary.blankLines += block.blankLines
        var lineStart = 0
        var nextReject = 0
        var nextFileProblem = 0
        for (index, entry) in block.entries.enumerated() {
            while nextFileProblem < block.fileProblems.count && block.fileProblems[nextFileProblem].before == index {
                let (_, problem, location) = block.fileProblems[nextFileProblem]
                fileProblem(problem, at: location.shifted(by: shift))
                nextFileProblem += 1
            }
            if interrupted() { return }
            let location = RecordLocation(line: entry.line, record: entry.record, byteOffset: entry.offset)
                .shifted(by: shift)
            summary.records += 1
            lastLine = location.line
            guard let type = entry.type else {
                countReject(block.rejectedCodes[entry.codes])
                if keepsRejects {
                    let rejected = block.rejects[nextReject]
                    nextReject += 1
                    rejected.raw.withUnsafeBytes { raw in writeReject(location, rejected.errors, raw: raw) }
                }
                continue
            }
            var failure: IOFailure?
            do throws(IOFailure) {
                try writer.append(
                    UnsafeRawBufferPointer(rebasing: block.output.bytes[lineStart..<entry.end]), eventType: type,
                    insertedAt: entry.time, input: input, sourceLine: location.line)
            } catch {
                failure = error
            }
            lineStart = entry.end
            recordWritten(type, repairs: entry.repairs, failure: failure)
            if shouldStop { return }
        }
        for (_, problem, location) in block.fileProblems[nextFileProblem...] {
            fileProblem(problem, at: location.shifted(by: shift))
        }
    }

}

extension RecordLocation {
    /// Moved by the coordinates of what came before (a block's start).
    func shifted(by shift: RecordLocation) -> RecordLocation {
        RecordLocation(
            line: line + shift.line, record: record + shift.record, byteOffset: byteOffset + shift.byteOffset)
    }
}

/// Hands records to the converter with coordinates moved by `shift` (the rest of a file read
/// on one core after its start was read in blocks).
private final class ShiftedSink: RecordSink {
    let converter: Converter
    let shift: RecordLocation

    init(converter: Converter, shift: RecordLocation) {
        self.converter = converter
        self.shift = shift
    }

    var needsValues: Bool { true }
    var shouldStop: Bool { converter.shouldStop }
    func blankLine() { converter.blankLine() }

    func accept(
        _ location: RecordLocation, eventType: EventType?, fields: RecordFields, problems: [Problem],
        raw: UnsafeRawBufferPointer
    ) {
        converter.accept(
            location.shifted(by: shift), eventType: eventType, fields: fields, problems: problems, raw: raw)
    }

    func fileProblem(_ problem: Problem, at location: RecordLocation) {
        converter.fileProblem(problem, at: location.shifted(by: shift))
    }
}

/// One block of input as a worker converted it: the lines to write, one after another in
/// `output`, and for every record where its line ends or why it was rejected. Coordinates are
/// counted from the block's start. Reused from block to block.
///
/// `@unchecked Sendable`: a worker fills it between `prepare` and `done.signal()`; the converter
/// reads it only after `done.wait()`.
final class ConvertedBlock: RecordSink, @unchecked Sendable {
    struct Entry {
        var line: Int
        var record: Int
        var offset: Int
        /// Where its line ends in `output` (for a rejected record: where the last one ended).
        var end: Int
        /// nil: rejected (the next of `rejects` when they are kept).
        var type: EventType?
        /// A rejected record's error codes, in `rejectedCodes`.
        var codes: Range<Int>
        var time: Timestamp?
        var repairs: RepairSet
    }

    private(set) var range = 0..<0
    private(set) var format = InputFormat.ndjson
    /// The CSV header read before the block (empty for NDJSON and the first block).
    private(set) var header: [UInt8] = []
    /// CSV: whether libcsv was between records at the block's end.
    private(set) var endedBetweenRecords: Bool?
    private(set) var entries: [Entry] = []
    let output = LineBuffer(capacity: 4 << 20)
    /// Rejected records' errors and text, only when the converter writes rejects (`--rejects`).
    private(set) var rejects: [(errors: [ReportedProblem], raw: [UInt8])] = []
    /// Error codes of all rejected records, one after another (no allocation per record).
    private(set) var rejectedCodes: [ProblemCode] = []
    /// File-level problems, with the index of the entry they came before.
    private(set) var fileProblems: [(before: Int, problem: ReportedProblem, location: RecordLocation)] = []
    private(set) var blankLines = 0
    private(set) var lines = 0
    private(set) var readFailure: IOFailure?
    let done = DispatchSemaphore(value: 0)

    private var conversion: RecordConversion
    private let file: String

    private let keepsRejects: Bool

    init(conversion: RecordConversion, file: String, keepsRejects: Bool) {
        self.conversion = conversion
        self.file = file
        self.keepsRejects = keepsRejects
    }

    func prepare(range: Range<Int>, format: InputFormat, header: [UInt8]) {
        self.range = range
        self.format = format
        self.header = header
        endedBetweenRecords = nil
        entries.removeAll(keepingCapacity: true)
        output.removeAll()
        rejects.removeAll()
        rejectedCodes.removeAll(keepingCapacity: true)
        fileProblems.removeAll()
        blankLines = 0
        lines = 0
        readFailure = nil
    }

    /// Reads and converts the block (on a worker thread), then signals `done`.
    func convert(path: String, options: ConvertOptions) {
        defer { done.signal() }
        do throws(IOFailure) {
            let lines = LineReader(
                source: try ByteSource(path: path, range: range, prefix: header), maxLineBytes: options.maxRecordBytes)
            defer { self.lines = lines.linesRead }
            switch format {
            case .ndjson: try NDJSONRecordReader(lines: lines).run(into: self)
            case .csv: try CSVRecordReader(lines: lines, delimiter: options.delimiter).run(into: self)
            }
        } catch {
            readFailure = error
        }
    }

    // MARK: RecordSink

    var needsValues: Bool { true }
    var shouldStop: Bool { false }

    func blankLine() { blankLines += 1 }

    func csvInputEnded(betweenRecords: Bool) { endedBetweenRecords = betweenRecords }

    func fileProblem(_ problem: Problem, at location: RecordLocation) {
        fileProblems.append((entries.count, ReportedProblem(problem, file: file, location: location), location))
    }

    func accept(
        _ location: RecordLocation, eventType: EventType?, fields: RecordFields, problems: [Problem],
        raw: UnsafeRawBufferPointer
    ) {
        var entry = Entry(
            line: location.line, record: location.record, offset: location.byteOffset, end: output.count, type: nil,
            codes: 0..<0, time: nil, repairs: [])
        switch conversion.convert(eventType, fields: fields, problems: problems, raw: raw, into: output) {
        case .reject(let errors):
            let first = rejectedCodes.count
            for error in errors { rejectedCodes.append(error.code) }
            entry.codes = first..<rejectedCodes.count
            if keepsRejects {
                rejects.append((errors.map { ReportedProblem($0, file: file, location: location) }, Array(raw)))
            }
        case .write(let type, let time, let repairs, let asRead):
            if asRead {
                output.append(contentsOf: raw)
                output.append(0x0A)
            }
            entry.end = output.count
            entry.type = type
            entry.time = time
            entry.repairs = repairs
        }
        entries.append(entry)
    }
}
