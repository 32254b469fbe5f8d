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
        for candidate in EventSource.allCases where bytes.equals(candidate.staticName) {
            self = candidate
            return
        }
        return nil
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
        guard let first = bytes.first else { return nil }
        let candidate: KnownField
        switch (bytes.count, first) {
        case (10, UInt8(ascii: "e")): candidate = .eventType
        case (7, UInt8(ascii: "u")): candidate = .userID
        case (10, UInt8(ascii: "c")): candidate = .companyID
        case (6, UInt8(ascii: "s")): candidate = .source
        case (11, UInt8(ascii: "i")): candidate = .insertedAt
        case (8, UInt8(ascii: "h")): candidate = .hostname
        case (8, UInt8(ascii: "p")): candidate = .pathname
        case (3, UInt8(ascii: "u")): candidate = .url
        case (10, UInt8(ascii: "u")): candidate = .userAgent
        case (8, UInt8(ascii: "m")): candidate = .metadata
        default: return nil
        }
        if bytes.equals(candidate.staticName) {
            self = candidate
            return
        }
        if candidate == .eventType, bytes.equals(KnownField.eventName.staticName) {
            self = .eventName
            return
        }
        return nil
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
    /// Byte-wise comparison with an ASCII literal, without making a `String`.
    @inline(__always)
    func equals(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard self.count == count else { return false }
        if count == 0 { return true }
        return memcmp(self.baseAddress!, literal.utf8Start, count) == 0
    }
}
