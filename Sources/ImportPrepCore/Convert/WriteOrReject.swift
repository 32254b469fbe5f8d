/// Decides what `convert` or `split` does with one checked record: the line to write, or the errors
/// that keep it out. Shared by the one-core path (`Converter`) and the block workers
/// (`Converter.convertInBlocks`), so that both decide alike.
@_spi(Testing) public struct WriteOrReject {
    public enum Outcome {
        /// Write the record: `line` holds it (convert), or with `asRead` its own bytes and a
        /// line feed (split). `time` is the `inserted_at` written, for the manifest.
        case write(EventType, time: Timestamp?, repairs: RepairSet, asRead: Bool)
        /// Set it aside with these errors (warnings left out).
        case reject([Problem])
    }

    let mode: ConvertOptions.Mode
    /// The largest line a chunk takes (`--max-bytes`).
    let maxLineBytes: Int
    /// `--max-record-bytes`: what `convert` writes must pass `validate` with the same options.
    let maxRecordBytes: Int
    private var writer: NormalizedWriter
    /// Where the members of the last line written are (`notesMembers`), else nil.
    var normalizedMembers: NormalizedMembers? { writer.members }

    /// `notesMembers`: note where the members of each line are (`profile`), not needed by `convert`.
    public init(options: ConvertOptions, maxLineBytes: Int, notesMembers: Bool = false) {
        mode = options.mode
        self.maxLineBytes = maxLineBytes
        maxRecordBytes = options.maxRecordBytes
        writer = NormalizedWriter(
            inferNumbers: options.inferNumbers, epoch: options.epoch, maxRecordBytes: options.maxRecordBytes,
            notesMembers: notesMembers)
    }

    /// Decides about one record; for `convert` the normalized line is appended to `line` (and
    /// taken back off when the record is rejected).
    public mutating func record(
        _ eventType: EventType?, fields: RecordFields, problems: [Problem], raw: UnsafeRawBufferPointer,
        into line: LineBuffer
    ) -> Outcome {
        let repairable = mode == .convert
        let blocked = problems.contains { !$0.code.isWarning && !(repairable && writer.canRepair($0, in: fields)) }
        guard !blocked, let type = eventType else { return .reject(problems.filter { !$0.code.isWarning }) }
        var repairs = RepairSet()
        let time: Timestamp?
        let size: Int
        switch mode {
        case .convert:
            let start = line.count
            time = writer.write(fields, type: type, into: line, repairs: &repairs)
            size = line.count - start
            if size - 1 > maxRecordBytes {
                line.truncate(to: start)
                return .reject([Problem(.recordTooLarge, .none, .normalizedLimit(maxRecordBytes))])
            }
            if size > maxLineBytes { line.truncate(to: start) }
        case .split:
            time = writer.timestamp(of: fields)?.0
            size = raw.count + 1
        }
        if size > maxLineBytes { return .reject([Problem(.recordTooLarge, .none, .chunkLimit(maxLineBytes))]) }
        return .write(type, time: time, repairs: repairs, asRead: mode == .split)
    }
}
