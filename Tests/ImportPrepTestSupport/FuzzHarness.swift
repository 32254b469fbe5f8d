@_spi(Testing) import ImportPrepCore

/// What the fuzz target runs on each input, here so that its regression tests run the same code.
/// The first byte picks the path: 0 the JSON scanner on one record, 1 validate as NDJSON,
/// 2 validate as CSV, 3 both of those drip-fed 7 bytes at a time, 4 convert NDJSON, 5 convert
/// CSV (both drip-fed too), 6 convert through a vendor preset (the next byte picks it; its reader
/// follows the content: lines, JSON documents or CSV), whole and drip-fed; 7 profile (NDJSON or
/// CSV by the next byte), whole and drip-fed, with its three reports rendered. Every run must end in a
/// verdict whose counts add up, what convert writes must pass validate with the same options, and
/// drip-feeding must not change a count; a broken invariant stops the process.
public enum FuzzHarness {
    static let maxRecordBytes = 512

    public static func run(_ input: UnsafeBufferPointer<UInt8>) {
        guard let selector = input.first else { return }
        let bytes = Array(input.dropFirst())
        switch selector % 8 {
        case 0:
            let scanner = JSONScanner()
            if bytes.withUnsafeBytes({ scanner.scan($0) }) == .object {
                for member in scanner.members {
                    precondition(member.keyStart <= member.keyEnd && member.keyEnd <= bytes.count)
                    precondition(member.valueStart <= member.valueEnd && member.valueEnd <= bytes.count)
                }
            }
        case 1: _ = validate(bytes, as: .ndjson, chunk: .max)
        case 2: _ = validate(bytes, as: .csv, chunk: .max)
        case 3:
            _ = validate(bytes, as: .ndjson, chunk: 7)
            _ = validate(bytes, as: .csv, chunk: 7)
        case 4:
            convert(bytes, as: .ndjson, chunk: .max)
            convert(bytes, as: .ndjson, chunk: 7)
        case 5:
            convert(bytes, as: .csv, chunk: .max)
            convert(bytes, as: .csv, chunk: 7)
        case 7:
            guard let pick = bytes.first else { return }
            let rest = Array(bytes.dropFirst())
            let format: InputFormat = pick & 1 == 0 ? .ndjson : .csv
            let whole = profile(rest, as: format, chunk: .max)
            let dripped = profile(rest, as: format, chunk: 7)
            precondition(whole == dripped, "drip-feeding changes nothing: \(whole) vs \(dripped)")
        default:
            guard let pick = bytes.first else { return }
            var settings = PresetSettings(preset: Preset.vendors[Int(pick) % Preset.vendors.count])
            settings.keepAnonymous = pick & 0x80 != 0
            let rest = Array(bytes.dropFirst())
            let whole = convert(rest, as: nil, chunk: .max, preset: settings)
            let dripped = convert(rest, as: nil, chunk: 7, preset: settings)
            precondition(whole == dripped, "drip-feeding changes nothing: \(whole) vs \(dripped)")
        }
    }

    /// Profiles in memory and renders the reports; returns the counts and findings.
    private static func profile(_ bytes: [UInt8], as format: InputFormat, chunk: Int) -> String {
        var options = ProfileOptions()
        options.format = format
        options.maxRecordBytes = maxRecordBytes
        options.startedAt = 1_764_547_200
        let profiler = MigrationProfiler(options: options)
        profiler.profile(source: ByteSource(bytes: bytes, name: "fuzz", maxReadSize: chunk))
        let findings = profiler.findings()
        for finding in findings {
            precondition(finding.count > 0 && finding.examples.count <= 5, "\(finding.code) is reported with its count")
        }
        precondition(ProfileReport.json(profiler).hasSuffix("]}\n"), "the JSON report is complete")
        precondition(ProfileHTML.page(profiler).hasSuffix("</html>\n"), "the HTML page is complete")
        _ = ProfileReport.text(profiler)
        return "\(profiler.records) \(profiler.invalid) \(profiler.readFailures.count) "
            + findings.map { "\($0.code.rawValue)=\($0.count)" }.joined(separator: ",")
    }

    private static func validate(_ bytes: [UInt8], as format: InputFormat, chunk: Int) -> FileSummary {
        var options = ValidationOptions()
        options.format = format
        options.maxRecordBytes = maxRecordBytes
        options.maxErrors = 5
        let validator = Validator(options: options)
        validator.validate(source: ByteSource(bytes: bytes, name: "fuzz", maxReadSize: chunk))
        let summary = validator.summaries[0]
        precondition(summary.records == summary.valid + summary.invalid, "every record is valid or invalid")
        precondition(summary.readFailure != nil || summary.bytes <= bytes.count, "no byte is invented")
        return summary
    }

    /// Converts in memory; every record is written or rejected, and what is written validates.
    /// Returns the counts (records, written, rejected, skipped, derived), or nil after a read error.
    @discardableResult
    private static func convert(_ bytes: [UInt8], as format: InputFormat?, chunk: Int, preset: PresetSettings? = nil)
        -> [Int]?
    {
        var options = ConvertOptions()
        options.format = format
        options.maxRecordBytes = maxRecordBytes
        let check = ConversionCheck(WriteOrReject(options: options, maxLineBytes: .max))
        do {
            try RecordInput.read(
                ByteSource(bytes: bytes, name: "fuzz", maxReadSize: chunk), format: format, preset: preset,
                maxRecordBytes: maxRecordBytes, delimiter: options.delimiter, into: check, detected: { _ in },
                finished: { _, _ in })
        } catch {
            return nil
        }
        precondition(check.records == check.written + check.rejected, "every record is written or rejected")
        let output = Array(check.output.bytes)
        let verdict = validate(output, as: .ndjson, chunk: .max)
        precondition(verdict.invalid == 0, "what convert writes passes validate")
        precondition(verdict.records == check.written, "every written record is one line")
        return [check.records, check.written, check.rejected, check.skipped, check.derived]
    }
}

/// Counts what `WriteOrReject` decides for each record and keeps the lines it writes.
final class ConversionCheck: RecordSink {
    private var decide: WriteOrReject
    let output = LineBuffer(capacity: 1 << 16)
    var records = 0
    var written = 0
    var rejected = 0
    var skipped = 0
    var derived = 0

    init(_ decide: WriteOrReject) { self.decide = decide }

    var needsValues: Bool { true }
    var shouldStop: Bool { false }
    func blankLine() {}
    func fileProblem(_ problem: Problem, at location: RecordLocation) {}
    func skipped(_ reason: SkipReason, at location: RecordLocation) { skipped += 1 }
    func derivedRowFollows() { derived += 1 }

    func accept(
        _ location: RecordLocation, eventType: EventType?, fields: RecordFields, problems: [Problem],
        raw: UnsafeRawBufferPointer
    ) {
        records += 1
        switch decide.record(eventType, fields: fields, problems: problems, raw: raw, into: output) {
        case .reject: rejected += 1
        case .write: written += 1
        }
    }
}
