import ArgumentParser
import ImportPrepCore

struct Profile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report what no single row shows: gaps in the history, identify order, junk ids, type drift.",
        discussion: """
            Reads each file once, through --from or --map for a vendor's export; invalid records \
            are counted and left out (run validate for them). Exit status: 0; with --strict 1 when \
            a finding of severity risk is present; 2 usage error; 3 an input could not be read.
            """
    )

    enum ReportStyle: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(help: InputFormat.help, completion: InputFormat.completion, transform: InputFormat.choice)
    var format: InputFormat? = nil

    @Option(help: "Report style on standard output.")
    var report: ReportStyle = .text

    @Flag(help: "Exit with 1 when any finding of severity risk is present.")
    var strict = false

    @OptionGroup(title: "Vendor exports") var presetOptions: PresetOptions

    @Option(help: ArgumentHelp("Largest record accepted, e.g. 1MiB or 65536.", valueName: "size"))
    var maxRecordBytes = "1MiB"

    @Option(help: "CSV field delimiter (one ASCII character, or \\t).")
    var delimiter = ","

    @Argument(help: ArgumentHelp("Files to profile; - reads standard input.", valueName: "file"))
    var files: [String]

    func validate() throws {
        try Validate.checkInputs(files: files, delimiter: delimiter, maxRecordBytes: maxRecordBytes)
        try presetOptions.check(files: files)
        _ = try presetOptions.mapping(
            files: files, format: format, delimiter: Validate.delimiterByte(delimiter) ?? 0x2C)
    }

    func run() throws {
        var options = ProfileOptions()
        options.format = format
        options.preset = try presetOptions.settings(
            files: files, format: format, delimiter: Validate.delimiterByte(delimiter) ?? UInt8(ascii: ","))
        options.maxRecordBytes = ByteSize.parse(maxRecordBytes)!
        options.delimiter = Validate.delimiterByte(delimiter)!
        let profiler = MigrationProfiler(options: options)
        for file in files { profiler.profile(path: file) }
        for failure in profiler.readFailures {
            FileHandleOutput.standardError("import-prep: \(failure.file) \(failure.reason)\n")
        }
        let stdout = OutputFile.standardOutput()
        do {
            switch report {
            case .text: try stdout.write(ProfileReport.text(profiler))
            case .json: try stdout.write(ProfileReport.json(profiler))
            }
            try stdout.flush()
        } catch {
            FileHandleOutput.standardError("import-prep: \(error)\n")
            throw ExitCode(.ioFailure)
        }
        if !profiler.readFailures.isEmpty { throw ExitCode(.ioFailure) }
        if strict && profiler.findings().contains(where: { $0.code.severity == .risk }) {
            throw ExitCode(.invalidRecords)
        }
    }
}
