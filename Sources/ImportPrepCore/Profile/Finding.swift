/// What `profile` reports that no single row shows (SPEC §9), one code per kind of finding.
public enum FindingCode: String, CaseIterable, Sendable {
    case historyGap = "history_gap"
    case futureTimestamp = "future_timestamp"
    case ancientTimestamp = "ancient_timestamp"
    case dateOnlyTimestamps = "date_only_timestamps"
    case typeDrift = "type_drift"
    case keyCaseCollision = "key_case_collision"
    case junkID = "junk_id"
    case idWhitespace = "id_whitespace"
    case idIsEmail = "id_is_email"
    case userNeverIdentified = "user_never_identified"
    case companyNeverIdentified = "company_never_identified"
    case identifyAfterFirstEvent = "identify_after_first_event"
    case identifyPropertyDropped = "identify_property_dropped"
    case identifyNullOverwrite = "identify_null_overwrite"
    case identifyOutOfOrder = "identify_out_of_order"
    case duplicateRecord = "duplicate_record"
    case duplicateEvent = "duplicate_event"
    case piiInEventMetadata = "pii_in_event_metadata"

    /// `risk`: the migration will be wrong (what `--strict` fails on); `warning`: likely wrong;
    /// `info`: worth knowing.
    public enum Severity: String, Sendable, Comparable {
        case risk, warning, info

        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
        private var rank: Int { self == .risk ? 0 : self == .warning ? 1 : 2 }
    }

    public var severity: Severity {
        switch self {
        case .historyGap, .futureTimestamp, .ancientTimestamp, .junkID, .userNeverIdentified,
            .companyNeverIdentified, .identifyPropertyDropped, .identifyNullOverwrite, .duplicateRecord,
            .duplicateEvent:
            .risk
        case .dateOnlyTimestamps, .typeDrift, .keyCaseCollision, .idWhitespace, .idIsEmail,
            .identifyAfterFirstEvent, .identifyOutOfOrder, .piiInEventMetadata:
            .warning
        }
    }

    /// What the count counts, and what to do about it.
    public var advice: String {
        switch self {
        case .historyGap:
            "days with no record at all inside the history: a missing export range; export those days again"
        case .futureTimestamp: "records dated more than a day after this run: a unit or zone mistake in the export"
        case .ancientTimestamp: "records dated before 2000 (a zero epoch is named): a missing or zero time"
        case .dateOnlyTimestamps:
            "records at exactly midnight: dates exported without times; export full timestamps if the source has them"
        case .typeDrift:
            "properties whose values change kind (Userpilot types each property once): make each property one kind"
        case .keyCaseCollision:
            "groups of property keys that differ only in case or separators: they become different properties; pick one"
        case .junkID: "records whose id is a placeholder (anonymous, null, 0, test…): they merge unrelated people"
        case .idWhitespace: "records whose id starts or ends with white space: it becomes a different user; trim it"
        case .idIsEmail: "records whose id is an e-mail address: personal data shown everywhere; use a stable id"
        case .userNeverIdentified: "users with events but no identify_user record: they arrive without properties"
        case .companyNeverIdentified: "companies referenced but never identified: they arrive without properties"
        case .identifyAfterFirstEvent:
            "users whose first identify is later than their first event: import identifies first, or backdate them"
        case .identifyPropertyDropped:
            "identify records that leave out a property an earlier identify set: send full property sets"
        case .identifyNullOverwrite: "identify records that set an earlier property to null or \"\": it is erased"
        case .identifyOutOfOrder:
            "identify records older than an earlier one of the same entity: the older values win; sort by time"
        case .duplicateRecord: "records repeating an earlier record exactly: overlapping exports; drop the copies"
        case .duplicateEvent: "events repeating an earlier one with other properties: overlapping exports that changed"
        case .piiInEventMetadata:
            "event property values that hold personal data (e-mail, phone, IP address, card number): drop or mask them"
        }
    }
}

/// One finding: its count as SPEC §9 defines it, a breakdown where there is one, and up to five
/// examples (`file:line` and what was found, personal data masked).
public struct Finding: Sendable, Equatable {
    public var code: FindingCode
    public var count: Int
    /// (label, count) in the order shown.
    public var breakdown: [(String, Int)]
    public var examples: [FindingExample]

    public static func == (a: Finding, b: Finding) -> Bool {
        a.code == b.code && a.count == b.count && a.examples == b.examples
            && a.breakdown.map(\.0) == b.breakdown.map(\.0) && a.breakdown.map(\.1) == b.breakdown.map(\.1)
    }
}

public struct FindingExample: Sendable, Equatable {
    public var file: String
    public var line: Int
    public var text: String
    /// Its row's place among the rows of one vendor record (see `MigrationProfiler.rowOrder`):
    /// how a block's examples and those of the derived rows replayed at its join are merged.
    var order: UInt8 = 1

    public static func == (a: FindingExample, b: FindingExample) -> Bool {
        a.file == b.file && a.line == b.line && a.text == b.text
    }

    /// Before `other` in input order.
    func precedes(_ other: FindingExample) -> Bool {
        (line, order) < (other.line, other.order)
    }
}
