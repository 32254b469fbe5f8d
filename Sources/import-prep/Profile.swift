import ArgumentParser
import Foundation
import ImportPrepCore

struct Profile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report what no single row shows: gaps in the history, identify order, junk ids, type drift.",
        discussion: """
            Reads each file once, through --from or --map for a vendor's export; invalid records \
            are counted and left out (run validate for them).

            Examples:
              import-prep profile samples/profile-history.ndjson
              import-prep profile --html report.html samples/profile-history.ndjson
              import-prep profile --report json --from amplitude samples/vendor/amplitude-export.ndjson

            Exit status: 0; with --strict 1 when a finding of severity risk is present; 2 usage \
            error; 3 an input could not be read; 130/143 interrupted.
            More: docs/profile.md.
            """
    )

    enum ReportStyle: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(help: InputFormat.help, completion: InputFormat.completion, transform: InputFormat.choice)
    var format: InputFormat? = nil

    @Option(help: "Report style on standard output.")
    var report: ReportStyle = .text

    @Option(help: ArgumentHelp("Also write the report as one self-contained HTML page.", valueName: "file"))
    var html: String?

    @Option(
        help: ArgumentHelp(
            "Stop the user and company checks (and say so) when memory passes this, e.g. 2GB.", valueName: "size"))
    var maxMemory = "2GB"

    @Flag(help: "Exit with 1 when any finding of severity risk is present.")
    var strict = false

    @OptionGroup(title: "Vendor exports") var presetOptions: PresetOptions

    @Option(help: ArgumentHelp("Largest record accepted, e.g. 1MiB or 65536.", valueName: "size"))
    var maxRecordBytes = "1MiB"

    @Option(help: "CSV field delimiter (one ASCII character, or \\t).")
    var delimiter = ","

    @OptionGroup(title: "Terminal") var terminal: TerminalOptions

    @Argument(help: ArgumentHelp("Files to profile; - reads standard input.", valueName: "file"))
    var files: [String]

    func validate() throws {
        try Validate.checkInputs(files: files, delimiter: delimiter, maxRecordBytes: maxRecordBytes)
        guard let memory = ByteSize.parse(maxMemory), memory > 0 else {
            throw ValidationError("--max-memory takes a size such as 512MB or 2GB.")
        }
        try presetOptions.check(files: files, tmpAlone: true)
        _ = try presetOptions.mapping(
            files: files, format: format, delimiter: Validate.delimiterByte(delimiter) ?? 0x2C)
        try Validate.checkOutputs(html.map { [NamedOutput(option: "--html", path: $0)] } ?? [], inputs: files)
        var isFolder: ObjCBool = false
        if let tmp = presetOptions.tmp,
            !FileManager.default.fileExists(atPath: tmp, isDirectory: &isFolder) || !isFolder.boolValue
                || !FileManager.default.isWritableFile(atPath: tmp)
        {
            throw ValidationError("--tmp \(tmp) is not a folder this run can write to.")
        }
    }

    func run() throws {
        var options = ProfileOptions()
        options.format = format
        options.preset = try presetOptions.settings(
            files: files, format: format, delimiter: Validate.delimiterByte(delimiter) ?? UInt8(ascii: ","))
        options.maxRecordBytes = ByteSize.parse(maxRecordBytes)!
        options.delimiter = Validate.delimiterByte(delimiter)!
        if let tmp = presetOptions.tmp { options.temporaryFolder = tmp }
        options.maxMemory = ByteSize.parse(maxMemory)!
        options.expectedBytes = files.reduce(0) { total, file in
            total + ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0)
        }
        Interruption.install()
        let profiler = MigrationProfiler(options: options)
        let progress = terminal.progressLine(command: "profile", flaggedWord: "invalid", files: files)
        for (index, file) in files.enumerated() where Interruption.signal == 0 {
            progress?.begin(file: index)
            profiler.profile(path: file)
        }
        progress?.end()
        if Interruption.signal != 0 {
            // The duplicate checks' temporary files go with the profiler.
            profiler.discardTemporaryFiles()
            throw ExitCode(.interrupted(signal: Interruption.signal))
        }
        for failure in profiler.readFailures {
            FileHandleOutput.standardError("import-prep: \(failure.file) \(failure.reason)\n")
        }
        let stdout = OutputFile.standardOutput()
        do {
            switch report {
            case .text: try stdout.write(ProfileReport.text(profiler, style: terminal.style(for: 1)))
            case .json: try stdout.write(ProfileReport.json(profiler))
            }
            try stdout.flush()
        } catch {
            FileHandleOutput.standardError("import-prep: \(error)\n")
            throw ExitCode(.ioFailure)
        }
        if let html {
            do {
                let page = try OutputFile.create(path: html)
                try page.write(ProfileHTML.page(profiler))
                try page.close()
            } catch {
                FileHandleOutput.standardError("import-prep: cannot write the HTML report: \(error)\n")
                throw ExitCode(.ioFailure)
            }
        }
        if !profiler.readFailures.isEmpty { throw ExitCode(.ioFailure) }
        if strict && profiler.findings().contains(where: { $0.code.severity == .risk }) {
            throw ExitCode(.invalidRecords)
        }
    }
}
