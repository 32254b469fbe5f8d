/// `profile --html`: one self-contained page (inline CSS and SVG; no script, nothing fetched) to
/// hand to whoever owns the migration: the records per day by event type with the gaps marked,
/// the findings with what to do and their examples, and the property kinds per scope. Well-formed
/// markup (every element closed), readable on a phone and on paper.
public enum ProfileHTML {
    static let colours: [(EventType, String)] = [
        (.track, "#3563c9"), (.pageView, "#2a9d8f"), (.identifyUser, "#d4a017"), (.identifyCompany, "#e76f51"),
    ]

    public static func page(_ profiler: MigrationProfiler) -> String {
        let findings = profiler.findings()
        let entities = profiler.entityCounts
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"/>
            <meta name="viewport" content="width=device-width, initial-scale=1"/>
            <title>Migration profile: \(escape(profiler.files.joined(separator: ", ")))</title>
            <style>\(css)</style></head><body><main>

            """
        out += "<h1>Migration profile</h1>\n<p class=\"files\">\(escape(profiler.files.joined(separator: ", ")))</p>\n"
        let risks = findings.filter { $0.code.severity == .risk }.count
        let warnings = findings.filter { $0.code.severity == .warning }.count
        out += "<div class=\"summary\">"
        out += tile("\(profiler.records)", "records profiled")
        if let span = profiler.span {
            out += tile("\(span.last - span.first + 1)", "days, \(day(span.first)) to \(day(span.last))")
        }
        out += tile("\(entities.users)", "users") + tile("\(entities.companies)", "companies")
        out += tile("\(risks)", "risks", style: risks > 0 ? "risk" : "ok")
        out += tile("\(warnings)", "warnings", style: warnings > 0 ? "warning" : "ok")
        out += "</div>\n"
        if profiler.invalid > 0 || profiler.skipped > 0 {
            out +=
                "<p class=\"note\">\(profiler.invalid) invalid records were left out (run <code>import-prep validate</code> for them)"
            out +=
                profiler.skipped > 0
                ? "; \(profiler.skipped) vendor records were skipped by the preset.</p>\n" : ".</p>\n"
        }
        if let stopped = profiler.entityChecksStopped {
            out +=
                "<p class=\"note\">The user and company checks stopped at <code>\(escape(stopped.file)):\(stopped.line)</code>: memory passed <code>--max-memory</code>; their findings cover the records before it.</p>\n"
        }
        if let why = profiler.duplicatesNotChecked {
            out += "<p class=\"note\">Duplicates were not checked: \(escape(why)).</p>\n"
        }
        out += "<h2>Records per day</h2>\n" + chart(profiler)
        out += "<h2>Findings</h2>\n"
        if findings.isEmpty {
            out += "<p class=\"ok\">No findings: nothing in these records needs attention before the import.</p>\n"
        }
        for finding in findings {
            let severity = finding.code.severity.rawValue
            out += "<section class=\"finding \(severity)\" id=\"\(finding.code.rawValue)\">"
            out += "<h3><span class=\"badge \(severity)\">\(severity)</span> <code>\(finding.code.rawValue)</code> "
            out += "<span class=\"count\">\(finding.count)</span></h3>"
            out += "<p>\(escape(finding.code.advice)).</p>"
            if !finding.breakdown.isEmpty {
                out += "<div class=\"scroll\"><table><tbody>"
                for (label, count) in finding.breakdown.prefix(20) {
                    out += "<tr><td>\(escape(label))</td><td class=\"n\">\(count)</td></tr>"
                }
                if finding.breakdown.count > 20 {
                    out += "<tr><td>… \(finding.breakdown.count - 20) more</td><td></td></tr>"
                }
                out += "</tbody></table></div>"
            }
            if !finding.examples.isEmpty {
                out += "<ul class=\"examples\">"
                for example in finding.examples {
                    out += "<li><code>\(escape(example.file)):\(example.line)</code> \(escape(example.text))</li>"
                }
                out += "</ul>"
            }
            out += "</section>\n"
        }
        out += "<h2>Property kinds</h2>\n" + kinds(profiler)
        out +=
            "<footer>import-prep profile · <code>import-prep profile --report json</code> gives the same as data; <code>import-prep explain CODE</code> and docs/profile.md say more about each finding.</footer>\n"
        return out + "</main></body></html>\n"
    }

    static func tile(_ value: String, _ label: String, style: String = "") -> String {
        "<div class=\"tile \(style)\"><b>\(escape(value))</b><span>\(escape(label))</span></div>"
    }

    static func day(_ day: Int) -> String { MigrationProfiler.dayText(day) }

    /// Stacked bars per day (SVG, scaled to the page's width), gap runs shaded, months labelled.
    static func chart(_ profiler: MigrationProfiler) -> String {
        guard let span = profiler.span else { return "<p>No dated records.</p>\n" }
        let days = span.last - span.first + 1
        let width = 1000.0
        let height = 220.0
        let top = 10.0
        let plot = height - 30
        let step = width / Double(days)
        let largest = Double(
            (span.first...span.last).map { profiler.byDay[$0]?.reduce(0, +) ?? 0 }.max() ?? 1)
        var svg =
            "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"Records per day by event type\">"
        svg += "<rect x=\"0\" y=\"\(top)\" width=\"\(Int(width))\" height=\"\(Int(plot))\" class=\"plot\"/>"
        for gap in profiler.historyGaps() {
            let x = Double(gap.lowerBound - span.first) * step
            svg +=
                "<rect class=\"gap\" x=\"\(f(x))\" y=\"\(top)\" width=\"\(f(Double(gap.count) * step))\" height=\"\(Int(plot))\"><title>no records: \(MigrationProfiler.rangeText(gap))</title></rect>"
        }
        for d in span.first...span.last {
            let counts = profiler.byDay[d] ?? [0, 0, 0, 0]
            let total = counts.reduce(0, +)
            let label =
                "\(day(d)): \(total) records"
                + (total == 0
                    ? ""
                    : " ("
                        + colours.filter { counts[$0.0.rawValue] > 0 }.map { "\(counts[$0.0.rawValue]) \($0.0.name)" }
                        .joined(separator: ", ") + ")")
            svg += "<g data-day=\"\(day(d))\"><title>\(label)</title>"
            var y = top + plot
            for (type, colour) in colours where counts[type.rawValue] > 0 {
                let h = Double(counts[type.rawValue]) / largest * (plot - 4)
                y -= h
                svg +=
                    "<rect x=\"\(f(Double(d - span.first) * step))\" y=\"\(f(y))\" width=\"\(f(max(step - (step > 3 ? 0.5 : 0), 0.3)))\" height=\"\(f(h))\" fill=\"\(colour)\"/>"
            }
            svg += "</g>"
        }
        // Month (or year, for long histories) labels along the bottom.
        let yearly = days > 3 * 366
        for d in span.first...span.last {
            let (y, m, dd) = Timestamp.civilFromDays(d)
            guard dd == 1 || d == span.first, !yearly || (m == 1 && dd == 1) || d == span.first else { continue }
            // The span's first day is labelled only when no month (year) starts right after it.
            if d == span.first && dd != 1 && Double(yearly ? 366 : 31 - dd) * step < 45 { continue }
            let x = Double(d - span.first) * step
            svg += "<line x1=\"\(f(x))\" y1=\"\(top + plot)\" x2=\"\(f(x))\" y2=\"\(top + plot + 6)\" class=\"tick\"/>"
            let text = yearly ? "\(y)" : String(y).suffix(2) + "-" + (m < 10 ? "0\(m)" : "\(m)")
            svg += "<text x=\"\(f(x + 2))\" y=\"\(Int(height - 4))\" class=\"label\">\(text)</text>"
        }
        svg += "</svg>"
        var legend = "<p class=\"legend\">"
        for (type, colour) in colours {
            legend += "<span><i style=\"background:\(colour)\"></i>\(type.name)</span> "
        }
        legend += "<span><i class=\"gapkey\"></i>no records that day</span> · tallest day \(Int(largest)) records</p>\n"
        return "<figure>\(svg)</figure>\n" + legend
    }

    /// Each scope's properties and the kinds their values had (drifting ones first).
    static func kinds(_ profiler: MigrationProfiler) -> String {
        var out = ""
        let all = profiler.propertyKinds
        for scope in ["users", "companies", "events"] {
            let keys = all.filter { $0.scope == scope }.sorted {
                $0.kinds.count != $1.kinds.count ? $0.kinds.count > $1.kinds.count : $0.key < $1.key
            }
            guard !keys.isEmpty else { continue }
            out +=
                "<h3>\(scope) <span class=\"muted\">(\(keys.count) properties)</span></h3><div class=\"scroll\"><table>"
            out += "<thead><tr><th>property</th><th>kinds (records)</th></tr></thead><tbody>"
            for entry in keys.prefix(60) {
                let drift = entry.kinds.count > 1
                out += "<tr\(drift ? " class=\"drift\"" : "")><td><code>\(escape(entry.key))</code></td><td>"
                out += entry.kinds.map { "\($0.kind) (\($0.records))" }.joined(separator: ", ")
                out += "</td></tr>"
            }
            if keys.count > 60 { out += "<tr><td>… \(keys.count - 60) more</td><td></td></tr>" }
            out += "</tbody></table></div>\n"
        }
        return out.isEmpty ? "<p>No properties.</p>\n" : out
    }

    static func f(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// Text for element content and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters are not allowed in markup: shown as their code.
                if c.value < 0x20 && c != "\n" && c != "\t" {
                    out += "\\u{\(String(c.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out
    }

    static let css = """
        :root{--ink:#1d2433;--muted:#5b6475;--line:#dde1e8;--risk:#c0392b;--warning:#b7791f;--ok:#2f855a}
        *{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#f6f7f9}
        main{max-width:980px;margin:0 auto;padding:24px 16px 48px;background:#fff}
        h1{margin:0 0 4px;font-size:1.6em}h2{margin:32px 0 8px;font-size:1.25em;border-bottom:1px solid var(--line);padding-bottom:4px}
        h3{margin:0 0 6px;font-size:1.05em}.files,.muted,footer{color:var(--muted)}.files{margin:0 0 16px;word-break:break-all}
        .summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:8px}
        .tile{border:1px solid var(--line);border-radius:8px;padding:8px 10px}.tile b{display:block;font-size:1.4em}.tile span{color:var(--muted);font-size:.85em}
        .tile.risk b{color:var(--risk)}.tile.warning b{color:var(--warning)}.tile.ok b{color:var(--ok)}
        figure{margin:8px 0}.chart{width:100%;height:220px;display:block}.plot{fill:#fafbfc;stroke:var(--line)}
        .gap{fill:rgba(192,57,43,.18)}.tick{stroke:#9aa3b2}.label{font-size:11px;fill:var(--muted)}
        .legend{font-size:.85em;color:var(--muted)}.legend span{white-space:nowrap;margin-right:10px}
        .legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px;vertical-align:-1px}.gapkey{background:rgba(192,57,43,.35)}
        .finding{border:1px solid var(--line);border-left:5px solid var(--line);border-radius:6px;padding:10px 12px;margin:10px 0;break-inside:avoid}
        .finding.risk{border-left-color:var(--risk)}.finding.warning{border-left-color:var(--warning)}
        .badge{font-size:.7em;text-transform:uppercase;letter-spacing:.05em;padding:2px 6px;border-radius:4px;color:#fff;vertical-align:2px}
        .badge.risk{background:var(--risk)}.badge.warning{background:var(--warning)}.badge.info{background:var(--muted)}
        .count{float:right;font-variant-numeric:tabular-nums}.finding p{margin:4px 0 8px}
        .scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.9em;min-width:60%}td,th{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
        td.n{text-align:right;font-variant-numeric:tabular-nums}tr.drift td{background:#fff7e6}
        .examples{margin:6px 0 0;padding-left:18px;font-size:.9em}.examples code,td code{word-break:break-all}
        code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}.note{color:var(--warning)}.ok{color:var(--ok)}
        footer{margin-top:40px;font-size:.8em}
        @media (max-width:600px){body{font-size:14px}main{padding:16px 10px}.count{float:none;margin-left:6px}}
        @media print{body{background:#fff}main{max-width:none;padding:0}.finding{page-break-inside:avoid}}
        """
}
