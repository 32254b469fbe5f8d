/// The stable codes of SPEC §5. Raw values are the codes users see in reports and in `--errors`.
public enum ProblemCode: String, CaseIterable, Sendable {
    // Errors: the record would fail the import.
    case malformedJSON = "malformed_json"
    case malformedCSV = "malformed_csv"
    case invalidUTF8 = "invalid_utf8"
    case notAnObject = "not_an_object"
    case recordTooLarge = "record_too_large"
    case tooDeep = "too_deep"
    case duplicateKey = "duplicate_key"
    case columnCount = "column_count"
    case missingField = "missing_field"
    case emptyField = "empty_field"
    case wrongType = "wrong_type"
    case unknownEventType = "unknown_event_type"
    case invalidSource = "invalid_source"
    case invalidTimestamp = "invalid_timestamp"
    case invalidURL = "invalid_url"
    case invalidMetadata = "invalid_metadata"
    case truncatedExport = "truncated_export"
    // Warnings: the record is still valid.
    case sourceDefaulted = "source_defaulted"
    case metadataDefaulted = "metadata_defaulted"
    case ignoredField = "ignored_field"
    case urlOverrides = "url_overrides"
    case timestampOffset = "timestamp_offset"
    case nestedMetadata = "nested_metadata"
    // Warnings of the vendor presets (SPEC §8).
    case pageWithoutURL = "page_without_url"
    case suspiciousUserID = "suspicious_user_id"
    case severalGroups = "several_groups"
    case metadataKeyCollision = "metadata_key_collision"
    case urlPercentEncoded = "url_percent_encoded"

    public var isWarning: Bool { self.index >= ProblemCode.sourceDefaulted.index }

    /// Raised only while reading a vendor's export through a preset (`--from`, SPEC §8).
    public var needsPreset: Bool {
        switch self {
        case .truncatedExport, .pageWithoutURL, .suspiciousUserID, .severalGroups, .metadataKeyCollision,
            .urlPercentEncoded:
            true
        default: false
        }
    }

    /// Dense index, for counters kept in fixed arrays.
    public var index: Int {
        switch self {
        case .malformedJSON: 0
        case .malformedCSV: 1
        case .invalidUTF8: 2
        case .notAnObject: 3
        case .recordTooLarge: 4
        case .tooDeep: 5
        case .duplicateKey: 6
        case .columnCount: 7
        case .missingField: 8
        case .emptyField: 9
        case .wrongType: 10
        case .unknownEventType: 11
        case .invalidSource: 12
        case .invalidTimestamp: 13
        case .invalidURL: 14
        case .invalidMetadata: 15
        case .truncatedExport: 16
        case .sourceDefaulted: 17
        case .metadataDefaulted: 18
        case .ignoredField: 19
        case .urlOverrides: 20
        case .timestampOffset: 21
        case .nestedMetadata: 22
        case .pageWithoutURL: 23
        case .suspiciousUserID: 24
        case .severalGroups: 25
        case .metadataKeyCollision: 26
        case .urlPercentEncoded: 27
        }
    }

    public static let errors: [ProblemCode] = allCases.filter { !$0.isWarning }
    public static let warnings: [ProblemCode] = allCases.filter { $0.isWarning }
}
