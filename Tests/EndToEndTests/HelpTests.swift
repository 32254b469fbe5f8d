import Foundation
import ImportPrepTestSupport
import Testing

/// Every command's `--help`, compared with the text kept in `Tests/Fixtures/help/` (80 columns).
/// After a deliberate change, `UPDATE_GOLDEN=1 swift test --filter HelpTests` rewrites them; the
/// diff then shows in review what a user will read.
@Suite struct HelpTests {
    static let folder = Paths.fixtures.appendingPathComponent("help")

    @Test(arguments: ["", "validate", "convert", "split", "profile", "upload", "jobs", "presets"])
    func helpMatchesTheKeptText(command: String) throws {
        let arguments = (command.isEmpty ? [] : [command]) + ["--help"]
        let run = try ImportPrepBinary.run(arguments, environment: ["COLUMNS": "80"])
        #expect(run.status == 0, "\(run.stderr)")
        let golden = Self.folder.appendingPathComponent((command.isEmpty ? "import-prep" : command) + ".txt")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try Data(run.stdout.utf8).write(to: golden)
        }
        let kept = try String(contentsOf: golden, encoding: .utf8)
        #expect(run.stdout == kept, "`import-prep \(arguments.joined(separator: " "))` differs from \(golden.path)")
    }
}
