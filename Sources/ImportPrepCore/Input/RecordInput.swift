/// Opens one input for reading records — takes off gzip layers, decides the format, runs the
/// matching reader into a sink. Shared by `validate`, `convert` and `split`.
@_spi(Testing) public enum RecordInput {
    /// Reads every record of `source` into `sink`. `finished` gets the bytes and lines read (after
    /// decompression), also when it throws.
    public static func read(
        _ source: ByteSource, format: InputFormat?, preset: PresetSettings? = nil, maxRecordBytes: Int,
        delimiter: UInt8, into sink: RecordSink,
        detected: (InputFormat) -> Void, finished: (_ bytesRead: Int, _ linesRead: Int) -> Void
    ) throws(IOFailure) {
        let text = try source.decompressed()
        if isUTF16(try text.peek(64)) {
            throw IOFailure(
                path: source.path, reason: "is UTF-16 text; re-export it as UTF-8 (iconv -f UTF-16 -t UTF-8 FILE)")
        }
        if let preset {
            try readVendor(
                source, text: text, format: format, preset: preset, maxRecordBytes: maxRecordBytes,
                delimiter: delimiter, into: sink, detected: detected, finished: finished)
            return
        }
        let lines = LineReader(source: text, maxLineBytes: maxRecordBytes)
        defer { finished(lines.bytesRead, lines.linesRead) }
        var chosen = format
        if chosen == nil { chosen = try detectFormat(path: source.path, lines: lines) }
        detected(chosen!)
        try chosen!.makeReader(lines: lines, delimiter: delimiter).run(into: sink)
    }

    /// A UTF-16 byte order mark, or the NUL on every other byte that UTF-16 gives ASCII text.
    static func isUTF16(_ head: [UInt8]) -> Bool {
        if head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]) { return true }
        guard head.count >= 8 else { return false }
        let pairs = head.count / 2
        let evenNULs = stride(from: 0, to: pairs * 2, by: 2).filter { head[$0] == 0 && head[$0 + 1] != 0 }.count
        let oddNULs = stride(from: 0, to: pairs * 2, by: 2).filter { head[$0 + 1] == 0 && head[$0] != 0 }.count
        return max(evenNULs, oddNULs) * 4 >= pairs * 3
    }

    /// A vendor's export through its preset: lines, JSON documents or CSV. When the vendor's
    /// records carry event keys, the keys are noted while reading and the repeats counted at the
    /// end (rule 13); with `--dedupe` a first pass notes them, so that the second can drop the
    /// repeats (a file read twice: not standard input).
    private static func readVendor(
        _ source: ByteSource, text: ByteSource, format: InputFormat?, preset: PresetSettings, maxRecordBytes: Int,
        delimiter: UInt8, into sink: RecordSink, detected: (InputFormat) -> Void,
        finished: (_ bytesRead: Int, _ linesRead: Int) -> Void
    ) throws(IOFailure) {
        // Any preset reads JSON documents (a pretty-printed object, an array of records) when the
        // first line is not a whole record.
        let head = try text.peek(4096)
        let documents =
            format != .csv && !isCSVName(source.path) && (preset.preset.readsDocuments || startsWithDocument(head))
        func reader(_ text: ByteSource) throws(IOFailure) -> (
            RecordReader, VendorRowChecker, InputFormat, () -> (Int, Int)
        ) {
            if documents {
                let reader = VendorDocumentReader(source: text, maxRecordBytes: maxRecordBytes, settings: preset)
                return (reader, reader.checker, .ndjson, { (reader.bytesRead, reader.linesRead) })
            }
            let lines = LineReader(source: text, maxLineBytes: maxRecordBytes)
            var chosen = format
            if chosen == nil { chosen = try detectFormat(path: source.path, lines: lines) }
            switch chosen! {
            case .csv:
                let reader = VendorCSVReader(lines: lines, delimiter: delimiter, settings: preset)
                return (reader, reader.checker, .csv, { (lines.bytesRead, lines.linesRead) })
            case .ndjson:
                let reader = VendorRecordReader(lines: lines, settings: preset)
                return (reader, reader.checker, .ndjson, { (lines.bytesRead, lines.linesRead) })
            }
        }
        guard preset.preset.hasEventKeys else {
            let (main, _, kind, counted) = try reader(text)
            defer {
                let (bytes, lines) = counted()
                finished(bytes, lines)
            }
            detected(kind)
            try main.run(into: sink)
            return
        }
        func newKeys() throws(IOFailure) -> DuplicateEvents {
            let size = source.regularFileSize ?? 0
            return try DuplicateEvents(
                temporaryFolder: preset.temporaryFolder, expectedRecords: max(size / 200, 1_000))
        }
        var keys: DuplicateEvents?
        var keyPass = VendorRowChecker.KeyPass.note
        if preset.dedupe {
            // Dropping needs to know before writing: a first pass notes the keys.
            if let again = source.reopened() {
                var firstChecker: VendorRowChecker?
                do {
                    let found = try newKeys()
                    let (first, checker, _, _) = try reader(try again.decompressed())
                    firstChecker = checker
                    checker.keys = found
                    checker.keyPass = .noteOnly
                    try first.run(into: DiscardingSink())
                    if checker.keys != nil {
                        try found.finish()
                        keys = found
                        keyPass = .drop
                    } else {
                        sink.duplicatesNotChecked("the temporary files could not be written")
                    }
                } catch {
                    // Another vendor's file is said once, by the reading pass below.
                    if firstChecker?.wrongVendor == nil { sink.duplicatesNotChecked(error.description) }
                }
            } else {
                sink.duplicatesNotChecked("standard input is read once, and --dedupe needs two passes")
            }
        } else {
            // Counting only: the keys are noted while reading, and counted at the end.
            do throws(IOFailure) { keys = try newKeys() } catch { sink.duplicatesNotChecked(error.description) }
        }
        let (main, checker, kind, counted) = try reader(text)
        defer {
            let (bytes, lines) = counted()
            finished(bytes, lines)
        }
        checker.keys = keys
        checker.keyPass = keyPass
        detected(kind)
        try main.run(into: sink)
        guard keyPass == .note, let keys else { return }
        do throws(IOFailure) {
            guard checker.keys != nil else {
                throw IOFailure(path: preset.temporaryFolder, reason: "cannot be written")
            }
            try keys.finish()
            sink.duplicateEvents(keys.duplicates.count)
        } catch {
            sink.duplicatesNotChecked("the temporary files could not be written (\(error.description))")
        }
    }

    /// Whether `head` starts with a JSON document rather than a record per line: a `[`, or a `{`
    /// whose first line is not a whole JSON value.
    static func startsWithDocument(_ head: [UInt8]) -> Bool {
        var i = 0
        if head.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        while i < head.count, head[i] == 0x20 || head[i] == 0x09 || head[i] == 0x0A || head[i] == 0x0D { i += 1 }
        guard i < head.count else { return false }
        if head[i] == UInt8(ascii: "[") { return true }
        guard head[i] == UInt8(ascii: "{") else { return false }
        guard let end = head[i...].firstIndex(of: 0x0A) else { return false }
        let scanner = JSONScanner()
        return head[i..<end].withUnsafeBytes { line -> Bool in
            if case .invalid = scanner.scan(line) { return true }
            return false
        }
    }

    static func isCSVName(_ path: String) -> Bool {
        var lower = path.lowercased()
        if lower.hasSuffix(".gz") { lower.removeLast(3) }
        return lower.hasSuffix(".csv")
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
