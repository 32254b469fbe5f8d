import Foundation
import ImportPrepCore
import ImportPrepTestSupport
import Testing

/// The progress line and colour (issue 16), seen through a pseudo-terminal: the binary runs under
/// util-linux `script`, which gives it a terminal on stdin, stdout and stderr and copies what
/// the terminal showed to its own standard output.
@Suite(.timeLimit(.minutes(2))) struct TerminalCLITests {
    static let clear = "\r\u{1B}[K"

    /// Runs `command` (a shell line) on a pseudo-terminal; what the terminal showed, both streams.
    static func onTerminal(_ command: String, environment: [String: String] = [:]) async throws -> String {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "CI")
        env.removeValue(forKey: "NO_COLOR")
        for (key, value) in environment { env[key] = value }
        return try await ChildProcess.run(
            "/usr/bin/script", ["-qec", command, "/dev/null"], in: Paths.root.path, environment: env
        ).stdout
    }

    static let binary = ImportPrepBinary.url.path

    @Test func convertShowsTheLineOnATerminalAndClearsItBeforeTheSummary() async throws {
        let folder = try ScratchFolder()
        let shown = try await Self.onTerminal(
            "\(Self.binary) convert --to ndjson -o \(folder.path("out.ndjson")) samples/clean.ndjson samples/errors.csv"
        )
        #expect(shown.contains(Self.clear + "convert 1/2 clean.ndjson · 0% of "))
        #expect(shown.contains(Self.clear + "convert 2/2 errors.csv"))
        // The last drawn line is cleared, and the summary follows on a clean line.
        let summaryStart = try #require(shown.range(of: "records read = "))
        let before = shown[..<summaryStart.lowerBound]
        let lastClear = try #require(before.range(of: Self.clear, options: .backwards))
        #expect(!before[lastClear.upperBound...].contains("convert "), "\(shown.debugDescription)")
    }

    @Test func standardInputShowsBytesWithoutATotal() async throws {
        let shown = try await Self.onTerminal("cat samples/clean.ndjson | \(Self.binary) validate --color never -")
        #expect(shown.contains(Self.clear + "validate standard input · 0 B · 0 records"), "\(shown.debugDescription)")
        #expect(!shown.contains("%"))
        #expect(shown.contains("Every record is valid."))
    }

    @Test func noProgressAndCIKeepTheTerminalQuiet() async throws {
        let folder = try ScratchFolder()
        let convert = "\(Self.binary) convert --to ndjson -o \(folder.path("out.ndjson")) samples/clean.ndjson"
        for (command, environment) in [
            (convert + " --no-progress", [:]), (convert, ["CI": "true"]),
        ] {
            let shown = try await Self.onTerminal(command, environment: environment)
            #expect(!shown.contains("\u{1B}["), "\(command) \(environment): \(shown.debugDescription)")
            #expect(shown.contains("records read = "))
        }
    }

    /// Without a terminal, standard error holds the summary and nothing else; `--progress`
    /// forces the line on.
    @Test func withoutATerminalOnlyTheSummary() async throws {
        let folder = try ScratchFolder()
        let run = try ImportPrepBinary.run(
            ["convert", "--to", "ndjson", "-o", folder.path("out.ndjson"), "samples/clean.ndjson"],
            environment: ["CI": "false"])
        #expect(run.status == 0)
        #expect(run.stderr.hasPrefix("6 records read = 6 written + 0 rejected\n"), "\(run.stderr.debugDescription)")
        #expect(!run.stderr.contains("\u{1B}"))
        let forced = try ImportPrepBinary.run(
            ["validate", "--progress", "samples/clean.ndjson"], environment: ["CI": "true"])
        #expect(forced.stderr.hasPrefix(Self.clear + "validate clean.ndjson · 0% of "))
        #expect(forced.stderr.hasSuffix(Self.clear))
    }

    @Test func colourOnATerminalHonoursNoColorAndTheFlag() async throws {
        let validate = "\(Self.binary) validate --no-progress samples/errors.ndjson"
        let coloured = try await Self.onTerminal(validate)
        #expect(coloured.contains("[\u{1B}[31mmissing_field\u{1B}[0m]"), "\(coloured.debugDescription)")
        #expect(coloured.contains("\u{1B}[33m"), "warnings in yellow")
        let noColor = try await Self.onTerminal(validate, environment: ["NO_COLOR": "1"])
        #expect(!noColor.contains("\u{1B}["))
        let never = try await Self.onTerminal(validate + " --color never")
        #expect(!never.contains("\u{1B}["))
        let piped = try ImportPrepBinary.run(["validate", "--color", "always", "samples/errors.ndjson"])
        #expect(piped.stdout.contains("\u{1B}[31m"))
        let plain = try ImportPrepBinary.run(["validate", "samples/errors.ndjson"])
        #expect(!plain.stdout.contains("\u{1B}"))
        // Colour only wraps codes and counts: taking the escapes out gives the plain report.
        let stripped = piped.stdout.replacingOccurrences(of: "\u{1B}[31m", with: "")
            .replacingOccurrences(of: "\u{1B}[33m", with: "").replacingOccurrences(of: "\u{1B}[0m", with: "")
        #expect(stripped == plain.stdout)
    }
}
