import Foundation

@testable import ImportPrepCore

/// Records everything a reader hands over, warnings included, with durable strings.
final class RecordingSink: RecordSink {
    struct Record: Equatable {
        var location: RecordLocation
        var eventType: EventType?
        var problems: [ReportedProblem]
    }

    var records: [Record] = []
    var fileProblems: [ReportedProblem] = []
    var blankLines = 0
    var stopAfterFirstInvalid = false
    private(set) var shouldStop = false

    func blankLine() { blankLines += 1 }

    var needsValues = true
    var raws: [[UInt8]] = []

    func accept(
        _ location: RecordLocation, eventType: EventType?, fields: RecordFields, problems: [Problem],
        raw: UnsafeRawBufferPointer
    ) {
        raws.append(Array(raw))
        let reported = problems.map { ReportedProblem($0, file: "test", location: location) }
        records.append(Record(location: location, eventType: eventType, problems: reported))
        if stopAfterFirstInvalid && reported.contains(where: { !$0.code.isWarning }) { shouldStop = true }
    }

    func fileProblem(_ problem: Problem, at location: RecordLocation) {
        fileProblems.append(ReportedProblem(problem, file: "test", location: location))
    }

    /// Every problem as (code, line, record, field), in order.
    var problems: [Finding] {
        (fileProblems + records.flatMap(\.problems)).map {
            Finding($0.code, line: $0.location.line, record: $0.location.record, field: $0.field)
        }
    }

    var errors: [Finding] { problems.filter { !$0.code.isWarning } }
}

/// A problem reduced to what tests compare.
struct Finding: Equatable, CustomStringConvertible {
    var code: ProblemCode
    var line: Int
    var record: Int
    var field: String?

    init(_ code: ProblemCode, line: Int, record: Int, field: String? = nil) {
        self.code = code
        self.line = line
        self.record = record
        self.field = field
    }

    var description: String { "\(code.rawValue)@\(line)/\(record)\(field.map { "[\($0)]" } ?? "")" }
}

/// Reads `bytes` as `format` with the real readers, `chunk` bytes per read.
func read(
    _ bytes: [UInt8], as format: InputFormat, maxRecordBytes: Int = 1 << 20, chunk: Int = Int.max,
    delimiter: UInt8 = UInt8(ascii: ",")
) throws -> RecordingSink {
    let sink = RecordingSink()
    let lines = LineReader(source: ByteSource(bytes: bytes, maxReadSize: chunk), maxLineBytes: maxRecordBytes)
    try format.makeReader(lines: lines, delimiter: delimiter).run(into: sink)
    return sink
}

func read(_ text: String, as format: InputFormat, maxRecordBytes: Int = 1 << 20, chunk: Int = Int.max) throws
    -> RecordingSink
{
    try read(Array(text.utf8), as: format, maxRecordBytes: maxRecordBytes, chunk: chunk)
}

/// The project root (for samples/) and the shared folder beside it.

/// A valid record of each type, as NDJSON text, for tests to vary.
enum Fixtures {
    static let track =
        #"{"event_type":"track","user_id":"u1","event_name":"Signed Up","source":"backend-http-import","inserted_at":"2024-07-28T10:00:00","metadata":{}}"#
}

/// Swaps the first U+FFFD (EF BF BD) in `bytes` for one raw byte, to make invalid UTF-8 from text.
func replacingReplacementCharacter(in bytes: [UInt8], with byte: UInt8) -> [UInt8] {
    let marker: [UInt8] = [0xEF, 0xBF, 0xBD]
    guard let at = (0..<max(0, bytes.count - 2)).first(where: { Array(bytes[$0..<$0 + 3]) == marker }) else {
        return bytes
    }
    var result = bytes
    result.replaceSubrange(at..<at + 3, with: [byte])
    return result
}
