import Foundation

/// How `convert` and `split` read and write.
public struct ConvertOptions: Sendable {
    public enum Mode: Sendable {
        /// Normalize every record (SPEC §6) and apply the repairs.
        case convert
        /// Keep each valid NDJSON line as it is; only cut the stream into chunks.
        case split
    }

    public var mode = Mode.convert
    /// nil: decide per file (as `validate` does).
    public var format: InputFormat?
    public var maxRecordBytes = 1 << 20
    public var maxChunkBytes = 50_000_000
    public var maxChunkRows = Int.max
    /// CSV `metadata.<key>` cells that are portable JSON numbers become numbers (`--no-infer` turns it off).
    public var inferNumbers = true
    public var epoch: EpochUnit?
    public var delimiter = UInt8(ascii: ",")
    /// Read large NDJSON files in blocks on every core (the output is the same as on one).
    public var parallel = true
    /// Files smaller than this are read on one core.
    public var parallelThreshold = 32 << 20
    /// Input bytes per block when reading on several cores.
    public var blockSize = 2 << 20
    /// `--from`: read every input as this vendor's export (on one core).
    public var preset: PresetSettings?

    public init() {}
}

/// The counts `convert` reports. `records == written + rejected + notWritten`, and `notWritten`
/// is 0 unless a signal stopped the run.
public struct ConvertSummary: Sendable {
    public struct Input: Sendable {
        public var file: String
        public var format: InputFormat?
        public var bytes: Int
        public var readFailure: String?
        /// Why the file as a whole could not be read as records (a CSV header that cannot be
        /// read): exit status 1, and its non-blank lines after that point are `linesNotRead`.
        public var fileError: ReportedProblem?
        public var linesNotRead = 0

        public init(file: String, format: InputFormat?, bytes: Int, readFailure: String?) {
            self.file = file
            self.format = format
            self.bytes = bytes
            self.readFailure = readFailure
        }
    }

    public var inputs: [Input] = []
    public var records = 0
    public var written = 0
    public var rejected = 0
    /// Records of the chunk that was being written when a signal stopped the run (removed).
    public var notWritten = 0
    public var blankLines = 0
    public var byEventType = [Int](repeating: 0, count: EventType.allCases.count)
    /// Records that needed each repair, indexed by `RepairKind.rawValue`.
    public var repairs = [Int](repeating: 0, count: RepairKind.allCases.count)
    /// Errors of rejected records, indexed by `ProblemCode.index`.
    public var rejectedByCode = [Int](repeating: 0, count: ProblemCode.allCases.count)
    public var chunks: [ChunkInfo] = []
    /// Set when SIGINT/SIGTERM stopped the run: the signal, and the last record handled.
    public var interruption: (signal: Int32, file: String, line: Int)?
    public var outputFailure: String?
    /// Skipped and derived counts, when the inputs were read through a preset (`--from`).
    public var presetCounts: PresetCounts?
}

/// Runs `convert` or `split`: reads inputs with the same readers and checks as `validate`,
/// writes what is valid (or repairable) through a `ChunkWriter`, and sets the rest aside.
public final class Converter: RecordSink {
    public let options: ConvertOptions
    // Touched per record: exclusivity is not checked at run time (nothing here is reentrant).
    @exclusivity(unchecked) public internal(set) var summary = ConvertSummary()
    @exclusivity(unchecked) public internal(set) var shouldStop = false
    public var needsValues: Bool { true }
    /// `split` writes lines as they are.
    public var readsMetadata: Bool { options.mode != .split }

    let writer: ChunkWriter
    private let rejects: OutputFile?
    @exclusivity(unchecked) private var decide: WriteOrReject
    private let line: LineBuffer
    var input = 0
    @exclusivity(unchecked) var progress = ProgressBatch()
    @exclusivity(unchecked) var lastLine = 0
    /// How many files were read in blocks on several cores, and how many CSV files went back to
    /// one core at an unconfirmed cut (for tests).
    var filesReadInBlocks = 0
    var csvFallbacks = 0

    public init(options: ConvertOptions, destination: ConvertDestination, rejects: OutputFile?) throws(IOFailure) {
        self.options = options
        self.rejects = rejects
        writer = try ChunkWriter(
            destination: destination, maxBytes: options.maxChunkBytes, maxRows: options.maxChunkRows)
        decide = WriteOrReject(options: options, maxLineBytes: writer.maxBytes)
        summary.presetCounts = options.preset.map { PresetCounts(preset: $0.preset) }
        line = LineBuffer(capacity: options.maxRecordBytes * 2 + 64)
    }

    /// Converts one file (`-` is standard input); an unreadable one is noted in the summary.
    public func convert(path: String) {
        guard !shouldStop else { return }
        defer { progress.handOver() }
        if convertInBlocks(path: path) { return }
        do {
            try convert(source: ByteSource(path: path))
        } catch {
            summary.inputs.append(.init(file: path, format: nil, bytes: 0, readFailure: error.description))
        }
    }

    public func convert(source: ByteSource) {
        guard !shouldStop else { return }
        input = summary.inputs.count
        lastLine = 0
        summary.inputs.append(.init(file: source.path, format: nil, bytes: 0, readFailure: nil))
        do {
            try RecordInput.read(
                source, format: options.mode == .split ? .ndjson : options.format, preset: options.preset,
                maxRecordBytes: options.maxRecordBytes,
                delimiter: options.delimiter, into: self, detected: { summary.inputs[input].format = $0 },
                finished: { bytes, _ in summary.inputs[input].bytes = bytes })
        } catch {
            if summary.outputFailure == nil { summary.inputs[input].readFailure = error.description }
        }
        // A signal while waiting for input ends the input without another record to notice it.
        _ = interrupted()
        progress.handOver()
    }

    /// Closes the last chunk and writes the manifest (also after an interruption, marked so).
    public func finish() {
        if summary.outputFailure == nil && summary.interruption == nil {
            do { try writer.finish() } catch { summary.outputFailure = error.description }
        } else if let dropped = writer.discardOpenChunk() {
            // Its records were read but end up in no complete chunk.
            summary.written -= dropped.records
            summary.notWritten = dropped.records
            for type in EventType.allCases { summary.byEventType[type.rawValue] -= dropped.byEventType[type.rawValue] }
        }
        summary.chunks = writer.chunks
        do { try rejects?.close() } catch { summary.outputFailure = summary.outputFailure ?? error.description }
        if case .directory(let directory) = writer.destination, summary.outputFailure == nil {
            do { try Manifest.write(summary, options: options, rejectsPath: rejects?.path, to: directory) } catch {
                summary.outputFailure = error.description
            }
        }
    }

    /// Records rejected or a file not read as records, an input or output that failed, or a signal.
    public var exitStatus: ExitStatus {
        if let interruption = summary.interruption { return .interrupted(signal: interruption.signal) }
        if summary.outputFailure != nil || summary.inputs.contains(where: { $0.readFailure != nil }) {
            return .ioFailure
        }
        return summary.rejected > 0 || summary.inputs.contains(where: { $0.fileError != nil })
            ? .invalidRecords : .success
    }

    // MARK: RecordSink

    public func blankLine() { summary.blankLines += 1 }

    public func fileProblem(_ problem: Problem, at location: RecordLocation) {
        guard !interrupted() else { return }
        fileProblem(ReportedProblem(problem, file: summary.inputs[input].file, location: location), at: location)
    }

    func fileProblem(_ problem: ReportedProblem, at location: RecordLocation) {
        if summary.inputs[input].fileError == nil { summary.inputs[input].fileError = problem }
        writeReject(location, [problem], raw: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    public func linesNotRead(_ count: Int) { summary.inputs[input].linesNotRead += count }

    public func skipped(_ reason: SkipReason, at location: RecordLocation) {
        guard !interrupted() else { return }
        lastLine = location.line
        summary.presetCounts?.skipped[reason.rawValue] += 1
    }

    public func derivedRowFollows() { summary.presetCounts?.derivedRows += 1 }

    public func duplicateEvents(_ count: Int) { summary.presetCounts?.duplicateEvents += count }

    public func duplicatesNotChecked(_ why: String) { summary.presetCounts?.duplicatesNotChecked = why }

    public func accept(
        _ location: RecordLocation, eventType: EventType?, fields: RecordFields, problems: [Problem],
        raw: UnsafeRawBufferPointer
    ) {
        // A record read after the signal may be cut short by it: it is left for the next run.
        guard !interrupted() else { return }
        summary.records += 1
        progress.record()
        lastLine = location.line
        line.removeAll()
        switch decide.record(eventType, fields: fields, problems: problems, raw: raw, into: line) {
        case .reject(let errors):
            reject(location, errors, raw: raw)
        case .write(let type, let time, let repairs, let asRead):
            var failure: IOFailure?
            do throws(IOFailure) {
                try writer.append(
                    asRead ? raw : line.bytes, addNewline: asRead, eventType: type, insertedAt: time, input: input,
                    sourceLine: location.line)
            } catch {
                failure = error
            }
            recordWritten(type, repairs: repairs, failure: failure)
        }
    }

    /// Counts a record handed to the chunk writer (or notes why the writer failed).
    func recordWritten(_ type: EventType, repairs: RepairSet, failure: IOFailure?) {
        if let failure {
            summary.outputFailure = failure.description
            shouldStop = true
            return
        }
        summary.written += 1
        summary.byEventType[type.rawValue] += 1
        if !repairs.isEmpty {
            for kind in RepairKind.allCases where repairs.contains(kind) { summary.repairs[kind.rawValue] += 1 }
        }
    }

    /// Counts a rejected record and writes its rejects line (when there is a rejects file);
    /// `errors` holds no warnings. Without a rejects file nothing is rendered (no allocation).
    func reject(_ location: RecordLocation, _ errors: [Problem], raw: UnsafeRawBufferPointer) {
        countReject(errors.lazy.map(\.code))
        guard keepsRejects else { return }
        let file = summary.inputs[input].file
        writeReject(location, errors.map { ReportedProblem($0, file: file, location: location) }, raw: raw)
    }

    func countReject(_ codes: some Sequence<ProblemCode>) {
        summary.rejected += 1
        progress.flag()
        for code in codes { summary.rejectedByCode[code.index] += 1 }
    }

    /// Whether rejected records are written out (`--rejects`).
    var keepsRejects: Bool { rejects != nil }

    /// One rejects line: `{"file","line","record","errors":[{code,field,message}],"raw"}`.
    func writeReject(_ location: RecordLocation, _ problems: [ReportedProblem], raw: UnsafeRawBufferPointer) {
        guard let rejects, summary.outputFailure == nil else { return }
        let file = summary.inputs[input].file
        var text =
            "{\"file\":\(JSONText.quoted(file)),\"line\":\(location.line),\"record\":\(location.record),\"errors\":["
        text += problems.map { reported in
            "{\"code\":\(JSONText.quoted(reported.code.rawValue)),\"field\":\(reported.field.map(JSONText.quoted) ?? "null"),\"message\":\(JSONText.quoted(reported.message))}"
        }.joined(separator: ",")
        text += "],"
        if raw.isEmpty && problems.contains(where: { $0.code == .recordTooLarge }) {
            text += "\"raw\":null,\"raw_omitted\":\"the record is larger than --max-record-bytes and was not kept\"}\n"
        } else if UTF8Check.firstInvalidByte(raw) == nil {
            text += "\"raw\":\(JSONText.quoted(String(decoding: raw, as: UTF8.self)))}\n"
        } else {
            text += "\"raw\":null,\"raw_base64\":\"\(Data(raw).base64EncodedString())\"}\n"
        }
        do { try rejects.write(text) } catch {
            summary.outputFailure = error.description
            shouldStop = true
        }
    }

    /// Whether SIGINT/SIGTERM arrived; notes where the run stopped (after the last handled record).
    func interrupted() -> Bool {
        let signal = Interruption.signal
        guard signal != 0 else { return false }
        if summary.interruption == nil { summary.interruption = (signal, summary.inputs[input].file, lastLine) }
        shouldStop = true
        return true
    }
}
