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
            record.clear()
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
                        if depth == 1 { keyBytes.clear() }
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
                        record.clear()
                        record.append(c)
                        recording = true
                        oversized = false
                        recordLocation = RecordLocation(line: line, record: 0, byteOffset: offset)
                    } else if depth == 1 && inArray && c == UInt8(ascii: "{") {
                        record.clear()
                        record.append(c)
                        recording = true
                        oversized = false
                        recordLocation = RecordLocation(line: line, record: 0, byteOffset: offset)
                    } else if depth == 1 && topIsObject && c == UInt8(ascii: "[") && lastKeyIsResults {
                        inResults = true
                        recording = false
                    } else if depth == 2 && inResults && c == UInt8(ascii: "{") {
                        record.clear()
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
