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
    private var recordLine = 0
    private var recordOffset = 0
    private var recordNumber = 0
    private unowned(unsafe) var sink: RecordSink? = nil

    public init(lines: LineReader, delimiter: UInt8, settings: PresetSettings) {
        self.lines = lines
        self.delimiter = delimiter
        lines.rowDelimiter = delimiter
        parser = CSVParser(delimiter: delimiter)
        cells = .allocate(capacity: 1)
        cells.initialize(to: CSVCells(maxRecordBytes: lines.maxLineBytes))
        rows = VendorRowChecker(settings: settings, maxRecordBytes: 2 * lines.maxLineBytes + 64)
        object = LineBuffer(capacity: 4096)
        raw = LineBuffer(capacity: 4096)
    }

    deinit {
        cells.deinitialize(count: 1)
        cells.deallocate()
    }

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

    private func rowEnded() {
        defer { cells.pointee.reset() }
        guard let sink else { return }
        let values = cells.pointee.cells
        guard let header else {
            header = values.map { Array(WhiteSpace.trimmed($0)) }
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
        for (name, cell) in zip(header, values) where !cell.isEmpty && !name.isEmpty {
            if !first { object.append(UInt8(ascii: ",")) }
            first = false
            name.withUnsafeBytes { JSONEncoding.appendString($0, to: object) }
            object.append(UInt8(ascii: ":"))
            if let c = cell.first, c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                switch scanner.scan(cell) {
                case .object, .notAnObject(.array):
                    object.append(contentsOf: cell)
                    continue
                default: break
                }
            }
            JSONEncoding.appendString(cell, to: object)
        }
        object.append(UInt8(ascii: "}"))
        rows.check(object.bytes, at: location, raw: text(), into: sink)
    }
}
