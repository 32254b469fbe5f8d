/// `profile`'s reports: text for a terminal (a monthly chart of records by event type, then the
/// findings by severity with what to do), and JSON in the shape of SPEC §9.
public enum ProfileReport {
    public static func json(_ profiler: MigrationProfiler) -> String {
        let q = JSONText.quoted
        var out = "{\"files\":[" + profiler.files.map(q).joined(separator: ",") + "]"
        out += ",\"records\":\(profiler.records),\"invalid\":\(profiler.invalid),\"skipped\":\(profiler.skipped)"
        if !profiler.readFailures.isEmpty {
            out +=
                ",\"read_failures\":["
                + profiler.readFailures.map { "{\"file\":\(q($0.file)),\"reason\":\(q($0.reason))}" }.joined(
                    separator: ",") + "]"
        }
        if let span = profiler.span {
            out +=
                ",\"span\":{\"first\":\(q(MigrationProfiler.dayText(span.first))),\"last\":\(q(MigrationProfiler.dayText(span.last)))}"
        } else {
            out += ",\"span\":null"
        }
        out += ",\"by_day\":{"
        out += profiler.byDay.days.sorted().map { day in
            let counts = profiler.byDay[day]!
            let types = EventType.allCases.filter { counts[$0.rawValue] > 0 }.map {
                "\(q($0.name)):\(counts[$0.rawValue])"
            }
            return "\(q(MigrationProfiler.dayText(day))):{" + types.joined(separator: ",") + "}"
        }.joined(separator: ",")
        let entities = profiler.entityCounts
        out += "},\"entities\":{\"users\":\(entities.users),\"companies\":\(entities.companies)}"
        if let stopped = profiler.entityChecksStopped {
            out +=
                ",\"entity_checks_stopped\":{\"file\":\(q(stopped.file)),\"line\":\(stopped.line),\"resident_bytes\":\(stopped.residentBytes)}"
        }
        if let why = profiler.duplicatesNotChecked { out += ",\"duplicates_not_checked\":\(q(why))" }
        out += ",\"findings\":["
        out += profiler.findings().map { finding in
            "{\"code\":\(q(finding.code.rawValue)),\"severity\":\(q(finding.code.severity.rawValue)),\"count\":\(finding.count),\"breakdown\":{"
                + finding.breakdown.map { "\(q($0.0)):\($0.1)" }.joined(separator: ",") + "},\"examples\":["
                + finding.examples.map { "{\"file\":\(q($0.file)),\"line\":\($0.line),\"text\":\(q($0.text))}" }
                .joined(separator: ",") + "]}"
        }.joined(separator: ",")
        return out + "]}\n"
    }

    public static func text(_ profiler: MigrationProfiler, style: TextStyle = .plain) -> String {
        var out = ""
        let files = profiler.files.count == 1 ? profiler.files[0] : "\(profiler.files.count) files"
        out += "\(files): \(profiler.records) records profiled"
        if profiler.invalid > 0 { out += ", \(profiler.invalid) invalid left out (run validate)" }
        if profiler.skipped > 0 { out += ", \(profiler.skipped) vendor records skipped" }
        out += "\n"
        for failure in profiler.readFailures { out += "  \(failure.file): \(failure.reason)\n" }
        let entities = profiler.entityCounts
        if let span = profiler.span {
            out +=
                "  history \(MigrationProfiler.dayText(span.first)) to \(MigrationProfiler.dayText(span.last)); \(entities.users) users, \(entities.companies) companies\n"
        }
        if let stopped = profiler.entityChecksStopped {
            out +=
                "  entity checks stopped at \(stopped.file):\(stopped.line): memory passed --max-memory (\(stopped.residentBytes / 1_048_576) MiB); the user and company findings cover the records before it\n"
        }
        if let why = profiler.duplicatesNotChecked { out += "  duplicates not checked: \(why)\n" }
        out += monthlyChart(profiler)
        let findings = profiler.findings()
        if findings.isEmpty {
            out += "\nNo findings: nothing in these records needs attention before the import.\n"
            return out
        }
        for severity in [FindingCode.Severity.risk, .warning, .info] {
            let ofSeverity = findings.filter { $0.code.severity == severity }
            guard !ofSeverity.isEmpty else { continue }
            out += "\n\(severity.rawValue.uppercased())\n"
            for finding in ofSeverity {
                let code = "\(finding.code.rawValue): \(finding.count)"
                let styled =
                    switch severity {
                    case .risk: style.error(code)
                    case .warning: style.warning(code)
                    case .info: code
                    }
                out += "  \(styled) — \(finding.code.advice)\n"
                for (label, count) in finding.breakdown.prefix(8) { out += "      \(label): \(count)\n" }
                if finding.breakdown.count > 8 { out += "      … \(finding.breakdown.count - 8) more\n" }
                for example in finding.examples { out += "      \(example.file):\(example.line)  \(example.text)\n" }
            }
        }
        return out
    }

    /// Records per month of the history (future and ancient records left out) and event type, as
    /// bars of block characters, one kind of block per event type.
    static func monthlyChart(_ profiler: MigrationProfiler) -> String {
        guard let span = profiler.span else { return "" }
        var months: [Int: [Int]] = [:]
        for (day, counts) in profiler.byDay where span.first <= day && day <= span.last {
            let (y, m, _) = Timestamp.civilFromDays(day)
            let key = y * 12 + m - 1
            for type in EventType.allCases {
                months[key, default: [0, 0, 0, 0]][type.rawValue] += counts[type.rawValue]
            }
        }
        guard let first = months.keys.min(), let last = months.keys.max(), last - first < 600 else { return "" }
        let largest = months.values.map { $0.reduce(0, +) }.max() ?? 1
        let width = 40
        let marks: [Character] = ["█", "▓", "▒", "░"]
        var out = "\n  records per month (█ track ▓ page_view ▒ identify_user ░ identify_company)\n"
        for key in first...last {
            let counts = months[key] ?? [0, 0, 0, 0]
            let total = counts.reduce(0, +)
            var bar = ""
            for type in [EventType.track, .pageView, .identifyUser, .identifyCompany] {
                let cells = Int((Double(counts[type.rawValue]) / Double(max(largest, 1)) * Double(width)).rounded(.up))
                bar += String(
                    repeating: marks[
                        [EventType.track, .pageView, .identifyUser, .identifyCompany].firstIndex(of: type)!],
                    count: counts[type.rawValue] > 0 ? max(cells, 1) : 0)
            }
            let label = String(format: "%04d-%02d", key / 12, key % 12 + 1)
            out += "  \(label) \(bar.isEmpty ? "·" : bar) \(total)\n"
        }
        return out
    }
}
