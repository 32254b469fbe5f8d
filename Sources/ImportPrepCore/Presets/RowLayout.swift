#if canImport(Glibc)
    import Glibc
#endif

/// Where the members of the rows a `VendorMapper` writes lie, noted as they are written, so that
/// the row check takes them (`JSONScanner.adopt`) instead of scanning again a row the mapper has
/// just made. A row one of its writers did not note (`forget`) is scanned as before.
///
/// Offsets are relative to the row's first byte, as a scan of the row alone finds them; debug
/// builds (the tests) check every noted row against such a scan (`agrees`).
final class RowLayout {
    struct NotedRow {
        var members: Range<Int>
        var keys: Range<Int>
        /// Its members come in the order `NormalizedWriter` writes them (`inWrittenOrder`).
        var inWrittenOrder: Bool
    }

    /// Members and keys of the record's rows, in plain buffers (no `Array` checks per member).
    @exclusivity(unchecked) private var members = NotedList<JSONMember>(capacity: 64)
    @exclusivity(unchecked) private var keys = NotedList<JSONKey>(capacity: 256)
    /// Per row of the record, in `rowEnds` order: where its members and keys are, nil when not noted.
    @exclusivity(unchecked) private var rows: [NotedRow?] = []
    @exclusivity(unchecked) private var rowStart = 0
    @exclusivity(unchecked) private var firstMember = 0
    @exclusivity(unchecked) private var firstKey = 0
    @exclusivity(unchecked) private var noted = true
    /// The member of the open row that is its metadata object, or -1.
    @exclusivity(unchecked) private var metadata = -1
    /// Whether the open row's members so far come in the order a normalized line has them: the
    /// schema's fields in `KnownField` order, then other keys, `metadata` last.
    @exclusivity(unchecked) private var inWrittenOrder = true
    /// The place of the open row's last member in that order (`rank(of:)`).
    @exclusivity(unchecked) private var lastRank = -1

    init() {
        rows.reserveCapacity(4)
    }

    deinit {
        members.deallocate()
        keys.deallocate()
    }

    /// Before a record's rows.
    func reset() {
        members.count = 0
        keys.count = 0
        rows.clear()
    }

    /// A row begins at `offset` in the mapper's buffer.
    @inline(__always)
    func beginRow(at offset: Int) {
        rowStart = offset
        firstMember = members.count
        firstKey = keys.count
        noted = true
        metadata = -1
        inWrittenOrder = true
        lastRank = -1
    }

    /// A writer that notes nothing wrote into the open row: it will be scanned.
    @inline(__always)
    func forget() { noted = false }

    /// The top-level member just written: its key's opening quote at `quote`, its value from
    /// `value` to the end of `buffer` (offsets in `buffer`).
    @inline(__always)
    func member(key quote: Int, value: Int, in buffer: LineBuffer, keyEscaped: Bool = false, valueEscaped: Bool = false)
    {
        guard noted else { return }
        follow(rank: keyEscaped ? Int.min : Self.rank(of: quote + 1, to: value - 2, in: buffer))
        let (kind, start, end) = span(of: value, in: buffer)
        members.append(
            JSONMember(
                keyStart: quote + 1 - rowStart, keyEnd: value - 2 - rowStart, keyHasEscapes: keyEscaped,
                valueStart: start, valueEnd: end, kind: kind, valueHasEscapes: valueEscaped))
    }

    /// The metadata object opens: its key's opening quote at `quote`, its `{` at `value`.
    @inline(__always)
    func beginMetadata(key quote: Int, value: Int) {
        guard noted else { return }
        follow(rank: 2 * KnownField.metadata.rawValue)
        metadata = members.count
        members.append(
            JSONMember(
                keyStart: quote + 1 - rowStart, keyEnd: value - 2 - rowStart, valueStart: value - rowStart,
                kind: .object, keysStart: keys.count - firstKey, keysEnd: keys.count - firstKey))
    }

    /// A member of the metadata object, just written (offsets as for `member`).
    @inline(__always)
    func metadataMember(
        key quote: Int, value: Int, in buffer: LineBuffer, keyEscaped: Bool = false, valueEscaped: Bool = false
    ) {
        guard noted else { return }
        let (kind, start, end) = span(of: value, in: buffer)
        keys.append(
            JSONKey(
                start: quote + 1 - rowStart, end: value - 2 - rowStart, hasEscapes: keyEscaped,
                valueHasEscapes: valueEscaped, kind: kind, valueStart: start, valueEnd: end))
    }

    /// The metadata object closes: its `}` ends before `end`.
    @inline(__always)
    func endMetadata(at end: Int) {
        guard noted, metadata >= 0 else { return }
        members.base[metadata].valueEnd = end - rowStart
        members.base[metadata].keysEnd = keys.count - firstKey
    }

    /// The open row is complete.
    @inline(__always)
    func endRow() {
        rows.append(
            noted
                ? NotedRow(
                    members: firstMember..<members.count, keys: firstKey..<keys.count, inWrittenOrder: inWrittenOrder)
                : nil)
    }

    /// Whether row `row`'s members were noted and come in the order of a normalized line.
    @inline(__always)
    func isInWrittenOrder(row: Int) -> Bool { row < rows.count && rows[row]?.inWrittenOrder == true }

    /// The place of the key from `start` to `end` in a normalized line's order: a field of the
    /// schema at twice its `KnownField` value, any other key (they follow `user_agent`, in the order
    /// written) at one more than `user_agent`'s.
    @inline(__always)
    private static func rank(of start: Int, to end: Int, in buffer: LineBuffer) -> Int {
        let key = UnsafeRawBufferPointer(rebasing: buffer.bytes[start..<end])
        if let field = KnownField(bytes: key) { return 2 * field.rawValue }
        return 2 * KnownField.userAgent.rawValue + 1
    }

    /// The next member has place `rank` (`Int.min`: one no normalized line has where it is).
    @inline(__always)
    private func follow(rank: Int) {
        let otherKeys = 2 * KnownField.userAgent.rawValue + 1
        if rank < lastRank || (rank == lastRank && rank != otherKeys) { inWrittenOrder = false }
        lastRank = rank
    }

    /// The last row was taken back (a derived row that did not change).
    func dropLastRow() {
        guard let last = rows.popLast() else { return }
        if let last {
            members.count = last.members.lowerBound
            keys.count = last.keys.lowerBound
        }
    }

    /// Hands the members of row `row` to `scanner` as a scan of the row would have left them;
    /// false when that row was not noted.
    @inline(__always)
    func adopt(row: Int, into scanner: JSONScanner) -> Bool {
        guard row < rows.count, let noted = rows[row] else { return false }
        scanner.adopt(members: members.slice(noted.members), keys: keys.slice(noted.keys))
        return true
    }

    /// Whether a scan of `bytes` (row `row`) finds what was noted for it, member for member (true
    /// when the row was not noted). For `assert`.
    func agrees(row: Int, with bytes: UnsafeRawBufferPointer) -> Bool {
        guard row < rows.count, let noted = rows[row] else { return true }
        let scanner = JSONScanner()
        guard scanner.scanWithMemberObjects(bytes) == .object else { return false }
        let found = scanner.members
        guard found.count == noted.members.count else { return false }
        for (k, mine) in members.slice(noted.members).enumerated() {
            let theirs = found[k]
            guard mine.keyStart == theirs.keyStart, mine.keyEnd == theirs.keyEnd,
                mine.keyHasEscapes == theirs.keyHasEscapes, mine.kind == theirs.kind,
                mine.valueStart == theirs.valueStart, mine.valueEnd == theirs.valueEnd,
                mine.valueHasEscapes == theirs.valueHasEscapes
            else { return false }
            if (mine.kind == .object || mine.kind == .array) && mine.holdsContainers != theirs.holdsContainers {
                return false
            }
            guard mine.kind == .object else { continue }
            let theirKeys = scanner.keys(of: theirs)
            let myKeys = keys.slice((noted.keys.lowerBound + mine.keysStart)..<(noted.keys.lowerBound + mine.keysEnd))
            guard theirKeys.count == myKeys.count else { return false }
            for (a, b) in zip(myKeys, theirKeys) {
                guard a.start == b.start, a.end == b.end, a.hasEscapes == b.hasEscapes, a.kind == b.kind,
                    a.valueStart == b.valueStart, a.valueEnd == b.valueEnd, a.valueHasEscapes == b.valueHasEscapes
                else { return false }
            }
        }
        return true
    }

    /// Whether `buffer` holds a backslash (an escape) from `start` to `end`.
    @inline(__always)
    static func hasEscape(in buffer: LineBuffer, from start: Int, to end: Int) -> Bool {
        guard end > start, let base = buffer.bytes.baseAddress else { return false }
        return memchr(base + start, Int32(UInt8(ascii: "\\")), end - start) != nil
    }

    /// The value written from `value` to the end of `buffer`: its kind, and where a scan of the
    /// row says it lies (a string without its quotes), relative to the row.
    @inline(__always)
    private func span(of value: Int, in buffer: LineBuffer) -> (JSONValueKind, Int, Int) {
        let start = value - rowStart
        let end = buffer.count - rowStart
        switch buffer.bytes[value] {
        case UInt8(ascii: "\""): return (.string, start + 1, end - 1)
        case UInt8(ascii: "{"): return (.object, start, end)
        case UInt8(ascii: "["): return (.array, start, end)
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return (.bool, start, end)
        case UInt8(ascii: "n"): return (.null, start, end)
        default: return (.number, start, end)
        }
    }
}

/// A growable list in a plain buffer, for values without references.
private struct NotedList<Element> {
    var base: UnsafeMutablePointer<Element>
    var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    @inline(__always)
    mutating func append(_ element: Element) {
        if count == capacity { grow() }
        (base + count).initialize(to: element)
        count += 1
    }

    func slice(_ range: Range<Int>) -> UnsafeBufferPointer<Element> {
        UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    private mutating func grow() {
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }

    func deallocate() { base.deallocate() }
}
