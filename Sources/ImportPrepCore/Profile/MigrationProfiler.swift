import Foundation

/// Options of `profile`: the readers' options and the run's clock (for `future_timestamp`).
public struct ProfileOptions: Sendable {
    public var format: InputFormat?
    public var preset: PresetSettings?
    public var maxRecordBytes = 1 << 20
    public var delimiter = UInt8(ascii: ",")
    /// When the run started, in seconds since 1970 (records a day past it are in the future).
    public var startedAt = Int(Date().timeIntervalSince1970)
    /// Where the duplicate checks spill their record hashes (`--tmp`).
    public var temporaryFolder = NSTemporaryDirectory()
    /// The inputs' size, to size the duplicate checks' partitions (0: unknown).
    public var expectedBytes = 0
    /// `--max-memory`: when the process's resident memory passes it, the entity checks stop
    /// (their maps stop growing) and the report says where.
    public var maxMemory = 2 << 30
    /// Read large regular files in blocks on every core (the report is the same as on one).
    public var parallel = true
    /// Files smaller than this are read on one core.
    public var parallelThreshold = 32 << 20
    /// Input bytes per block when reading on several cores. Smaller than validate's: a block
    /// keeps about 130 bytes per record (its entity steps and duplicate hashes) until its join.
    public var blockSize = 4 << 20

    public init() {}
}

/// Reads files once through the usual readers (and presets) and gathers what no single row
/// shows (SPEC §9): the history by day, the entities and how they are identified, property kinds
/// per scope, identifiers that are placeholders or personal data. Invalid records are counted
/// and left out.
public final class MigrationProfiler: RecordSink {
    public let options: ProfileOptions
    @exclusivity(unchecked) public internal(set) var files: [String] = []
    public internal(set) var readFailures: [(file: String, reason: String)] = []
    /// Valid records profiled, and invalid ones left out.
    @exclusivity(unchecked) public internal(set) var records = 0
    @exclusivity(unchecked) public internal(set) var invalid = 0
    @exclusivity(unchecked) var progress = ProgressBatch()
    public internal(set) var skipped = 0
    /// Records per UTC day (days since 1970) and event type.
    public let byDay = DayCounts()

    @exclusivity(unchecked) var fileIndex = 0
    @exclusivity(unchecked) var counts = [Int](repeating: 0, count: FindingCode.allCases.count)
    @exclusivity(unchecked) var examples = [[FindingExample]](repeating: [], count: FindingCode.allCases.count)
    @exclusivity(unchecked) var breakdowns = [[String: Int]](repeating: [:], count: FindingCode.allCases.count)
    @exclusivity(unchecked) var midnight = 0
    @exclusivity(unchecked) var midnightExamples: [FindingExample] = []
    private let futureLimit: Int
    private static let year2000 = Timestamp.daysFromCivil(2000, 1, 1) * 86_400

    /// Per user and company (`EntityTable`, keyed by a hash of the id; 40 bytes with the key): when it was first
    /// named by another record and first and last identified, and the properties it was given.
    struct EntityState {
        /// Microseconds since 1970 (Int.max: none yet). For a company: its first mention by
        /// another record.
        var firstEvent = Int.max
        var firstIdentify = Int.max
        var latestIdentify = Int.min
        /// Properties an identify of the entity set (not null; `""` included): bit `n` for the
        /// scope's `n`th key (keys past the 64th in `overflowKeys`).
        var keys: UInt64 = 0

        var isIdentified: Bool { firstIdentify != Int.max }
        var isNamedElsewhere: Bool { firstEvent != Int.max }
        var isNew: Bool { !isIdentified && !isNamedElsewhere }
    }
    let users = EntityTable()
    let companies = EntityTable()
    /// How many steps ahead the join asks for the entities of a block's records.
    static let prefetchAhead = 8
    /// Keys past a scope's 64th that an entity's identifies set.
    @exclusivity(unchecked) private var overflowKeys: [UInt64: Set<Int>] = [:]
    /// A property an identify record names: its number in its scope, and whether it is null or `""`.
    typealias IdentifyKey = (id: Int, isNull: Bool, isEmpty: Bool)
    /// The identify record being read: its keys.
    @exclusivity(unchecked) private var identifyKeys: [IdentifyKey] = []
    @exclusivity(unchecked) private var scopeKeyCounts: [String: Int] = [:]
    /// The first few entities named before they were identified, for examples.
    @exclusivity(unchecked) private var userCandidates: [(key: UInt64, example: FindingExample)] = []
    @exclusivity(unchecked) private var companyCandidates: [(key: UInt64, example: FindingExample)] = []

    /// Property kinds per (scope, key).
    struct KeyKinds {
        var scope: String
        /// `scope` as a number (`usersScope`, …), compared per record instead of the text.
        var scopeID: UInt64
        /// The key's bytes, compared with a record's key without going through `String`.
        var keyBytes: [UInt8]
        /// The key as text, for the reports.
        var key: String { String(decoding: keyBytes, as: UTF8.self) }
        /// Its number among its scope's keys.
        var id: Int
        /// Where it was first met (a record's line and `rowOrder`).
        var introduced: (line: Int, order: UInt8)
        var records = [Int](repeating: 0, count: PropertyKind.allCases.count)
        var firstLine = [FindingExample?](repeating: nil, count: PropertyKind.allCases.count)
        /// Bit `k`: `firstLine[k]` is set (tested without copying the example).
        var kindsSeen: UInt8 = 0
    }
    /// `keyKinds`' index (plus one; 0: empty) by a hash of scope and key, open addressing, at most
    /// half full.
    @exclusivity(unchecked) private var keySlots = [Int32](repeating: 0, count: 64)
    @exclusivity(unchecked) var keyKinds: [KeyKinds] = []
    /// Each `keyKinds` entry's scope and a copy of its key that this profiler owns: compared per
    /// record without touching the entry (whose arrays cost a retain and a release each time).
    @exclusivity(unchecked) private var keyTexts: [(scopeID: UInt64, text: UnsafeRawBufferPointer)] = []
    /// The `keyKinds` index (plus one; 0: none) of the key the last record of a scope had at each
    /// of its first 64 places: records of one shape repeat their keys, so most keys are found by
    /// one comparison, without hashing. `(scopeID - 1) * 64 + place`.
    @exclusivity(unchecked) private var keysByPlace = [Int32](repeating: 0, count: 3 * 64)
    private let scanner = JSONScanner()
    private let arena = ByteArena(capacity: 1 << 20)
    private let junkIDs = ByteSet(Preset.junkIDs + ["0", "-1", "test"])

    /// Duplicates (spilled to `--tmp` in partitions, SPEC §9): exact copies of the normalized
    /// record (`convert`'s bytes), and events by their group (type, user, name or page, time) and
    /// by group and metadata.
    @exclusivity(unchecked) private var decide: WriteOrReject
    private let normalized: LineBuffer
    private let groupKey = LineBuffer(capacity: 4096)
    @exclusivity(unchecked) private var copies: DuplicateEvents?
    @exclusivity(unchecked) private var eventGroups: DuplicateEvents?
    @exclusivity(unchecked) private var eventVersions: DuplicateEvents?
    /// Why duplicates were not checked (the temporary files could not be written).
    @exclusivity(unchecked) public private(set) var duplicatesNotChecked: String?
    private var duplicateCounts: (records: Int, events: Int, recordExamples: [Int], eventExamples: [Int])?

    /// A block's profiler (`profileInBlocks`): its entity checks and duplicate hashes wait in
    /// `log` for the join.
    let isBlock: Bool
    @exclusivity(unchecked) var log = EntityLog()
    /// Files read in blocks on several cores.
    public internal(set) var filesReadInBlocks = 0
    /// Files whose rest was read on one core after a block (a CSV cut that was not confirmed).
    public internal(set) var oneCoreRests = 0
    /// Records whose entity checks ran at a join (for the memory check's pace).
    var joinedSteps = 0

    public convenience init(options: ProfileOptions) {
        self.init(options: options, isBlock: false)
    }

    /// A profiler of one block of `path`.
    convenience init(options: ProfileOptions, blockOf path: String) {
        self.init(options: options, isBlock: true)
        files = [path]
    }

    /// Makes a block's profiler ready for the next block of `path` (its buffers kept).
    func startBlock(of path: String) {
        precondition(isBlock)
        files = [path]
        readFailures = []
        records = 0
        invalid = 0
        skipped = 0
        byDay.removeAll()
        for k in counts.indices {
            counts[k] = 0
            examples[k].removeAll()
            breakdowns[k].removeAll()
        }
        midnight = 0
        midnightExamples.removeAll()
        candidates.removeAll()
        rowOf = (-1, -1, 0)
        tooManyRows = false
        for k in keySlots.indices { keySlots[k] = 0 }
        keyKinds.removeAll(keepingCapacity: true)
        forgetKeyTexts()
        scopeKeyCounts.removeAll()
        log.steps.removeAll(keepingCapacity: true)
        log.keys.removeAll(keepingCapacity: true)
        log.ids.removeAll(keepingCapacity: true)
        log.hashes.removeAll(keepingCapacity: true)
    }

    private init(options: ProfileOptions, isBlock: Bool) {
        self.options = options
        self.isBlock = isBlock
        futureLimit = options.startedAt + 86_400
        var convert = ConvertOptions()
        convert.maxRecordBytes = options.maxRecordBytes
        convert.delimiter = options.delimiter
        decide = WriteOrReject(options: convert, maxLineBytes: Int.max, notesMembers: true)
        normalized = LineBuffer(capacity: 2 * options.maxRecordBytes + 64)
    }

    /// Profiles one file (`-` is standard input).
    public func profile(path: String) {
        defer { progress.handOver() }
        if profileInBlocks(path: path) { return }
        do { try profile(source: ByteSource(path: path)) } catch {
            files.append(path)
            readFailures.append((path, error.description))
        }
    }

    public func profile(source: ByteSource) {
        fileIndex = files.count
        files.append(source.path)
        do {
            try RecordInput.read(
                source, format: options.format, preset: options.preset, maxRecordBytes: options.maxRecordBytes,
                delimiter: options.delimiter, into: self, detected: { _ in }, finished: { _, _ in })
        } catch {
            readFailures.append((source.path, error.description))
        }
    }

    // MARK: RecordSink

    public var needsValues: Bool { true }
    public var readsMetadata: Bool { true }
    /// SIGINT/SIGTERM: stop reading (the caller removes the temporary files and exits).
    public var shouldStop: Bool { Interruption.signal != 0 }
    public func blankLine() {}
    public func fileProblem(_ problem: Problem, at location: RecordLocation) {}
    public func skipped(_ reason: SkipReason, at location: RecordLocation) { skipped += 1 }

    /// A block's profiler met a derived identify row of an entity new to its block (SPEC §8 rule
    /// 5): whether it is written depends on the blocks before, so the join decides (and checks it).
    public func derivedRowCandidate(
        _ candidate: DerivedRowCandidate, at location: RecordLocation, record: UnsafeRawBufferPointer
    ) {
        guard let mapper = blockMapper else { return }
        mapper.candidateRow(candidate) { candidates.append(before: 0, candidate, at: location, record: $0) }
    }
    /// A block's candidate derived rows, with copies of the rows (`VendorMapper.keepsCandidateRows`).
    @exclusivity(unchecked) var candidates = PendingCandidates()
    /// The mapper of a vendor export's block, which keeps its candidates' rows.
    var blockMapper: VendorMapper?

    /// In a block's profiler: the place of the row being read among the rows of its vendor record,
    /// `2 * n + 1` for its `n`th row; a derived row replayed at the join before its `n`th row gets
    /// `2 * n` (`replayOrder`). Entity steps, examples and property keys of the block and of
    /// the replayed rows are merged by (line, order), which is input order.
    @exclusivity(unchecked) private(set) var rowOrder: UInt8 = 1
    @exclusivity(unchecked) var replayOrder: UInt8?
    @exclusivity(unchecked) private var rowOf = (line: -1, record: -1, count: 0)
    /// A vendor record gave more rows than `rowOrder` can tell apart: the file is read on one core.
    @exclusivity(unchecked) private(set) var tooManyRows = false

    private func orderRow(_ location: RecordLocation) {
        if let replayOrder {
            rowOrder = replayOrder
            return
        }
        if location.line == rowOf.line && location.record == rowOf.record {
            rowOf.count += 1
            if rowOf.count > 100 { tooManyRows = true }
        } else {
            rowOf = (location.line, location.record, 0)
        }
        rowOrder = UInt8(truncatingIfNeeded: min(2 * rowOf.count + 1, 255))
    }

    /// Where the entity checks stopped because memory passed `--max-memory` (nil: they did not).
    @exclusivity(unchecked) public private(set) var entityChecksStopped: (file: String, line: Int, residentBytes: Int)?

    public func accept(
        _ location: RecordLocation, eventType: EventType?, fields: RecordFields, problems: [Problem],
        raw: UnsafeRawBufferPointer
    ) {
        if isBlock { orderRow(location) }
        guard let eventType, let time = fields.insertedAt, !problems.contains(where: { !$0.code.isWarning }) else {
            invalid += 1
            progress.count(flagged: true)
            return
        }
        records += 1
        progress.record()
        if !isBlock && records & 0xFFFF == 1 { checkMemory(line: location.line) }
        arena.reset()
        let line = location.line
        let utc = time.inUTC
        let seconds =
            Timestamp.daysFromCivil(utc.year, utc.month, utc.day) * 86_400 + utc.hour * 3_600
            + utc.minute * 60 + utc.second
        let micros = seconds * 1_000_000 + utc.nanoseconds / 1_000
        countTime(time, seconds: seconds, type: eventType, line: line)

        if !identifyKeys.isEmpty { identifyKeys.removeAll(keepingCapacity: true) }
        properties(of: fields, scope: eventType, line: line)
        duplicates(eventType, fields: fields, problems: problems, raw: raw, record: fileIndex << 40 | location.line)
        let user = eventType == .identifyCompany ? nil : text(fields[.userID])
        let company = text(fields[.companyID])
        if let user { checkID(user, line: line) }
        if let company { checkID(company, line: line) }
        let userKey = user.map(Self.hash) ?? 0
        let companyKey = company.map(Self.hash) ?? 0
        if isBlock {
            log.append(
                eventType, micros: micros, line: location.line, order: rowOrder, user: user, userKey: userKey,
                company: company, companyKey: companyKey, keys: identifyKeys)
            return
        }
        guard entityChecksStopped == nil else { return }
        identifyKeys.withUnsafeBufferPointer { keys in
            applyEntities(
                eventType, micros: micros, user: user, userKey: userKey, company: company, companyKey: companyKey,
                keys: keys, line: line)
        }
    }

    /// Stops the entity checks when the process's resident memory passed `--max-memory`.
    func checkMemory(line: Int) {
        if entityChecksStopped == nil, let resident = Self.residentBytes(), resident > options.maxMemory {
            entityChecksStopped = (files[fileIndex], line, resident)
        }
    }

    /// What a record tells of its user and company (SPEC §9's identify checks), in input order:
    /// at once on one core, at the join for a block's records.
    func applyEntities(
        _ eventType: EventType, micros: Int, user: UnsafeRawBufferPointer?, userKey: UInt64,
        company: UnsafeRawBufferPointer?, companyKey: UInt64, keys: UnsafeBufferPointer<IdentifyKey>,
        line: Int
    ) {
        if let user {
            let state = users.state(for: userKey)
            if eventType == .identifyUser {
                identify(&state.pointee, at: micros, line: line)
                accumulate(&state.pointee, entity: userKey, keys: keys, line: line)
            } else {
                if state.pointee.isNew && userCandidates.count < 64 {
                    userCandidates.append((userKey, example(at: line, Self.masked(user))))
                }
                state.pointee.firstEvent = min(state.pointee.firstEvent, micros)
            }
        }
        if let company {
            let state = companies.state(for: companyKey)
            if eventType == .identifyCompany {
                identify(&state.pointee, at: micros, line: line)
                accumulate(&state.pointee, entity: companyKey &+ 1, keys: keys, line: line)
            } else {
                if state.pointee.isNew && companyCandidates.count < 64 {
                    companyCandidates.append((companyKey, example(at: line, Self.masked(company))))
                }
                state.pointee.firstEvent = min(state.pointee.firstEvent, micros)
            }
        }
    }

    // MARK: Time

    private func countTime(_ time: Timestamp, seconds: Int, type: EventType, line: Int) {
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        byDay.add(day: day, type: type)
        if time.hour == 0 && time.minute == 0 && time.second == 0 && time.nanoseconds == 0 {
            midnight += 1
            if midnightExamples.count < 5 { midnightExamples.append(example(at: line, Self.dayText(day))) }
        }
        if seconds > futureLimit {
            note(.futureTimestamp, example(at: line, Self.dayText(day)))
        } else if seconds < Self.year2000 {
            note(
                .ancientTimestamp, example(at: line, Self.dayText(day)),
                kind: seconds == 0 ? "zero epoch (1970-01-01)" : "before 2000")
        }
    }

    // MARK: Identities

    private func checkID(_ id: UnsafeRawBufferPointer, line: Int) {
        if junkIDs.containsIgnoringASCIICase(id) {
            let text = String(decoding: id, as: UTF8.self)
            note(.junkID, example(at: line, text), kind: text)
        }
        if let first = id.first, let last = id.last, Self.isSpace(first) || Self.isSpace(last) {
            note(.idWhitespace, example(at: line, "\"\(String(decoding: id, as: UTF8.self))\""))
        }
        if Self.isEmail(id) { note(.idIsEmail, example(at: line, Self.masked(id))) }
    }

    private func identify(_ state: inout EntityState, at micros: Int, line: Int) {
        if state.isIdentified && micros < state.latestIdentify {
            note(.identifyOutOfOrder, example(at: line, "earlier than this entity's previous identify"))
        }
        state.firstIdentify = min(state.firstIdentify, micros)
        state.latestIdentify = max(state.latestIdentify, micros)
    }

    // MARK: Properties

    /// Kinds a property value can have (SPEC §9 `type_drift`).
    enum PropertyKind: Int, CaseIterable {
        case string, number, boolean, date, nested
        var name: String { ["string", "number", "boolean", "date", "nested"][rawValue] }
    }

    private func properties(of fields: RecordFields, scope type: EventType, line: Int) {
        let scopeID =
            type == .identifyUser ? Self.usersScope : type == .identifyCompany ? Self.companiesScope : Self.eventsScope
        let metadata = fields[.metadata]
        // The members from the record's scan when it kept them (not taken over), else scanned.
        let keys = metadata.kind == .object ? fields.scannedMetadataKeys : nil
        if metadata.kind == .object, metadata.bytes.count > 0,
            keys != nil || scanner.scanMetadata(of: fields) == .object
        {
            let base = fields.metadataMembersOffset
            for place in 0..<(keys?.count ?? scanner.members.count) {
                let member = keys.map { JSONMember($0[place], offset: base) } ?? scanner.members[place]
                let key = UnsafeRawBufferPointer(rebasing: metadata.bytes[member.keyStart..<member.keyEnd])
                let value = UnsafeRawBufferPointer(rebasing: metadata.bytes[member.valueStart..<member.valueEnd])
                let decodedKey = member.keyHasEscapes ? arena.decodeJSONString(key) ?? key : key
                let kind: PropertyKind?
                switch member.kind {
                case .null: kind = nil
                case .number: kind = .number
                case .bool: kind = .boolean
                case .object, .array: kind = .nested
                case .string:
                    let text = member.valueHasEscapes ? arena.decodeJSONString(value) ?? value : value
                    kind = Self.isDate(text) ? .date : .string
                    if type == .track || type == .pageView { personalData(in: text, key: decodedKey, line: line) }
                }
                noteKind(kind, scopeID: scopeID, key: decodedKey, place: place, empty: value.isEmpty, line: line)
            }
        }
        for (place, (key, value)) in fields.metadataCells.enumerated() {
            let kind: PropertyKind =
                JSONEncoding.isPortableNumber(value) ? .number : Self.isDate(value) ? .date : .string
            if kind != .number && (type == .track || type == .pageView) {
                personalData(in: value, key: key, line: line)
            }
            noteKind(kind, scopeID: scopeID, key: key, place: place, empty: value.isEmpty, line: line)
        }
    }

    /// Rules on accumulative properties: an identify that leaves out, or sets to null or `""`, a
    /// property an earlier identify of the entity set (not null; `""` included); then the
    /// properties it sets join the entity's.
    private func accumulate(
        _ state: inout EntityState, entity: UInt64, keys: UnsafeBufferPointer<IdentifyKey>, line: Int
    ) {
        var present: UInt64 = 0
        var presentPast64: Set<Int> = []
        var overwrite = false
        var set: UInt64 = 0
        for (id, isNull, isEmpty) in keys {
            let had = id < 64 ? state.keys & (1 << UInt64(id)) != 0 : overflowKeys[entity]?.contains(id) ?? false
            if (isNull || isEmpty) && had { overwrite = true }
            if id < 64 {
                present |= 1 << UInt64(id)
                if !isNull { set |= 1 << UInt64(id) }
            } else {
                presentPast64.insert(id)
            }
        }
        let dropped =
            state.keys & ~present != 0 || (overflowKeys[entity].map { !$0.isSubset(of: presentPast64) } ?? false)
        if dropped {
            note(.identifyPropertyDropped, example(at: line, "leaves out a property an earlier identify set"))
        }
        if overwrite { note(.identifyNullOverwrite, example(at: line, "sets an earlier property to null or \"\"")) }
        state.keys |= set
        for (id, isNull, _) in keys where id >= 64 && !isNull { overflowKeys[entity, default: []].insert(id) }
    }

    /// Notes a property's kind (nil: null) in its scope; an identify's keys also go to `identifyKeys`.
    private func noteKind(
        _ kind: PropertyKind?, scopeID: UInt64, key: UnsafeRawBufferPointer, place: Int, empty: Bool = false,
        line: Int
    ) {
        let index: Int
        let cached = place < 64 ? Int(scopeID - 1) &* 64 &+ place : -1
        if cached >= 0, case let known = Int(keysByPlace[cached]) - 1, known >= 0,
            keyTexts[known].scopeID == scopeID, keyTexts[known].text.sameBytes(as: key)
        {
            index = known
        } else {
            index = keyEntry(scopeID: scopeID, key: key, at: (line, rowOrder))
            if cached >= 0 { keysByPlace[cached] = Int32(truncatingIfNeeded: index + 1) }
        }
        if scopeID != Self.eventsScope {
            identifyKeys.append((keyKinds[index].id, kind == nil, kind != nil && empty))
        }
        guard let kind else { return }
        keyKinds[index].records[kind.rawValue] += 1
        if keyKinds[index].kindsSeen & (1 << kind.rawValue) == 0 {
            keyKinds[index].kindsSeen |= 1 << kind.rawValue
            keyKinds[index].firstLine[kind.rawValue] = example(at: line, kind.name)
        }
    }

    /// Where (scope, key) is in `keyKinds`, added (with the next number of its scope) when new.
    /// Looked up by a hash of scope and key (no text built per record); a different key under the
    /// same hash moves to the next slot.
    func keyEntry(scopeID: UInt64, key: UnsafeRawBufferPointer, at introduced: (line: Int, order: UInt8)) -> Int {
        let mask = keySlots.count - 1
        var slot = Self.keySlot(key, scopeID: scopeID, mask: mask)
        while case let known = Int(keySlots[slot]) - 1, known >= 0 {
            if keyTexts[known].scopeID == scopeID && keyTexts[known].text.sameBytes(as: key) { return known }
            slot = (slot &+ 1) & mask
        }
        let index = keyKinds.count
        let scope = scopeID == Self.usersScope ? "users" : scopeID == Self.companiesScope ? "companies" : "events"
        let number = scopeKeyCounts[scope, default: 0]
        scopeKeyCounts[scope] = number + 1
        keyKinds.append(
            KeyKinds(scope: scope, scopeID: scopeID, keyBytes: Array(key), id: number, introduced: introduced))
        let text = UnsafeMutableRawBufferPointer.allocate(byteCount: key.count, alignment: 1)
        text.copyMemory(from: key)
        keyTexts.append((scopeID, UnsafeRawBufferPointer(text)))
        if 2 * keyKinds.count > keySlots.count {
            // Half full: twice the slots, every key placed again.
            keySlots = [Int32](repeating: 0, count: 2 * keySlots.count)
            let mask = keySlots.count - 1
            for (k, entry) in keyKinds.enumerated() {
                var slot = entry.keyBytes.withUnsafeBytes { Self.keySlot($0, scopeID: entry.scopeID, mask: mask) }
                while keySlots[slot] != 0 { slot = (slot &+ 1) & mask }
                keySlots[slot] = Int32(k + 1)
            }
        } else {
            keySlots[slot] = Int32(index + 1)
        }
        return index
    }

    /// Frees `keyTexts` (the keys are forgotten with `keyKinds`).
    private func forgetKeyTexts() {
        for entry in keyTexts { entry.text.deallocate() }
        keyTexts.removeAll(keepingCapacity: true)
        for k in keysByPlace.indices { keysByPlace[k] = 0 }
    }

    deinit { forgetKeyTexts() }

    /// The property scopes as numbers (`KeyKinds.scopeID`); their names are made only for a new key.
    private static let usersScope: UInt64 = 1
    private static let companiesScope: UInt64 = 2
    private static let eventsScope: UInt64 = 3

    @inline(__always)
    private static func keySlot(_ key: UnsafeRawBufferPointer, scopeID: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(truncatingIfNeeded: ByteSet.hash(key)) ^ scopeID &* 0x9E37_79B9_7F4A_7C15) >> 7)
            & mask
    }

    private func personalData(
        in text: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer, line: Int
    ) {
        let kind: String
        if Self.isEmail(text) {
            kind = "e-mail"
        } else if Self.isPhone(text) {
            kind = "phone"
        } else if Self.isIPv4(text) {
            kind = "IPv4 address"
        } else if Self.isCardNumber(text) {
            kind = "card number"
        } else {
            return
        }
        let name = String(decoding: key, as: UTF8.self)
        note(
            .piiInEventMetadata, example(at: line, "\(name): \(kind) \(Self.masked(text))"), kind: "\(kind) in \(name)")
    }

    // MARK: Duplicates

    private func duplicates(
        _ type: EventType, fields: RecordFields, problems: [Problem], raw: UnsafeRawBufferPointer, record: Int
    ) {
        guard duplicatesNotChecked == nil, isBlock || openDuplicateChecks() else { return }
        normalized.removeAll()
        guard case .write = decide.record(type, fields: fields, problems: problems, raw: raw, into: normalized),
            normalized.count > 1
        else { return }
        let line = normalized.bytes(from: 0).dropLastByte()
        keep(.copies, DuplicateEvents.hash(line), record: record)
        guard type == .track || type == .pageView else { return }
        let members = decide.normalizedMembers!
        groupKey.removeAll()
        // The fields that make an event's group: the same event at the same time.
        func add(_ part: NormalizedMembers.Member) {
            groupKey.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[members[part]]))
            groupKey.append(0)
        }
        add(.eventType)
        add(.userID)
        if type == .track {
            add(.eventName)
        } else {
            add(.hostname)
            add(.pathname)
        }
        add(.insertedAt)
        keep(.eventGroups, DuplicateEvents.hash(groupKey.bytes), record: record)
        groupKey.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[members[.metadata]]))
        keep(.eventVersions, DuplicateEvents.hash(groupKey.bytes), record: record)
    }

    /// The three duplicate checks: exact copies, events by group, events by group and metadata.
    enum DuplicateCheck: UInt8 {
        case copies, eventGroups, eventVersions
    }

    /// Creates the duplicate checks' spill files on first use; false when they cannot be written.
    func openDuplicateChecks() -> Bool {
        guard duplicatesNotChecked == nil else { return false }
        guard copies == nil else { return true }
        do throws(IOFailure) {
            let expected = max(options.expectedBytes / 200, 1_000)
            copies = try DuplicateEvents(temporaryFolder: options.temporaryFolder, expectedRecords: expected)
            eventGroups = try DuplicateEvents(temporaryFolder: options.temporaryFolder, expectedRecords: expected)
            eventVersions = try DuplicateEvents(temporaryFolder: options.temporaryFolder, expectedRecords: expected)
            return true
        } catch {
            stopDuplicateChecks(error)
            return false
        }
    }

    /// Adds a record's hash to a duplicate check (kept in the block's log for a block's records).
    func keep(_ check: DuplicateCheck, _ hash: (UInt64, UInt64), record: Int) {
        if isBlock {
            log.hashes.append(.init(check: check, high: hash.0, low: hash.1, line: record))
            return
        }
        guard duplicatesNotChecked == nil else { return }
        do throws(IOFailure) {
            switch check {
            case .copies: try copies!.add(high: hash.0, low: hash.1, record: record)
            case .eventGroups: try eventGroups!.add(high: hash.0, low: hash.1, record: record)
            case .eventVersions: try eventVersions!.add(high: hash.0, low: hash.1, record: record)
            }
        } catch {
            stopDuplicateChecks(error)
        }
    }

    /// A block's hashes at its join, each line moved by `shift`: the tables are taken once for
    /// the block (through `keep`, each hash cost a retain and a release of its table).
    func keep(_ hashes: [EntityLog.Hash], shift: Int) {
        guard duplicatesNotChecked == nil, let copies, let eventGroups, let eventVersions else { return }
        do throws(IOFailure) {
            // A pass per table: picking the table per hash costs a retain and a release too.
            for (check, table) in [
                (DuplicateCheck.copies, copies), (.eventGroups, eventGroups), (.eventVersions, eventVersions),
            ] {
                for hash in hashes where hash.check == check {
                    try table.add(high: hash.high, low: hash.low, record: fileIndex << 40 | (hash.line + shift))
                }
            }
        } catch {
            stopDuplicateChecks(error)
        }
    }

    private func stopDuplicateChecks(_ error: IOFailure) {
        duplicatesNotChecked = "the temporary files could not be written (\(error.description))"
        copies = nil
        eventGroups = nil
        eventVersions = nil
    }

    /// Sorts the spilled hashes (once): records repeating an earlier one, and events whose group
    /// has more than one version of metadata.
    private func countDuplicates() -> (records: Int, events: Int, recordExamples: [Int], eventExamples: [Int]) {
        if let duplicateCounts { return duplicateCounts }
        var counts = (records: 0, events: 0, recordExamples: [Int](), eventExamples: [Int]())
        if let copies, let eventGroups, let eventVersions {
            do throws(IOFailure) {
                try copies.finish()
                try eventGroups.finish()
                try eventVersions.finish()
                counts.records = copies.duplicates.count
                counts.recordExamples = Array(copies.duplicates.prefix(5))
                counts.events = eventGroups.duplicates.count - eventVersions.duplicates.count
                let versions = Set(eventVersions.duplicates.prefix(100_000))
                counts.eventExamples = Array(eventGroups.duplicates.lazy.filter { !versions.contains($0) }.prefix(5))
            } catch {
                duplicatesNotChecked = "the temporary files could not be read (\(error.description))"
            }
        }
        self.copies = nil
        self.eventGroups = nil
        self.eventVersions = nil
        duplicateCounts = counts
        return counts
    }

    /// Removes the duplicate checks' temporary files now (after an interruption).
    public func discardTemporaryFiles() {
        copies = nil
        eventGroups = nil
        eventVersions = nil
        duplicatesNotChecked = duplicatesNotChecked ?? "the run was interrupted"
    }

    /// An example at `line` of the file being read.
    func example(at line: Int, _ text: String) -> FindingExample {
        FindingExample(file: files[fileIndex], line: line, text: text, order: rowOrder)
    }

    private func example(record: Int, _ text: String) -> FindingExample {
        FindingExample(file: files[record >> 40], line: record & (1 << 40 - 1), text: text)
    }

    // MARK: Findings

    private func note(_ code: FindingCode, _ example: FindingExample, kind: String? = nil) {
        let k = code.index
        counts[k] += 1
        if examples[k].count < 5 { examples[k].append(example) }
        if let kind { breakdowns[k][kind, default: 0] += 1 }
    }

    /// The findings, most severe first (codes with a count of 0 left out), after every file.
    public func findings() -> [Finding] {
        var found: [Finding] = []
        func add(_ code: FindingCode, _ count: Int, breakdown: [(String, Int)] = [], examples: [FindingExample] = []) {
            guard count > 0 else { return }
            found.append(Finding(code: code, count: count, breakdown: breakdown, examples: Array(examples.prefix(5))))
        }
        func sorted(_ table: [String: Int]) -> [(String, Int)] {
            table.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
        }
        let gaps = historyGaps()
        add(.historyGap, gaps.reduce(0) { $0 + $1.count }, breakdown: gaps.map { (Self.rangeText($0), $0.count) })
        for code in [FindingCode.futureTimestamp, .ancientTimestamp] {
            add(code, counts[code.index], breakdown: sorted(breakdowns[code.index]), examples: examples[code.index])
        }
        if midnight * 2 > records { add(.dateOnlyTimestamps, midnight, examples: midnightExamples) }
        var drift = 0
        var driftBreakdown: [(String, Int)] = []
        var driftExamples: [FindingExample] = []
        for entry in keyKinds where entry.records.filter({ $0 > 0 }).count > 1 {
            drift += 1
            for kind in PropertyKind.allCases where entry.records[kind.rawValue] > 0 {
                driftBreakdown.append(("\(entry.scope).\(entry.key): \(kind.name)", entry.records[kind.rawValue]))
                if driftExamples.count < 5, var first = entry.firstLine[kind.rawValue] {
                    first.text = "\(entry.scope).\(entry.key) first \(kind.name)"
                    driftExamples.append(first)
                }
            }
        }
        add(.typeDrift, drift, breakdown: driftBreakdown, examples: driftExamples)
        var groups: [String: [String]] = [:]
        for entry in keyKinds {
            let folded = entry.key.lowercased().filter { !" _-.".contains($0) }
            let id = entry.scope + "\u{0}" + folded
            if !(groups[id]?.contains(entry.key) ?? false) { groups[id, default: []].append(entry.key) }
        }
        let collisions = groups.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }
        add(
            .keyCaseCollision, collisions.count,
            breakdown: collisions.map {
                (
                    $0.key.split(separator: "\u{0}").first.map(String.init)! + ": " + $0.value.joined(separator: ", "),
                    $0.value.count
                )
            })
        for code in [FindingCode.junkID, .idWhitespace, .idIsEmail] {
            add(code, counts[code.index], breakdown: sorted(breakdowns[code.index]), examples: examples[code.index])
        }
        let neverUsers = users.count { $0.isNamedElsewhere && !$0.isIdentified }
        add(
            .userNeverIdentified, neverUsers,
            examples: userCandidates.filter { users.state(of: $0.key)?.isIdentified == false }.map(\.example))
        let neverCompanies = companies.count { $0.isNamedElsewhere && !$0.isIdentified }
        add(
            .companyNeverIdentified, neverCompanies,
            examples: companyCandidates.filter { companies.state(of: $0.key)?.isIdentified == false }.map(\.example))
        add(
            .identifyAfterFirstEvent,
            users.count {
                $0.firstIdentify != Int.max && $0.firstEvent != Int.max && $0.firstIdentify > $0.firstEvent
            })
        for code in [FindingCode.identifyPropertyDropped, .identifyNullOverwrite, .identifyOutOfOrder] {
            add(code, counts[code.index], examples: examples[code.index])
        }
        let duplicates = countDuplicates()
        add(
            .duplicateRecord, duplicates.records,
            examples: duplicates.recordExamples.map { example(record: $0, "the same record as an earlier line") })
        add(
            .duplicateEvent, duplicates.events,
            examples: duplicates.eventExamples.map {
                example(record: $0, "the same event as an earlier line, with other metadata")
            })
        add(
            .piiInEventMetadata, counts[FindingCode.piiInEventMetadata.index],
            breakdown: sorted(breakdowns[FindingCode.piiInEventMetadata.index]),
            examples: examples[FindingCode.piiInEventMetadata.index])
        return found.enumerated().sorted {
            $0.element.code.severity != $1.element.code.severity
                ? $0.element.code.severity < $1.element.code.severity : $0.offset < $1.offset
        }.map(\.element)
    }

    /// Each property seen, by scope (`users`, `companies`, `events`), with its records per kind.
    public var propertyKinds: [(scope: String, key: String, kinds: [(kind: String, records: Int)])] {
        keyKinds.map { entry in
            (
                entry.scope, entry.key,
                PropertyKind.allCases.filter { entry.records[$0.rawValue] > 0 }.map {
                    ($0.name, entry.records[$0.rawValue])
                }
            )
        }
    }

    /// Distinct users and companies seen.
    public var entityCounts: (users: Int, companies: Int) { (users.count, companies.count) }

    /// The days of the history (future and ancient records left out): first and last.
    public var span: (first: Int, last: Int)? {
        let days = byDay.days.filter { $0 * 86_400 >= Self.year2000 && $0 * 86_400 <= futureLimit }
        guard let first = days.min(), let last = days.max() else { return nil }
        return (first, last)
    }

    /// Runs of days without a record strictly inside the span, when it averages ≥ 10 records a day.
    func historyGaps() -> [ClosedRange<Int>] {
        guard let (first, last) = span else { return [] }
        var inSpan = 0
        for (day, counts) in byDay where day >= first && day <= last { inSpan += counts.reduce(0, +) }
        guard inSpan >= 10 * (last - first + 1) else { return [] }
        var runs: [ClosedRange<Int>] = []
        var start: Int?
        for day in first...last {
            if byDay[day] == nil {
                if start == nil { start = day }
            } else if let s = start {
                runs.append(s...(day - 1))
                start = nil
            }
        }
        return runs
    }

    // MARK: Text

    private func text(_ value: FieldValue) -> UnsafeRawBufferPointer? {
        guard value.kind == .string || value.kind == .number else { return nil }
        if value.hasEscapes { return arena.decodeJSONString(value.bytes) ?? value.bytes }
        return value.bytes
    }

    /// The process's resident memory (Linux `/proc/self/statm`), or nil where it cannot be read.
    static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let (high, low) = DuplicateEvents.hash(bytes)
        return high ^ (low &* 0x9E37_79B9_7F4A_7C15)
    }

    static func dayText(_ day: Int) -> String {
        let (y, m, d) = Timestamp.civilFromDays(day)
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    static func rangeText(_ days: ClosedRange<Int>) -> String {
        days.count == 1 ? dayText(days.lowerBound) : dayText(days.lowerBound) + ".." + dayText(days.upperBound)
    }

    static func isSpace(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0B || c == 0x0C
    }

    /// `local@domain.tld`: one `@`, no white space, a dot in the domain after its first character.
    static func isEmail(_ text: UnsafeRawBufferPointer) -> Bool {
        // Most values hold no `@`: one memchr decides.
        guard let base = text.baseAddress, let found = memchr(base, 0x40, text.count) else { return false }
        let at = base.distance(to: UnsafeRawPointer(found))
        guard at > 0, at < text.count - 3,
            !text.contains(where: { isSpace($0) }), text[(at + 1)...].firstIndex(of: UInt8(ascii: "@")) == nil,
            let dot = text[(at + 2)...].lastIndex(of: UInt8(ascii: ".")), dot < text.count - 1
        else { return false }
        return true
    }

    /// `+` then 8–15 digits, spaces or dashes between them.
    static func isPhone(_ text: UnsafeRawBufferPointer) -> Bool {
        guard text.first == UInt8(ascii: "+") else { return false }
        var digits = 0
        for c in text.dropFirst() {
            if c >= 0x30 && c <= 0x39 {
                digits += 1
            } else if c != 0x20 && c != UInt8(ascii: "-") {
                return false
            }
        }
        return digits >= 8 && digits <= 15
    }

    /// Four dot-separated numbers of one to three digits, each at most 255.
    static func isIPv4(_ text: UnsafeRawBufferPointer) -> Bool {
        var dots = 0
        var digits = 0
        var value = 0
        for c in text {
            if c == UInt8(ascii: ".") {
                guard digits > 0 else { return false }
                dots += 1
                digits = 0
                value = 0
                continue
            }
            guard c >= 0x30 && c <= 0x39 else { return false }
            digits += 1
            value = value * 10 + Int(c &- 0x30)
            guard digits <= 3 && value <= 255 else { return false }
        }
        return dots == 3 && digits > 0
    }

    /// 13–19 contiguous digits passing the Luhn check.
    static func isCardNumber(_ text: UnsafeRawBufferPointer) -> Bool {
        guard text.count >= 13 && text.count <= 19, text.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        var sum = 0
        for (i, c) in text.reversed().enumerated() {
            var d = Int(c - 0x30)
            if i % 2 == 1 {
                d *= 2
                if d > 9 { d -= 9 }
            }
            sum += d
        }
        return sum % 10 == 0
    }

    /// A valid §3 timestamp, or a real `YYYY-MM-DD` date.
    static func isDate(_ text: UnsafeRawBufferPointer) -> Bool {
        guard text.count >= 10, text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-") else { return false }
        if case .success = Timestamp.parse(text) { return true }
        guard text.count == 10 else { return false }
        let digits = [0, 1, 2, 3, 5, 6, 8, 9]
        guard digits.allSatisfy({ text[$0] >= 0x30 && text[$0] <= 0x39 }) else { return false }
        let number = { (a: Int, b: Int) in
            Int(String(decoding: UnsafeRawBufferPointer(rebasing: text[a..<b]), as: UTF8.self))!
        }
        let (y, m, d) = (number(0, 4), number(5, 7), number(8, 10))
        return m >= 1 && m <= 12 && d >= 1 && d <= Timestamp.daysIn(month: m, year: y)
    }

    /// Personal data shown as `j***@e***.com` (phones, IP and card numbers as `+4***67`); other
    /// values as they are.
    static func masked(_ text: UnsafeRawBufferPointer) -> String {
        let string = String(decoding: text, as: UTF8.self)
        if isEmail(text), let at = string.firstIndex(of: "@") {
            let local = string[..<at]
            let domain = string[string.index(after: at)...]
            let dot = domain.lastIndex(of: ".")!
            return "\(local.prefix(1))***@\(domain.prefix(1))***\(domain[dot...])"
        }
        guard isPhone(text) || isIPv4(text) || isCardNumber(text) else { return string }
        return "\(string.prefix(2))***\(string.suffix(2))"
    }
}

extension UnsafeRawBufferPointer {
    /// Without its last byte (a line without its line feed).
    fileprivate func dropLastByte() -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[0..<(count - 1)])
    }
}

extension FindingCode {
    var index: Int { Self.allCases.firstIndex(of: self)! }
}
