/// Reads a vendor's warehouse copy as CSV (SPEC §8: Mixpanel's, Amplitude's and PostHog's tables
/// with JSON in cells): the first row names the columns; each record becomes one JSON object,
/// `{"column": cell, …}` (empty cells left out; a cell holding a JSON object or array kept as that
/// value, every other cell a string, so that ids stay exact), which `VendorMapper` maps as it maps
/// the vendor's NDJSON. Coordinates are the CSV record's; `raw` is its text.
///
/// Simpler than `CSVRecordReader` on broken input: a malformed record is reported at its first
/// line and reading goes on after the line where libcsv gave up.
public final class VendorCSVReader: RecordReader {
    private let lines: LineReader
    private let delimiter: UInt8
    private let parser: CSVParser
    private let cells: UnsafeMutablePointer<CSVCells>
    private let rows: VendorRowChecker
    private let object: LineBuffer
    private let raw: LineBuffer
    private let scanner = JSONScanner()
    private var header: [[UInt8]]? = nil
    /// Segment's CSV (segment-import, warehouse tables): `traits.email` columns are one level of nesting,
    /// `null` cells are absent and numbers are numbers (what its tool does with them).
    private let segmentImport: Bool
    /// Per column: the group it belongs to (text before its first dot) and its key in it.
    private var groups: [(group: [UInt8], key: [UInt8])?] = []
    private var recordLine = 0
    private var recordOffset = 0
    private var recordNumber = 0
    private unowned(unsafe) var sink: RecordSink? = nil
    /// The file is another vendor's (set from the row callback, thrown by `run`).
    private var wrongVendor: IOFailure?

    public init(lines: LineReader, delimiter: UInt8, settings: PresetSettings) {
        self.lines = lines
        self.delimiter = delimiter
        lines.rowDelimiter = delimiter
        parser = CSVParser(delimiter: delimiter)
        cells = .allocate(capacity: 1)
        cells.initialize(to: CSVCells(maxRecordBytes: lines.maxLineBytes))
        rows = VendorRowChecker(settings: settings, maxRecordBytes: 2 * lines.maxLineBytes + 64)
        segmentImport = settings.preset == .segment
        object = LineBuffer(capacity: 4096)
        raw = LineBuffer(capacity: 4096)
    }

    deinit {
        cells.deinitialize(count: 1)
        cells.deallocate()
    }

    /// The row checker, for the duplicate check's two passes.
    var checker: VendorRowChecker { rows }

    @discardableResult
    public func run(into sink: RecordSink) throws(IOFailure) -> Bool {
        self.sink = sink
        defer { self.sink = nil }
        cells.pointee.onRow = { [unowned(unsafe) self] in self.rowEnded() }
        defer { cells.pointee.onRow = {} }
        while !sink.shouldStop, let line = try lines.next() {
            if parser.isBetweenRecords {
                if line.isBlank(rowDelimiter: delimiter) {
                    sink.blankLine()
                    continue
                }
                recordLine = line.number
                recordOffset = line.offset
                raw.removeAll()
                cells.pointee.reset()
            }
            if line.isOversized || raw.count + line.bytes.count > lines.maxLineBytes {
                broken(Problem(.recordTooLarge, .none, .limit(lines.maxLineBytes)))
                continue
            }
            raw.append(contentsOf: line.bytes)
            if !parser.parse(line.bytes, into: cells) {
                broken(Problem(.malformedCSV, .none, .text("libcsv cannot read the record (a stray quote?)")))
            }
            if let wrongVendor { throw wrongVendor }
        }
        if !sink.shouldStop && !parser.finish(into: cells) {
            broken(Problem(.malformedCSV, .none, .text("the input ends inside a quoted cell")))
        }
        return true
    }

    /// A record that cannot be read: reported at its first line; reading goes on at the next line.
    private func broken(_ problem: Problem) {
        parser.reset()
        cells.pointee.reset()
        guard let sink else { return }
        if header == nil {
            sink.fileProblem(problem, at: RecordLocation(line: recordLine, record: 0, byteOffset: recordOffset))
            return
        }
        recordNumber += 1
        rows.reject(
            problem, at: RecordLocation(line: recordLine, record: recordNumber, byteOffset: recordOffset),
            raw: text(), into: sink)
        raw.removeAll()
    }

    /// The record's text without its last line ending.
    private func text() -> UnsafeRawBufferPointer {
        var bytes = raw.bytes
        while let last = bytes.last, last == 0x0A || last == 0x0D {
            bytes = UnsafeRawBufferPointer(rebasing: bytes.dropLast())
        }
        return bytes
    }

    /// segment-import leaves `null` cells out.
    private func keep(_ cell: UnsafeRawBufferPointer) -> Bool { !(segmentImport && cell.equals("null")) }

    /// A cell as a JSON value: an object or array cell as itself, with segment-import a portable
    /// number as a number, anything else as a string.
    private func appendValue(_ cell: UnsafeRawBufferPointer) {
        if let c = cell.first, c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
            switch scanner.scan(cell) {
            case .object, .notAnObject(.array):
                object.append(contentsOf: cell)
                return
            default: break
            }
        }
        if segmentImport && JSONEncoding.isPortableNumber(cell) {
            object.append(contentsOf: cell)
            return
        }
        JSONEncoding.appendString(cell, to: object)
    }

    private func rowEnded() {
        defer { cells.pointee.reset() }
        guard let sink else { return }
        let values = cells.pointee.cells
        guard let header else {
            let names = values.map { Array(WhiteSpace.trimmed($0)) }
            header = names
            groups = names.map { name in
                guard segmentImport, let dot = name.firstIndex(of: UInt8(ascii: ".")), dot > 0, dot < name.count - 1
                else { return nil }
                return (Array(name[..<dot]), Array(name[(dot + 1)...]))
            }
            return
        }
        recordNumber += 1
        let location = RecordLocation(line: recordLine, record: recordNumber, byteOffset: recordOffset)
        if cells.pointee.overflowed {
            rows.reject(
                Problem(.recordTooLarge, .none, .limit(lines.maxLineBytes)), at: location, raw: text(), into: sink)
            return
        }
        guard values.count == header.count else {
            rows.reject(
                Problem(.columnCount, .none, .counts(found: values.count, expected: header.count)), at: location,
                raw: text(), into: sink)
            return
        }
        object.removeAll()
        object.append(UInt8(ascii: "{"))
        var first = true
        for (column, (name, cell)) in zip(header, values).enumerated()
        where !cell.isEmpty && !name.isEmpty && groups[column] == nil {
            guard keep(cell) else { continue }
            if !first { object.append(UInt8(ascii: ",")) }
            first = false
            name.withUnsafeBytes { JSONEncoding.appendString($0, to: object) }
            object.append(UInt8(ascii: ":"))
            appendValue(cell)
        }
        // Grouped columns, one object per group, in the order the groups first appear.
        var written: [[UInt8]] = []
        for case (_, let entry?) in groups.enumerated() where !written.contains(entry.group) {
            written.append(entry.group)
            if !first { object.append(UInt8(ascii: ",")) }
            first = false
            entry.group.withUnsafeBytes { JSONEncoding.appendString($0, to: object) }
            object.append(UInt8(ascii: ":"))
            object.append(UInt8(ascii: "{"))
            var firstMember = true
            for (column, member) in groups.enumerated() {
                guard let member, member.group == entry.group else { continue }
                let cell = values[column]
                guard !cell.isEmpty, keep(cell) else { continue }
                if !firstMember { object.append(UInt8(ascii: ",")) }
                firstMember = false
                member.key.withUnsafeBytes { JSONEncoding.appendString($0, to: object) }
                object.append(UInt8(ascii: ":"))
                appendValue(cell)
            }
            object.append(UInt8(ascii: "}"))
        }
        object.append(UInt8(ascii: "}"))
        rows.check(object.bytes, at: location, raw: text(), into: sink)
        if let reason = rows.wrongVendor { wrongVendor = IOFailure(path: lines.source.path, reason: reason) }
    }
}
