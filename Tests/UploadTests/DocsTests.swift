import Foundation
import ImportPrepCore
import ImportPrepTestSupport
import Testing

/// The docs cannot drift from the tool: every command they show is run here, in order, one
/// scratch folder per page (with `samples/` and the placeholder exports the pages name), and must
/// end as a command that worked ends: 0, or 1 where it reports invalid records.
///
/// What counts as a command: each line of a fenced block marked `sh` whose command is
/// `scripts/import-prep …` or `import-prep …` (continuations joined, trailing `# …` comments
/// dropped), and each inline code span that starts with `scripts/import-prep `. Unmarked fenced
/// blocks are synopses and sample output (`import-prep validate [--format …] FILE...`), and inline
/// `import-prep …` spans are mentions that may hold placeholders; neither is run. `upload` and
/// `jobs` talk to the local stand-in of the API (its endpoint is added, its key is in
/// `USERPILOT_API_KEY`).
@Suite(.timeLimit(.minutes(10))) struct DocsTests {
    static let pages: [String] =
        ["README.md"]
        + ((try? FileManager.default.contentsOfDirectory(atPath: Paths.root.appendingPathComponent("docs").path)) ?? [])
        .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }

    /// The commands of one page, in the order they appear.
    static func commands(in text: String) -> [String] {
        var commands: [String] = []
        var block: String?
        var pending = ""
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if rawLine.hasPrefix("```") {
                block = block == nil ? String(rawLine.dropFirst(3)).trimmingCharacters(in: .whitespaces) : nil
                continue
            }
            guard let language = block else {
                var rest = Substring(rawLine)
                while let open = rest.firstIndex(of: "`") {
                    let after = rest[rest.index(after: open)...]
                    guard let close = after.firstIndex(of: "`") else { break }
                    let span = String(after[..<close])
                    if span.hasPrefix("scripts/import-prep ") { commands.append(span) }
                    rest = after[after.index(after: close)...]
                }
                continue
            }
            guard language == "sh" else { continue }
            var line = pending + rawLine.trimmingCharacters(in: .whitespaces)
            pending = ""
            if line.hasSuffix("\\") {
                pending = String(line.dropLast()) + " "
                continue
            }
            if let comment = line.range(of: #"\s+#.*$"#, options: .regularExpression) { line.removeSubrange(comment) }
            let words = line.split(separator: " ").drop { $0.contains("=") && $0.first?.isUppercase == true }
            if let first = words.first, first == "scripts/import-prep" || first == "import-prep" {
                commands.append(line)
            }
        }
        return commands
    }

    @Test func thePagesShowCommands() throws {
        let counts = try Self.pages.map { page in
            Self.commands(in: try String(contentsOf: Paths.root.appendingPathComponent(page), encoding: .utf8)).count
        }
        #expect(Self.pages.count >= 9)
        #expect(counts.reduce(0, +) >= 20, "\(zip(Self.pages, counts).map { "\($0) \($1)" })")
    }

    /// Every relative link and image of the pages points at a file that exists.
    @Test(arguments: pages)
    func relativeLinksResolve(page: String) throws {
        let text = try String(contentsOf: Paths.root.appendingPathComponent(page), encoding: .utf8)
        let base = Paths.root.appendingPathComponent(page).deletingLastPathComponent()
        let links = try Regex(#"\]\(([^)#\s]+)(#[^)]*)?\)"#)
        for match in text.matches(of: links) {
            guard let target = match.output[1].substring.map(String.init), !target.contains("://") else { continue }
            #expect(
                FileManager.default.fileExists(atPath: base.appendingPathComponent(target).path),
                "\(page) links to \(target), which does not exist")
        }
    }

    @Test(arguments: pages)
    func everyCommandOfThePageRuns(page: String) async throws {
        let text = try String(contentsOf: Paths.root.appendingPathComponent(page), encoding: .utf8)
        let commands = Self.commands(in: text)
        guard !commands.isEmpty else { return }
        let folder = try ScratchFolder()
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: folder.path("samples"), withDestinationPath: Paths.samples.path)
        try fm.createDirectory(atPath: folder.path("scripts"), withIntermediateDirectories: true)
        try fm.createDirectory(atPath: folder.path("bin"), withIntermediateDirectories: true)
        for link in [folder.path("scripts/import-prep"), folder.path("bin/import-prep")] {
            try fm.createSymbolicLink(atPath: link, withDestinationPath: ImportPrepBinary.url.path)
        }
        // The placeholder exports the pages name.
        try fm.copyItem(
            atPath: Paths.samples.appendingPathComponent("clean.csv").path, toPath: folder.path("export.csv"))
        try fm.copyItem(
            atPath: Paths.samples.appendingPathComponent("vendor/mixpanel-export.ndjson").path,
            toPath: folder.path("export.ndjson"))

        let server = try await RunningStandIn.start()
        defer { Task { await server.stop() } }
        for command in commands {
            var line = command
            let words = line.split(separator: " ")
            if words.contains("upload") || words.contains("jobs") { line += " --endpoint \(server.url)" }
            let run = try await ChildProcess.run(
                "/bin/sh", ["-c", line], in: folder.url.path,
                environment: [
                    "USERPILOT_API_KEY": RunningStandIn.key, "CI": "true",
                    "PATH": folder.path("bin") + ":/usr/bin:/bin",
                ])
            #expect(
                !run.ending.signalled && [0, 1].contains(run.ending.status),
                "\(page): `\(command)` ended \(run.ending): \(run.stderr)")
            #expect(
                !run.stdout.isEmpty || !run.stderr.isEmpty || line.contains(">"), "\(page): `\(command)` said nothing")
        }
        await server.stop()
    }
}
