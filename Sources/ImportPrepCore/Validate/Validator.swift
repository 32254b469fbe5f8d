import Dispatch
import Foundation

/// How `validate` reads its inputs and what it keeps for the report.
public struct ValidationOptions: Sendable {
    /// nil: decide per file (extension, then first non-blank byte).
    public var format: InputFormat?
    public var maxRecordBytes = 1 << 20
    /// How many errors the report shows (all are counted).
    public var maxErrors = 100
    public var failFast = false
    public var delimiter = UInt8(ascii: ",")
    /// Read large files in blocks on every core (the report is the same as on one).
    public var parallel = true
    /// Files smaller than this are read on one core.
    public var parallelThreshold = 32 << 20
    /// Input bytes per block when reading on several cores. A block keeps the errors it must
    /// hand over (the first `maxErrors`, or all of them for `--errors`) until they are written, at
    /// most `blockErrorBudget`: a block with more stops, and the rest of the file is read on one
    /// core, so that a file of nothing but errors stays in bounded memory.
    public var blockSize = 16 << 20
    public var blockErrorBudget = 20_000
    /// A block's validator stops at its first error past `maxErrors` (it has too many to keep).
    var stopsWhenErrorsOverflow = false
    /// `--from`: read every input as this vendor's export (on one core).
    public var preset: PresetSettings?

    public init() {}
}

/// Runs `validate` over files and keeps what the report needs: a `FileSummary` per file, the
/// first `maxErrors` errors, and (optionally) every error streamed as NDJSON.
public final class Validator: RecordSink {
    public let options: ValidationOptions
    public private(set) var summaries: [FileSummary] = []
    /// The first `options.maxErrors` errors of the run, in input order.
    public private(set) var shownErrors: [ReportedProblem] = []
    /// The `--errors` stream failed; the report must say so (exit status 3).
    public private(set) var errorStreamFailure: IOFailure?
    // Touched per record: exclusivity is not checked at run time (nothing here is reentrant).
    @exclusivity(unchecked) public private(set) var shouldStop = false

    private let errorStream: OutputFile?
    @exclusivity(unchecked) private var current = FileSummary(file: "")
    @exclusivity(unchecked) private var progress = ProgressBatch()
    /// Whether the last block read ended between records (nil: not read to its end).
    private(set) var endedBetweenRecords: Bool?
    /// How many files were read in blocks on several cores, and how many of them were finished
    /// on one core (an unconfirmed CSV cut, a block with too many errors to keep; for tests).
    private(set) var filesReadInBlocks = 0
    private(set) var oneCoreRests = 0
    /// This validator read a block and stopped: it had more errors than it could keep.
    private(set) var overflowed = false
    /// A block of a vendor export (on a worker): its row checker, the derived rows left to the
    /// hand-over (placed by the errors shown before them), and the vendor records read.
    fileprivate var blockVendor: VendorRowChecker?
    fileprivate var candidates = PendingCandidates()
    @exclusivity(unchecked) fileprivate var vendorRecords = 0
    /// Without `--from`: say which preset a file's first record looks like (read once, not per record).
    private let detectsVendors: Bool

    public init(options: ValidationOptions, errorStream: OutputFile? = nil) {
        self.options = options
        self.errorStream = errorStream
        detectsVendors = options.preset == nil
    }

    /// Validates one file (`-` is standard input). I/O failures are recorded in its summary.
    /// A large regular file is read in blocks on every core (unless `--fail-fast`).
    public func validate(path: String) {
        guard !shouldStop else { return }
        if validateInBlocks(path: path) { return }
        do {
            try validate(source: ByteSource(path: path))
        } catch {
            var summary = FileSummary(file: path)
            summary.readFailure = error.description
            summaries.append(summary)
        }
    }

    /// Validates everything `source` holds; its `path` names it in the report.
    public func validate(source: ByteSource) {
        guard !shouldStop else { return }
        current = FileSummary(file: source.path)
        current.presetCounts = options.preset.map { PresetCounts(preset: $0.preset) }
        do {
            try RecordInput.read(
                source, format: options.format, preset: options.preset, maxRecordBytes: options.maxRecordBytes,
                delimiter: options.delimiter,
                into: self, detected: { current.format = $0 },
                finished: { bytes, lines in
                    current.bytes = bytes
                    current.lines = lines
                })
        } catch {
            current.readFailure = error.description
        }
        progress.handOver()
        summaries.append(current)
    }

    /// Validators read blocks of a large regular file at once (`BlockReader`, at most three
    /// blocks in memory), and their reports are joined in input order with shifted coordinates:
    /// counts added, errors shown (the first `maxErrors`) and streamed to `--errors` (all of them,
    /// in order) exactly as one pass would. Not with `--fail-fast` (a block would count records
    /// past the first error), for gzip, UTF-16 or standard input, or on one core.
    private func validateInBlocks(path: String) -> Bool {
        guard !options.failFast,
            let reader = BlockReader.open(
                path: path, format: options.format, parallel: options.parallel, threshold: options.parallelThreshold,
                delimiter: options.delimiter, maxRecordBytes: options.maxRecordBytes, blockSize: options.blockSize),
            options.preset.map(reader.serves) ?? true
        else { return false }
        let format = reader.format
        let vendor = options.preset.map {
            PresetBlockState(settings: $0, maxRecordBytes: options.maxRecordBytes, fileSize: reader.size)
        }
        var blockOptions = options
        blockOptions.parallel = false
        blockOptions.format = format
        if errorStream != nil || options.maxErrors > options.blockErrorBudget {
            blockOptions.maxErrors = options.blockErrorBudget
            blockOptions.stopsWhenErrorsOverflow = true
        }
        let checkOptions = blockOptions
        current = FileSummary(file: path, format: format)
        current.presetCounts = options.preset.map { PresetCounts(preset: $0.preset) }
        let blocks = (0..<3).map { _ in
            CheckedBlock(vendor: PresetBlockState.workerChecker(options.preset, maxRecordBytes: options.maxRecordBytes))
        }
        let rest = reader.run(
            slots: blocks, shouldStop: { shouldStop || current.readFailure != nil },
            read: { block, range, prefix in
                block.check(path: path, range: range, prefix: prefix, format: format, options: checkOptions)
            },
            handOver: { block, range, shift in
                guard let validator = block.validator, var summary = validator.summaries.first else { return }
                summary.bytes -= reader.prefix(forBlockAt: range.lowerBound).count
                summary.lines -= reader.prefixLines(forBlockAt: range.lowerBound)
                current.add(summary)
                current.readFailure = current.readFailure ?? summary.readFailure
                var nextCandidate = 0
                for (index, error) in validator.shownErrors.enumerated() {
                    vendor?.replay(
                        validator.candidates, before: index, cursor: &nextCandidate, shift: shift, into: self)
                    var moved = error
                    moved.location = error.location.shifted(by: shift)
                    moved.file = path
                    show(moved)
                }
                vendor?.replay(validator.candidates, before: nil, cursor: &nextCandidate, shift: shift, into: self)
                if let vendor, let checker = validator.blockVendor { vendor.join(checker, recordsBefore: shift.record) }
            })
        if let rest {
            // A CSV cut libcsv did not confirm, or a block with more errors than it could keep:
            // the rest, from that block's start, on this core.
            oneCoreRests += 1
            // Only the file's first record decides the vendor's shape.
            vendor?.checker.continueFile(shapeChecked: rest.start > 0)
            do throws(IOFailure) {
                try reader.readRest(
                    rest, delimiter: options.delimiter, maxRecordBytes: options.maxRecordBytes,
                    vendor: vendor?.checker, into: self,
                    counted: { bytes, lines in
                        current.bytes += bytes
                        current.lines += lines
                    })
            } catch {
                current.readFailure = error.description
            }
        }
        vendor?.finish(into: self)
        summaries.append(current)
        filesReadInBlocks += 1
        return true
    }

    /// Validates a range of a file (a block), `prefix` (a CSV header copy) first.
    fileprivate func validate(
        path: String, range: Range<Int>, prefix: [UInt8], format: InputFormat, vendor: VendorRowChecker?
    ) {
        current = FileSummary(file: path, format: format)
        current.presetCounts = options.preset.map { PresetCounts(preset: $0.preset) }
        blockVendor = vendor
        vendor?.startBlock(first: range.lowerBound == 0)
        do throws(IOFailure) {
            endedBetweenRecords = try BlockReader.read(
                path: path, range: range, prefix: prefix, format: format, delimiter: options.delimiter,
                maxRecordBytes: options.maxRecordBytes, vendor: vendor, into: self,
                counted: { bytes, lines in
                    current.bytes = bytes
                    current.lines = lines
                })
        } catch {
            current.readFailure = error.description
        }
        progress.handOver()
        summaries.append(current)
    }

    /// Gives the error list its name (it is written under a temporary one until now).
    public func finish() {
        do { try errorStream?.close() } catch { errorStreamFailure = errorStreamFailure ?? error }
    }

    public var total: FileSummary {
        var total = FileSummary(file: "total")
        for summary in summaries { total.add(summary) }
        return total
    }

    /// Invalid records, or an input or the error stream that could not be read or written.
    public var exitStatus: ExitStatus {
        if errorStreamFailure != nil || summaries.contains(where: { $0.readFailure != nil }) { return .ioFailure }
        return summaries.contains(where: { $0.errorCount > 0 }) ? .invalidRecords : .success
    }

    // MARK: RecordSink

    public func blankLine() { current.blankLines += 1 }

    public var needsValues: Bool { false }

    public func accept(
        _ location: RecordLocation, eventType: EventType?, fields: RecordFields, problems: [Problem],
        raw: UnsafeRawBufferPointer
    ) {
        if current.records == 0 && detectsVendors {
            current.looksLike = VendorDetection.preset(
                keys: fields.otherKeys, hasEventType: fields[.eventType].kind != nil)
        }
        vendorRecords = location.record
        let hasError = Self.tally(&current, eventType: eventType, problems: problems)
        progress.count(flagged: hasError)
        guard hasError else { return }
        for problem in problems where !problem.code.isWarning {
            report(problem, at: location)
        }
        if options.failFast {
            shouldStop = true
            current.stoppedEarly = true
        }
    }

    /// Counts one record into `summary` (one access to it per record); true when it has an error.
    @inline(__always)
    private static func tally(_ summary: inout FileSummary, eventType: EventType?, problems: [Problem]) -> Bool {
        summary.records += 1
        if let eventType { summary.byEventType[eventType.rawValue] += 1 }
        var hasError = false
        for problem in problems {
            summary.byCode[problem.code.index] += 1
            if !problem.code.isWarning { hasError = true }
        }
        if hasError { summary.invalid += 1 } else { summary.valid += 1 }
        return hasError
    }

    public func skipped(_ reason: SkipReason, at location: RecordLocation) {
        vendorRecords = location.record
        current.presetCounts?.skipped[reason.rawValue] += 1
    }

    public func derivedRowCandidate(
        _ candidate: DerivedRowCandidate, at location: RecordLocation, record: UnsafeRawBufferPointer
    ) {
        candidates.append(before: shownErrors.count, candidate, at: location, record: record)
    }

    public func derivedRowFollows() { current.presetCounts?.derivedRows += 1 }

    public func duplicateEvents(_ count: Int) { current.presetCounts?.duplicateEvents += count }

    public func duplicatesNotChecked(_ why: String) { current.presetCounts?.duplicatesNotChecked = why }

    public func fileProblem(_ problem: Problem, at location: RecordLocation) {
        current.byCode[problem.code.index] += 1
        report(problem, at: location)
    }

    private func report(_ problem: Problem, at location: RecordLocation) {
        if options.stopsWhenErrorsOverflow && shownErrors.count >= options.maxErrors {
            overflowed = true
            shouldStop = true
            return
        }
        guard shownErrors.count < options.maxErrors || (errorStream != nil && errorStreamFailure == nil) else { return }
        show(ReportedProblem(problem, file: current.file, location: location))
    }

    /// Keeps an error for the report (the first `maxErrors`) and streams it to `--errors`.
    private func show(_ reported: ReportedProblem) {
        if shownErrors.count < options.maxErrors { shownErrors.append(reported) }
        if let errorStream, errorStreamFailure == nil {
            do { try errorStream.write(ReportRenderer.jsonLine(reported, withFile: true) + "\n") } catch {
                errorStreamFailure = error
            }
        }
    }
}

/// One block of a file as a worker validated it, with its own `Validator` (coordinates counted
/// from the block's start). `@unchecked Sendable`: a worker sets it in `check`; the validator
/// reads it only after `BlockReader` saw the worker finish.
private final class CheckedBlock: BlockResult, @unchecked Sendable {
    private(set) var validator: Validator?
    /// A vendor export's row checker, kept from block to block.
    private let vendor: VendorRowChecker?

    init(vendor: VendorRowChecker?) { self.vendor = vendor }

    func check(path: String, range: Range<Int>, prefix: [UInt8], format: InputFormat, options: ValidationOptions) {
        let validator = Validator(options: options)
        validator.validate(path: path, range: range, prefix: prefix, format: format, vendor: vendor)
        self.validator = validator
    }

    var lines: Int { validator?.summaries.first?.lines ?? 0 }
    /// Vendor records, for a vendor export (its rows are not records).
    var records: Int {
        vendor == nil ? validator?.summaries.first?.records ?? 0 : validator?.vendorRecords ?? 0
    }
    var readFailed: Bool { validator?.summaries.first?.readFailure != nil }
    var endedBetweenRecords: Bool? { validator?.endedBetweenRecords }
    var overflowed: Bool { validator?.overflowed ?? false }
}
