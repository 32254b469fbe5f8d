import ArgumentParser
import ImportPrepCore

#if canImport(Glibc)
    import Glibc
#endif

@main
struct ImportPrep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-prep",
        abstract: "Check and prepare product-analytics history for Userpilot's bulk Import API.",
        subcommands: [Validate.self, Convert.self, Split.self]
    )

    /// Usage errors exit with 2 (SPEC §6), not swift-argument-parser's 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandleOutput.standardError(fullMessage(for: error) + "\n")
                Self.exit(withError: ExitCode(2))
            }
            Self.exit(withError: error)
        }
    }
}

enum FileHandleOutput {
    static func standardError(_ text: String) {
        let stderr = OutputFile.standardError()
        try? stderr.write(text)
        try? stderr.flush()
    }
}
