/// The top-level fields the schema knows by name. Every other key passes through untouched.
public enum KnownField: Int, CaseIterable, Sendable {
    case eventType, userID, companyID, eventName, source, insertedAt
    case hostname, pathname, url, userAgent, metadata

    public var name: String { staticName.description }

    /// Fields an `identify_company` record keeps; the API ignores the rest.
    var isProcessedForCompanies: Bool {
        switch self {
        case .eventType, .companyID, .source, .insertedAt, .metadata: true
        default: false
        }
    }

    public init?(bytes: UnsafeRawBufferPointer) {
        // Length and first byte pick the one candidate; word compares confirm it (no memcmp call).
        guard let first = bytes.first else { return nil }
        switch (bytes.count, first) {
        case (10, UInt8(ascii: "e")):
            if bytes.equals("event_type") {
                self = .eventType
            } else if bytes.equals("event_name") {
                self = .eventName
            } else {
                return nil
            }
            return
        case (7, UInt8(ascii: "u")) where bytes.equals("user_id"): self = .userID
        case (10, UInt8(ascii: "c")) where bytes.equals("company_id"): self = .companyID
        case (6, UInt8(ascii: "s")) where bytes.equals("source"): self = .source
        case (11, UInt8(ascii: "i")) where bytes.equals("inserted_at"): self = .insertedAt
        case (8, UInt8(ascii: "h")) where bytes.equals("hostname"): self = .hostname
        case (8, UInt8(ascii: "p")) where bytes.equals("pathname"): self = .pathname
        case (3, UInt8(ascii: "u")) where bytes.equals("url"): self = .url
        case (10, UInt8(ascii: "u")) where bytes.equals("user_agent"): self = .userAgent
        case (8, UInt8(ascii: "m")) where bytes.equals("metadata"): self = .metadata
        default: return nil
        }
    }

    var staticName: StaticString {
        switch self {
        case .eventType: "event_type"
        case .userID: "user_id"
        case .companyID: "company_id"
        case .eventName: "event_name"
        case .source: "source"
        case .insertedAt: "inserted_at"
        case .hostname: "hostname"
        case .pathname: "pathname"
        case .url: "url"
        case .userAgent: "user_agent"
        case .metadata: "metadata"
        }
    }
}
