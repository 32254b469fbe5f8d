import Dispatch
import Foundation

/// `convert` and `split` of a large NDJSON file on every core.
///
/// The file is cut into blocks of about `blockSize` bytes, each ending after a newline. Workers
/// read, check and convert blocks at once (each with its own reader, scanner and normalizer) into
/// a `ConvertedBlock`; the converter then hands the blocks' lines to the one `ChunkWriter` in
/// input order, with line and record numbers shifted by the blocks before. Chunks, manifest,
/// rejects and counts come out exactly as on one core. At most `slots` blocks are in memory.
extension Converter {
    private static let slots = 3

    /// Converts `path` in blocks; false when it does not qualify (not a large regular NDJSON
    /// file, gzip, UTF-16, one core) and must be read on one core.
    func convertInBlocks(path: String) -> Bool {
        guard options.parallel, ProcessInfo.processInfo.activeProcessorCount >= 2,
            let probe = try? ByteSource(path: path), let size = probe.regularFileSize,
            size >= options.parallelThreshold, let head = try? probe.peek(64),
            !head.starts(with: [0x1F, 0x8B]), !RecordInput.isUTF16(head)
        else { return false }
        if options.mode == .convert {
            let format =
                options.format
                ?? (try? RecordInput.detectFormat(
                    path: path, lines: LineReader(source: probe, maxLineBytes: options.maxRecordBytes)))
            guard format == .ndjson else { return false }
        }
        input = summary.inputs.count
        lastLine = 0
        summary.inputs.append(.init(file: path, format: .ndjson, bytes: 0, readFailure: nil))

        let options = self.options
        let maxLineBytes = writer.maxBytes
        let blocks = (0..<Self.slots).map { _ in
            ConvertedBlock(conversion: RecordConversion(options: options, maxLineBytes: maxLineBytes), file: path)
        }
        var nextStart = 0
        var started = 0
        var finished = 0
        var before = (lines: 0, records: 0)
        while true {
            while started - finished < blocks.count && nextStart < size && !shouldStop {
                let start = nextStart
                let end =
                    start + options.blockSize >= size
                    ? size : Validator.lineStart(after: start + options.blockSize, in: path, size: size) ?? size
                let block = blocks[started % blocks.count]
                block.prepare(range: start..<end)
                DispatchQueue.global().async { block.convert(path: path, options: options) }
                nextStart = end
                started += 1
            }
            guard finished < started else { break }
            let block = blocks[finished % blocks.count]
            block.done.wait()
            finished += 1
            guard !shouldStop else { continue }  // only waits for the blocks still being read
            write(block, lines: before.lines, records: before.records)
            before.lines += block.lines
            before.records += block.entries.count
            summary.inputs[input].bytes += block.range.count
        }
        filesReadInBlocks += 1
        return true
    }

    /// Writes one block's records, rejects and blank-line count, as `accept` would have.
    private func write(_ block: ConvertedBlock, lines: Int, records: Int) {
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
                fileProblem(problem, at: shifted(location, lines: lines, records: records, block: block))
                nextFileProblem += 1
            }
            if interrupted() { return }
            let location = shifted(
                RecordLocation(line: entry.line, record: entry.record, byteOffset: entry.offset), lines: lines,
                records: records, block: block)
            summary.records += 1
            lastLine = location.line
            guard let type = entry.type else {
                let rejected = block.rejects[nextReject]
                nextReject += 1
                rejected.raw.withUnsafeBytes { raw in reject(location, rejected.errors, raw: raw) }
                continue
            }
            let failure = block.output.withUnsafeBytes { output in
                do throws(IOFailure) {
                    try writer.append(
                        UnsafeRawBufferPointer(rebasing: output[lineStart..<entry.end]), eventType: type,
                        insertedAt: entry.time, input: input, sourceLine: location.line)
                    return IOFailure?.none
                } catch {
                    return error
                }
            }
            lineStart = entry.end
            recordWritten(type, repairs: entry.repairs, failure: failure)
            if shouldStop { return }
        }
        for (_, problem, location) in block.fileProblems[nextFileProblem...] {
            fileProblem(problem, at: shifted(location, lines: lines, records: records, block: block))
        }
    }

    private func shifted(_ location: RecordLocation, lines: Int, records: Int, block: ConvertedBlock)
        -> RecordLocation
    {
        RecordLocation(
            line: location.line + lines, record: location.record + records,
            byteOffset: location.byteOffset + block.range.lowerBound)
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
        /// nil: rejected (the next of `rejects`).
        var type: EventType?
        var time: Timestamp?
        var repairs: RepairSet
    }

    private(set) var range = 0..<0
    private(set) var entries: [Entry] = []
    private(set) var output: [UInt8] = []
    private(set) var rejects: [(errors: [ReportedProblem], raw: [UInt8])] = []
    /// File-level problems, with the index of the entry they came before.
    private(set) var fileProblems: [(before: Int, problem: ReportedProblem, location: RecordLocation)] = []
    private(set) var blankLines = 0
    private(set) var lines = 0
    private(set) var readFailure: IOFailure?
    let done = DispatchSemaphore(value: 0)

    private var conversion: RecordConversion
    private var line: [UInt8] = []
    private let file: String

    init(conversion: RecordConversion, file: String) {
        self.conversion = conversion
        self.file = file
    }

    func prepare(range: Range<Int>) {
        self.range = range
        entries.removeAll(keepingCapacity: true)
        output.removeAll(keepingCapacity: true)
        rejects.removeAll()
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
                source: try ByteSource(path: path, range: range), maxLineBytes: options.maxRecordBytes)
            defer { self.lines = lines.linesRead }
            try NDJSONRecordReader(lines: lines).run(into: self)
        } catch {
            readFailure = error
        }
    }

    // MARK: RecordSink

    var needsValues: Bool { true }
    var shouldStop: Bool { false }

    func blankLine() { blankLines += 1 }

    func fileProblem(_ problem: Problem, at location: RecordLocation) {
        fileProblems.append((entries.count, ReportedProblem(problem, file: file, location: location), location))
    }

    func accept(
        _ location: RecordLocation, eventType: EventType?, fields: RecordFields, problems: [Problem],
        raw: UnsafeRawBufferPointer
    ) {
        var entry = Entry(
            line: location.line, record: location.record, offset: location.byteOffset, end: output.count, type: nil,
            time: nil, repairs: [])
        switch conversion.convert(eventType, fields: fields, problems: problems, raw: raw, into: &line) {
        case .reject(let errors):
            rejects.append((errors.map { ReportedProblem($0, file: file, location: location) }, Array(raw)))
        case .write(let type, let time, let repairs, let asRead):
            if asRead {
                output.append(contentsOf: raw)
                output.append(0x0A)
            } else {
                output.append(contentsOf: line)
            }
            entry.end = output.count
            entry.type = type
            entry.time = time
            entry.repairs = repairs
        }
        entries.append(entry)
    }
}
