/// Reads a vendor's NDJSON export through a preset (SPEC §8): each line is checked as JSON,
/// mapped by `VendorMapper` into zero, one or two Userpilot rows, and each row is read and checked
/// exactly like an NDJSON line of Userpilot's own shape, then handed to the sink with the vendor
/// line's coordinates and the vendor record as `raw`. Skipped records go to `sink.skipped`.
public final class VendorRecordReader: RecordReader {
    private let lines: LineReader
    private let rows: VendorRowChecker

    public init(lines: LineReader, settings: PresetSettings) {
        self.lines = lines
        rows = VendorRowChecker(settings: settings, maxRecordBytes: lines.maxLineBytes)
    }

    /// Reads through `checker`, which keeps its state from block to block.
    init(lines: LineReader, checker: VendorRowChecker) {
        self.lines = lines
        rows = checker
    }

    /// The row checker, for the duplicate check's two passes.
    var checker: VendorRowChecker { rows }

    @discardableResult
    public func run(into sink: RecordSink) throws(IOFailure) -> Bool {
        var recordNumber = 0
        while !sink.shouldStop, let line = try lines.next() {
            if line.isBlank(rowDelimiter: nil) {
                sink.blankLine()
                continue
            }
            if rows.mapper.settings.preset == .mixpanel, !line.isOversized,
                WhiteSpace.trimmed(line.content).equals("terminated early")
            {
                // Mixpanel's export stream was cut: not a record; the file is incomplete (rule 12).
                sink.fileProblem(
                    Problem(.truncatedExport, .none, .text("Mixpanel's export ended with `terminated early`")),
                    at: RecordLocation(line: line.number, record: recordNumber + 1, byteOffset: line.offset))
                continue
            }
            recordNumber += 1
            let location = RecordLocation(line: line.number, record: recordNumber, byteOffset: line.offset)
            if line.isOversized {
                rows.oversized(at: location, limit: lines.maxLineBytes, into: sink)
            } else {
                rows.check(line.content, at: location, into: sink)
                if let reason = rows.wrongVendor { throw IOFailure(path: lines.source.path, reason: reason) }
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
        if has("event_params") && has("event_timestamp") { return .ga4 }
        if has("$distinct_id") && has("$properties") || has("results") && has("session_id") { return .mixpanelProfiles }
        if has("type") && has("messageId") { return .segment }
        if has("event") && has("properties") && !has("distinct_id") && !has("type") { return .mixpanel }
        if has("event") && has("distinct_id") { return .posthog }
        return nil
    }
}
