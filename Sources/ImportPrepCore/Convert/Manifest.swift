import Foundation

/// `manifest.json` of a chunk folder: what `convert` and `split` wrote (written last, under a
/// temporary name, then renamed), and what `upload` reads back. One type for both sides: written
/// in a stable layout (one chunk per line, for people and `diff`), read with `JSONDecoder`.
public struct Manifest: Codable, Equatable, Sendable {
    /// An input line: where a chunk's first or last record came from.
    public struct Source: Codable, Equatable, Sendable {
        public var file: String
        public var line: Int
    }

    /// The signal that stopped the run, and the last input line read.
    public struct Interruption: Codable, Equatable, Sendable {
        public var signal: Int32
        public var file: String
        public var line: Int
        public var note: String
    }

    /// A problem with an input as a whole (a CSV header that cannot be read).
    public struct FileError: Codable, Equatable, Sendable {
        public var code: String
        public var line: Int
        public var message: String
    }

    public struct Input: Codable, Equatable, Sendable {
        public var file: String
        public var format: String?
        public var bytes: Int
        public var readError: String?
        public var fileError: FileError?
        public var linesNotRead: Int?
    }

    /// What a preset (`--from`) skipped and derived (SPEC §8 "Counting").
    public struct PresetTotals: Codable, Equatable, Sendable {
        public var from: String
        public var vendorRecords: Int
        public var skipped: Int
        public var skippedByReason: [String: Int]
        public var derivedRows: Int
    }

    public struct Totals: Codable, Equatable, Sendable {
        public var records: Int
        public var written: Int
        public var rejected: Int
        public var notWritten: Int
        public var blankLines: Int
        public var chunks: Int
        public var bytes: Int
        public var byEventType: [String: Int]
        public var preset: PresetTotals?
    }

    public struct Chunk: Codable, Equatable, Sendable {
        public var file: String
        public var bytes: Int
        public var records: Int
        public var sha256: String
        public var firstSource: Source?
        public var lastSource: Source?
        public var byEventType: [String: Int]?
        public var firstInsertedAt: String?
        public var lastInsertedAt: String?
    }

    public var version: Int
    public var tool: String
    public var complete: Bool
    public var interrupted: Interruption?
    public var maxBytes: Int
    public var maxRows: Int?
    public var inputs: [Input]
    public var totals: Totals
    public var rejects: String?
    public var chunks: [Chunk]

    /// The manifest of a finished (or interrupted) run.
    init(_ s: ConvertSummary, options: ConvertOptions, rejectsPath: String?) {
        func source(_ position: (input: Int, line: Int)) -> Source {
            Source(file: s.inputs[position.input].file, line: position.line)
        }
        version = 1
        tool = "import-prep " + (options.mode == .convert ? "convert" : "split")
        complete = s.interruption == nil
        interrupted = s.interruption.map {
            Interruption(
                signal: $0.signal, file: $0.file, line: $0.line,
                note: "stopped after this input line; chunks listed here are complete, later records were not read")
        }
        maxBytes = options.maxChunkBytes
        maxRows = options.maxChunkRows == .max ? nil : options.maxChunkRows
        inputs = s.inputs.map { input in
            Input(
                file: input.file, format: input.format?.rawValue, bytes: input.bytes, readError: input.readFailure,
                fileError: input.fileError.map {
                    FileError(code: $0.code.rawValue, line: $0.location.line, message: $0.message)
                },
                linesNotRead: input.fileError == nil ? nil : input.linesNotRead)
        }
        totals = Totals(
            records: s.records, written: s.written, rejected: s.rejected, notWritten: s.notWritten,
            blankLines: s.blankLines, chunks: s.chunks.count, bytes: s.chunks.reduce(0) { $0 + $1.bytes },
            byEventType: Self.eventTypes(s.byEventType),
            preset: s.presetCounts.map { counts in
                PresetTotals(
                    from: counts.preset.rawValue, vendorRecords: counts.vendorRecords(rows: s.records),
                    skipped: counts.skippedTotal,
                    skippedByReason: Dictionary(
                        uniqueKeysWithValues: SkipReason.allCases.map { ($0.code, counts.skipped[$0.rawValue]) }),
                    derivedRows: counts.derivedRows)
            })
        rejects = rejectsPath
        chunks = s.chunks.map { chunk in
            Chunk(
                file: chunk.file, bytes: chunk.bytes, records: chunk.records, sha256: chunk.sha256,
                firstSource: source(chunk.firstSource), lastSource: source(chunk.lastSource),
                byEventType: Self.eventTypes(chunk.byEventType), firstInsertedAt: chunk.firstInsertedAt,
                lastInsertedAt: chunk.lastInsertedAt)
        }
    }

    /// Reads a manifest; nil when the bytes are not one.
    public static func read(_ data: Data) -> Manifest? {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(Manifest.self, from: data)
    }

    static func write(_ s: ConvertSummary, options: ConvertOptions, rejectsPath: String?, to directory: String)
        throws(IOFailure)
    {
        let output = try OutputFile.create(path: directory + "/manifest.json")
        try output.write(Manifest(s, options: options, rejectsPath: rejectsPath).rendered)
        try output.close()
    }

    /// The text written: keys in a fixed order, each input and chunk on one line.
    public var rendered: String {
        let q = JSONText.quoted
        func source(_ source: Source?) -> String {
            source.map { "{\"file\":\(q($0.file)),\"line\":\($0.line)}" } ?? "null"
        }
        var text = "{\n  \"version\": \(version),\n  \"tool\": \(q(tool)),\n"
        text += "  \"complete\": \(complete),\n"
        if let interrupted {
            text +=
                "  \"interrupted\": {\"signal\": \(interrupted.signal), \"file\": \(q(interrupted.file)), \"line\": \(interrupted.line), "
            text += "\"note\": \(q(interrupted.note))},\n"
        }
        text += "  \"max_bytes\": \(maxBytes),\n"
        text += "  \"max_rows\": \(maxRows.map(String.init) ?? "null"),\n"
        text +=
            "  \"inputs\": ["
            + inputs.map { input in
                var entry =
                    "{\"file\":\(q(input.file)),\"format\":\(input.format.map(q) ?? "null"),\"bytes\":\(input.bytes)"
                if let readError = input.readError { entry += ",\"read_error\":\(q(readError))" }
                if let error = input.fileError {
                    entry +=
                        ",\"file_error\":{\"code\":\(q(error.code)),\"line\":\(error.line),\"message\":\(q(error.message))}"
                        + ",\"lines_not_read\":\(input.linesNotRead ?? 0)"
                }
                return entry + "}"
            }.joined(separator: ", ") + "],\n"
        text +=
            "  \"totals\": {\"records\": \(totals.records), \"written\": \(totals.written), \"rejected\": \(totals.rejected), \"not_written\": \(totals.notWritten), "
        text += "\"blank_lines\": \(totals.blankLines), \"chunks\": \(totals.chunks), "
        text += "\"bytes\": \(totals.bytes), \"by_event_type\": \(Self.render(totals.byEventType))"
        if let preset = totals.preset {
            text += ", \"preset\": {\"from\": \(q(preset.from)), \"vendor_records\": \(preset.vendorRecords), "
            text += "\"skipped\": \(preset.skipped), \"skipped_by_reason\": {"
            text += SkipReason.allCases.map { "\"\($0.code)\":\(preset.skippedByReason[$0.code] ?? 0)" }.joined(
                separator: ",")
            text += "}, \"derived_rows\": \(preset.derivedRows)}"
        }
        text += "},\n"
        text += "  \"rejects\": \(rejects.map(q) ?? "null"),\n"
        text +=
            "  \"chunks\": [\n"
            + chunks.map { chunk in
                "    {\"file\":\(q(chunk.file)),\"bytes\":\(chunk.bytes),\"records\":\(chunk.records),\"sha256\":\(q(chunk.sha256)),"
                    + "\"first_source\":\(source(chunk.firstSource)),\"last_source\":\(source(chunk.lastSource)),"
                    + "\"by_event_type\":\(Self.render(chunk.byEventType ?? [:])),"
                    + "\"first_inserted_at\":\(q(chunk.firstInsertedAt ?? "")),\"last_inserted_at\":\(q(chunk.lastInsertedAt ?? ""))}"
            }.joined(separator: ",\n") + "\n  ]\n}\n"
        return text
    }

    static func eventTypes(_ counts: [Int]) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: EventType.allCases.map { ($0.name, counts[$0.rawValue]) })
    }

    /// Counts by event type, in the schema's order of event types.
    static func render(_ counts: [String: Int]) -> String {
        "{" + EventType.allCases.map { "\"\($0.name)\":\(counts[$0.name] ?? 0)" }.joined(separator: ",") + "}"
    }
}
