/// Reads a vendor's NDJSON export through a preset (SPEC §8): each line is checked as JSON,
/// mapped by `VendorMapper` into zero, one or two Userpilot rows, and each row is read and checked
/// exactly like an NDJSON line of Userpilot's own shape, then handed to the sink with the vendor
/// line's coordinates and the vendor record as `raw`. Skipped records go to `sink.skipped`.
public final class VendorRecordReader: RecordReader {
    private let lines: LineReader
    private let mapper: VendorMapper

    public init(lines: LineReader, settings: PresetSettings) {
        self.lines = lines
        mapper = VendorMapper(settings: settings, maxRecordBytes: lines.maxLineBytes)
    }

    @discardableResult
    public func run(into sink: RecordSink) throws(IOFailure) -> Bool {
        let vendorScanner = JSONScanner()
        let rowScanner = JSONScanner()
        var metadataKeys: [UnsafeRawBufferPointer] = []
        var fields = RecordFields()
        var problems: [Problem] = []
        var duplicates = DuplicateKeyFinder()
        // A mapped row is at most a few times its vendor line (flattened keys, escapes).
        let arena = ByteArena(capacity: 8 * lines.maxLineBytes + 64)
        var recordNumber = 0
        while !sink.shouldStop, let line = try lines.next() {
            if line.isBlank(rowDelimiter: nil) {
                sink.blankLine()
                continue
            }
            if mapper.settings.preset == .mixpanel, !line.isOversized,
                WhiteSpace.trimmed(line.content).elementsEqual("terminated early".utf8)
            {
                // Mixpanel's export stream was cut: not a record; the file is incomplete (rule 12).
                sink.fileProblem(
                    Problem(.truncatedExport, .none, .text("Mixpanel's export ended with `terminated early`")),
                    at: RecordLocation(line: line.number, record: recordNumber + 1, byteOffset: line.offset))
                continue
            }
            recordNumber += 1
            let location = RecordLocation(line: line.number, record: recordNumber, byteOffset: line.offset)
            problems.clear()
            fields.reset()
            if line.isOversized {
                problems.append(Problem(.recordTooLarge, .none, .limit(lines.maxLineBytes)))
                sink.accept(location, eventType: nil, fields: fields, problems: problems, raw: line.content)
                continue
            }
            switch vendorScanner.scan(line.content) {
            case .invalid(let error):
                problems.append(Problem(error.code, .none, .syntax(error.reason, offset: error.offset)))
                sink.accept(location, eventType: nil, fields: fields, problems: problems, raw: line.content)
                continue
            case .notAnObject(let kind):
                problems.append(Problem(.notAnObject, .none, .found(kind)))
                sink.accept(location, eventType: nil, fields: fields, problems: problems, raw: line.content)
                continue
            case .object: break
            }
            switch mapper.map(line.content) {
            case .skip(let reason):
                sink.skipped(reason, at: location)
            case .rows(let count):
                var start = 0
                for row in 0..<count {
                    let end = mapper.rowEnds[row]
                    let bytes = UnsafeRawBufferPointer(rebasing: mapper.rows.bytes[start..<(end - 1)])
                    start = end
                    problems.clear()
                    fields.reset()
                    var type: EventType? = nil
                    switch rowScanner.scan(bytes) {
                    case .object:
                        NDJSONRecordReader.collectFields(
                            of: bytes, scanner: rowScanner, into: &fields, arena: arena, duplicates: &duplicates,
                            metadataKeys: &metadataKeys)
                        type = SchemaChecker.check(&fields, into: &problems)
                    case .invalid(let error):
                        problems.append(Problem(error.code, .none, .syntax(error.reason, offset: error.offset)))
                    case .notAnObject(let kind):
                        problems.append(Problem(.notAnObject, .none, .found(kind)))
                    }
                    problems.append(contentsOf: mapper.warnings[row])
                    if row > 0 { sink.derivedRowFollows() }
                    sink.accept(location, eventType: type, fields: fields, problems: problems, raw: line.content)
                }
            }
        }
        return true
    }
}

/// Recognises a vendor's export by the keys of its first record (SPEC §8 "Detection").
public enum VendorDetection {
    /// The preset whose shape `keys` (a record's top-level keys) have, if any.
    static func preset(keys: [UnsafeRawBufferPointer], hasEventType: Bool) -> Preset? {
        func has(_ name: String) -> Bool { keys.contains { $0.elementsEqual(name.utf8) } }
        if hasEventType && has("amplitude_id") { return .amplitude }
        if has("event") && has("properties") && !has("distinct_id") { return .mixpanel }
        if has("type") && has("messageId") { return .segment }
        if has("event") && has("distinct_id") { return .posthog }
        return nil
    }
}
