/// The counts SPEC §6 asks for, for one input file or for the whole run.
public struct FileSummary: Equatable, Sendable {
    public var file: String
    public var format: InputFormat?
    public var records = 0
    public var valid = 0
    public var invalid = 0
    public var blankLines = 0
    public var bytes = 0
    /// Records per event type (recognized types only), indexed by `EventType.rawValue`.
    public var byEventType = [Int](repeating: 0, count: EventType.allCases.count)
    /// Problems per code, indexed by `ProblemCode.index` (errors and warnings alike).
    public var byCode = [Int](repeating: 0, count: ProblemCode.allCases.count)
    /// Why the file could not be read, when it could not (exit status 3).
    public var readFailure: String?
    /// The run stopped inside this file (`--fail-fast`).
    public var stoppedEarly = false
    /// Physical lines read (to join the reports of a file read in blocks).
    var lines = 0
    /// Skipped and derived counts, when the file was read through a preset (`--from`).
    public var presetCounts: PresetCounts?
    /// Without `--from`: the vendor whose export the first record looks like.
    public var looksLike: Preset?

    public init(file: String, format: InputFormat? = nil) {
        self.file = file
        self.format = format
    }

    public func count(_ code: ProblemCode) -> Int { byCode[code.index] }
    public func count(_ type: EventType) -> Int { byEventType[type.rawValue] }

    public var errorCount: Int { ProblemCode.errors.reduce(0) { $0 + byCode[$1.index] } }
    public var warningCount: Int { ProblemCode.warnings.reduce(0) { $0 + byCode[$1.index] } }

    mutating func add(_ other: FileSummary) {
        records += other.records
        valid += other.valid
        invalid += other.invalid
        blankLines += other.blankLines
        bytes += other.bytes
        lines += other.lines
        for k in byEventType.indices { byEventType[k] += other.byEventType[k] }
        for k in byCode.indices { byCode[k] += other.byCode[k] }
        if let counts = other.presetCounts {
            if presetCounts == nil { presetCounts = PresetCounts(preset: counts.preset) }
            presetCounts!.add(counts)
        }
        if looksLike == nil { looksLike = other.looksLike }
    }
}
