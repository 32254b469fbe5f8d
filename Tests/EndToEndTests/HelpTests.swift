import Foundation
import ImportPrepTestSupport
import Testing

/// Every command's `--help`, compared with the text kept in `Tests/Fixtures/help/` (80 columns).
/// After a deliberate change, `UPDATE_GOLDEN=1 swift test --filter HelpTests` rewrites them; the
/// diff then shows in review what a user will read.
@Suite struct HelpTests {
    static let folder = Paths.fixtures.appendingPathComponent("help")

    @Test(arguments: ["", "validate", "convert", "split", "profile", "upload", "jobs", "presets", "explain"])
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

    /// The examples under "Examples:" of every command's help run as shown (in a scratch folder
    /// holding `samples`), and end as the help says: 0, or 1 for files with invalid records.
    /// `upload` and `jobs` need the API: their examples are counted, not run.
    @Test func theExamplesInTheHelpRun() throws {
        let folder = try ScratchFolder()
        try FileManager.default.createSymbolicLink(
            atPath: folder.path("samples"), withDestinationPath: Paths.samples.path)
        var ran = 0
        for command in ["validate", "convert", "split", "profile", "presets", "explain", "upload", "jobs"] {
            let help = try ImportPrepBinary.run([command, "--help"], environment: ["COLUMNS": "200"]).stdout
            let examples = help.split(separator: "\n").map(String.init).drop { $0 != "Examples:" }.dropFirst()
                .prefix { $0.hasPrefix("  import-prep ") }
            #expect((2...4).contains(examples.count), "\(command) shows \(examples.count) examples")
            for example in examples {
                let arguments = example.trimmingCharacters(in: .whitespaces).split(separator: " ").dropFirst()
                    .map(String.init)
                if command == "upload" || command == "jobs" { continue }
                let run = try ChildProcess.run(
                    ImportPrepBinary.url.path, arguments, in: folder.url.path,
                    environment: ["USERPILOT_API_KEY": "example-key", "PATH": "/usr/bin:/bin"], stdout: .discard)
                #expect(
                    !run.ending.signalled && [0, 1].contains(run.ending.status),
                    "`\(example)` ended \(run.ending): \(run.stderr)")
                ran += 1
            }
        }
        #expect(ran == 16)
    }
}

/// Shell completion scripts generate for bash, zsh and fish, and know the commands.
@Suite struct CompletionTests {
    @Test(arguments: ["bash", "zsh", "fish"])
    func theCompletionScriptGenerates(shell: String) throws {
        let run = try ImportPrepBinary.run(["--generate-completion-script", shell])
        #expect(run.status == 0, "\(run.stderr)")
        for command in ["validate", "convert", "split", "profile", "upload", "jobs", "presets", "explain"] {
            #expect(run.stdout.contains(command), "\(shell): \(command)")
        }
        #expect(run.stdout.contains("--from"))
    }
}
