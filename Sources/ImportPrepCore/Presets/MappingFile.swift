import Foundation
import Yams

/// A mapping file (`--map FILE`, YAML or JSON; SPEC §8): how the columns or JSON paths of any
/// other export become the four event types. Read once, checked whole before any record is read;
/// every mistake names the mapping file's line (exit status 2).
public struct MappingFile: Sendable {
    /// Where a target's value comes from.
    public struct Source: Sendable {
        /// A column, or a dotted path into the record's JSON (`props.plan.tier`).
        public var field: String?
        /// A fixed value (`value:` or `constant:`).
        public var constant: String?
        /// A value table: the field's value → what is written.
        public var values: [String: String] = [:]
        /// Written when the field is absent or not in `values`.
        public var defaultValue: String?
        public var line: Int
    }

    /// `inserted_at`: a field read with a time format (strftime's %Y %m %d %H %M %S %f %z), or as an
    /// epoch number, in a zone (real time-zone rules) when the text has none.
    public struct Time: Sendable {
        public var source: Source
        public var format: String?
        public var epoch: String?
        public var zone: TimeZone?
    }

    /// `metadata`: the object (`from`) or the whole record, keys kept by `include` and `exclude`
    /// patterns (`*` matches any run of characters), `rename`d.
    public struct Metadata: Sendable {
        public var from: String?
        public var include: [String] = []
        public var exclude: [String] = []
        public var rename: [String: String] = [:]
        public var line: Int
    }

    /// `skip_when`: a record whose field is one of `in` (or absent, when `in` holds "") is skipped.
    public struct Skip: Sendable {
        public var field: String
        public var values: Set<String>
        public var line: Int
    }

    /// What went wrong, on which line of the mapping file.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    public static let targets = [
        "event_type", "user_id", "company_id", "event_name", "inserted_at", "url", "hostname", "pathname", "user_agent",
        "metadata", "skip_when",
    ]

    public var file: String
    public var fields: [String: Source] = [:]
    public var time: Time?
    public var metadata: Metadata?
    public var skips: [Skip] = []

    /// Reads and checks the mapping file at `path`.
    public static func load(path: String) throws(Problem) -> MappingFile {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw Problem(file: path, line: 1, message: "cannot be read as UTF-8 text")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(Problem) -> MappingFile {
        func fail(_ node: Node?, _ message: String) -> Problem {
            Problem(file: file, line: node?.mark?.line ?? 1, message: message)
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            var line = 1
            if let yaml = error as? YamlError, case .parser(_, _, let mark, _) = yaml { line = mark.line }
            if let yaml = error as? YamlError, case .scanner(_, _, let mark, _) = yaml { line = mark.line }
            throw Problem(file: file, line: line, message: "is not YAML or JSON: \(error)")
        }
        guard let mapping = root?.mapping else { throw fail(root, "must be a mapping of target fields") }
        var result = MappingFile(file: file)
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { throw fail(keyNode, "a target must be a name") }
            guard targets.contains(key) else {
                throw fail(keyNode, "`\(key)` is not a target; the targets are \(targets.joined(separator: ", "))")
            }
            switch key {
            case "metadata": result.metadata = try metadata(value, fail)
            case "skip_when":
                let rules = value.sequence.map(Array.init) ?? [value]
                for rule in rules {
                    guard let m = rule.mapping, let field = m["field"]?.string else {
                        throw fail(rule, "skip_when takes { field: NAME, in: [values] }")
                    }
                    let values = m["in"]?.sequence?.compactMap(\.string) ?? m["in"]?.string.map { [$0] } ?? [""]
                    result.skips.append(Skip(field: field, values: Set(values), line: rule.mark?.line ?? 1))
                }
            case "inserted_at":
                let source = try source(value, fail)
                let m = value.mapping
                let format = m?["format"]?.string
                let epoch = m?["epoch"]?.string
                if let epoch, !["s", "ms", "us", "ns", "auto"].contains(epoch) {
                    throw fail(m?["epoch"], "epoch takes s, ms, us, ns or auto, not \(epoch)")
                }
                if let format { try checkFormat(format, node: m?["format"], fail) }
                var zone: TimeZone?
                if let name = m?["zone"]?.string {
                    guard let found = TimeZone(identifier: name) else {
                        throw fail(m?["zone"], "`\(name)` is not a time zone (use names such as Europe/Dublin or UTC)")
                    }
                    zone = found
                }
                result.time = Time(source: source, format: format, epoch: epoch, zone: zone)
            default:
                result.fields[key] = try source(value, fail)
            }
        }
        if result.time == nil { throw fail(root, "inserted_at is missing: every row needs a time") }
        if result.fields["event_type"] == nil {
            throw fail(root, "event_type is missing (a field, a value table or a constant)")
        }
        return result
    }

    private static func source(_ node: Node, _ fail: (Node?, String) -> Problem) throws(Problem) -> Source {
        let line = node.mark?.line ?? 1
        if let text = node.string { return Source(field: text, line: line) }
        guard let m = node.mapping else {
            throw fail(node, "expected a field name or { field: …, values: …, default: … }")
        }
        for (key, _) in m {
            let name = key.string ?? ""
            guard ["field", "value", "constant", "values", "default", "format", "epoch", "zone"].contains(name) else {
                throw fail(key, "`\(name)` is not a word of the mapping vocabulary here")
            }
        }
        var source = Source(field: m["field"]?.string, line: line)
        source.constant = m["value"]?.string ?? m["constant"]?.string
        source.defaultValue = m["default"]?.string
        if let table = m["values"] {
            guard let pairs = table.mapping else {
                throw fail(table, "values takes a table { vendor value: written value }")
            }
            for (k, v) in pairs {
                guard let from = k.string, let to = v.string else { throw fail(k, "a value table maps text to text") }
                source.values[from] = to
            }
        }
        if source.field == nil && source.constant == nil && source.defaultValue == nil {
            throw fail(node, "give a field, a value (constant) or a default")
        }
        return source
    }

    private static func metadata(_ node: Node, _ fail: (Node?, String) -> Problem) throws(Problem) -> Metadata {
        var result = Metadata(line: node.mark?.line ?? 1)
        if let text = node.string {
            result.from = text
            return result
        }
        guard let m = node.mapping else { throw fail(node, "metadata takes { from, include, exclude, rename }") }
        for (key, value) in m {
            switch key.string ?? "" {
            case "from": result.from = value.string
            case "include": result.include = value.sequence?.compactMap(\.string) ?? []
            case "exclude": result.exclude = value.sequence?.compactMap(\.string) ?? []
            case "rename":
                for (k, v) in value.mapping ?? [:] {
                    guard let from = k.string, let to = v.string else { throw fail(k, "rename maps a key to a key") }
                    result.rename[from] = to
                }
            default: throw fail(key, "`\(key.string ?? "")` is not a word of metadata (from, include, exclude, rename)")
            }
        }
        return result
    }

    private static func checkFormat(_ format: String, node: Node?, _ fail: (Node?, String) -> Problem) throws(Problem) {
        var chars = format.makeIterator()
        var hasYear = false
        while let c = chars.next() {
            guard c == "%" else { continue }
            guard let d = chars.next(), "YmdHMSfz%".contains(d) else {
                throw fail(
                    node,
                    "the time format \"\(format)\" uses a directive import-prep does not read (it reads %Y %m %d %H %M %S %f %z)"
                )
            }
            if d == "Y" { hasYear = true }
        }
        if !hasYear { throw fail(node, "the time format \"\(format)\" has no %Y: a time needs its year") }
    }

    /// Checks that every field the mapping reads occurs in the first 1,000 records of at least one
    /// of `paths` (regular files; CSV by its header, NDJSON by the keys and dotted paths of its
    /// objects). A field found nowhere is a mistake in the mapping file, named by its line.
    public func checkFields(against paths: [String], csv: (String) -> Bool, delimiter: UInt8) throws(Problem) {
        var seen: Set<String> = []
        var readAny = false
        for path in paths where path != "-" {
            guard let handle = FileHandle(forReadingAtPath: path) else { continue }
            defer { try? handle.close() }
            let head = (try? handle.read(upToCount: 4 << 20)) ?? Data()
            guard !head.starts(with: [0x1F, 0x8B]), !head.starts(with: [0x50, 0x4B, 0x03, 0x04]) else { continue }
            readAny = true
            var lines = head.split(separator: 0x0A, omittingEmptySubsequences: true).prefix(1_001)
            if head.count == 4 << 20 { lines = lines.dropLast() }
            if csv(path) {
                if let header = lines.first { seen.formUnion(Self.csvCells(Array(header), delimiter: delimiter)) }
                continue
            }
            for line in lines.prefix(1_000) {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                    continue
                }
                Self.collectPaths(object, prefix: "", depth: 0, into: &seen)
            }
        }
        guard readAny else { return }
        for (field, line) in fieldsRead where !seen.contains(field) {
            throw Problem(
                file: file, line: line,
                message:
                    "the field `\(field)` occurs in none of the first 1,000 records of the input; check its name (for a fixed value write { value: \(field) })"
            )
        }
    }

    private static func collectPaths(_ object: [String: Any], prefix: String, depth: Int, into seen: inout Set<String>)
    {
        for (key, value) in object {
            let path = prefix + key
            seen.insert(path)
            if depth < 4, let nested = value as? [String: Any] {
                collectPaths(nested, prefix: path + ".", depth: depth + 1, into: &seen)
            }
        }
    }

    /// The cells of one CSV header line (quotes handled, white space around names trimmed).
    static func csvCells(_ line: [UInt8], delimiter: UInt8) -> [String] {
        var cells: [String] = []
        var cell: [UInt8] = []
        var quoted = false
        var i = 0
        while i < line.count {
            let c = line[i]
            if quoted {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < line.count && line[i + 1] == UInt8(ascii: "\"") {
                        cell.append(c)
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    cell.append(c)
                }
            } else if c == UInt8(ascii: "\"") {
                quoted = true
            } else if c == delimiter {
                cells.append(String(decoding: cell, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
                cell.removeAll()
            } else {
                cell.append(c)
            }
            i += 1
        }
        cells.append(String(decoding: cell, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        if cells.first?.hasPrefix("\u{FEFF}") == true { cells[0].removeFirst() }
        return cells
    }

    /// Every field the mapping reads, with its line: checked against the first records of each input.
    public var fieldsRead: [(field: String, line: Int)] {
        var list = fields.values.compactMap { s in s.field.map { ($0, s.line) } }
        if let time, let field = time.source.field { list.append((field, time.source.line)) }
        if let metadata, let from = metadata.from { list.append((from, metadata.line)) }
        list += skips.map { ($0.field, $0.line) }
        return list
    }
}

extension MappingFile.Time {
    /// Reads `text` with this rule; nil when it does not fit.
    func read(_ text: String) -> Timestamp? {
        if let epoch {
            guard let digits = Double(text), digits >= 0 else { return nil }
            let perSecond: Double =
                switch epoch {
                case "s": 1
                case "ms": 1e3
                case "us": 1e6
                case "ns": 1e9
                default: 0
                }
            if perSecond == 0 { return Timestamp.vendorTime(text) }
            var integer = text
            if let dot = integer.firstIndex(of: ".") { integer = String(integer[..<dot]) }
            guard let value = Int(integer) else { return nil }
            let per = Int(perSecond)
            let time = Timestamp(epochSeconds: value / per, nanoseconds: (value % per) * (1_000_000_000 / per))
            return time.year >= 1 && time.year <= 9999 ? time : nil
        }
        guard let format else {
            guard let time = Timestamp.vendorTime(text) else { return nil }
            return zone.flatMap { _ in parseLocal(text) } ?? time
        }
        return parse(text, format: format)
    }

    /// An ISO text without a zone, read in `zone`.
    private func parseLocal(_ text: String) -> Timestamp? {
        var copy = text
        let parsed = copy.withUTF8 { Timestamp.parse(UnsafeRawBufferPointer($0)) }
        guard case .success(let time) = parsed, time.offsetMinutes == nil else { return nil }
        return inZone(time)
    }

    private func inZone(_ local: Timestamp) -> Timestamp? {
        guard let zone else { return local }
        let seconds =
            Timestamp.daysFromCivil(local.year, local.month, local.day) * 86_400 + local.hour * 3_600
            + local.minute * 60 + local.second
        // The zone's offset at that wall-clock time (twice: the offset can change across it).
        var offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds)))
        offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds - offset)))
        let time = Timestamp(epochSeconds: seconds - offset, nanoseconds: local.nanoseconds)
        return time.year >= 1 && time.year <= 9999 ? time : nil
    }

    private func parse(_ text: String, format: String) -> Timestamp? {
        let s = Array(text.utf8)
        var i = 0
        var year = 0
        var month = 1
        var day = 1
        var hour = 0
        var minute = 0
        var second = 0
        var nanos = 0
        var offset: Int?
        func number(_ maxDigits: Int) -> Int? {
            var value = 0
            var count = 0
            while i < s.count, count < maxDigits, s[i] &- 48 < 10 {
                value = value * 10 + Int(s[i] - 48)
                i += 1
                count += 1
            }
            return count > 0 ? value : nil
        }
        var f = Array(format.utf8).makeIterator()
        while let c = f.next() {
            if c == UInt8(ascii: "%"), let d = f.next() {
                switch d {
                case UInt8(ascii: "Y"):
                    guard let v = number(4) else { return nil }
                    year = v
                case UInt8(ascii: "m"):
                    guard let v = number(2) else { return nil }
                    month = v
                case UInt8(ascii: "d"):
                    guard let v = number(2) else { return nil }
                    day = v
                case UInt8(ascii: "H"):
                    guard let v = number(2) else { return nil }
                    hour = v
                case UInt8(ascii: "M"):
                    guard let v = number(2) else { return nil }
                    minute = v
                case UInt8(ascii: "S"):
                    guard let v = number(2) else { return nil }
                    second = v
                case UInt8(ascii: "f"):
                    let start = i
                    guard let v = number(9) else { return nil }
                    var scaled = v
                    for _ in (i - start)..<9 { scaled *= 10 }
                    nanos = scaled
                case UInt8(ascii: "z"):
                    if i < s.count, s[i] == UInt8(ascii: "Z") {
                        i += 1
                        offset = 0
                    } else {
                        guard i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") else { return nil }
                        let sign = s[i] == UInt8(ascii: "-") ? -1 : 1
                        i += 1
                        guard let h = number(2) else { return nil }
                        if i < s.count, s[i] == UInt8(ascii: ":") { i += 1 }
                        let m = number(2) ?? 0
                        offset = sign * (h * 60 + m)
                    }
                default:
                    guard i < s.count, s[i] == d else { return nil }
                    i += 1
                }
            } else {
                guard i < s.count, s[i] == c else { return nil }
                i += 1
            }
        }
        guard i == s.count, year >= 1, (1...12).contains(month), day >= 1,
            day <= Timestamp.daysIn(month: month, year: year),
            hour <= 23, minute <= 59, second <= 59
        else { return nil }
        let local = Timestamp(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second, nanoseconds: nanos,
            offsetMinutes: offset)
        if offset != nil { return local.inUTC }
        return inZone(local)
    }
}
