/// Renders a validation run once for people (text) and once for programs (JSON). Off the hot path.
public enum ReportRenderer {
    // MARK: JSON

    public static func json(_ validator: Validator) -> String {
        var out = "{\"files\":["
        for (k, summary) in validator.summaries.enumerated() {
            if k > 0 { out += "," }
            out +=
                "{\"file\":\(JSONText.quoted(summary.file)),\"format\":\(summary.format.map { JSONText.quoted($0.rawValue) } ?? "null"),"
            out += counts(summary)
            if let preset = summary.presetCounts { out += ",\"preset\":{" + preset.json(rows: summary.records) + "}" }
            if let failure = summary.readFailure { out += ",\"read_error\":\(JSONText.quoted(failure))" }
            if summary.stoppedEarly { out += ",\"stopped_early\":true" }
            let errors = validator.shownErrors.filter { $0.file == summary.file }
            out += ",\"errors\":[" + errors.map { jsonLine($0, withFile: false) }.joined(separator: ",") + "]}"
        }
        let total = validator.total
        out += "],\"total\":{" + counts(total)
        if let preset = total.presetCounts { out += ",\"preset\":{" + preset.json(rows: total.records) + "}" }
        out += ",\"errors_shown\":\(validator.shownErrors.count),\"max_errors\":\(validator.options.maxErrors)}"
        out += ",\"exit_status\":\(validator.exitStatus.code)}"
        return out
    }

    private static func counts(_ s: FileSummary) -> String {
        var out = "\"records\":\(s.records),\"valid\":\(s.valid),\"invalid\":\(s.invalid),"
        out += "\"blank_lines\":\(s.blankLines),\"bytes\":\(s.bytes),\"by_event_type\":{"
        out += EventType.allCases.map { "\(JSONText.quoted($0.name)):\(s.count($0))" }.joined(separator: ",")
        out += "},\"warnings_by_code\":{"
        out += ProblemCode.warnings.map { "\(JSONText.quoted($0.rawValue)):\(s.count($0))" }.joined(separator: ",")
        out += "},\"errors_by_code\":{"
        out += ProblemCode.errors.map { "\(JSONText.quoted($0.rawValue)):\(s.count($0))" }.joined(separator: ",")
        return out + "}"
    }

    /// One problem as a JSON object: the `--errors` line format and the report's error entries.
    public static func jsonLine(_ p: ReportedProblem, withFile: Bool) -> String {
        var out = "{"
        if withFile { out += "\"file\":\(JSONText.quoted(p.file))," }
        out += "\"line\":\(p.location.line),\"record\":\(p.location.record),\"byte_offset\":\(p.location.byteOffset),"
        out +=
            "\"field\":\(p.field.map(JSONText.quoted) ?? "null"),\"code\":\(JSONText.quoted(p.code.rawValue)),\"message\":\(JSONText.quoted(p.message))}"
        return out
    }

    // MARK: Text

    public static func text(_ validator: Validator, style: TextStyle = .plain) -> String {
        var out = ""
        for summary in validator.summaries {
            out += fileBlock(summary, style: style)
        }
        if validator.summaries.count > 1 {
            out += "\n" + fileBlock(validator.total, title: "All \(validator.summaries.count) files", style: style)
        }
        let shown = validator.shownErrors
        let totalErrors = validator.total.errorCount
        if !shown.isEmpty {
            out +=
                "\nErrors (\(shown.count == totalErrors ? "all \(totalErrors)" : "first \(shown.count) of \(totalErrors)")):\n"
            for p in shown {
                let field = p.field.map { " \($0)" } ?? ""
                out +=
                    "  \(p.file):\(p.location.line) (record \(p.location.record))\(field) [\(style.error(p.code.rawValue))] \(p.message)\n"
            }
        }
        out += "\n" + hint(validator)
        return out
    }

    private static func fileBlock(_ s: FileSummary, title: String? = nil, style: TextStyle) -> String {
        var out = "\(title ?? s.file)"
        if let format = s.format { out += " (\(format.rawValue), \(byteCount(s.bytes)))" }
        out += "\n"
        if let failure = s.readFailure {
            out += "  could not be read: \(failure)\n"
        }
        if let preset = s.presetCounts {
            let read = preset.vendorRecords(rows: s.records)
            out +=
                "  \(read) \(preset.preset.title) record\(read == 1 ? "" : "s"): \(s.valid) valid, \(invalid(s, style))"
            out += ", " + preset.text
        } else {
            out += "  \(s.records) record\(s.records == 1 ? "" : "s"): \(s.valid) valid, \(invalid(s, style))"
        }
        if s.blankLines > 0 { out += "; \(s.blankLines) blank line\(s.blankLines == 1 ? "" : "s") skipped" }
        out += "\n"
        if s.stoppedEarly { out += "  stopped at the first invalid record (--fail-fast)\n" }
        if s.presetCounts?.preset == .pendo && s.count(.track) > 0 { out += "  " + Self.pendoNote + "\n" }
        let types = EventType.allCases.filter { s.count($0) > 0 }.map { "\($0.name) \(s.count($0))" }
        if !types.isEmpty { out += "  event types: " + types.joined(separator: ", ") + "\n" }
        let errors = ProblemCode.errors.filter { s.count($0) > 0 }.map { style.error("\($0.rawValue) \(s.count($0))") }
        if !errors.isEmpty { out += "  errors:      " + errors.joined(separator: ", ") + "\n" }
        let warnings = ProblemCode.warnings.filter { s.count($0) > 0 }.map {
            style.warning("\($0.rawValue) \(s.count($0))")
        }
        if !warnings.isEmpty { out += "  warnings:    " + warnings.joined(separator: ", ") + "\n" }
        return out
    }

    private static func invalid(_ s: FileSummary, _ style: TextStyle) -> String {
        s.invalid > 0 ? style.error("\(s.invalid) invalid") : "0 invalid"
    }

    /// "`import-prep explain CODE`" for the most frequent of `counts` (indexed by `ProblemCode.index`).
    static func explainPointer(_ counts: [Int], among codes: [ProblemCode]) -> String? {
        guard let top = codes.max(by: { counts[$0.index] < counts[$1.index] }), counts[top.index] > 0 else {
            return nil
        }
        return "`import-prep explain \(top.rawValue)` says what the most frequent code means and how to fix it."
    }

    private static func hint(_ validator: Validator) -> String {
        let total = validator.total
        var lines: [String] = []
        if validator.summaries.contains(where: { $0.readFailure != nil }) {
            lines.append("Some input could not be read; nothing was checked in it.")
        }
        if let failure = validator.errorStreamFailure {
            lines.append("The error list could not be written: \(failure).")
        }
        if total.errorCount > validator.shownErrors.count {
            lines.append(
                "\(total.errorCount - validator.shownErrors.count) more errors are counted but not shown: raise --max-errors, or write them all with --errors FILE."
            )
        }
        if total.count(.malformedCSV) > 0 {
            lines.append("Errors right after a malformed_csv may follow from it: fix that record first.")
        }
        if total.invalid > 0 {
            lines.append(
                "The Import API fails a whole job on its first bad row: fix these records, or let `import-prep convert` repair what it can and set the rest aside with --rejects."
            )
            if let pointer = explainPointer(total.byCode, among: ProblemCode.errors) { lines.append(pointer) }
        } else if total.errorCount == 0 && validator.summaries.allSatisfy({ $0.readFailure == nil }) {
            if total.records == 0, let preset = total.presetCounts, preset.skippedTotal > 0 {
                lines.append("Every record was skipped (the reasons are above); nothing would be imported.")
            } else {
                lines.append(total.records == 0 ? "No records found." : "Every record is valid.")
            }
        }
        let presetWarnings = ProblemCode.warnings.filter(\.needsPreset).reduce(0) { $0 + total.count($1) }
        if total.warningCount > presetWarnings {
            lines.append("Warnings do not fail an import; `import-prep convert` resolves them.")
        }
        if presetWarnings > 0, let preset = total.presetCounts?.preset {
            lines.append(
                "The preset's warnings say what its mapping did with a record (still written); `import-prep presets show \(preset.rawValue)` lists its rules."
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Said wherever Pendo's aggregates were read (SPEC §8 rule 10).
    static let pendoNote =
        "Pendo's history is hourly or daily: each track row is one bucket (numEvents, numMinutes in metadata); for event-level data use Pendo Data Sync."

    public static func byteCount(_ bytes: Int) -> String {
        if bytes < 1000 { return "\(bytes) B" }
        let units = ["KB", "MB", "GB", "TB"]
        var value = Double(bytes) / 1000
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        let rounded = (value * 10).rounded() / 10
        return "\(rounded) \(units[unit])"
    }
}

extension ReportRenderer {
    /// The `convert`/`split` summary for people (printed on stderr).
    public static func text(
        _ s: ConvertSummary, destination: ConvertDestination, rejects: String?, style: TextStyle = .plain
    ) -> String {
        let read = s.presetCounts?.vendorRecords(rows: s.records) ?? s.records
        var out = "\(read) record\(read == 1 ? "" : "s") read"
        if let preset = s.presetCounts, preset.derivedRows > 0 { out += " + \(preset.derivedRows) derived" }
        out += " = \(s.written) written + " + (s.rejected > 0 ? style.error("\(s.rejected) rejected") : "0 rejected")
        if let preset = s.presetCounts { out += " + \(preset.skippedTotal) skipped" }
        if s.notWritten > 0 { out += " + \(s.notWritten) in the removed unfinished chunk" }
        if s.blankLines > 0 { out += "; \(s.blankLines) blank line\(s.blankLines == 1 ? "" : "s") skipped" }
        out += "\n"
        if let preset = s.presetCounts {
            let origin = preset.preset == .mapped ? "through the mapping file" : "from \(preset.preset.title)"
            out += "  \(origin): " + preset.text + "\n"
            if preset.preset == .pendo && s.byEventType[EventType.track.rawValue] > 0 {
                out += "  " + Self.pendoNote + "\n"
            }
        }
        for input in s.inputs {
            out += "  \(input.file)" + (input.format.map { " (\($0.rawValue), \(byteCount(input.bytes)))" } ?? "")
            out += input.readFailure.map { ": could not be read: \($0)" } ?? ""
            if let error = input.fileError {
                out += "\n    line \(error.location.line): \(error.code.rawValue): \(error.message)"
                let lines = "\(input.linesNotRead) non-blank line\(input.linesNotRead == 1 ? "" : "s")"
                // A file error at record 0 stopped the file before its first record (a CSV header);
                // a later one (an export cut short) came after records that were read.
                if error.location.record == 0 {
                    out += "\n    no record of this file was read; \(lines) not read"
                } else if input.linesNotRead > 0 {
                    out += "\n    \(lines) after it not read"
                }
            }
            out += "\n"
        }
        switch destination {
        case .directory(let directory):
            out +=
                "  written: \(s.chunks.count) chunk\(s.chunks.count == 1 ? "" : "s") in \(directory)/ (\(byteCount(s.chunks.reduce(0) { $0 + $1.bytes }))), manifest.json\n"
        case .file(let path): out += "  written to \(path)\n"
        case .standardOutput: out += "  written to standard output\n"
        }
        let types = EventType.allCases.filter { s.byEventType[$0.rawValue] > 0 }.map {
            "\($0.name) \(s.byEventType[$0.rawValue])"
        }
        if !types.isEmpty { out += "  event types: " + types.joined(separator: ", ") + "\n" }
        let repairs = RepairKind.allCases.filter { s.repairs[$0.rawValue] > 0 }.map {
            "\($0.name) \(s.repairs[$0.rawValue])"
        }
        if !repairs.isEmpty { out += "  repairs:     " + repairs.joined(separator: ", ") + "\n" }
        let rejected = ProblemCode.errors.filter { s.rejectedByCode[$0.index] > 0 }.map {
            style.error("\($0.rawValue) \(s.rejectedByCode[$0.index])")
        }
        if !rejected.isEmpty {
            out += "  rejected:    " + rejected.joined(separator: ", ")
            out += rejects.map { " → \($0)\n" } ?? "\n  (give --rejects FILE to keep them with their errors)\n"
            if let pointer = explainPointer(s.rejectedByCode, among: ProblemCode.errors) {
                out += "  " + pointer + "\n"
            }
        }
        if let interruption = s.interruption {
            out += "Interrupted by signal \(interruption.signal) after \(interruption.file) line \(interruption.line): "
            out += "the chunks listed in the manifest are complete; the partial chunk was removed.\n"
        }
        return out
    }

    /// `,"file_error":{…},"lines_not_read":N` for an input whose records could not be read.
    static func fileErrorJSON(_ input: ConvertSummary.Input) -> String {
        guard let error = input.fileError else { return "" }
        return ",\"file_error\":{\"code\":\(JSONText.quoted(error.code.rawValue)),\"line\":\(error.location.line),"
            + "\"message\":\(JSONText.quoted(error.message))},\"lines_not_read\":\(input.linesNotRead)"
    }

    /// The `convert`/`split` summary as one JSON object.
    public static func json(_ s: ConvertSummary, exitStatus: ExitStatus) -> String {
        var out =
            "{\"records\":\(s.records),\"written\":\(s.written),\"rejected\":\(s.rejected),\"blank_lines\":\(s.blankLines),"
        out += "\"chunks\":\(s.chunks.count),\"by_event_type\":\(Manifest.render(Manifest.eventTypes(s.byEventType))),"
        out +=
            "\"repairs\":{"
            + RepairKind.allCases.map { "\(JSONText.quoted($0.name)):\(s.repairs[$0.rawValue])" }.joined(separator: ",")
            + "},"
        out +=
            "\"rejected_by_code\":{"
            + ProblemCode.errors.map { "\(JSONText.quoted($0.rawValue)):\(s.rejectedByCode[$0.index])" }.joined(
                separator: ",")
            + "},"
        out +=
            "\"inputs\":["
            + s.inputs.map {
                "{\"file\":\(JSONText.quoted($0.file)),\"bytes\":\($0.bytes)"
                    + ($0.readFailure.map { ",\"read_error\":\(JSONText.quoted($0))" } ?? "") + fileErrorJSON($0) + "}"
            }.joined(separator: ",") + "],"
        if let preset = s.presetCounts { out += "\"preset\":{" + preset.json(rows: s.records) + "}," }
        if let interruption = s.interruption {
            out +=
                "\"interrupted\":{\"signal\":\(interruption.signal),\"file\":\(JSONText.quoted(interruption.file)),\"line\":\(interruption.line)},"
        }
        return out + "\"exit_status\":\(exitStatus.code)}"
    }
}
