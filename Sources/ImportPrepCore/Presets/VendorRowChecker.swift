/// Maps one vendor record and hands its rows, checked like NDJSON lines, to a sink: the part
/// `VendorRecordReader` and `VendorDocumentReader` share.
final class VendorRowChecker {
    let mapper: VendorMapper
    /// Rule 13: what this pass does with the records' event keys (`keys` is nil when they are not
    /// checked, or writing them failed).
    enum KeyPass {
        /// Counting only: each key is noted while the records are mapped; `keys` counts at the end.
        case note
        /// The first of two passes (`--dedupe`): each key is noted, nothing goes to the sink.
        case noteOnly
        /// The second pass: a record the first found to repeat a key is counted and dropped.
        case drop
        /// A block read on a worker: each key's hash goes to `listedKeys`, for the hand-over.
        case list
    }

    /// The keys a block noted (`KeyPass.list`): their hash and the record's number in the block.
    @exclusivity(unchecked) private(set) var listedKeys: [(high: UInt64, low: UInt64, record: Int)] = []

    /// Starts a block read on a worker: derived rows of entities new to the block become
    /// candidates, keys are listed, and only the file's first block checks the vendor's shape.
    func startBlock(first: Bool) {
        mapper.derivedRows = .candidates
        mapper.fingerprints.removeAll(keepingCapacity: true)
        keyPass = .list
        listedKeys.clear()
        shapeChecked = !first
        wrongVendor = nil
    }

    /// Reads the rest of a file on one core after its blocks: `shapeChecked` when the file's
    /// first block checked the vendor's shape already.
    func continueFile(shapeChecked: Bool) {
        self.shapeChecked = shapeChecked
    }

    @exclusivity(unchecked) var keys: DuplicateEvents?
    @exclusivity(unchecked) var keyPass = KeyPass.note
    /// Set when the first record has another known vendor's shape: the reader stops the file with
    /// this reason instead of reporting every record as broken.
    @exclusivity(unchecked) private(set) var wrongVendor: String?
    @exclusivity(unchecked) private var shapeChecked = false
    private let rowScanner = JSONScanner()
    @exclusivity(unchecked) private var metadataKeys: [UnsafeRawBufferPointer] = []
    /// The record's fields, kept from row to row (their buffers are reused). `checkRow` moves them
    /// into a local for the row: a stored property handed to `sink.accept` is copied for the call
    /// (a retain and a release of each of its arrays per row), a local is not.
    private let fields: UnsafeMutablePointer<RecordFields>
    @exclusivity(unchecked) private var problems: [Problem] = []
    @exclusivity(unchecked) private var duplicates = DuplicateKeyFinder()
    private let arena: ByteArena

    deinit {
        fields.deinitialize(count: 1)
        fields.deallocate()
    }

    init(settings: PresetSettings, maxRecordBytes: Int) {
        fields = .allocate(capacity: 1)
        fields.initialize(to: RecordFields())
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
        let hasEventType = keys.contains { $0.equals("event_type") }
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
        fields.pointee.reset()
        problems.append(problem)
        sink.accept(location, eventType: nil, fields: fields.pointee, problems: problems, raw: raw)
    }

    /// Maps `record` (a vendor record as JSON) and hands its rows to `sink`; `raw` is what rejects
    /// keep (the record itself unless told otherwise: a CSV record's text).
    func check(
        _ record: UnsafeRawBufferPointer, at location: RecordLocation, raw: UnsafeRawBufferPointer? = nil,
        into sink: RecordSink
    ) {
        let raw = raw ?? record
        problems.clear()
        fields.pointee.reset()
        switch mapper.begin(record) {
        case .invalid(let error):
            problems.append(Problem(error.code, .none, .syntax(error.reason, offset: error.offset)))
            sink.accept(location, eventType: nil, fields: fields.pointee, problems: problems, raw: raw)
            return
        case .notAnObject(let kind):
            problems.append(Problem(.notAnObject, .none, .found(kind)))
            sink.accept(location, eventType: nil, fields: fields.pointee, problems: problems, raw: raw)
            return
        case .object: break
        }
        if !shapeChecked {
            shapeChecked = true
            if let reason = Self.wrongVendor(
                record, scanner: mapper.recordScanner, chosen: mapper.settings.preset, line: location.line)
            {
                wrongVendor = reason
                return
            }
        }
        if let keys {
            switch keyPass {
            case .note, .noteOnly:
                if let key = mapper.eventKey() {
                    do { try keys.add(key: key, record: location.record) } catch { self.keys = nil }
                }
                if keyPass == .noteOnly { return }
            case .drop:
                if keys.isDuplicate(location.record) {
                    sink.duplicateEvents(1)
                    sink.skipped(.duplicateEvent, at: location)
                    return
                }
            case .list: break
            }
        } else if keyPass == .list, let key = mapper.eventKey() {
            let (high, low) = DuplicateEvents.hash(key)
            listedKeys.append((high, low, location.record))
        }
        switch mapper.map() {
        case .skip(let reason):
            sink.skipped(reason, at: location)
        case .rows(let count):
            var candidate = 0
            let candidates = mapper.candidates
            for row in 0..<count {
                while candidate < candidates.count && candidates[candidate].position == row {
                    sink.derivedRowCandidate(candidates[candidate], at: location, record: record)
                    candidate += 1
                }
                checkRow(row, at: location, raw: raw, into: sink)
            }
            for late in candidates[candidate...] { sink.derivedRowCandidate(late, at: location, record: record) }
        }
    }

    /// Maps `record` again with every derived row written and hands over the one of `candidate`'s
    /// type (a candidate the hand-over found changed), as a derived row.
    func replay(
        _ candidate: DerivedRowCandidate, record: UnsafeRawBufferPointer, at location: RecordLocation,
        into sink: RecordSink
    ) {
        let mode = mapper.derivedRows
        mapper.derivedRows = .all
        defer { mapper.derivedRows = mode }
        guard mapper.begin(record) == .object, case .rows = mapper.map(),
            let row = mapper.derivedTypes.firstIndex(of: candidate.type)
        else { return }
        checkRow(row, at: location, raw: record, derived: true, into: sink)
    }

    /// Reads and checks row `row` of the mapped record like an NDJSON line, and hands it over.
    private func checkRow(
        _ row: Int, at location: RecordLocation, raw: UnsafeRawBufferPointer, derived: Bool? = nil,
        into sink: RecordSink
    ) {
        let start = row == 0 ? 0 : mapper.rowEnds[row - 1]
        let end = mapper.rowEnds[row]
        let bytes = UnsafeRawBufferPointer(rebasing: mapper.rows.bytes[start..<(end - 1)])
        // The mapper noted where the row's members are as it wrote them: no second scan.
        let noted = mapper.layout.adopt(row: row, into: rowScanner)
        assert(mapper.layout.agrees(row: row, with: bytes), "the noted members of a mapped row differ from its scan")
        checkRow(
            bytes, warnings: mapper.warnings[row], derived: derived ?? (row > 0), scanned: noted,
            inWrittenOrder: mapper.layout.isInWrittenOrder(row: row), at: location, raw: raw, into: sink)
    }

    /// Reads and checks a derived row a block's mapper kept (`VendorMapper.candidateRow`) and hands
    /// it over, with itself as `raw`. The mapper's warnings are not repeated: `profile`, which
    /// replays rows this way, reads only whether a row has errors.
    func checkDerivedRow(_ bytes: UnsafeRawBufferPointer, at location: RecordLocation, into sink: RecordSink) {
        checkRow(bytes, warnings: [], derived: true, at: location, raw: bytes, into: sink)
    }

    /// `scanned`: `rowScanner` holds the row's members already (`RowLayout.adopt`);
    /// `inWrittenOrder`: they come in a normalized line's order (`RecordFields.mappedLine`).
    private func checkRow(
        _ bytes: UnsafeRawBufferPointer, warnings: [Problem], derived: Bool, scanned: Bool = false,
        inWrittenOrder: Bool = false, at location: RecordLocation, raw: UnsafeRawBufferPointer, into sink: RecordSink
    ) {
        problems.clear()
        var row = fields.move()
        row.reset()
        var type: EventType? = nil
        switch scanned ? .object : rowScanner.scanWithMemberObjects(bytes) {
        case .object:
            NDJSONRecordReader.collectFields(
                of: bytes, scanner: rowScanner, into: &row, arena: arena, duplicates: &duplicates,
                metadataKeys: &metadataKeys, membersOfObjects: true)
            type = SchemaChecker.check(&row, into: &problems)
            if inWrittenOrder { row.mappedLine = bytes }
        case .invalid(let error):
            problems.append(Problem(error.code, .none, .syntax(error.reason, offset: error.offset)))
        case .notAnObject(let kind):
            problems.append(Problem(.notAnObject, .none, .found(kind)))
        }
        // Not even an empty append: it would copy `problems` when a sink still holds the last one.
        if !warnings.isEmpty { problems.append(contentsOf: warnings) }
        if derived { sink.derivedRowFollows() }
        sink.accept(location, eventType: type, fields: row, problems: problems, raw: raw)
        fields.initialize(to: consume row)
    }
}
