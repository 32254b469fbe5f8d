/// Opens one input for reading records — takes off gzip layers, decides the format, runs the
/// matching reader into a sink. Shared by `validate`, `convert` and `split`.
enum RecordInput {
    /// Reads every record of `source` into `sink`. `finished` gets the bytes read (after
    /// decompression), also when it throws.
    static func read(
        _ source: ByteSource, format: InputFormat?, maxRecordBytes: Int, delimiter: UInt8, into sink: RecordSink,
        detected: (InputFormat) -> Void, finished: (_ bytesRead: Int) -> Void
    ) throws(IOFailure) {
        let lines = LineReader(source: try source.decompressed(), maxLineBytes: maxRecordBytes)
        defer { finished(lines.bytesRead) }
        var chosen = format
        if chosen == nil { chosen = try detectFormat(path: source.path, lines: lines) }
        detected(chosen!)
        switch chosen! {
        case .ndjson: try NDJSONRecordReader(lines: lines).run(into: sink)
        case .csv: try CSVRecordReader(lines: lines, delimiter: delimiter).run(into: sink)
        }
    }

    /// By extension (`.csv`; `.ndjson`, `.jsonl`, `.json`, also before `.gz`), else by the first
    /// non-blank byte (`{` is NDJSON).
    static func detectFormat(path: String, lines: LineReader) throws(IOFailure) -> InputFormat {
        var lower = path.lowercased()
        if lower.hasSuffix(".gz") { lower.removeLast(3) }
        if lower.hasSuffix(".csv") { return .csv }
        if lower.hasSuffix(".ndjson") || lower.hasSuffix(".jsonl") || lower.hasSuffix(".json") { return .ndjson }
        return try lines.firstNonBlankByte() == UInt8(ascii: "{") ? .ndjson : .csv
    }
}
