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
