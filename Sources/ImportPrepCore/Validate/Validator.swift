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
    /// Read large NDJSON files as two halves on two cores.
    public var parallel = true
    /// Files smaller than this are read on one core.
    public var parallelThreshold = 32 << 20

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
    public private(set) var shouldStop = false

    private let errorStream: OutputFile?
    private var current = FileSummary(file: "")
    /// Whether the last CSV input ended outside any record (nil: not CSV, or stopped early).
    private(set) var csvEndedBetweenRecords: Bool?
    /// How many files were read as two halves (for tests).
    private(set) var filesReadInHalves = 0

    public init(options: ValidationOptions, errorStream: OutputFile? = nil) {
        self.options = options
        self.errorStream = errorStream
    }

    /// Validates one file (`-` is standard input). I/O failures are recorded in its summary.
    /// A large NDJSON file is read as two halves on two cores when nothing needs strict order.
    public func validate(path: String) {
        guard !shouldStop else { return }
        if validateInHalves(path: path) { return }
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
        do {
            try RecordInput.read(
                source, format: options.format, maxRecordBytes: options.maxRecordBytes, delimiter: options.delimiter,
                into: self, detected: { current.format = $0 },
                finished: { bytes, lines in
                    current.bytes = bytes
                    current.lines = lines
                })
        } catch {
            current.readFailure = error.description
        }
        summaries.append(current)
    }

    /// Two validators read the halves of a large regular file at once, and their reports are
    /// joined with the second half's coordinates shifted. NDJSON is split after a newline; CSV
    /// after a newline outside quotes (an even count of `"` before it), and the second half is
    /// read after a copy of the header. Only when there is no `--errors` stream or `--fail-fast`
    /// (they need strict order) and two cores. For CSV the split is confirmed afterwards: the
    /// first half must end between records (libcsv's own state), else the file is read again in
    /// one pass.
    private func validateInHalves(path: String) -> Bool {
        guard options.parallel, errorStream == nil, !options.failFast,
            ProcessInfo.processInfo.activeProcessorCount >= 2,
            let probe = try? ByteSource(path: path), let size = probe.regularFileSize,
            size >= options.parallelThreshold,
            (try? probe.peek(2)) != [0x1F, 0x8B]
        else { return false }
        let format: InputFormat?
        if let chosen = options.format {
            format = chosen
        } else {
            format = try? RecordInput.detectFormat(
                path: path, lines: LineReader(source: probe, maxLineBytes: options.maxRecordBytes))
        }
        var halfOptions = options
        halfOptions.parallel = false
        halfOptions.format = format
        let split: (header: [UInt8], middle: Int)
        switch format {
        case .ndjson?:
            guard let middle = Self.lineStart(after: size / 2, in: path, size: size) else { return false }
            split = ([], middle)
        case .csv?:
            guard let found = CSVCutPoints.middle(of: path, size: size, maxHeaderBytes: options.maxRecordBytes),
                Self.headerIsClean(found.header, path: path, options: halfOptions)
            else { return false }
            split = found
        case nil:
            return false
        }
        let headerLines = split.header.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        let halves = [Validator(options: halfOptions), Validator(options: halfOptions)]
        let work = UncheckedBox(halves)
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            let halves = work.value
            do throws(IOFailure) {
                let source =
                    k == 0
                    ? try ByteSource(path: path, range: 0..<split.middle)
                    : try ByteSource(path: path, range: split.middle..<size, prefix: split.header)
                halves[k].validate(source: source)
            } catch {
                var failed = FileSummary(file: path)
                failed.readFailure = error.description
                halves[k].summaries.append(failed)
            }
        }
        if format == .csv && halves[0].csvEndedBetweenRecords != true { return false }
        let first = halves[0].summaries[0]
        var second = halves[1].summaries[0]
        second.bytes -= split.header.count
        second.lines -= headerLines
        var joined = first
        joined.add(second)
        joined.format = format
        joined.readFailure = first.readFailure ?? second.readFailure
        let shiftedSecond = halves[1].shownErrors.map {
            shifted(
                $0, lines: first.lines - headerLines, records: first.records, bytes: split.middle - split.header.count)
        }
        for var problem in halves[0].shownErrors + shiftedSecond {
            guard shownErrors.count < options.maxErrors else { break }
            problem.file = path
            shownErrors.append(problem)
        }
        summaries.append(joined)
        filesReadInHalves += 1
        return true
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

    private func shifted(_ problem: ReportedProblem, lines: Int, records: Int, bytes: Int) -> ReportedProblem {
        var moved = problem
        moved.location.line += lines
        moved.location.record += records
        moved.location.byteOffset += bytes
        return moved
    }

    /// Where the first line after `offset` starts (just after a newline), or nil when none does.
    static func lineStart(after offset: Int, in path: String, size: Int) -> Int? {
        guard let source = try? ByteSource(path: path, range: offset..<size) else { return nil }
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

    public func finish() {
        do { try errorStream?.flush() } catch { errorStreamFailure = error }
    }

    public var total: FileSummary {
        var total = FileSummary(file: "total")
        for summary in summaries { total.add(summary) }
        return total
    }

    /// 0 nothing invalid, 1 invalid records, 3 an input or the error stream could not be read or written.
    public var exitStatus: Int32 {
        if errorStreamFailure != nil || summaries.contains(where: { $0.readFailure != nil }) { return 3 }
        return summaries.contains(where: { $0.errorCount > 0 }) ? 1 : 0
    }

    // MARK: RecordSink

    public func blankLine() { current.blankLines += 1 }

    public var needsValues: Bool { false }

    public func accept(
        _ location: RecordLocation, eventType: EventType?, fields: RecordFields, problems: [Problem],
        raw: UnsafeRawBufferPointer
    ) {
        let hasError = Self.tally(&current, eventType: eventType, problems: problems)
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

    public func csvInputEnded(betweenRecords: Bool) { csvEndedBetweenRecords = betweenRecords }

    public func fileProblem(_ problem: Problem, at location: RecordLocation) {
        current.byCode[problem.code.index] += 1
        report(problem, at: location)
    }

    private func report(_ problem: Problem, at location: RecordLocation) {
        let wantShown = shownErrors.count < options.maxErrors
        guard wantShown || (errorStream != nil && errorStreamFailure == nil) else { return }
        let reported = ReportedProblem(problem, file: current.file, location: location)
        if wantShown { shownErrors.append(reported) }
        if let errorStream, errorStreamFailure == nil {
            do { try errorStream.write(ReportRenderer.jsonLine(reported, withFile: true) + "\n") } catch {
                errorStreamFailure = error
            }
        }
    }
}

/// Hands values to `concurrentPerform`'s closure; each half only touches its own validator.
private final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
