import ArgumentParser
import ImportPrepCore

#if canImport(Glibc)
    import Glibc
#endif

@main
struct ImportPrep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-prep",
        abstract: "Check and prepare product-analytics history for Userpilot's bulk Import API.",
        subcommands: [Validate.self, Convert.self, Split.self, Upload.self, Jobs.self]
    )

    /// Usage errors exit with 2 (SPEC §6), not swift-argument-parser's 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
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
    static func standardOutput(_ text: String) {
        let stdout = OutputFile.standardOutput()
        try? stdout.write(text)
        try? stdout.flush()
    }

    static func standardError(_ text: String) {
        let stderr = OutputFile.standardError()
        try? stderr.write(text)
        try? stderr.flush()
    }
}
