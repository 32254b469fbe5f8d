/// Input formats `import-prep` reads. Adding one: a case here, a reader type conforming to
/// `RecordReader` made in `makeReader`, and where blocks of it may be cut (`BlockReader`).
public enum InputFormat: String, CaseIterable, Sendable {
    case csv, ndjson

    /// The reader for this format over `lines`.
    public func makeReader(lines: LineReader, delimiter: UInt8) -> RecordReader {
        switch self {
        case .csv: CSVRecordReader(lines: lines, delimiter: delimiter)
        case .ndjson: NDJSONRecordReader(lines: lines)
        }
    }
}

/// Reads one input's records: fills `RecordFields`, checks them with `SchemaChecker`, and hands
/// each to a sink with its coordinates. Every format's reader has this one shape, so that nothing
/// downstream asks which one ran (as swift-foundation's JSON and JSON5 scanners share one).
public protocol RecordReader: AnyObject {
    /// Reads to the end of the input (or until the sink says stop). Returns whether the input
    /// ended between records: false only when it ended inside an open record (a CSV quoted
    /// cell), which tells a block cut that was not where a record starts.
    @discardableResult
    func run(into sink: RecordSink) throws(IOFailure) -> Bool
}
