import Foundation
import ImportPrepCore
import ImportPrepTestSupport
import Testing

/// `import-prep explain`: every code of the problem code tables, the skip reasons and the profile
/// findings has an entry, and each entry's bad example raises its code in the command it names,
/// while the fixed example does not.
@Suite struct ExplainCLITests {
    @Test func everyCodeHasAnEntry() {
        let codes =
            ProblemCode.allCases.map(\.rawValue) + SkipReason.allCases.map(\.code)
            + FindingCode.allCases.map(\.rawValue)
        for code in codes { #expect(!Explanation.named(code).isEmpty, "no explanation for \(code)") }
        #expect(Explanation.all.count == codes.count)
    }

    /// How often `code` (of `kind`) shows in the JSON report of `command` run on `lines`.
    static func count(_ entry: Explanation, lines: [String]) throws -> Int {
        let folder = try ScratchFolder()
        let file = folder.path("example.\(entry.fileExtension)")
        try Data(Explanation.bytes(lines)).write(to: URL(fileURLWithPath: file))
        let run = try ImportPrepBinary.run(entry.command + ["--report", "json", file])
        #expect([0, 1].contains(run.status), "\(entry.code): \(run.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(entry.code)")
        switch entry.kind {
        case .finding:
            let findings = report["findings"] as? [[String: Any]] ?? []
            return findings.first { $0["code"] as? String == entry.code }?["count"] as? Int ?? 0
        case .error, .warning, .skipReason:
            let file = try #require((report["files"] as? [[String: Any]])?.first)
            let table =
                switch entry.kind {
                case .error: file["errors_by_code"]
                case .warning: file["warnings_by_code"]
                default: (file["preset"] as? [String: Any])?["skipped_by_reason"]
                }
            return (table as? [String: Int])?[entry.code] ?? 0
        }
    }

    @Test(arguments: Explanation.all.map(\.code).enumerated().map { $0 })
    func theBadExampleRaisesTheCodeAndTheFixedOneDoesNot(index: Int, code: String) throws {
        let entry = Explanation.all[index]
        #expect(try Self.count(entry, lines: entry.bad) > 0, "\(entry.kind) \(code): the bad example does not raise it")
        #expect(try Self.count(entry, lines: entry.fixed) == 0, "\(entry.kind) \(code): the fixed example raises it")
    }

    @Test func theCommandListsAndExplains() throws {
        let list = try ImportPrepBinary.run(["explain"])
        #expect(list.status == 0)
        for entry in Explanation.all { #expect(list.stdout.contains("  \(entry.code) ")) }
        let one = try ImportPrepBinary.run(["explain", "invalid_timestamp"])
        #expect(one.stdout.hasPrefix("invalid_timestamp (error)\n"))
        #expect(one.stdout.contains("Bad (import-prep validate example.ndjson):\n"))
        #expect(one.stdout.contains("\nconvert: "))
        let both = try ImportPrepBinary.run(["explain", "duplicate_event"])
        #expect(
            both.stdout.contains("duplicate_event (skip reason)")
                && both.stdout.contains("duplicate_event (profile finding, severity risk)"))
        let unknown = try ImportPrepBinary.run(["explain", "no_such_code"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no code no_such_code"))
    }

    /// The validate report points at `explain` for its most frequent error.
    @Test func theReportPointsToExplain() throws {
        let run = try ImportPrepBinary.run(["validate", "samples/errors.csv"])
        #expect(run.stdout.contains("`import-prep explain "))
    }
}

/// docs/problem-codes.md carries `explain`'s text for every code, below a marker; this keeps it
/// current (`UPDATE_GOLDEN=1 swift test --filter ExplainDocsTests` rewrites it).
@Suite struct ExplainDocsTests {
    static let marker =
        "<!-- Below: `import-prep explain CODE` for every code, written by `UPDATE_GOLDEN=1 swift test --filter ExplainDocsTests`. -->\n"

    static var generated: String {
        Self.marker
            + Explanation.all.map { entry in
                "\n## `\(entry.code)` (\(entry.kind.rawValue))\n\n```text\n\(entry.text)```\n"
            }.joined()
    }

    @Test func problemCodesPageHoldsExplainsText() throws {
        let url = Paths.root.appendingPathComponent("docs/problem-codes.md")
        var page = try String(contentsOf: url, encoding: .utf8)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            if let start = page.range(of: Self.marker) { page.removeSubrange(start.lowerBound...) }
            page += Self.generated
            try page.write(to: url, atomically: true, encoding: .utf8)
        }
        let start = try #require(page.range(of: Self.marker), "docs/problem-codes.md lacks the marker")
        #expect(String(page[start.lowerBound...]) == Self.generated)
    }
}
