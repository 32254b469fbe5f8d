import Foundation
import ImportPrepCore

#if canImport(Glibc)
    import Glibc
#endif

/// Where a job's `reason_for_failure` points in the chunk and in the source the chunk came from.
public struct FailureLocation: Equatable, Sendable, CustomStringConvertible {
    public var reason: String
    /// 1-based record number inside the chunk, when the text names it or its content was found.
    public var row: Int?
    /// The input line it came from, when known exactly.
    public var source: SourceLine?
    /// When the exact line is not known: the span of source lines the chunk holds.
    public var sourceSpan: String?

    public var description: String {
        var text = reason
        if let row { text += " — row \(row) of the chunk" }
        if let source {
            text += " (source \(source))"
        } else if let sourceSpan {
            text += " (the chunk holds source lines \(sourceSpan))"
        }
        return text
    }
}

/// Maps the API's failure texts back to rows. The API writes, e.g.,
/// ``Required field `user_id` not provided in the row: %{"event_type" => "track", …}``: a row is
/// named by a number (`row 12`, `line 12`) or by its content — that map, or the row quoted as
/// JSON — which is looked up in the chunk.
public enum FailureLocator {
    public static func locate(_ reasons: [String], in chunk: UploadChunk) -> [FailureLocation] {
        reasons.map { reason in
            var location = FailureLocation(reason: reason)
            if let first = chunk.firstSource, let last = chunk.lastSource {
                location.sourceSpan =
                    first.file == last.file ? "\(first)–\(last.line)" : "\(first) to \(last)"
            }
            let isCSV = chunk.name.lowercased().hasSuffix(".csv")
            if let row = rowNumber(in: reason) {
                location.row = row
                location.source = chunk.sourceLine(ofRow: row)
            } else if !isCSV, let found = findRow(pairs: rowPairs(in: reason), path: chunk.path) {
                location.row = found.row
                // A file named on the command line is its own source: the physical line is exact.
                location.source =
                    chunk.lastSource == nil
                    ? SourceLine(file: chunk.path, line: found.line) : chunk.sourceLine(ofRow: found.row)
            }
            return location
        }
    }

    /// `row 12`, `row: 12`, `line 12`, `row #12`.
    static func rowNumber(in text: String) -> Int? {
        guard
            let match = text.range(
                of: #"\b(row|line)\s*[:#]?\s*[0-9]+"#, options: [.regularExpression, .caseInsensitive])
        else { return nil }
        return Int(text[match].filter(\.isNumber))
    }

    static let schemaFields: Set<String> = [
        "event_type", "user_id", "company_id", "event_name", "inserted_at", "source", "hostname", "pathname", "url",
    ]

    /// The top-level schema fields of the row a failure text quotes, as (key, value) text pairs:
    /// from an Elixir-style map `%{"key" => "value", …}` (the documented form), else from the
    /// first JSON object in the text (`… in the row: {"event_type":"track", …}`).
    static func rowPairs(in text: String) -> [(String, String)] {
        text.contains("%{") ? elixirPairs(in: text) : jsonPairs(in: text)
    }

    /// The first `{…}` of `text` that is a JSON object (braces counted outside strings).
    static func jsonPairs(in text: String) -> [(String, String)] {
        let bytes = Array(text.utf8)
        var start = bytes.firstIndex(of: UInt8(ascii: "{"))
        while let open = start {
            var depth = 0
            var strings = JSONStringTracker()
            var end: Int?
            for i in open..<bytes.count {
                let c = bytes[i]
                if strings.feed(c) { continue }
                if c == UInt8(ascii: "{") { depth += 1 }
                if c == UInt8(ascii: "}") {
                    depth -= 1
                    if depth == 0 {
                        end = i
                        break
                    }
                }
            }
            if let end,
                let object = (try? JSONSerialization.jsonObject(with: Data(bytes[open...end]))) as? [String: Any]
            {
                // In the order the text gives them.
                func position(_ key: String) -> String.Index {
                    text.range(of: "\"\(key)\"")?.lowerBound ?? text.endIndex
                }
                let keys = schemaFields.filter { object[$0] != nil }.sorted { position($0) < position($1) }
                return keys.compactMap { key in ImportJob.string(object[key]).map { (key, $0) } }
            }
            start = bytes[(open + 1)...].firstIndex(of: UInt8(ascii: "{"))
        }
        return []
    }

    /// String pairs of an Elixir-style map `%{"key" => "value", …}` for the top-level schema fields.
    static func elixirPairs(in text: String) -> [(String, String)] {
        guard let start = text.range(of: "%{") else { return [] }
        let body = String(text[start.upperBound...])
        let fields = schemaFields
        guard let regex = try? NSRegularExpression(pattern: #""((?:[^"\\]|\\.)*)"\s*=>\s*"((?:[^"\\]|\\.)*)""#)
        else { return [] }
        var pairs: [(String, String)] = []
        for match in regex.matches(in: body, range: NSRange(body.startIndex..., in: body)) {
            guard let key = Range(match.range(at: 1), in: body), let value = Range(match.range(at: 2), in: body)
            else { continue }
            let name = String(body[key])
            if fields.contains(name) && !pairs.contains(where: { $0.0 == name }) {
                pairs.append((name, String(body[value]).replacingOccurrences(of: "\\\"", with: "\"")))
            }
        }
        return pairs
    }

    /// The first NDJSON line whose fields hold all `pairs`: its record number and physical line.
    static func findRow(pairs: [(String, String)], path: String) -> (row: Int, line: Int)? {
        guard let probe = pairs.max(by: { $0.1.utf8.count < $1.1.utf8.count }), !probe.1.isEmpty,
            let file = fopen(path, "r")
        else { return nil }
        defer { fclose(file) }
        // As the value stands inside a JSON string (quotes and backslashes escaped).
        let needle = Data(
            probe.1.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").utf8)
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        var physical = 0
        var row = 0
        while true {
            let length = getline(&line, &capacity, file)
            if length < 0 { return nil }
            physical += 1
            guard let line else { continue }
            let bytes = UnsafeRawBufferPointer(start: line, count: length)
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) { continue }
            row += 1
            let data = Data(bytes)
            guard data.range(of: needle) != nil,
                let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            else { continue }
            let matches = pairs.allSatisfy { key, value in ImportJob.string(object[key]) == value }
            if matches { return (row, physical) }
        }
    }
}
