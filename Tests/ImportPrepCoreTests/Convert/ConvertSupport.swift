import Foundation
import ImportPrepTestSupport

@testable import ImportPrepCore

struct ConvertResult {
    var summary: ConvertSummary
    var output: [UInt8]
    var rejects: [[String: Any]]
    var exitStatus: ExitStatus

    var outputLines: [String] { String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init) }
}

/// Runs `convert` (or `split`) in process on `inputs` (name, bytes), writing to one file.
func convert(
    _ inputs: [(String, [UInt8])], _ configure: (inout ConvertOptions) -> Void = { _ in }
) throws -> ConvertResult {
    let folder = try ScratchFolder()
    var options = ConvertOptions()
    configure(&options)
    let rejects = try OutputFile.create(path: folder.path("rejects.ndjson"))
    let converter = try Converter(options: options, destination: .file(folder.path("out.ndjson")), rejects: rejects)
    for (name, bytes) in inputs { converter.convert(source: ByteSource(bytes: bytes, name: name)) }
    converter.finish()
    let rejectLines = try String(decoding: folder.read("rejects.ndjson"), as: UTF8.self).split(separator: "\n").map {
        try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
    return ConvertResult(
        summary: converter.summary, output: try folder.read("out.ndjson"), rejects: rejectLines,
        exitStatus: converter.exitStatus)
}

func convert(_ text: String, as name: String = "in.ndjson", _ configure: (inout ConvertOptions) -> Void = { _ in })
    throws -> ConvertResult
{
    try convert([(name, Array(text.utf8))], configure)
}

/// Validates bytes as NDJSON and returns the summary.
func validateNDJSON(_ bytes: [UInt8]) -> FileSummary {
    var options = ValidationOptions()
    options.format = .ndjson
    let validator = Validator(options: options)
    validator.validate(source: ByteSource(bytes: bytes, name: "out.ndjson"))
    return validator.summaries[0]
}

/// CSV files for comparing reading in blocks with one pass.
enum BlockTestFiles {
    /// 300–600 records with quoted newlines, quotes and commas, blank lines, bad timestamps, extra
    /// cells and unknown event types; a BOM for even seeds, LF line ends for seed 3 (else CRLF).
    static func csvWithProblems(seed: UInt64) -> String {
        var generator = EventGenerator(seed: seed)
        let events = (0..<(300 + generator.next(300))).map { _ in generator.event() }
        var rows = EventGenerator.csv(events).components(separatedBy: "\r\n")
        for k in stride(from: 1 + generator.next(7), to: rows.count - 1, by: 1 + generator.next(9)) {
            switch generator.next(4) {
            case 0: rows[k] = ""
            case 1: rows[k] = rows[k].replacingOccurrences(of: "2024-", with: "2024/")
            case 2: rows[k] += ",extra"
            default: rows[k] = rows[k].replacingOccurrences(of: "track", with: "Track")
            }
        }
        return (seed % 2 == 0 ? "\u{FEFF}" : "") + rows.joined(separator: seed == 3 ? "\n" : "\r\n")
    }

    /// 400 records with a stray quote in an unquoted cell of the third: an error libcsv recovers
    /// from at the end of its line, which makes a quote count lie about where records start after it.
    static func csvWithStrayQuote() -> String {
        var generator = EventGenerator(seed: 9)
        let events = (0..<400).map { _ in generator.event() }
        var rows = EventGenerator.csv(events).components(separatedBy: "\r\n")
        rows[3] = rows[3].replacingOccurrences(of: "track", with: "tr\"ack")
        return rows.joined(separator: "\r\n")
    }
}
