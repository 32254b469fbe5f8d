/// Reads an export made of JSON documents rather than lines (SPEC §8: Mixpanel's Engage pages,
/// `{"page", "results": [{…}, …], …}`, pretty-printed or on one line, one page after another),
/// and NDJSON, a plain sequence of objects or a top-level array of them as well: each element of
/// a top-level object's `results` array is a record, so is each object of a top-level array, and
/// so is each top-level object without `results`. Streams the bytes
/// (constant memory: one record at a time); a document cut off keeps every complete record and
/// gets a file-level `truncated_export`. Records go through `VendorMapper` as lines do in
/// `VendorRecordReader`, with the coordinates of the record's first byte.
public final class VendorDocumentReader: RecordReader {
    private let source: ByteSource
    private let maxRecordBytes: Int
    private let rows: VendorRowChecker
    /// Bytes and physical lines read, for the file's summary.
    public private(set) var bytesRead = 0
    public private(set) var linesRead = 0

    public init(source: ByteSource, maxRecordBytes: Int, settings: PresetSettings) {
        self.source = source
        self.maxRecordBytes = maxRecordBytes
        rows = VendorRowChecker(settings: settings, maxRecordBytes: maxRecordBytes)
    }

    /// The row checker, for the duplicate check's two passes.
    var checker: VendorRowChecker { rows }

    @discardableResult
    public func run(into sink: RecordSink) throws(IOFailure) -> Bool {
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 128 << 10, alignment: 64)
        defer { block.deallocate() }
        var record: [UInt8] = []
        record.reserveCapacity(min(maxRecordBytes, 1 << 20))
        var recording = false  // inside a value that is (or may be) a record
        var oversized = false
        var recordLocation = RecordLocation(line: 1, record: 0, byteOffset: 0)
        var recordNumber = 0
        var depth = 0
        var strings = JSONStringTracker()
        var topIsObject = false
        var inArray = false  // inside a top-level array of records
        var inResults = false  // inside the `results` array of the top-level object
        var keyBytes: [UInt8] = []  // the last string read at depth 1 (up to 8 bytes)
        var lastKeyIsResults = false
        var line = 1
        var offset = 0
        var first = true
        var lastByte: UInt8 = 0

        func emit() {
            recordNumber += 1
            recordLocation.record = recordNumber
            if oversized {
                rows.oversized(at: recordLocation, limit: maxRecordBytes, into: sink)
            } else {
                record.withUnsafeBytes { rows.check($0, at: recordLocation, into: sink) }
            }
            record.removeAll(keepingCapacity: true)
            recording = false
            oversized = false
        }
        func stopIfWrongVendor() throws(IOFailure) {
            if let reason = rows.wrongVendor { throw IOFailure(path: source.path, reason: reason) }
        }

        while !sink.shouldStop {
            let n = try source.read(into: block)
            if n == 0 { break }
            var start = 0
            if first {
                first = false
                if n >= 3 && block[0] == 0xEF && block[1] == 0xBB && block[2] == 0xBF {
                    start = 3
                    offset = 3  // offsets count the byte order mark, as LineReader's do
                }
            }
            for i in start..<n {
                let c = block[i]
                lastByte = c
                defer {
                    offset += 1
                    if c == 0x0A { line += 1 }
                }
                if recording {
                    if record.count < maxRecordBytes { record.append(c) } else { oversized = true }
                }
                let wasInString = strings.inString
                if strings.feed(c) {
                    if !wasInString {
                        if depth == 1 { keyBytes.removeAll(keepingCapacity: true) }
                    } else if !strings.inString {
                        if depth == 1 { lastKeyIsResults = keyBytes.elementsEqual("results".utf8) }
                    } else if depth == 1 && keyBytes.count < 8 {
                        keyBytes.append(c)
                    }
                    continue
                }
                switch c {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    if depth == 0 && c == UInt8(ascii: "[") {
                        // A top-level array: each object in it is a record.
                        topIsObject = false
                        inArray = true
                        recording = false
                    } else if depth == 0 {
                        topIsObject = true
                        inArray = false
                        inResults = false
                        lastKeyIsResults = false
                        record.removeAll(keepingCapacity: true)
                        record.append(c)
                        recording = true
                        oversized = false
                        recordLocation = RecordLocation(line: line, record: 0, byteOffset: offset)
                    } else if depth == 1 && inArray && c == UInt8(ascii: "{") {
                        record.removeAll(keepingCapacity: true)
                        record.append(c)
                        recording = true
                        oversized = false
                        recordLocation = RecordLocation(line: line, record: 0, byteOffset: offset)
                    } else if depth == 1 && topIsObject && c == UInt8(ascii: "[") && lastKeyIsResults {
                        inResults = true
                        recording = false
                    } else if depth == 2 && inResults && c == UInt8(ascii: "{") {
                        record.removeAll(keepingCapacity: true)
                        record.append(c)
                        recording = true
                        oversized = false
                        recordLocation = RecordLocation(line: line, record: 0, byteOffset: offset)
                    }
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 1 && inArray && recording {
                        emit()
                        try stopIfWrongVendor()
                    } else if depth == 0 && inArray {
                        inArray = false
                    } else if depth == 2 && inResults && recording {
                        emit()
                        try stopIfWrongVendor()
                    } else if depth == 1 && inResults && c == UInt8(ascii: "]") {
                        inResults = false
                    } else if depth == 0 {
                        if recording {
                            emit()
                            try stopIfWrongVendor()
                        }
                        topIsObject = false
                    } else if depth < 0 {
                        depth = 0
                    }
                case UInt8(ascii: ","):
                    if depth == 1 { lastKeyIsResults = false }
                default:
                    break
                }
            }
        }
        bytesRead = offset
        linesRead = line - 1 + (offset > 0 && lastByte != 0x0A ? 1 : 0)
        if depth > 0 || strings.inString {
            sink.fileProblem(
                Problem(.truncatedExport, .none, .text("the JSON document is cut off before its end")),
                at: RecordLocation(line: line, record: recordNumber + 1, byteOffset: offset))
        }
        return true
    }
}

/// Maps one vendor record and hands its rows, checked like NDJSON lines, to a sink: the part
/// `VendorRecordReader` and `VendorDocumentReader` share.
final class VendorRowChecker {
    let mapper: VendorMapper
    /// Rule 13. First pass (`collecting`): every record's key goes to `keys`, nothing to the sink.
    /// Second pass: a record `keys` found to repeat an earlier key is counted, and dropped with `--dedupe`.
    var keys: DuplicateEvents?
    var collecting = false
    /// Set when the first record has another known vendor's shape: the reader stops the file with
    /// this reason instead of reporting every record as broken.
    private(set) var wrongVendor: String?
    private var shapeChecked = false
    private let vendorScanner = JSONScanner()
    private let rowScanner = JSONScanner()
    private var metadataKeys: [UnsafeRawBufferPointer] = []
    private var fields = RecordFields()
    private var problems: [Problem] = []
    private var duplicates = DuplicateKeyFinder()
    private let arena: ByteArena

    init(settings: PresetSettings, maxRecordBytes: Int) {
        mapper = VendorMapper(settings: settings, maxRecordBytes: maxRecordBytes)
        // A mapped row is at most a few times its vendor record (flattened keys, escapes).
        arena = ByteArena(capacity: 8 * maxRecordBytes + 64)
    }

    /// Why the record (the file's first) is not the chosen vendor's: it has another known vendor's
    /// shape. Nil when it fits, or when its shape is not one detection knows.
    static func wrongVendor(_ record: UnsafeRawBufferPointer, scanner: JSONScanner, chosen: Preset, line: Int)
        -> String?
    {
        guard chosen != .mapped else { return nil }
        let keys = scanner.members.map { UnsafeRawBufferPointer(rebasing: record[$0.keyStart..<$0.keyEnd]) }
        let hasEventType = keys.contains { $0.elementsEqual("event_type".utf8) }
        guard let found = VendorDetection.preset(keys: keys, hasEventType: hasEventType) else { return nil }
        let family: (Preset) -> Preset = { $0 == .mixpanelGroups ? .mixpanelProfiles : $0 }
        guard family(found) != family(chosen) else { return nil }
        // Mixpanel's warehouse copy can have both `event` and `distinct_id` columns, as PostHog's rows do.
        if chosen == .mixpanel && found == .posthog { return nil }
        let names = keys.prefix(6).map { String(decoding: $0, as: UTF8.self) }.joined(separator: ", ")
        let article = "AEIOU".contains(chosen.title.first ?? "x") ? "an" : "a"
        return
            "is not \(article) \(chosen.title) export: its first record (line \(line)) has the keys \(names)\(keys.count > 6 ? ", …" : "") — it looks like a \(found.title) export: use --from \(found.rawValue)"
    }

    /// A record longer than `--max-record-bytes`.
    func oversized(at location: RecordLocation, limit: Int, into sink: RecordSink) {
        reject(
            Problem(.recordTooLarge, .none, .limit(limit)), at: location,
            raw: UnsafeRawBufferPointer(start: nil, count: 0),
            into: sink)
    }

    /// A record that cannot be read at all (too large, a broken CSV record).
    func reject(_ problem: Problem, at location: RecordLocation, raw: UnsafeRawBufferPointer, into sink: RecordSink) {
        problems.clear()
        fields.reset()
        problems.append(problem)
        sink.accept(location, eventType: nil, fields: fields, problems: problems, raw: raw)
    }

    /// Maps `record` (a vendor record as JSON) and hands its rows to `sink`; `raw` is what rejects
    /// keep (the record itself unless told otherwise: a CSV record's text).
    func check(
        _ record: UnsafeRawBufferPointer, at location: RecordLocation, raw: UnsafeRawBufferPointer? = nil,
        into sink: RecordSink
    ) {
        let raw = raw ?? record
        problems.clear()
        fields.reset()
        switch vendorScanner.scan(record) {
        case .invalid(let error):
            problems.append(Problem(error.code, .none, .syntax(error.reason, offset: error.offset)))
            sink.accept(location, eventType: nil, fields: fields, problems: problems, raw: raw)
            return
        case .notAnObject(let kind):
            problems.append(Problem(.notAnObject, .none, .found(kind)))
            sink.accept(location, eventType: nil, fields: fields, problems: problems, raw: raw)
            return
        case .object: break
        }
        if !shapeChecked {
            shapeChecked = true
            if let reason = Self.wrongVendor(
                record, scanner: vendorScanner, chosen: mapper.settings.preset, line: location.line)
            {
                wrongVendor = reason
                return
            }
        }
        if let keys {
            if collecting {
                if let key = mapper.eventKey(record) {
                    do { try keys.add(key: key, record: location.record) } catch { self.keys = nil }
                }
                return
            }
            if keys.isDuplicate(location.record) {
                sink.duplicateEvent()
                if mapper.settings.dedupe {
                    sink.skipped(.duplicateEvent, at: location)
                    return
                }
            }
        }
        switch mapper.map(record) {
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
                sink.accept(location, eventType: type, fields: fields, problems: problems, raw: raw)
            }
        }
    }
}
