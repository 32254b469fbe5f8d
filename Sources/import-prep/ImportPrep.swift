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
        subcommands: [
            Validate.self, Convert.self, Split.self, Profile.self, Upload.self, Jobs.self, Presets.self, Explain.self,
        ]
    )

    /// Usage errors exit with 2 (SPEC §6), not swift-argument-parser's 64.
    static func main() async {
        // Read and write buffers of 128 KiB to 2 MiB are made and freed on several threads (block
        // workers, write-behind, uploads). A fixed mmap threshold gives each back to the system
        // when freed; glibc's sliding one let them pile up in malloc's arenas (-3 is M_MMAP_THRESHOLD).
        _ = glibcMallopt(-3, 128 << 10)
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
                Self.exit(withError: ExitCode(.usage))
            }
            Self.exit(withError: error)
        }
    }
}

/// glibc's `mallopt` (malloc.h is not part of the Glibc module).
@_silgen_name("mallopt")
func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

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

extension ExitCode {
    init(_ status: ExitStatus) { self.init(status.code) }
}
