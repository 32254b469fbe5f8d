import Synchronization

/// What the running command has read so far, for the progress line on a terminal (issue 16).
/// Input files add the bytes of each `read(2)` (a gzip file its compressed bytes); record sinks
/// hand over their counts in batches (`ProgressBatch`), so the record path pays one compare.
public final class RunProgress: Sendable {
    public static let shared = RunProgress()

    private let bytes = Atomic<Int>(0)
    private let records = Atomic<Int>(0)
    private let flagged = Atomic<Int>(0)

    /// A snapshot: bytes read from input files, records read, and records invalid or rejected.
    public struct Counts: Sendable, Equatable {
        public var bytes: Int
        public var records: Int
        public var flagged: Int

        public init(bytes: Int, records: Int, flagged: Int) {
            self.bytes = bytes
            self.records = records
            self.flagged = flagged
        }

        /// What was counted after `start`.
        public func since(_ start: Counts) -> Counts {
            Counts(bytes: bytes - start.bytes, records: records - start.records, flagged: flagged - start.flagged)
        }
    }

    public var counts: Counts {
        Counts(
            bytes: bytes.load(ordering: .relaxed), records: records.load(ordering: .relaxed),
            flagged: flagged.load(ordering: .relaxed))
    }

    func addBytes(_ count: Int) { bytes.wrappingAdd(count, ordering: .relaxed) }

    func add(records count: Int, flagged flaggedCount: Int) {
        records.wrappingAdd(count, ordering: .relaxed)
        flagged.wrappingAdd(flaggedCount, ordering: .relaxed)
    }
}

/// A sink's records not yet handed to `RunProgress`: handed over every 4,096 and at the end of
/// each input.
struct ProgressBatch {
    private var records = 0
    private var flagged = 0

    @inline(__always) mutating func count(flagged isFlagged: Bool) {
        if isFlagged { flagged &+= 1 }
        record()
    }

    @inline(__always) mutating func record() {
        records &+= 1
        if records == 4096 { handOver() }
    }

    /// A record counted already turned out invalid or rejected.
    mutating func flag() { flagged &+= 1 }

    mutating func handOver() {
        guard records > 0 || flagged > 0 else { return }
        RunProgress.shared.add(records: records, flagged: flagged)
        records = 0
        flagged = 0
    }
}
