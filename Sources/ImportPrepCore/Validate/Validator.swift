/// How `validate` reads its inputs and what it keeps for the report.
public struct ValidationOptions: Sendable {
    /// nil: decide per file (extension, then first non-blank byte).
    public var format: InputFormat?
    public var maxRecordBytes = 1 << 20
    /// How many errors the report shows (all are counted).
    public var maxErrors = 100
    public var failFast = false
    public var delimiter = UInt8(ascii: ",")

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

    public init(options: ValidationOptions, errorStream: OutputFile? = nil) {
        self.options = options
        self.errorStream = errorStream
    }

    /// Validates one file (`-` is standard input). I/O failures are recorded in its summary.
    public func validate(path: String) {
        guard !shouldStop else { return }
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
                into: self, detected: { current.format = $0 }, finished: { current.bytes = $0 })
        } catch {
            current.readFailure = error.description
        }
        summaries.append(current)
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
