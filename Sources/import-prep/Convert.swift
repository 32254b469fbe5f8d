import ArgumentParser
import ImportPrepCore

/// Options `convert` and `split` share: where output goes and how chunks are cut.
struct OutputOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("Write chunks part-00001.ndjson, … and manifest.json into this folder.", valueName: "dir"))
    var out: String?

    @Option(
        name: .customLong("rejects"),
        help: ArgumentHelp("Write records that cannot be used here, as NDJSON with their errors.", valueName: "file"))
    var rejects: String?

    @Option(help: ArgumentHelp("Largest chunk (50MB by default; KB, MB, GB, KiB, MiB, GiB).", valueName: "size"))
    var maxBytes: String?

    @Option(help: ArgumentHelp("Most records in one chunk.", valueName: "n"))
    var maxRows: Int?

    @Option(help: ArgumentHelp("Largest record accepted, e.g. 1MiB.", valueName: "size"))
    var maxRecordBytes = "1MiB"

    @Option(help: "Summary as text (stderr) or JSON (stdout, or stderr when the data goes to stdout).")
    var report: Validate.ReportStyle = .text

    func validate() throws {
        if let maxBytes, (ByteSize.parse(maxBytes) ?? 0) <= 0 {
            throw ValidationError("--max-bytes takes a size such as 50MB or 10MiB.")
        }
        if let maxRows, maxRows <= 0 { throw ValidationError("--max-rows must be 1 or more.") }
    }

    /// The outputs these options name, for `OutputGuard`.
    var namedOutputs: [NamedOutput] {
        (out.map { [NamedOutput(option: "--out", path: $0, isFolder: true)] } ?? [])
            + (rejects.map { [NamedOutput(option: "--rejects", path: $0)] } ?? [])
    }

    func apply(to options: inout ConvertOptions) {
        options.maxChunkBytes = maxBytes.flatMap(ByteSize.parse) ?? 50_000_000
        options.maxChunkRows = maxRows ?? .max
        options.maxRecordBytes = ByteSize.parse(maxRecordBytes)!
    }

    /// Runs the conversion over `files` and prints the summary; returns the exit status.
    func run(
        _ options: ConvertOptions, destination: ConvertDestination, files: [String], terminal: TerminalOptions
    ) throws -> ExitStatus {
        var rejectsFile: OutputFile? = nil
        if let rejects {
            do { rejectsFile = try OutputFile.create(path: rejects) } catch {
                FileHandleOutput.standardError("import-prep: cannot write the rejects: \(error)\n")
                return .ioFailure
            }
        }
        let converter: Converter
        do { converter = try Converter(options: options, destination: destination, rejects: rejectsFile) } catch {
            FileHandleOutput.standardError("import-prep: \(error)\n")
            return .ioFailure
        }
        Interruption.install()
        let command = options.mode == .split ? "split" : "convert"
        let progress = terminal.progressLine(command: command, flaggedWord: "rejected", files: files)
        for (index, file) in files.enumerated() {
            progress?.begin(file: index)
            converter.convert(path: file)
        }
        progress?.end()
        converter.finish()
        for input in converter.summary.inputs {
            if let failure = input.readFailure { FileHandleOutput.standardError("import-prep: \(failure)\n") }
        }
        if let failure = converter.summary.outputFailure { FileHandleOutput.standardError("import-prep: \(failure)\n") }
        switch report {
        case .text:
            FileHandleOutput.standardError(
                ReportRenderer.text(
                    converter.summary, destination: destination, rejects: rejects, style: terminal.style(for: 2)))
        case .json:
            let json = ReportRenderer.json(converter.summary, exitStatus: converter.exitStatus) + "\n"
            if destination == .standardOutput {
                FileHandleOutput.standardError(json)
            } else {
                let stdout = OutputFile.standardOutput()
                try? stdout.write(json)
                try? stdout.flush()
            }
        }
        return converter.exitStatus
    }
}

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write normalized NDJSON the Import API takes, repairing what can be repaired.",
        discussion: """
            Output goes to standard output, to -o FILE, or in chunks to --out DIR with a manifest. \
            Records that cannot be repaired go to --rejects.

            Examples:
              import-prep convert --to ndjson -o clean.ndjson samples/clean.csv
              import-prep convert --to ndjson --out upload --rejects rejects.ndjson samples/errors.csv
              import-prep convert --to ndjson --from amplitude --out amplitude samples/vendor/amplitude-export.ndjson

            Exit status: 0 nothing rejected, 1 records rejected, 2 usage error, 3 input or output \
            failed, 130/143 interrupted.
            More: docs/convert.md and docs/presets.md.
            """
    )

    enum Target: String, ExpressibleByArgument, CaseIterable { case ndjson }

    @Option(help: "Output format.")
    var to: Target

    @Option(
        name: [.customShort("o"), .customLong("output")],
        help: ArgumentHelp("Write one NDJSON file (- is standard output).", valueName: "file"))
    var output: String?

    @OptionGroup var outputOptions: OutputOptions

    @Option(help: InputFormat.help, completion: InputFormat.completion, transform: InputFormat.choice)
    var format: InputFormat? = nil

    @OptionGroup(title: "Vendor exports") var presetOptions: PresetOptions

    @Flag(help: "Keep every CSV metadata.<key> cell a string (no number typing).")
    var noInfer = false

    @Option(
        help: ArgumentHelp(
            "Turn epoch numbers in inserted_at into timestamps (auto decides by digits).", valueName: "auto|s|ms|us"))
    var epoch: EpochUnit?

    @Option(help: "CSV field delimiter (one ASCII character, or \\t).")
    var delimiter = ","

    @OptionGroup(title: "Terminal") var terminal: TerminalOptions

    @Argument(help: ArgumentHelp("Files to convert; - reads standard input.", valueName: "file"))
    var files: [String]

    func validate() throws {
        if outputOptions.out != nil && output != nil {
            throw ValidationError("Give either --out DIR or -o FILE, not both.")
        }
        try Validate.checkInputs(files: files, delimiter: delimiter, maxRecordBytes: outputOptions.maxRecordBytes)
        try presetOptions.check(files: files)
        _ = try presetOptions.mapping(
            files: files, format: format, delimiter: Validate.delimiterByte(delimiter) ?? 0x2C)
        try Validate.checkOutputs(
            (output.map { [NamedOutput(option: "-o", path: $0)] } ?? []) + outputOptions.namedOutputs, inputs: files)
    }

    func run() throws {
        var options = ConvertOptions()
        options.mode = .convert
        options.format = format
        options.preset = try presetOptions.settings(
            files: files, format: format, delimiter: Validate.delimiterByte(delimiter) ?? UInt8(ascii: ","))
        options.inferNumbers = !noInfer
        options.epoch = epoch
        options.delimiter = Validate.delimiterByte(delimiter)!
        outputOptions.apply(to: &options)
        let destination: ConvertDestination =
            if let out = outputOptions.out { .directory(out) } else if let output, output != "-" { .file(output) } else
            { .standardOutput }
        let status = try outputOptions.run(options, destination: destination, files: files, terminal: terminal)
        if status != .success { throw ExitCode(status) }
    }
}

struct Split: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cut NDJSON exports into uploadable chunks, unchanged, setting invalid records aside.",
        discussion: """
            Examples:
              import-prep split --max-bytes 10MB --out parts samples/clean.ndjson
              import-prep split --max-bytes 1MB --out checked --rejects set-aside.ndjson samples/errors.ndjson

            Exit status: 0 nothing rejected, 1 records rejected, 2 usage error, 3 input or output failed.
            More: docs/convert.md.
            """
    )

    @OptionGroup var outputOptions: OutputOptions

    @OptionGroup(title: "Terminal") var terminal: TerminalOptions

    @Argument(help: ArgumentHelp("NDJSON files to split; - reads standard input.", valueName: "file"))
    var files: [String]

    func validate() throws {
        try Validate.checkInputs(files: files, delimiter: nil, maxRecordBytes: outputOptions.maxRecordBytes)
        guard outputOptions.out != nil else { throw ValidationError("split needs --out DIR.") }
        guard outputOptions.maxBytes != nil else { throw ValidationError("split needs --max-bytes SIZE.") }
        try Validate.checkOutputs(outputOptions.namedOutputs, inputs: files)
    }

    func run() throws {
        var options = ConvertOptions()
        options.mode = .split
        outputOptions.apply(to: &options)
        let status = try outputOptions.run(
            options, destination: .directory(outputOptions.out!), files: files, terminal: terminal)
        if status != .success { throw ExitCode(status) }
    }
}

extension EpochUnit: ExpressibleByArgument {}
