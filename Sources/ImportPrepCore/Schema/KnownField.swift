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

    /// The field named by `bytes`, or nil. The length picks the candidates (a jump table); the
    /// name is then compared as one or two words against the names' bytes as little-endian
    /// constants (overlapping words for lengths between word sizes). `KnownFieldTests` holds every
    /// name and its near misses.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard let p = bytes.baseAddress else { return nil }
        @inline(__always) func word(_ offset: Int) -> UInt64 {
            UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        @inline(__always) func half(_ offset: Int) -> UInt32 {
            UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }
        switch bytes.count {
        case 3:
            // "url"
            guard p.load(as: UInt8.self) == 0x75,
                UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 1, as: UInt16.self)) == 0x6C72
            else { return nil }
            self = .url
        case 6:
            // "sour", "urce"
            guard half(0) == 0x7275_6F73, half(2) == 0x6563_7275 else { return nil }
            self = .source
        case 7:
            // "user", "r_id"
            guard half(0) == 0x7265_7375, half(3) == 0x6469_5F72 else { return nil }
            self = .userID
        case 8:
            switch word(0) {
            case 0x656D_616E_7473_6F68: self = .hostname
            case 0x656D_616E_6874_6170: self = .pathname
            case 0x6174_6164_6174_656D: self = .metadata
            default: return nil
            }
        case 10:
            // The first eight bytes, then the last two.
            let last = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
            switch (word(0), last) {
            case (0x7974_5F74_6E65_7665, 0x6570): self = .eventType  // "event_ty", "pe"
            case (0x616E_5F74_6E65_7665, 0x656D): self = .eventName  // "event_na", "me"
            case (0x5F79_6E61_706D_6F63, 0x6469): self = .companyID  // "company_", "id"
            case (0x6567_615F_7265_7375, 0x746E): self = .userAgent  // "user_age", "nt"
            default: return nil
            }
        case 11:
            // "inserted", "erted_at"
            guard word(0) == 0x6465_7472_6573_6E69, word(3) == 0x7461_5F64_6574_7265 else { return nil }
            self = .insertedAt
        default:
            return nil
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

    /// `,"name":"`: what opens the field's member as a string in a normalized line.
    var memberOpening: StaticString {
        switch self {
        case .eventType: ",\"event_type\":\""
        case .userID: ",\"user_id\":\""
        case .companyID: ",\"company_id\":\""
        case .eventName: ",\"event_name\":\""
        case .source: ",\"source\":\""
        case .insertedAt: ",\"inserted_at\":\""
        case .hostname: ",\"hostname\":\""
        case .pathname: ",\"pathname\":\""
        case .url: ",\"url\":\""
        case .userAgent: ",\"user_agent\":\""
        case .metadata: ",\"metadata\":\""
        }
    }
}
