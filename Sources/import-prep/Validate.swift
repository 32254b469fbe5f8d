import ArgumentParser
import ImportPrepCore

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every record against the event schema and report every error with its line.",
        discussion: """
            Examples:
              import-prep validate samples/errors.ndjson
              import-prep validate --report json --errors errors.ndjson samples/errors.csv
              import-prep validate --from mixpanel samples/vendor/mixpanel-export.ndjson

            Exit status: 0 nothing invalid, 1 invalid records found, 2 usage error, \
            3 an input or output could not be read or written.
            More: docs/validate.md; import-prep explain CODE for a code.
            """
    )

    enum ReportStyle: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(help: InputFormat.help, completion: InputFormat.completion, transform: InputFormat.choice)
    var format: InputFormat? = nil

    @Option(help: "Report style on standard output.")
    var report: ReportStyle = .text

    @OptionGroup(title: "Vendor exports") var presetOptions: PresetOptions

    @Option(
        name: .customLong("errors"),
        help: ArgumentHelp("Write every error as NDJSON to this file, with no cap.", valueName: "file"))
    var errorsFile: String?

    @Option(help: "Show at most this many errors in the report (all are counted).")
    var maxErrors = 100

    @Flag(help: "Stop at the first invalid record.")
    var failFast = false

    @Option(help: ArgumentHelp("Largest record accepted, e.g. 1MiB or 65536.", valueName: "size"))
    var maxRecordBytes = "1MiB"

    @Option(help: "CSV field delimiter (one ASCII character, or \\t).")
    var delimiter = ","

    @OptionGroup(title: "Terminal") var terminal: TerminalOptions

    @Argument(help: ArgumentHelp("Files to check; - reads standard input.", valueName: "file"))
    var files: [String]

    func validate() throws {
        guard maxErrors >= 0 else { throw ValidationError("--max-errors must be 0 or more.") }
        try Self.checkInputs(files: files, delimiter: delimiter, maxRecordBytes: maxRecordBytes)
        try presetOptions.check(files: files)
        _ = try presetOptions.mapping(files: files, format: format, delimiter: Self.delimiterByte(delimiter) ?? 0x2C)
        try Self.checkOutputs(errorsFile.map { [NamedOutput(option: "--errors", path: $0)] } ?? [], inputs: files)
    }

    /// Refuses, before anything is opened, an output that is an input or that import-prep will not write.
    static func checkOutputs(_ outputs: [NamedOutput], inputs: [String]) throws {
        do {
            try OutputGuard.check(inputs: inputs, outputs: outputs, arguments: Array(CommandLine.arguments.dropFirst()))
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// Checks the input options `validate` and `convert` share.
    static func checkInputs(files: [String], delimiter: String?, maxRecordBytes: String) throws {
        guard let size = ByteSize.parse(maxRecordBytes), size > 0, size <= 1 << 30 else {
            throw ValidationError("--max-record-bytes takes a size such as 65536, 512KiB or 1MiB (at most 1GiB).")
        }
        if let delimiter, delimiterByte(delimiter) == nil {
            throw ValidationError("--delimiter takes one ASCII character (or \\t), not a quote or line break.")
        }
        guard files.filter({ $0 == "-" }).count <= 1 else {
            throw ValidationError("Standard input (-) can be read once.")
        }
    }

    func run() throws {
        var options = ValidationOptions()
        options.format = format
        options.preset = try presetOptions.settings(
            files: files, format: format, delimiter: Validate.delimiterByte(delimiter) ?? UInt8(ascii: ","))
        options.maxErrors = maxErrors
        options.failFast = failFast
        options.maxRecordBytes = ByteSize.parse(maxRecordBytes)!
        options.delimiter = Self.delimiterByte(delimiter)!

        var errorStream: OutputFile? = nil
        if let errorsFile {
            do { errorStream = try OutputFile.create(path: errorsFile) } catch {
                FileHandleOutput.standardError("import-prep: cannot write the error list: \(error)\n")
                throw ExitCode(.ioFailure)
            }
        }
        let validator = Validator(options: options, errorStream: errorStream)
        let progress = terminal.progressLine(command: "validate", flaggedWord: "invalid", files: files)
        for (index, file) in files.enumerated() {
            progress?.begin(file: index)
            validator.validate(path: file)
        }
        progress?.end()
        validator.finish()

        for summary in validator.summaries {
            if let failure = summary.readFailure { FileHandleOutput.standardError("import-prep: \(failure)\n") }
        }
        if let (file, preset) = validator.summaries.lazy.compactMap({ s in s.looksLike.map { (s.file, $0) } }).first {
            FileHandleOutput.standardError(
                "import-prep: \(file) looks like a \(preset.title) export; add --from \(preset.rawValue)\n")
        }
        if let failure = validator.errorStreamFailure {
            FileHandleOutput.standardError("import-prep: cannot write the error list: \(failure)\n")
        }
        let stdout = OutputFile.standardOutput()
        do {
            switch report {
            case .text: try stdout.write(ReportRenderer.text(validator, style: terminal.style(for: 1)))
            case .json: try stdout.write(ReportRenderer.json(validator) + "\n")
            }
            try stdout.flush()
        } catch {
            FileHandleOutput.standardError("import-prep: \(error)\n")
            throw ExitCode(.ioFailure)
        }
        let status = validator.exitStatus
        if status != .success { throw ExitCode(status) }
    }

    static func delimiterByte(_ text: String) -> UInt8? {
        if text == "\\t" || text == "tab" { return 0x09 }
        let bytes = Array(text.utf8)
        guard bytes.count == 1, bytes[0] < 0x80, bytes[0] != UInt8(ascii: "\""), bytes[0] != 0x0A, bytes[0] != 0x0D
        else {
            return nil
        }
        return bytes[0]
    }
}

extension InputFormat {
    /// `--format`: `auto` (nil: by extension, then by the first non-blank byte) or a format's name.
    static func choice(_ text: String) throws -> InputFormat? {
        if text == "auto" { return nil }
        guard let format = InputFormat(rawValue: text) else {
            throw ValidationError("expected one of \(names.joined(separator: ", ")).")
        }
        return format
    }

    static let names = ["auto"] + allCases.map(\.rawValue)
    static let help = ArgumentHelp(
        "Input format (\(names.joined(separator: "|"))); auto decides by extension, then by the first non-blank byte.",
        valueName: "format")
    static let completion = CompletionKind.list(names)
}
