#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The four kinds of event the Import API accepts (SPEC §3), matched case-sensitively.
public enum EventType: Int, CaseIterable, Sendable {
    case identifyUser, identifyCompany, pageView, track

    public var name: String { staticName.description }

    var staticName: StaticString {
        switch self {
        case .identifyUser: "identify_user"
        case .identifyCompany: "identify_company"
        case .pageView: "page_view"
        case .track: "track"
        }
    }

    public init?(bytes: UnsafeRawBufferPointer) {
        if bytes.equals("track") {
            self = .track
        } else if bytes.equals("page_view") {
            self = .pageView
        } else if bytes.equals("identify_user") {
            self = .identifyUser
        } else if bytes.equals("identify_company") {
            self = .identifyCompany
        } else {
            return nil
        }
    }
}

/// Accepted values of `source` (SPEC §3), matched case-sensitively.
public enum EventSource: Int, CaseIterable, Sendable {
    case webClient, backendHTTP, backendHubspot, backendSalesforce, backendSegment, backendHTTPImport

    public var name: String { staticName.description }

    public init?(bytes: UnsafeRawBufferPointer) {
        switch bytes.count {
        case 10 where bytes.equals("web-client"): self = .webClient
        case 12 where bytes.equals("backend-http"): self = .backendHTTP
        case 15 where bytes.equals("backend-hubspot"): self = .backendHubspot
        case 15 where bytes.equals("backend-segment"): self = .backendSegment
        case 18 where bytes.equals("backend-salesforce"): self = .backendSalesforce
        case 19 where bytes.equals("backend-http-import"): self = .backendHTTPImport
        default: return nil
        }
    }

    var staticName: StaticString {
        switch self {
        case .webClient: "web-client"
        case .backendHTTP: "backend-http"
        case .backendHubspot: "backend-hubspot"
        case .backendSalesforce: "backend-salesforce"
        case .backendSegment: "backend-segment"
        case .backendHTTPImport: "backend-http-import"
        }
    }
}

/// The top-level fields the schema knows by name. Every other key passes through untouched.
public enum KnownField: Int, CaseIterable, Sendable {
    case eventType, userID, companyID, eventName, source, insertedAt
    case hostname, pathname, url, userAgent, metadata

    public var name: String { staticName.description }

    /// Fields that must be non-blank JSON strings when present.
    var isIdentifierLike: Bool {
        switch self {
        case .userID, .companyID, .eventName, .hostname, .pathname, .userAgent, .url: true
        default: false
        }
    }

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

extension UnsafeRawBufferPointer {
    /// Byte-wise comparison with an ASCII literal, without making a `String`. Up to 16 bytes it
    /// compares two overlapping words (the literal's words fold to constants once inlined).
    @inline(__always)
    func equals(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard self.count == count else { return false }
        if count == 0 { return true }
        let a = baseAddress!
        let b = UnsafeRawPointer(literal.utf8Start)
        switch count {
        case 8...16:
            return a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self)
                && a.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                    == b.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        case 4...7:
            return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
                && a.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
                    == b.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
        case 1...3:
            for k in 0..<count
            where a.load(fromByteOffset: k, as: UInt8.self) != b.load(fromByteOffset: k, as: UInt8.self) {
                return false
            }
            return true
        default:
            return memcmp(a, b, count) == 0
        }
    }
}
