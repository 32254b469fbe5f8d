import CLibCSV

/// The one door to libcsv: owns a `csv_parser` and turns its callbacks into calls on a
/// `CSVRowBuilder`, passed as libcsv's context pointer. No other file imports `CLibCSV`.
///
/// Strict mode (RFC 4180 quoting, unterminated quote at end of input is an error), spaces kept
/// as data, the delimiter configurable.
struct CSVParser: ~Copyable {
    private let parser: UnsafeMutablePointer<csv_parser>

    init(delimiter: UInt8) {
        parser = .allocate(capacity: 1)
        let options = UInt8(CSV_STRICT | CSV_STRICT_FINI)
        // csv_init only fails when its argument is NULL.
        _ = csv_init(parser, options)
        csv_set_delim(parser, delimiter)
        csv_set_space_func(parser, keepSpaces)
        csv_set_blk_size(parser, 64 * 1024)
    }

    deinit {
        csv_free(parser)
        parser.deallocate()
    }

    /// Between records: no field or row has begun.
    var isBetweenRecords: Bool { import_prep_csv_between_records(parser) != 0 }

    /// Feeds bytes; returns false on a parse error (the partial record must then be dropped and
    /// the parser `reset()`).
    func parse(_ bytes: UnsafeRawBufferPointer, into builder: UnsafeMutablePointer<CSVRowBuilder>) -> Bool {
        let used = csv_parse(parser, bytes.baseAddress, bytes.count, fieldCallback, rowCallback, builder)
        return used == bytes.count && csv_error(parser) == CSV_SUCCESS
    }

    /// Ends the input: delivers a last record without a line ending. False when the input ends
    /// inside a quoted field.
    func finish(into builder: UnsafeMutablePointer<CSVRowBuilder>) -> Bool {
        csv_fini(parser, fieldCallback, rowCallback, builder) == 0
    }

    /// `parse` for readers that take every cell as it is (`CSVCells`: the vendor presets).
    func parse(_ bytes: UnsafeRawBufferPointer, into cells: UnsafeMutablePointer<CSVCells>) -> Bool {
        let used = csv_parse(parser, bytes.baseAddress, bytes.count, cellCallback, cellRowCallback, cells)
        return used == bytes.count && csv_error(parser) == CSV_SUCCESS
    }

    func finish(into cells: UnsafeMutablePointer<CSVCells>) -> Bool {
        csv_fini(parser, cellCallback, cellRowCallback, cells) == 0
    }

    /// Forgets any partial record.
    func reset() { import_prep_csv_reset(parser) }
}

private func keepSpaces(_: UInt8) -> Int32 { 0 }

private func fieldCallback(_ bytes: UnsafeMutableRawPointer?, _ count: Int, _ context: UnsafeMutableRawPointer?) {
    context!.assumingMemoryBound(to: CSVRowBuilder.self).pointee.field(
        UnsafeRawBufferPointer(start: bytes, count: count))
}

private func rowCallback(_ terminator: Int32, _ context: UnsafeMutableRawPointer?) {
    context!.assumingMemoryBound(to: CSVRowBuilder.self).pointee.rowEnded()
}

private func cellCallback(_ bytes: UnsafeMutableRawPointer?, _ count: Int, _ context: UnsafeMutableRawPointer?) {
    context!.assumingMemoryBound(to: CSVCells.self).pointee.field(UnsafeRawBufferPointer(start: bytes, count: count))
}

private func cellRowCallback(_ terminator: Int32, _ context: UnsafeMutableRawPointer?) {
    context!.assumingMemoryBound(to: CSVCells.self).pointee.rowEnded()
}

/// Every cell of one CSV record as libcsv hands them over, copied into an arena; at the end of the
/// row the reader is told (`onRow`).
struct CSVCells {
    let arena: ByteArena
    var cells: [UnsafeRawBufferPointer] = []
    /// A cell did not fit in the arena (the record is too large).
    var overflowed = false
    var onRow: () -> Void = {}

    init(maxRecordBytes: Int) { arena = ByteArena(capacity: maxRecordBytes + 64) }

    mutating func field(_ cell: UnsafeRawBufferPointer) {
        if cell.isEmpty {
            cells.append(UnsafeRawBufferPointer(start: nil, count: 0))
        } else if let copy = arena.copy(cell) {
            cells.append(copy)
        } else {
            overflowed = true
            cells.append(UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }

    mutating func rowEnded() { onRow() }

    mutating func reset() {
        cells.removeAll(keepingCapacity: true)
        arena.reset()
        overflowed = false
    }
}
