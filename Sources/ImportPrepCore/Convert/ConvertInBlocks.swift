import Dispatch
import Foundation

/// `convert` and `split` of a large file on every core (`BlockReader`): workers read, check and
/// convert blocks at once (each with its own reader, scanner and normalized writer) into a
/// `ConvertedBlock`; the converter then hands the blocks' lines to the one `ChunkWriter` in input
/// order, with coordinates shifted by the blocks before. Chunks, manifest, rejects and counts come
/// out exactly as on one core.
extension Converter {
    private static let slots = 3

    /// Converts `path` in blocks; false when it does not qualify (not a large regular file, gzip,
    /// UTF-16, a CSV header that is not clean, one core) and must be read on one core.
    func convertInBlocks(path: String) -> Bool {
        guard
            let reader = BlockReader.open(
                path: path, format: options.mode == .split ? .ndjson : options.format, parallel: options.parallel,
                threshold: options.parallelThreshold, delimiter: options.delimiter,
                maxRecordBytes: options.maxRecordBytes, blockSize: options.blockSize),
            self.options.preset.map(reader.serves) ?? true
        else { return false }
        let vendor = self.options.preset.map {
            PresetBlockState(settings: $0, maxRecordBytes: self.options.maxRecordBytes, fileSize: reader.size)
        }
        let format = reader.format
        let size = reader.size
        input = summary.inputs.count
        lastLine = 0
        summary.inputs.append(.init(file: path, format: format, bytes: 0, readFailure: nil))

        let options = self.options
        let blockFormat = reader.format
        let maxLineBytes = writer.maxBytes
        let keepsRejects = self.keepsRejects
        let blocks = (0..<Self.slots).map { _ in
            ConvertedBlock(
                decide: WriteOrReject(options: options, maxLineBytes: maxLineBytes), file: path,
                keepsRejects: keepsRejects,
                vendor: PresetBlockState.workerChecker(options.preset, maxRecordBytes: options.maxRecordBytes))
        }
        let rest = reader.run(
            slots: blocks, shouldStop: { shouldStop },
            read: { block, range, prefix in
                block.convert(path: path, range: range, prefix: prefix, format: blockFormat, options: options)
            },
            handOver: { block, range, shift in
                write(block, shift: shift, vendor: vendor)
                summary.inputs[input].bytes += range.count
            })
        if let rest {
            csvFallbacks += 1
            // Only the file's first record decides the vendor's shape.
            vendor?.checker.continueFile(shapeChecked: rest.start > 0)
            do throws(IOFailure) {
                try reader.readRest(
                    rest, delimiter: options.delimiter, maxRecordBytes: options.maxRecordBytes,
                    vendor: vendor?.checker, into: self,
                    counted: { _, _ in summary.inputs[input].bytes += size - rest.start })
            } catch {
                summary.inputs[input].readFailure = error.description
            }
        }
        vendor?.finish(into: self)
        filesReadInBlocks += 1
        return true
    }

    /// A block's file-level problem (a `terminated early` line), moved to its place in the file.
    private func fileProblem(_ problem: ReportedProblem, at location: RecordLocation, shift: RecordLocation) {
        var moved = problem
        moved.location = location.shifted(by: shift)
        fileProblem(moved, at: moved.location)
    }

    /// Writes one block's records, rejects and blank-line count, as `accept` would have.
    private func write(_ block: ConvertedBlock, shift: RecordLocation, vendor: PresetBlockState?) {
        if let failure = block.readFailure {
            summary.inputs[input].readFailure = failure.description
            shouldStop = true
            return
        }
        summary.blankLines += block.blankLines
        if let counts = block.presetCounts { summary.presetCounts?.add(counts) }
        var lineStart = 0
        var nextReject = 0
        var nextFileProblem = 0
        var nextCandidate = 0
        defer { vendor?.join(block.vendor!, recordsBefore: shift.record) }
        for (index, entry) in block.entries.enumerated() {
            while nextFileProblem < block.fileProblems.count && block.fileProblems[nextFileProblem].before == index {
                let (_, problem, location) = block.fileProblems[nextFileProblem]
                fileProblem(problem, at: location, shift: shift)
                nextFileProblem += 1
            }
            vendor?.replay(block.candidates, before: index, cursor: &nextCandidate, shift: shift, into: self)
            if interrupted() { return }
            let location = RecordLocation(line: entry.line, record: entry.record, byteOffset: entry.offset)
                .shifted(by: shift)
            summary.records += 1
            progress.record()
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
            fileProblem(problem, at: location, shift: shift)
        }
        vendor?.replay(block.candidates, before: nil, cursor: &nextCandidate, shift: shift, into: self)
    }

}

/// One block of input as a worker converted it: the lines to write, one after another in
/// `output`, and for every record where its line ends or why it was rejected. Coordinates are
/// counted from the block's start. Reused from block to block.
///
/// `@unchecked Sendable`: a worker fills it in `convert`; the converter reads it only after
/// `BlockReader` saw the worker finish; so the state changed per record is also
/// `@exclusivity(unchecked)` (no run-time access check per record).
final class ConvertedBlock: RecordSink, BlockResult, @unchecked Sendable {
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

    /// Whether the block's reader ended between records.
    private(set) var endedBetweenRecords: Bool?
    @exclusivity(unchecked) private(set) var entries: [Entry] = []
    let output = LineBuffer(capacity: 4 << 20)
    /// Rejected records' errors and text, only when the converter writes rejects (`--rejects`).
    @exclusivity(unchecked) private(set) var rejects: [(errors: [ReportedProblem], raw: [UInt8])] = []
    /// Error codes of all rejected records, one after another (no allocation per record).
    @exclusivity(unchecked) private(set) var rejectedCodes: [ProblemCode] = []
    /// File-level problems, with the index of the entry they came before.
    @exclusivity(unchecked) private(set) var fileProblems:
        [(before: Int, problem: ReportedProblem, location: RecordLocation)] = []
    @exclusivity(unchecked) private(set) var blankLines = 0
    private(set) var lines = 0
    private(set) var readFailure: IOFailure?
    var readFailed: Bool { readFailure != nil }
    var records: Int { vendor == nil ? entries.count : vendorRecords }

    /// A vendor export's block (a preset): its row checker, what it skipped and derived, the
    /// derived rows left to the hand-over, and the vendor records read (rows are not records).
    let vendor: VendorRowChecker?
    @exclusivity(unchecked) private(set) var presetCounts: PresetCounts?
    @exclusivity(unchecked) private(set) var candidates = PendingCandidates()
    @exclusivity(unchecked) private var vendorRecords = 0

    @exclusivity(unchecked) private var decide: WriteOrReject
    private let file: String

    private let keepsRejects: Bool

    init(decide: WriteOrReject, file: String, keepsRejects: Bool, vendor: VendorRowChecker? = nil) {
        self.decide = decide
        self.file = file
        self.keepsRejects = keepsRejects
        self.vendor = vendor
    }

    /// Reads and converts one block (on a worker thread), `prefix` (a CSV header copy) first.
    func convert(path: String, range: Range<Int>, prefix: [UInt8], format: InputFormat, options: ConvertOptions) {
        readsMetadata = options.mode != .split
        endedBetweenRecords = nil
        entries.removeAll(keepingCapacity: true)
        output.removeAll()
        rejects.removeAll()
        rejectedCodes.removeAll(keepingCapacity: true)
        fileProblems.removeAll()
        blankLines = 0
        lines = 0
        readFailure = nil
        if let vendor {
            vendor.startBlock(first: range.lowerBound == 0)
            presetCounts = options.preset.map { PresetCounts(preset: $0.preset) }
            candidates.removeAll()
            vendorRecords = 0
        }
        do throws(IOFailure) {
            endedBetweenRecords = try BlockReader.read(
                path: path, range: range, prefix: prefix, format: format, delimiter: options.delimiter,
                maxRecordBytes: options.maxRecordBytes, vendor: vendor, into: self,
                counted: { _, lines in self.lines = lines })
        } catch {
            readFailure = error
        }
    }

    // MARK: RecordSink

    var needsValues: Bool { true }
    private(set) var readsMetadata = true
    var shouldStop: Bool { false }

    func blankLine() { blankLines += 1 }

    func skipped(_ reason: SkipReason, at location: RecordLocation) {
        vendorRecords = location.record
        presetCounts?.skipped[reason.rawValue] += 1
    }

    func derivedRowFollows() { presetCounts?.derivedRows += 1 }

    func derivedRowCandidate(
        _ candidate: DerivedRowCandidate, at location: RecordLocation, record: UnsafeRawBufferPointer
    ) {
        candidates.append(before: entries.count, candidate, at: location, record: record)
    }

    func fileProblem(_ problem: Problem, at location: RecordLocation) {
        fileProblems.append((entries.count, ReportedProblem(problem, file: file, location: location), location))
    }

    func accept(
        _ location: RecordLocation, eventType: EventType?, fields: RecordFields, problems: [Problem],
        raw: UnsafeRawBufferPointer
    ) {
        vendorRecords = location.record
        var entry = Entry(
            line: location.line, record: location.record, offset: location.byteOffset, end: output.count, type: nil,
            codes: 0..<0, time: nil, repairs: [])
        switch decide.record(eventType, fields: fields, problems: problems, raw: raw, into: output) {
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
