/// Receives every record a reader produces, already checked against the schema, in input order.
/// Everything it is handed lives only for the duration of the call.
public protocol RecordSink: AnyObject {
    /// Whether readers should keep every value and the raw text of records (convert, split), not
    /// only what the schema checks (validate).
    var needsValues: Bool { get }
    /// Whether the sink reads the members of `metadata` (convert's writer, profile): the NDJSON
    /// reader then notes them during the record's scan (`RecordFields.metadataMembers`).
    var readsMetadata: Bool { get }
    /// Readers stop early when this turns true (`--fail-fast`).
    var shouldStop: Bool { get }
    /// A blank line was skipped.
    func blankLine()
    /// One record, with every problem found in it (empty when it is clean). `raw` is the record's
    /// text as read (without its last line ending); empty when the reader did not keep it.
    func accept(
        _ location: RecordLocation, eventType: EventType?, fields: RecordFields, problems: [Problem],
        raw: UnsafeRawBufferPointer
    )
    /// A problem with the file as a whole (a CSV header that cannot be read), not with a record.
    func fileProblem(_ problem: Problem, at location: RecordLocation)
    /// After a file-level problem (a CSV header that cannot be read): how many non-blank lines
    /// were left unread.
    func linesNotRead(_ count: Int)
    /// A vendor record read through a preset and not written, and why (SPEC §8).
    func skipped(_ reason: SkipReason, at location: RecordLocation)
    /// The next record handed over is a second row of the vendor record before it (a derived row).
    func derivedRowFollows()
    /// Vendor records whose event key an earlier record had (rule 13), or why that was not checked.
    func duplicateEvents(_ count: Int)
    func duplicatesNotChecked(_ why: String)
    /// Read in blocks: a derived row (rule 5) the block cannot decide, before the rows of
    /// `record` that follow it; the hand-over replays it when its entity's snapshot changed.
    func derivedRowCandidate(
        _ candidate: DerivedRowCandidate, at location: RecordLocation, record: UnsafeRawBufferPointer)
}

extension RecordSink {
    public var readsMetadata: Bool { false }
    public func linesNotRead(_ count: Int) {}
    public func skipped(_ reason: SkipReason, at location: RecordLocation) {}
    public func derivedRowFollows() {}
    public func duplicateEvents(_ count: Int) {}
    public func duplicatesNotChecked(_ why: String) {}
    public func derivedRowCandidate(
        _ candidate: DerivedRowCandidate, at location: RecordLocation, record: UnsafeRawBufferPointer
    ) {}
}

/// A sink that keeps nothing: the first pass of the duplicate check reads records only for their keys.
final class DiscardingSink: RecordSink {
    var needsValues: Bool { false }
    var shouldStop: Bool { false }
    func blankLine() {}
    func accept(
        _ location: RecordLocation, eventType: EventType?, fields: RecordFields, problems: [Problem],
        raw: UnsafeRawBufferPointer
    ) {}
    func fileProblem(_ problem: Problem, at location: RecordLocation) {}
}
