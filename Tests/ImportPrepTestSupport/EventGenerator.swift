/// Seeded generator of realistic events, written as NDJSON and as CSV from the same data.
public struct EventGenerator {
    public struct Event {
        public var type: String
        public var userID: String?
        public var companyID: String?
        public var eventName: String?
        public var source: String?
        public var insertedAt: String
        public var url: String?
        public var hostname: String?
        public var pathname: String?
        public var userAgent: String?
        public var country: String?
        public var metadata: [(key: String, value: String, isNumber: Bool)]
    }

    public var state: UInt64
    public init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    public mutating func next(_ bound: Int) -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(state % UInt64(bound))
    }

    public mutating func pick<T>(_ options: [T]) -> T { options[next(options.count)] }

    public static let metadataKeys = ["plan", "seats", "score", "note"]

    public mutating func event() -> Event {
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

    public static func jsonString(_ s: String, asciiEscapes: Bool) -> String {
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
    public mutating func ndjson(_ events: [Event]) -> String {
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

    public static let csvColumns =
        [
            "event_type", "user_id", "company_id", "event_name", "source", "inserted_at", "url", "hostname", "pathname",
            "user_agent", "country",
        ]
        + metadataKeys.map { "metadata." + $0 }

    public static func csvCell(_ s: String?) -> String {
        guard let s, !s.isEmpty else { return "" }
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    public static func csv(_ events: [Event]) -> String {
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
