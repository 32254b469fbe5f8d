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

    mutating func append(
        _ type: EventType, micros: Int, line: Int, user: UnsafeRawBufferPointer?, userKey: UInt64,
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
                hasCompany: company != nil))
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
    /// rule 5) of an entity new to a block can only be decided with the snapshots of every block
    /// before it, which a profiler's join does not replay: the first block that meets one stops,
    /// and the file is read on this core from that block's start (before it, no block met an
    /// entity's properties, so there is no snapshot to carry over).
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
                join(profiled, shift: shift)
            })
        if let rest, !failed {
            // A CSV cut libcsv did not confirm, or a derived row to decide: the rest, from that
            // block's start, on this core.
            oneCoreRests += 1
            let vendor = options.preset.map { VendorRowChecker(settings: $0, maxRecordBytes: options.maxRecordBytes) }
            vendor?.continueFile(shapeChecked: rest.start > 0)
            do throws(IOFailure) {
                try reader.readRest(
                    rest, delimiter: options.delimiter, maxRecordBytes: options.maxRecordBytes, vendor: vendor,
                    into: self, counted: { _, _ in })
            } catch {
                readFailures.append((path, error.description))
            }
        }
        filesReadInBlocks += 1
        return true
    }

    /// Adds a block's profile, its lines moved by `shift`: what commutes is added, the first
    /// examples kept, and the block's entity steps and duplicate hashes run here in order.
    func join(_ block: MigrationProfiler, shift: RecordLocation) {
        let moved = { (example: FindingExample) in
            FindingExample(file: example.file, line: example.line + shift.line, text: example.text)
        }
        records += block.records
        invalid += block.invalid
        skipped += block.skipped
        for (day, types) in block.byDay {
            if let known = byDay[day] {
                byDay[day] = zip(known, types).map { $0 + $1 }
            } else {
                byDay[day] = types
            }
        }
        for k in counts.indices {
            counts[k] += block.counts[k]
            for example in block.examples[k] where examples[k].count < 5 { examples[k].append(moved(example)) }
            for (kind, count) in block.breakdowns[k] { breakdowns[k][kind, default: 0] += count }
        }
        midnight += block.midnight
        for example in block.midnightExamples where midnightExamples.count < 5 {
            midnightExamples.append(moved(example))
        }

        // The block numbered its keys per scope in the order it met them; so does this profiler.
        var numbers: [String: [Int]] = [:]
        for entry in block.keyKinds {
            let index = entry.keyBytes.withUnsafeBytes { keyEntry(scope: entry.scope, key: $0) }
            for kind in entry.records.indices {
                keyKinds[index].records[kind] += entry.records[kind]
                if keyKinds[index].kindsSeen & (1 << kind) == 0, let first = entry.firstLine[kind] {
                    keyKinds[index].kindsSeen |= 1 << kind
                    keyKinds[index].firstLine[kind] = moved(first)
                }
            }
            numbers[entry.scope, default: []].append(keyKinds[index].id)
        }

        let userNumbers = numbers["users"] ?? []
        let companyNumbers = numbers["companies"] ?? []
        var keys: [IdentifyKey] = []
        let log = block.log
        log.ids.withUnsafeBytes { ids in
            var nextKey = 0
            var nextID = 0
            for step in log.steps {
                let line = step.line + shift.line
                let stepKeys = nextKey..<(nextKey + Int(step.keyCount))
                let user = nextID..<(nextID + Int(step.userIDCount))
                let company = user.upperBound..<(user.upperBound + Int(step.companyIDCount))
                nextKey = stepKeys.upperBound
                nextID = company.upperBound
                joinedSteps += 1
                if joinedSteps & 0xFFFF == 1 { checkMemory(line: line) }
                guard entityChecksStopped == nil else { break }
                keys.removeAll(keepingCapacity: true)
                if !stepKeys.isEmpty {
                    let scope = step.type == .identifyUser ? userNumbers : companyNumbers
                    for key in log.keys[stepKeys] { keys.append((scope[key.id], key.isNull, key.isEmpty)) }
                }
                keys.withUnsafeBufferPointer { keys in
                    applyEntities(
                        step.type, micros: step.micros,
                        user: step.hasUser ? UnsafeRawBufferPointer(rebasing: ids[user]) : nil, userKey: step.userKey,
                        company: step.hasCompany ? UnsafeRawBufferPointer(rebasing: ids[company]) : nil,
                        companyKey: step.companyKey, keys: keys, line: line)
                }
            }
        }

        guard block.records > 0, openDuplicateChecks() else { return }
        for hash in log.hashes {
            keep(hash.check, (hash.high, hash.low), record: fileIndex << 40 | (hash.line + shift.line))
        }
    }
}

/// One block of a file as a worker profiled it, with its own `MigrationProfiler` (lines counted
/// from the block's start). `@unchecked Sendable`: a worker sets it in `profile`; the profiler
/// reads it only after `BlockReader` saw the worker finish.
private final class ProfiledBlock: BlockResult, @unchecked Sendable {
    private(set) var profiler: MigrationProfiler?
    private(set) var lines = 0
    private(set) var endedBetweenRecords: Bool?
    /// A vendor export's mapper, its state kept from block to block of one worker's slot.
    private let vendor: VendorRowChecker?

    init(vendor: VendorRowChecker?) {
        self.vendor = vendor
    }

    func profile(path: String, range: Range<Int>, prefix: [UInt8], options: ProfileOptions) {
        let profiler = self.profiler ?? MigrationProfiler(options: options, blockOf: path)
        profiler.startBlock(of: path)
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
    /// It met a derived row it cannot decide alone (see `profileInBlocks`).
    var overflowed: Bool { profiler?.metDerivedRowCandidate == true }
}
