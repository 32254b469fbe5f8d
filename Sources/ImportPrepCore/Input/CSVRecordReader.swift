/// Reads CSV through libcsv (`CSVParser`): the first row is the header, every other row a record.
///
/// Physical lines are fed to libcsv one at a time, so the line where each record starts is known
/// exactly (quoted newlines and CRLF included). Cells are checked where libcsv hands them over
/// (`CSVRowBuilder`); only the cells of schema fields are copied, into a per-record arena.
public final class CSVRecordReader {
    private let lines: LineReader
    private let maxRecordBytes: Int
    private let parser: CSVParser
    /// libcsv's callbacks reach the builder through this pointer (its context argument): no
    /// reference counting or exclusivity checks per cell.
    private let builder: UnsafeMutablePointer<CSVRowBuilder>

    public init(lines: LineReader, delimiter: UInt8 = UInt8(ascii: ",")) {
        self.lines = lines
        maxRecordBytes = lines.maxLineBytes
        parser = CSVParser(delimiter: delimiter)
        builder = .allocate(capacity: 1)
        builder.initialize(to: CSVRowBuilder(maxRecordBytes: lines.maxLineBytes))
    }

    deinit {
        builder.deinitialize(count: 1)
        builder.deallocate()
    }

    public func run(into sink: RecordSink) throws(IOFailure) {
        builder.pointee.sink = sink
        builder.pointee.keepValues = sink.needsValues
        defer { builder.pointee.sink = nil }
        builder.pointee.beginRow()
        while !sink.shouldStop && !builder.pointee.headerFailed, let line = try lines.next() {
            builder.pointee.currentLine = line.number
            builder.pointee.currentOffset = line.offset
            if parser.isBetweenRecords {
                if !line.isOversized && line.content.isBlankLine {
                    sink.blankLine()
                    continue
                }
                builder.pointee.startRecord(line: line.number, offset: line.offset)
            }
            if line.isOversized || builder.pointee.recordBytes + line.content.count > maxRecordBytes {
                parser.reset()
                builder.pointee.abandonRecord(Problem(.recordTooLarge, .none, .limit(maxRecordBytes)))
                continue
            }
            builder.pointee.recordBytes += line.bytes.count
            if builder.pointee.keepValues { _ = builder.pointee.raw.copy(line.bytes) }
            if !parser.parse(line.bytes, into: builder) {
                parser.reset()
                builder.pointee.abandonRecord(
                    Problem(
                        .malformedCSV, .none, .text("a quote inside an unquoted cell, or text after a closing quote")))
            }
        }
        if sink.shouldStop || builder.pointee.headerFailed { return }
        sink.csvInputEnded(betweenRecords: parser.isBetweenRecords)
        if !parser.finish(into: builder) {
            parser.reset()
            builder.pointee.abandonRecord(Problem(.malformedCSV, .none, .text("the input ends inside a quoted cell")))
        }
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
        /// Index of an earlier column with the same name, or -1.
        var sameNameAs: Int
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
    var presentInRow: [Int] = []  // column -> rowSerial of the last row where it was non-empty
    var fields = RecordFields()
    var problems: [Problem] = []
    let arena: ByteArena
    let scanner = JSONScanner()
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
        arena = ByteArena(capacity: maxRecordBytes + 1)
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
            sink.fileProblem(problem, at: RecordLocation(line: recordLine, record: 0, byteOffset: recordOffset))
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
        presentInRow[index] = rowSerial
        let column = columns[index]
        if column.sameNameAs >= 0 && presentInRow[column.sameNameAs] == rowSerial {
            fields.duplicateKeys.append(column.name)
            return
        }
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
            if metadataFromColumns && fields[.metadata].kind == nil {
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
            for member in scanner.members {
                if member.kind == .object || member.kind == .array { nested = true }
                guard !metadataKeyColumns.isEmpty else { continue }
                let rawKey = UnsafeRawBufferPointer(rebasing: cell[member.keyStart..<member.keyEnd])
                let key = member.keyHasEscapes ? arena.decodeJSONString(rawKey)! : rawKey
                for column in metadataKeyColumns {
                    if case .metadataKey(let name) = columns[column].role, name.elementsEqual(key) {
                        columnsNamedInMetadataJSON.append(column)
                    }
                }
            }
            fields[.metadata] = FieldValue(
                kind: .object, bytes: UnsafeRawBufferPointer(start: nil, count: 0), holdsContainers: nested)
        }
    }

    private mutating func buildHeader() {
        headerDone = true
        columns.reserveCapacity(headerCells.count)
        var firstColumnNamed: [String: Int] = [:]
        for (index, cell) in headerCells.enumerated() {
            if let bad = UTF8Check.firstInvalidByte(cell) {
                // A column name that is not text cannot become a JSON key: nothing can be read.
                headerFailed = true
                let reason: StaticString =
                    cell[bad] == 0 ? "NUL byte in a column name" : "invalid UTF-8 in a column name"
                sink?.fileProblem(
                    Problem(.invalidUTF8, .none, .inCell(reason, offset: bad)),
                    at: RecordLocation(line: recordLine, record: 0, byteOffset: recordOffset))
                return
            }
            let name = Self.trimmed(cell)
            let role: ColumnRole
            if let known = KnownField(bytes: name) {
                role = known == .metadata ? .metadataJSON : .known(known)
            } else if name.count > 9, name.prefix(9).elementsEqual("metadata.".utf8) {
                role = .metadataKey(UnsafeRawBufferPointer(rebasing: name[9...]))
                metadataKeyColumns.append(index)
            } else {
                role = .other
            }
            let text = String(decoding: name, as: UTF8.self)
            let earlier = firstColumnNamed[text] ?? -1
            if earlier < 0 { firstColumnNamed[text] = index }
            columns.append(Column(name: name, role: role, sameNameAs: earlier))
        }
        presentInRow = Array(repeating: 0, count: columns.count)
    }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var lower = 0
        var upper = bytes.count
        while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 0x09 { lower += 1 }
        while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 { upper -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[lower..<upper])
    }
}
