import Foundation

@testable import ImportPrepCore

/// A scratch folder removed when the test is done with it.
final class ScratchFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("import-prep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func read(_ name: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: url.appendingPathComponent(name))) }
}

struct ConvertResult {
    var summary: ConvertSummary
    var output: [UInt8]
    var rejects: [[String: Any]]
    var exitStatus: Int32

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

/// Seeded generator of realistic events, written as NDJSON and as CSV from the same data.
struct EventGenerator {
    struct Event {
        var type: String
        var userID: String?
        var companyID: String?
        var eventName: String?
        var source: String?
        var insertedAt: String
        var url: String?
        var hostname: String?
        var pathname: String?
        var userAgent: String?
        var country: String?
        var metadata: [(key: String, value: String, isNumber: Bool)]
    }

    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func next(_ bound: Int) -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(state % UInt64(bound))
    }

    mutating func pick<T>(_ options: [T]) -> T { options[next(options.count)] }

    static let metadataKeys = ["plan", "seats", "score", "note"]

    mutating func event() -> Event {
        let type = pick(["identify_user", "identify_company", "page_view", "track"])
        let stamp = String(
            format: "2024-%02d-%02d%@%02d:%02d:%02d", 1 + next(12), 1 + next(28), pick(["T", " "]), next(24), next(60),
            next(60))
        let fraction = pick(["", ".5", ".123", ".123456", ".123456789"])
        let zone = pick(["", "", "Z", "+02:00", "-0530"])
        var e = Event(
            type: type, userID: nil, companyID: nil, eventName: nil,
            source: pick([nil, "backend-http-import", "backend-segment"]),
            insertedAt: stamp + fraction + zone, url: nil, hostname: nil, pathname: nil, userAgent: nil,
            country: pick([nil, "DE", "Zoë-land"]), metadata: [])
        switch type {
        case "identify_company":
            e.companyID = "c-\(next(1000))"
            e.country = nil
        case "page_view":
            e.userID = "u-\(next(100_000))"
            if next(2) == 0 {
                e.url = "https://app.example.com/p/\(next(100))?q=1"
            } else {
                e.hostname = "app.example.com"
                e.pathname = "/p/\(next(100))"
            }
        case "track":
            e.userID = "u-\(next(100_000))"
            e.eventName = pick(["Signed Up", "Report \"Exported\"", "Invite, Sent", "Café ☕"])
        default:
            e.userID = "u-\(next(100_000))"
            if next(2) == 0 { e.companyID = "c-\(next(1000))" }
        }
        if next(4) == 0 {
            e.source = "web-client"
            e.userAgent = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/\(100 + next(30)).0"
            if e.url == nil && e.hostname == nil { e.url = "https://app.example.com/home" }
        }
        if next(5) != 0 { e.metadata.append(("plan", pick(["free", "pro", "enterprise"]), false)) }
        if next(3) != 0 { e.metadata.append(("seats", String(next(5000)), true)) }
        if next(3) == 0 {
            // A CSV cell with an exponent stays a string (SPEC §4), so the NDJSON form writes it as one.
            let score = pick([("12.5", true), ("-3", true), ("0.25", true), ("1e3", false)])
            e.metadata.append(("score", score.0, score.1))
        }
        if next(2) == 0 {
            e.metadata.append(
                (
                    "note",
                    pick(["line one\nline two", "quote \" and, comma", "Zoë Müller 日本 🎉", "tab\there", "back\\slash"]),
                    false
                ))
        }
        return e
    }

    static func jsonString(_ s: String, asciiEscapes: Bool) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where asciiEscapes && scalar.value > 0x7F && scalar.value <= 0xFFFF:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// NDJSON with keys in a shuffled-but-valid order and, sometimes, \u escapes for non-ASCII.
    mutating func ndjson(_ events: [Event]) -> String {
        var text = ""
        for e in events {
            let ascii = next(2) == 0
            var pairs: [String] = []
            func add(_ key: String, _ value: String?) {
                if let value { pairs.append("\"\(key)\":" + Self.jsonString(value, asciiEscapes: ascii)) }
            }
            add("event_type", e.type)
            add("inserted_at", e.insertedAt)
            add("user_id", e.userID)
            add("source", e.source)
            add("company_id", e.companyID)
            add("event_name", e.eventName)
            add("url", e.url)
            add("hostname", e.hostname)
            add("pathname", e.pathname)
            add("user_agent", e.userAgent)
            add("country", e.country)
            if !e.metadata.isEmpty || next(2) == 0 {
                let members = e.metadata.map {
                    "\"\($0.key)\": " + ($0.isNumber ? $0.value : Self.jsonString($0.value, asciiEscapes: ascii))
                }
                pairs.append("\"metadata\": {" + members.joined(separator: ", ") + "}")
            }
            text += "{" + pairs.joined(separator: ",") + "}\n"
        }
        return text
    }

    static let csvColumns =
        [
            "event_type", "user_id", "company_id", "event_name", "source", "inserted_at", "url", "hostname", "pathname",
            "user_agent", "country",
        ]
        + metadataKeys.map { "metadata." + $0 }

    static func csvCell(_ s: String?) -> String {
        guard let s, !s.isEmpty else { return "" }
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    static func csv(_ events: [Event]) -> String {
        var text = csvColumns.joined(separator: ",") + "\r\n"
        for e in events {
            var cells = [
                e.type, e.userID, e.companyID, e.eventName, e.source, e.insertedAt, e.url, e.hostname, e.pathname,
                e.userAgent, e.country,
            ].map(csvCell)
            for key in metadataKeys { cells.append(csvCell(e.metadata.first { $0.key == key }?.value)) }
            text += cells.joined(separator: ",") + "\r\n"
        }
        return text
    }
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
