import Foundation
import ImportPrepTestSupport

@testable import ImportPrepCore

/// One vendor file read through a preset, by `convert` (the rows written, the rejects) and by
/// `validate` (the counts, warnings included), from the same bytes.
struct PresetRun {
    var rows: [[String: Any]]
    var converted: ConvertResult
    var validated: FileSummary
    var exitStatus: ExitStatus

    var counts: PresetCounts { converted.summary.presetCounts! }
    func skipped(_ reason: SkipReason) -> Int { counts.skipped[reason.rawValue] }
    func warnings(_ code: ProblemCode) -> Int { validated.count(code) }

    /// Rows as (event_type, user_id or company_id, event_name) for compact comparisons.
    var shapes: [String] {
        rows.map { row in
            let type = row["event_type"] as? String ?? "?"
            let who = row["user_id"] as? String ?? row["company_id"] as? String ?? "-"
            let name = row["event_name"] as? String
            return [type, who, name].compactMap { $0 }.joined(separator: " ")
        }
    }

    static func run(
        _ preset: Preset, _ lines: [String], name: String = "export.ndjson",
        _ configure: (inout PresetSettings) -> Void = { _ in }
    ) throws -> PresetRun {
        var settings = PresetSettings(preset: preset)
        configure(&settings)
        let text = lines.joined(separator: "\n") + "\n"
        let converted = try convert(text, as: name) { $0.preset = settings }
        var options = ValidationOptions()
        options.preset = settings
        let validator = Validator(options: options)
        validator.validate(source: ByteSource(bytes: Array(text.utf8), name: name))
        let rows = converted.outputLines.map {
            try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        return PresetRun(
            rows: rows, converted: converted, validated: validator.summaries[0], exitStatus: validator.exitStatus)
    }
}
