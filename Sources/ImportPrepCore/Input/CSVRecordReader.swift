#if canImport(Glibc)
    import Glibc
#endif

/// Reads CSV through libcsv (`CSVParser`): the first row is the header, every other row a record.
///
/// Physical lines are fed to libcsv one at a time, so the line where each record starts is known
/// exactly (quoted newlines and CRLF included); a line holding a bare CR is fed in pieces that end
/// after each one, so a record that starts after it has its own offset and text. Cells are checked
/// where libcsv hands them over (`CSVRowBuilder`); only the cells of schema fields are copied, into
/// a per-record arena.
///
/// A broken record (a stray quote, or a quoted record outgrowing the cap) costs one row: it is
/// reported at its first line, and reading resumes at the physical line after that one — the lines
/// it swallowed are read again (`ReplayLines`; only records of several lines are kept for that).
public final class CSVRecordReader: RecordReader {
    private let lines: LineReader
    private let maxRecordBytes: Int
    private let delimiter: UInt8
    private let parser: CSVParser
    /// libcsv's callbacks reach the builder through this pointer (its context argument): no
    /// reference counting or exclusivity checks per cell.
    private let builder: UnsafeMutablePointer<CSVRowBuilder>
    /// Lines after the open record's first line, kept in case it breaks.
    /// Touched per line: exclusivity is not checked at run time (nothing here is reentrant).
    @exclusivity(unchecked) private var continuation = ReplayLines()
    /// Lines to read again before reading on; `queueIndex` is the next one.
    @exclusivity(unchecked) private var queue = ReplayLines()
    @exclusivity(unchecked) private var spare = ReplayLines()
    @exclusivity(unchecked) private var queueIndex = 0
    /// A line taken from the queue, copied so that rebuilding the queue cannot move it.
    @exclusivity(unchecked) private var current = ReplayLines()

    public init(lines: LineReader, delimiter: UInt8 = UInt8(ascii: ",")) {
        self.lines = lines
        self.delimiter = delimiter
        lines.rowDelimiter = delimiter
        maxRecordBytes = lines.maxLineBytes
        parser = CSVParser(delimiter: delimiter)
        builder = .allocate(capacity: 1)
        builder.initialize(to: CSVRowBuilder(maxRecordBytes: lines.maxLineBytes))
    }

    deinit {
        builder.deinitialize(count: 1)
        builder.deallocate()
    }

    @discardableResult
    public func run(into sink: RecordSink) throws(IOFailure) -> Bool {
        builder.pointee.sink = sink
        builder.pointee.keepValues = sink.needsValues
        defer { builder.pointee.sink = nil }
        builder.pointee.beginRow()
        // The state where the input first ended is what tells whether a block ended between records.
        var endedBetweenRecords: Bool?
        while true {
            while !sink.shouldStop && !builder.pointee.headerFailed, let line = try nextLine() {
                feed(line)
            }
            if sink.shouldStop { return endedBetweenRecords ?? parser.isBetweenRecords }
            if builder.pointee.headerFailed {
                try countLinesNotRead(sink)
                return true
            }
            if endedBetweenRecords == nil { endedBetweenRecords = parser.isBetweenRecords }
            if !parser.finish(into: builder) {
                fail(Problem(.malformedCSV, .none, .text("the input ends inside a quoted cell")))
            }
            if queueIndex >= queue.count { return endedBetweenRecords! }
        }
    }

    private func nextLine() throws(IOFailure) -> PhysicalLine? {
        if queueIndex < queue.count {
            current.removeAll()
            current.append(queue.line(at: queueIndex))
            queueIndex += 1
            return current.line(at: 0)
        }
        return try lines.next()
    }

    /// Feeds one physical line, in pieces that end after each bare CR.
    private func feed(_ line: PhysicalLine) {
        builder.pointee.currentLine = line.number
        builder.pointee.currentOffset = line.offset
        let opensRecord = parser.isBetweenRecords
        if opensRecord {
            if line.isBlank(rowDelimiter: delimiter) {
                builder.pointee.sink?.blankLine()
                return
            }
            continuation.removeAll()
            builder.pointee.startRecord(line: line.number, offset: line.offset)
        } else {
            continuation.append(line)
        }
        if line.isOversized {
            fail(Problem(.recordTooLarge, .none, .limit(maxRecordBytes)))
            return
        }
        let bytes = line.bytes
        var start = 0
        if let base = bytes.baseAddress, line.content.count > 0,
            let cr = memchr(base, 0x0D, line.content.count)
        {
            // Pieces ending after each CR inside the line (a CR right before the final LF is the line ending).
            var end = base.distance(to: UnsafeRawPointer(cr)) + 1
            while true {
                let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                if !feedPiece(piece, line: line, at: start, opensRecord: opensRecord) { return }
                start = end
                guard start < line.content.count,
                    let next = memchr(base + start, 0x0D, line.content.count - start)
                else { break }
                end = base.distance(to: UnsafeRawPointer(next)) + 1
            }
        }
        _ = feedPiece(
            UnsafeRawBufferPointer(rebasing: bytes[start...]), line: line, at: start, opensRecord: opensRecord)
    }

    /// Feeds one piece of a line; false when the rest of the line is not to be fed (it will be
    /// read again, after a broken record that it continued).
    private func feedPiece(_ piece: UnsafeRawBufferPointer, line: PhysicalLine, at start: Int, opensRecord: Bool)
        -> Bool
    {
        if start > 0 {
            builder.pointee.currentOffset = line.offset + start
            if parser.isBetweenRecords {
                // What follows a bare CR: nothing to read, or the next record on the same line.
                if WhiteSpace.isBlankLine(piece, rowDelimiter: delimiter) { return true }
                continuation.removeAll()
                builder.pointee.startRecord(line: line.number, offset: line.offset + start)
            }
        }
        // The piece belongs to a record that began on an earlier line, unless a record began here.
        let continues = !opensRecord && builder.pointee.recordLine != line.number
        // The cap counts the record's text without its last line ending.
        let isLast = start + piece.count == line.bytes.count
        let text = isLast ? piece.count - (line.bytes.count - line.content.count) : piece.count
        if builder.pointee.recordBytes + text > maxRecordBytes {
            fail(Problem(.recordTooLarge, .none, .limit(maxRecordBytes)))
            return !continues
        }
        builder.pointee.recordBytes += piece.count
        if builder.pointee.keepValues { _ = builder.pointee.raw.copy(piece) }
        if !parser.parse(piece, into: builder) {
            fail(Problem(.malformedCSV, .none, .text("a quote inside an unquoted cell, or text after a closing quote")))
            return !continues
        }
        return true
    }

    /// Drops the open record, reports it at its first line, and queues the lines after that line
    /// to be read again (before the rest of the queue).
    private func fail(_ problem: Problem) {
        parser.reset()
        builder.pointee.abandonRecord(problem)
        spare.removeAll()
        for k in 0..<continuation.count { spare.append(continuation.line(at: k)) }
        for k in queueIndex..<queue.count { spare.append(queue.line(at: k)) }
        swap(&queue, &spare)
        queueIndex = 0
        continuation.removeAll()
    }

    /// After a header that cannot be read, the non-blank lines left are counted as not read.
    private func countLinesNotRead(_ sink: RecordSink) throws(IOFailure) {
        var count = 0
        while let line = try nextLine() {
            if !line.isBlank(rowDelimiter: delimiter) { count += 1 }
        }
        sink.linesNotRead(count)
    }
}

/// Physical lines copied to be read again: grows only as records of several lines need it.
struct ReplayLines {
    private struct Entry {
        var number: Int
        var offset: Int
        var start: Int
        var count: Int
        var contentCount: Int
        var isOversized: Bool
        var isBlankOversized: Bool
    }

    private var entries: [Entry] = []
    private var storage: [UInt8] = []

    var count: Int { entries.count }

    mutating func removeAll() {
        entries.clear()
        if !storage.isEmpty { storage.removeAll(keepingCapacity: true) }
    }

    mutating func append(_ line: PhysicalLine) {
        entries.append(
            Entry(
                number: line.number, offset: line.offset, start: storage.count, count: line.bytes.count,
                contentCount: line.content.count, isOversized: line.isOversized,
                isBlankOversized: line.isBlankOversized))
        storage.append(contentsOf: line.bytes)
    }

    /// The line at `index`; its bytes live until this list changes.
    func line(at index: Int) -> PhysicalLine {
        let e = entries[index]
        let bytes = storage.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[e.start..<(e.start + e.count)]) }
        var line = PhysicalLine(
            bytes: bytes, content: UnsafeRawBufferPointer(rebasing: bytes[0..<e.contentCount]), number: e.number,
            offset: e.offset, isOversized: e.isOversized)
        line.isBlankOversized = e.isBlankOversized
        return line
    }
}

/// Builds one record at a time from libcsv's cells: maps them to columns, checks them in place,
/// and hands each finished row to the sink.
struct CSVRowBuilder {
    enum ColumnRole {
        case known(KnownField)
        case metadataJSON
        case metadataKey(UnsafeRawBufferPointer)
        case other
    }

    struct Column {
        var name: UnsafeRawBufferPointer
        var role: ColumnRole
        /// The first column of this name (itself when it is the first): columns of one name are
        /// one group, and a second filled cell of a group in one row is `duplicate_key`.
        var group: Int
    }

    unowned(unsafe) var sink: RecordSink?
    /// Copy every cell and the record's raw text (convert, split), not only what checks need.
    var keepValues = false
    /// The record's text as read, line by line (only with `keepValues`).
    let raw: ByteArena

    let headerArena: ByteArena
    var headerCells: [UnsafeRawBufferPointer] = []
    var columns: [Column] = []
    var metadataKeyColumns: [Int] = []
    var headerDone = false
    var headerFailed = false

    // The record being read.
    var fieldIndex = 0
    var rowSerial = 0
    var presentInRow: [Int] = []  // column group -> rowSerial of the last row where it was filled
    var fields = RecordFields()
    var problems: [Problem] = []
    let arena: ByteArena
    let scanner = JSONScanner()
    var duplicates = DuplicateKeyFinder()
    var metadataKeys: [UnsafeRawBufferPointer] = []
    var metadataFromColumns = false
    var columnsNamedInMetadataJSON: [Int] = []
    var recordLine = 1
    var recordOffset = 0
    var recordBytes = 0
    var recordNumber = 0
    var currentLine = 1
    var currentOffset = 0

    init(maxRecordBytes: Int) {
        headerArena = ByteArena(capacity: maxRecordBytes + 1)
        // Cells copied from one record take at most its size; the metadata cell's keys decoded
        // from escapes at most the cell's size again.
        arena = ByteArena(capacity: 2 * maxRecordBytes + 64)
        raw = ByteArena(capacity: maxRecordBytes + 16)
        problems.reserveCapacity(16)
    }

    /// The record's raw text without its final line ending.
    var rawText: UnsafeRawBufferPointer {
        var text = raw.contents
        while let last = text.last, last == 0x0A || last == 0x0D {
            text = UnsafeRawBufferPointer(rebasing: text.dropLast())
        }
        return text
    }

    mutating func startRecord(line: Int, offset: Int) {
        recordLine = line
        recordOffset = offset
        recordBytes = 0
        raw.reset()
    }

    /// Drops the partial record after an error (the parser was reset), reports it, and gets
    /// ready for the next line.
    mutating func abandonRecord(_ problem: Problem) {
        guard let sink else { return }
        if !headerDone {
            headerFailed = true
            var headerProblem = problem
            if case .text(let reason) = problem.detail { headerProblem.detail = .header(reason) }
            sink.fileProblem(headerProblem, at: RecordLocation(line: recordLine, record: 0, byteOffset: recordOffset))
        } else {
            recordNumber += 1
            problems.removeAll(keepingCapacity: true)
            problems.append(problem)
            fields.reset()
            let text = problem.code == .recordTooLarge ? UnsafeRawBufferPointer(start: nil, count: 0) : rawText
            sink.accept(
                RecordLocation(line: recordLine, record: recordNumber, byteOffset: recordOffset),
                eventType: nil, fields: fields, problems: problems, raw: text)
        }
        beginRow()
    }

    mutating func beginRow() {
        fieldIndex = 0
        rowSerial += 1
        fields.reset()
        arena.reset()
        problems.clear()
        columnsNamedInMetadataJSON.clear()
        metadataFromColumns = false
        // A row ended by a bare CR may be followed by another on the same line.
        recordLine = currentLine
        recordOffset = currentOffset
        recordBytes = 0
    }

    // MARK: - libcsv callbacks (through CSVParser)

    mutating func field(_ cell: UnsafeRawBufferPointer) {
        // After an unreadable header, the rest of its physical line (a bare CR ends a row) is ignored.
        guard !headerFailed else { return }
        let index = fieldIndex
        fieldIndex += 1
        guard headerDone else {
            headerCells.append(headerArena.copy(cell)!)
            return
        }
        guard index < columns.count, cell.count > 0 else { return }
        let column = columns[index]
        if presentInRow[column.group] == rowSerial {
            fields.duplicateKeys.append(column.name)
            return
        }
        presentInRow[column.group] = rowSerial
        if case .metadataJSON = column.role {
            // The JSON scanner checks its UTF-8.
        } else if let bad = UTF8Check.firstInvalidByte(cell) {
            let reason: StaticString = cell[bad] == 0 ? "NUL byte" : "invalid UTF-8 sequence"
            problems.append(Problem(.invalidUTF8, .name(column.name), .inCell(reason, offset: bad)))
        }
        switch column.role {
        case .known(let known):
            fields[known] = FieldValue(kind: .string, bytes: arena.copy(cell)!)
        case .metadataJSON:
            readMetadataCell(cell)
            if keepValues { fields[.metadata].bytes = arena.copy(cell)! }
        case .metadataKey(let key):
            metadataFromColumns = true
            if keepValues { fields.metadataCells.append((key, arena.copy(cell)!)) }
        case .other:
            fields.otherKeys.append(column.name)
            if keepValues { fields.otherValues.append(FieldValue(kind: .string, bytes: arena.copy(cell)!)) }
        }
    }

    mutating func rowEnded() {
        guard !headerFailed else { return }
        guard headerDone else {
            buildHeader()
            beginRow()
            return
        }
        recordNumber += 1
        var type: EventType? = nil
        if fieldIndex != columns.count {
            problems.removeAll(keepingCapacity: true)
            problems.append(Problem(.columnCount, .none, .counts(found: fieldIndex, expected: columns.count)))
        } else {
            // A `null` (or absent) metadata cell does not count when columns fill metadata.
            if metadataFromColumns && (fields[.metadata].kind == nil || fields[.metadata].kind == .null) {
                fields[.metadata] = FieldValue(kind: .object, bytes: UnsafeRawBufferPointer(start: nil, count: 0))
            }
            for column in columnsNamedInMetadataJSON where presentInRow[column] == rowSerial {
                fields.duplicateKeys.append(columns[column].name)
            }
            type = SchemaChecker.check(&fields, into: &problems)
        }
        sink?.accept(
            RecordLocation(line: recordLine, record: recordNumber, byteOffset: recordOffset),
            eventType: type, fields: fields, problems: problems, raw: rawText)
        beginRow()
    }

    /// A `metadata` cell holds a JSON object: scanned in place by the same scanner as NDJSON.
    private mutating func readMetadataCell(_ cell: UnsafeRawBufferPointer) {
        switch scanner.scan(cell) {
        case .invalid(let error):
            let code: ProblemCode = error.code == .invalidUTF8 ? .invalidUTF8 : .invalidMetadata
            problems.append(Problem(code, .known(.metadata), .inCell(error.reason, offset: error.offset)))
            fields[.metadata] = FieldValue(kind: .object, bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        case .notAnObject(let kind):
            fields[.metadata] = FieldValue(kind: kind, bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        case .object:
            var nested = false
            metadataKeys.clear()
            for member in scanner.members {
                if member.kind == .object || member.kind == .array { nested = true }
                let rawKey = UnsafeRawBufferPointer(rebasing: cell[member.keyStart..<member.keyEnd])
                let key = member.keyHasEscapes ? arena.decodeJSONString(rawKey)! : rawKey
                metadataKeys.append(key)
                for column in metadataKeyColumns {
                    if case .metadataKey(let name) = columns[column].role, name.elementsEqual(key) {
                        columnsNamedInMetadataJSON.append(column)
                    }
                }
            }
            duplicates.findDuplicates(in: metadataKeys, into: &fields.duplicateMetadataKeys)
            fields[.metadata] = FieldValue(
                kind: .object, bytes: UnsafeRawBufferPointer(start: nil, count: 0), holdsContainers: nested)
        }
    }

    private mutating func buildHeader() {
        headerDone = true
        columns.reserveCapacity(headerCells.count)
        var firstColumnNamed: [String: Int] = [:]
        @inline(__always) func refuse(_ problem: Problem) {
            headerFailed = true
            sink?.fileProblem(problem, at: RecordLocation(line: recordLine, record: 0, byteOffset: recordOffset))
        }
        for (index, cell) in headerCells.enumerated() {
            if let bad = UTF8Check.firstInvalidByte(cell) {
                // A column name that is not text cannot become a JSON key: nothing can be read.
                let reason: StaticString =
                    cell[bad] == 0 ? "NUL byte in a column name" : "invalid UTF-8 in a column name"
                return refuse(Problem(.invalidUTF8, .none, .inCell(reason, offset: bad)))
            }
            let name = WhiteSpace.trimmed(cell)
            if name.isEmpty {
                return refuse(Problem(.malformedCSV, .none, .header("a column of the header has no name")))
            }
            let role: ColumnRole
            if let known = KnownField(bytes: name) {
                role = known == .metadata ? .metadataJSON : .known(known)
            } else if name.count >= 9, name.prefix(9).elementsEqual("metadata.".utf8) {
                if name.count == 9 {
                    return refuse(Problem(.malformedCSV, .none, .header("a column named metadata. has no key")))
                }
                role = .metadataKey(UnsafeRawBufferPointer(rebasing: name[9...]))
            } else {
                role = .other
            }
            let text = String(decoding: name, as: UTF8.self)
            let group = firstColumnNamed[text] ?? index
            if group == index {
                firstColumnNamed[text] = index
                if case .metadataKey = role { metadataKeyColumns.append(index) }
            }
            columns.append(Column(name: name, role: role, group: group))
        }
        presentInRow = Array(repeating: 0, count: columns.count)
    }
}
