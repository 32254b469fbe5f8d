import Dispatch
import Foundation

/// A block's records as far as the checks that depend on input order need them (identify order,
/// accumulated properties, first mentions, duplicates), kept until the block's join. The entity
/// and duplicate checks then run on them in input order, as one pass would.
struct EntityLog {
    /// 48 bytes; where its identify keys and ids are follows from the steps before it (each
    /// step's keys and ids are appended after the previous step's).
    struct Step {
        /// The record's line, counted from the block's start.
        var line: Int
        var micros: Int
        var userKey: UInt64
        var companyKey: UInt64
        /// How many identify keys it has in `keys`, and the lengths of its user and company ids
        /// in `ids`.
        var keyCount: UInt32
        var userIDCount: UInt32
        var companyIDCount: UInt32
        var type: EventType
        var hasUser: Bool
        var hasCompany: Bool
        /// The row's `MigrationProfiler.rowOrder`.
        var order: UInt8

        func precedes(_ other: Step) -> Bool { (line, order) < (other.line, other.order) }
    }

    /// A record's hash in one of the duplicate checks (24 bytes).
    struct Hash {
        var high: UInt64
        var low: UInt64
        /// The record's line, counted from the block's start, times 4, plus the check.
        var lineAndCheck: Int

        var line: Int { lineAndCheck >> 2 }
        var check: MigrationProfiler.DuplicateCheck { .init(rawValue: UInt8(lineAndCheck & 3))! }

        init(check: MigrationProfiler.DuplicateCheck, high: UInt64, low: UInt64, line: Int) {
            self.high = high
            self.low = low
            lineAndCheck = line << 2 | Int(check.rawValue)
        }
    }

    var steps: [Step] = []
    var keys: [MigrationProfiler.IdentifyKey] = []
    var ids: [UInt8] = []
    var hashes: [Hash] = []

    /// The log read step by step at the join, through buffers (an array subscript in that loop
    /// costs a retain and a release per step).
    struct Walk {
        let steps: UnsafeBufferPointer<Step>
        let keys: UnsafeBufferPointer<MigrationProfiler.IdentifyKey>
        let ids: UnsafeRawBufferPointer
        /// The profiler's number of each of the part's identify keys, per scope.
        let userNumbers: UnsafeBufferPointer<Int>
        let companyNumbers: UnsafeBufferPointer<Int>
        var step = 0
        var key = 0
        var id = 0

        /// The next step, its identify keys, its ids and the numbers its keys map to.
        mutating func next() -> (
            Step, UnsafeBufferPointer<MigrationProfiler.IdentifyKey>,
            (user: UnsafeRawBufferPointer, company: UnsafeRawBufferPointer), UnsafeBufferPointer<Int>
        ) {
            let current = steps[step]
            let stepKeys = UnsafeBufferPointer(rebasing: keys[key..<(key + Int(current.keyCount))])
            let userEnd = id + Int(current.userIDCount)
            let companyEnd = userEnd + Int(current.companyIDCount)
            let user = UnsafeRawBufferPointer(rebasing: ids[id..<userEnd])
            let company = UnsafeRawBufferPointer(rebasing: ids[userEnd..<companyEnd])
            step += 1
            key += Int(current.keyCount)
            id = companyEnd
            return (current, stepKeys, (user, company), current.type == .identifyUser ? userNumbers : companyNumbers)
        }
    }

    /// Runs `body` on a walk of the log from its start.
    func walk<R>(users: [Int], companies: [Int], _ body: (inout Walk) -> R) -> R {
        steps.withUnsafeBufferPointer { steps in
            keys.withUnsafeBufferPointer { keys in
                ids.withUnsafeBytes { ids in
                    users.withUnsafeBufferPointer { users in
                        companies.withUnsafeBufferPointer { companies in
                            var walk = Walk(
                                steps: steps, keys: keys, ids: ids, userNumbers: users, companyNumbers: companies)
                            return body(&walk)
                        }
                    }
                }
            }
        }
    }

    mutating func append(
        _ type: EventType, micros: Int, line: Int, order: UInt8, user: UnsafeRawBufferPointer?, userKey: UInt64,
        company: UnsafeRawBufferPointer?, companyKey: UInt64, keys identifyKeys: [MigrationProfiler.IdentifyKey]
    ) {
        guard user != nil || company != nil else { return }
        keys.append(contentsOf: identifyKeys)
        if let user { ids.append(contentsOf: user) }
        if let company { ids.append(contentsOf: company) }
        steps.append(
            Step(
                line: line, micros: micros, userKey: userKey, companyKey: companyKey,
                keyCount: UInt32(identifyKeys.count), userIDCount: UInt32(user?.count ?? 0),
                companyIDCount: UInt32(company?.count ?? 0), type: type, hasUser: user != nil,
                hasCompany: company != nil, order: order))
    }
}

extension MigrationProfiler {
    private static let slots = 3

    /// Profiles a large regular file in blocks on every core (`BlockReader`): each block is read,
    /// checked, normalized and hashed by a profiler of its own; the blocks are then joined in
    /// input order (counts added, examples and property keys merged, the entity and duplicate
    /// checks run on their logs), so the report is the one of a single pass. False when the file
    /// does not qualify (gzip, UTF-16, standard input, a small file, one core, a vendor export
    /// that is not NDJSON lines or is read with `--dedupe`).
    ///
    /// A vendor export's blocks are mapped on the workers too. A derived identify row (SPEC §8
    /// rule 5) of an entity new to a block is decided at the join, with the property snapshots of
    /// the blocks before: when written, it is replayed into a profiler of its own (`derived`) and
    /// merged with the block's records by (line, row order).
    func profileInBlocks(path: String) -> Bool {
        guard
            let reader = BlockReader.open(
                path: path, format: options.format, parallel: options.parallel, threshold: options.parallelThreshold,
                delimiter: options.delimiter, maxRecordBytes: options.maxRecordBytes, blockSize: options.blockSize),
            options.preset.map(reader.serves) ?? true
        else { return false }
        fileIndex = files.count
        files.append(path)
        var blockOptions = options
        blockOptions.parallel = false
        blockOptions.format = reader.format
        let workerOptions = blockOptions
        let blocks = (0..<Self.slots).map { _ in
            ProfiledBlock(
                vendor: PresetBlockState.workerChecker(options.preset, maxRecordBytes: options.maxRecordBytes))
        }
        let vendor = options.preset.map {
            PresetBlockState(
                settings: $0, maxRecordBytes: options.maxRecordBytes, fileSize: reader.size, countsEventKeys: false)
        }
        let derived = vendor.map { _ in MigrationProfiler(options: workerOptions, blockOf: path) }
        var failed = false
        let rest = reader.run(
            slots: blocks, shouldStop: { failed || shouldStop },
            read: { block, range, prefix in
                block.profile(path: path, range: range, prefix: prefix, options: workerOptions)
            },
            handOver: { block, _, shift in
                guard let profiled = block.profiler else { return }
                if let failure = profiled.readFailures.first {
                    readFailures.append((path, failure.reason))
                    failed = true
                    return
                }
                guard let vendor, let derived, let checker = block.vendor else {
                    join(profiled, shift: shift)
                    return
                }
                derived.startBlock(of: path)
                let pending = profiled.candidates
                for (_, candidate, location, row) in pending.list where vendor.writes(candidate) {
                    derived.replayOrder = UInt8(truncatingIfNeeded: 2 * candidate.position)
                    pending.bytes[row].withUnsafeBytes {
                        vendor.checker.checkDerivedRow($0, at: location, into: derived)
                    }
                }
                join(profiled, derived: derived.records + derived.invalid > 0 ? derived : nil, shift: shift)
                vendor.join(checker, recordsBefore: shift.record)
            })
        if let rest, !failed {
            // A CSV cut libcsv did not confirm, or a vendor record of too many rows: the rest, from
            // that block's start, on this core.
            oneCoreRests += 1
            vendor?.checker.continueFile(shapeChecked: rest.start > 0)
            do throws(IOFailure) {
                try reader.readRest(
                    rest, delimiter: options.delimiter, maxRecordBytes: options.maxRecordBytes, vendor: vendor?.checker,
                    into: self, counted: { _, _ in })
            } catch {
                readFailures.append((path, error.description))
            }
        }
        filesReadInBlocks += 1
        return true
    }

    /// Adds a block's profile, its lines moved by `shift`: what commutes is added, the first
    /// examples kept, and the block's entity steps and duplicate hashes run here in order. The
    /// derived rows replayed for the block (`derived`, lines counted from the block's start too)
    /// are merged with its records by (line, row order).
    func join(_ block: MigrationProfiler, derived: MigrationProfiler? = nil, shift: RecordLocation) {
        let parts = derived.map { [block, $0] } ?? [block]
        let moved = { (example: FindingExample) in
            FindingExample(
                file: example.file, line: example.line + shift.line, text: example.text, order: example.order)
        }
        for part in parts {
            records += part.records
            invalid += part.invalid
            skipped += part.skipped
            byDay.add(part.byDay)
            for k in counts.indices {
                counts[k] += part.counts[k]
                for (kind, count) in part.breakdowns[k] { breakdowns[k][kind, default: 0] += count }
            }
            midnight += part.midnight
        }
        for k in counts.indices {
            for example in Self.merged(parts.map { $0.examples[k] }, by: { $0.precedes($1) })
            where examples[k].count < 5 {
                examples[k].append(moved(example))
            }
        }
        for example in Self.merged(parts.map(\.midnightExamples), by: { $0.precedes($1) })
        where midnightExamples.count < 5 {
            midnightExamples.append(moved(example))
        }

        // Each part numbered its keys per scope in the order it met them; so does this profiler,
        // the parts' keys taken in the order they were met.
        var numbers = parts.map { _ in [String: [Int]]() }
        let entries = Self.merged(
            parts.indices.map { p in parts[p].keyKinds.map { (part: p, entry: $0) } },
            by: {
                ($0.entry.introduced.line, $0.entry.introduced.order) < (
                    $1.entry.introduced.line, $1.entry.introduced.order
                )
            })
        for (p, entry) in entries {
            let index = entry.keyBytes.withUnsafeBytes {
                keyEntry(
                    scopeID: entry.scopeID, key: $0, at: (entry.introduced.line + shift.line, entry.introduced.order))
            }
            for kind in entry.records.indices {
                keyKinds[index].records[kind] += entry.records[kind]
                guard let first = entry.firstLine[kind].map(moved) else { continue }
                if keyKinds[index].kindsSeen & (1 << kind) == 0 {
                    keyKinds[index].kindsSeen |= 1 << kind
                    keyKinds[index].firstLine[kind] = first
                } else if let known = keyKinds[index].firstLine[kind], first.precedes(known) {
                    keyKinds[index].firstLine[kind] = first
                }
            }
            numbers[p][entry.scope, default: []].append(keyKinds[index].id)
        }

        let logs = parts.map(\.log)
        let derived = logs.count > 1 ? logs[1] : EntityLog()
        let derivedNumbers = numbers.count > 1 ? numbers[1] : [:]
        logs[0].walk(users: numbers[0]["users"] ?? [], companies: numbers[0]["companies"] ?? []) { block in
            derived.walk(users: derivedNumbers["users"] ?? [], companies: derivedNumbers["companies"] ?? []) {
                joinEntities(block: &block, derived: &$0, shift: shift.line)
            }
        }

        guard parts.contains(where: { $0.records > 0 }), openDuplicateChecks() else { return }
        for log in logs { keep(log.hashes, shift: shift.line) }
    }

    /// The entity checks on a block's records and its derived rows', in input order.
    private func joinEntities(block: inout EntityLog.Walk, derived: inout EntityLog.Walk, shift: Int) {
        var keys: [IdentifyKey] = []
        while entityChecksStopped == nil {
            let fromDerived =
                derived.step < derived.steps.count
                && (block.step == block.steps.count || derived.steps[derived.step].precedes(block.steps[block.step]))
            guard fromDerived || block.step < block.steps.count else { break }
            if !fromDerived && block.step + Self.prefetchAhead < block.steps.count {
                // The entities of the block's records a few steps ahead are asked for early (the
                // tables are larger than the caches).
                let ahead = block.steps[block.step + Self.prefetchAhead]
                users.prefetch(ahead.userKey)
                companies.prefetch(ahead.companyKey)
            }
            let (step, stepKeys, ids, numbers) = fromDerived ? derived.next() : block.next()
            let line = step.line + shift
            joinedSteps += 1
            if joinedSteps & 0xFFFF == 1 { checkMemory(line: line) }
            guard entityChecksStopped == nil else { break }
            keys.removeAll(keepingCapacity: true)
            for key in stepKeys { keys.append((numbers[key.id], key.isNull, key.isEmpty)) }
            keys.withUnsafeBufferPointer { keys in
                applyEntities(
                    step.type, micros: step.micros, user: step.hasUser ? ids.user : nil, userKey: step.userKey,
                    company: step.hasCompany ? ids.company : nil, companyKey: step.companyKey, keys: keys,
                    line: line)
            }
        }
    }

    /// Two lists, each in order, merged (the first's item first on a tie); one list as it is.
    static func merged<T>(_ lists: [[T]], by precedes: (T, T) -> Bool) -> [T] {
        guard lists.count == 2, !lists[1].isEmpty else { return lists[0] }
        let (first, second) = (lists[0], lists[1])
        var out: [T] = []
        out.reserveCapacity(first.count + second.count)
        var i = 0
        var j = 0
        while i < first.count || j < second.count {
            if j == second.count || (i < first.count && !precedes(second[j], first[i])) {
                out.append(first[i])
                i += 1
            } else {
                out.append(second[j])
                j += 1
            }
        }
        return out
    }
}

/// One block of a file as a worker profiled it, with its own `MigrationProfiler` (lines counted
/// from the block's start). `@unchecked Sendable`: a worker sets it in `profile`; the profiler
/// reads it only after `BlockReader` saw the worker finish.
private final class ProfiledBlock: BlockResult, @unchecked Sendable {
    private(set) var profiler: MigrationProfiler?
    private(set) var lines = 0
    private(set) var endedBetweenRecords: Bool?
    /// A vendor export's mapper, its state kept from block to block of one worker's slot; its
    /// entities' last property snapshots join the file's at the hand-over.
    let vendor: VendorRowChecker?

    init(vendor: VendorRowChecker?) {
        self.vendor = vendor
    }

    func profile(path: String, range: Range<Int>, prefix: [UInt8], options: ProfileOptions) {
        let profiler = self.profiler ?? MigrationProfiler(options: options, blockOf: path)
        profiler.startBlock(of: path)
        profiler.blockMapper = vendor?.mapper
        vendor?.mapper.keepsCandidateRows = true
        vendor?.startBlock(first: range.lowerBound == 0)
        // `profile` does not report the vendor's repeated event keys (rule 13): none are listed.
        vendor?.keyPass = .note
        lines = 0
        endedBetweenRecords = nil
        do throws(IOFailure) {
            endedBetweenRecords = try BlockReader.read(
                path: path, range: range, prefix: prefix, format: options.format ?? .ndjson,
                delimiter: options.delimiter, maxRecordBytes: options.maxRecordBytes, vendor: vendor, into: profiler,
                counted: { _, lines in self.lines = lines })
        } catch {
            profiler.readFailures.append((path, error.description))
        }
        profiler.progress.handOver()
        self.profiler = profiler
    }

    var records: Int { (profiler?.records ?? 0) + (profiler?.invalid ?? 0) }
    var readFailed: Bool { profiler?.readFailures.isEmpty == false }
    /// A vendor record gave more rows than the join can order (see `MigrationProfiler.rowOrder`).
    var overflowed: Bool { profiler?.tooManyRows == true }
}
