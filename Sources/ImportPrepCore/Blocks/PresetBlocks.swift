/// What reading a vendor export in blocks keeps for the whole file, on the hand-over's thread:
/// the row checker that replays candidate derived rows (and reads a rest on one core), the last
/// property snapshot of every entity (rule 5) and the event keys (rule 13).
final class PresetBlockState {
    let checker: VendorRowChecker
    private var keys: DuplicateEvents?
    private var keysFailure: String?

    /// `countsEventKeys`: rule 13's count of repeated event keys is kept (not by `profile`).
    init(settings: PresetSettings, maxRecordBytes: Int, fileSize: Int, countsEventKeys: Bool = true) {
        checker = VendorRowChecker(settings: settings, maxRecordBytes: maxRecordBytes)
        if settings.preset.hasEventKeys && countsEventKeys {
            do throws(IOFailure) {
                keys = try DuplicateEvents(
                    temporaryFolder: settings.temporaryFolder, expectedRecords: max(fileSize / 200, 1_000))
            } catch {
                keysFailure = error.description
            }
        }
        checker.keys = keys
        checker.keyPass = .note
    }

    /// A checker for one worker's blocks.
    static func workerChecker(_ settings: PresetSettings?, maxRecordBytes: Int) -> VendorRowChecker? {
        settings.map { VendorRowChecker(settings: $0, maxRecordBytes: maxRecordBytes) }
    }

    /// Hands over the candidates of `pending` due before entry `index` (all that are left when
    /// nil): each whose entity's snapshot changed is replayed into `sink` as the derived row it is.
    func replay(
        _ pending: PendingCandidates, before index: Int?, cursor: inout Int, shift: RecordLocation,
        into sink: RecordSink
    ) {
        while cursor < pending.list.count, index == nil || pending.list[cursor].before <= index! {
            let (_, candidate, location, range) = pending.list[cursor]
            cursor += 1
            guard writes(candidate) else { continue }
            pending.bytes[range].withUnsafeBytes { record in
                checker.replay(candidate, record: record, at: location.shifted(by: shift), into: sink)
            }
        }
    }

    /// Whether a candidate's row is written: its entity's properties differ from the last ones
    /// the blocks before left (or it has none yet).
    func writes(_ candidate: DerivedRowCandidate) -> Bool {
        checker.mapper.fingerprints[candidate.entity] != candidate.snapshot
    }

    /// After a block is handed over: its entities' last snapshots and its event keys join the file's.
    func join(_ block: VendorRowChecker, recordsBefore: Int) {
        for (entity, snapshot) in block.mapper.fingerprints { checker.mapper.fingerprints[entity] = snapshot }
        guard let keys else { return }
        do throws(IOFailure) {
            for key in block.listedKeys {
                try keys.add(high: key.high, low: key.low, record: key.record + recordsBefore)
            }
        } catch {
            self.keys = nil
            checker.keys = nil
            keysFailure = "the temporary files could not be written (\(error.description))"
        }
    }

    /// At the file's end: how many records repeated an event key, or why that was not checked.
    func finish(into sink: RecordSink) {
        if let keys, checker.keys != nil {
            do throws(IOFailure) {
                try keys.finish()
                sink.duplicateEvents(keys.duplicates.count)
                return
            } catch {
                keysFailure = "the temporary files could not be written (\(error.description))"
            }
        } else if keys != nil {
            keysFailure = keysFailure ?? "the temporary files could not be written"
        }
        if let keysFailure { sink.duplicatesNotChecked(keysFailure) }
    }
}

/// The candidate derived rows a block met, with a copy of each one's vendor record and where it
/// goes: before entry (or error) `before` of the block.
struct PendingCandidates {
    var list: [(before: Int, candidate: DerivedRowCandidate, location: RecordLocation, bytes: Range<Int>)] = []
    var bytes: [UInt8] = []

    mutating func removeAll() {
        list.clear()
        bytes.clear()
    }

    mutating func append(
        before: Int, _ candidate: DerivedRowCandidate, at location: RecordLocation, record: UnsafeRawBufferPointer
    ) {
        let start = bytes.count
        bytes.append(contentsOf: record)
        list.append((before, candidate, location, start..<bytes.count))
    }
}
