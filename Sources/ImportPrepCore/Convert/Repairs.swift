/// The repairs `convert` makes (SPEC §3), counted once per record that needed them.
public enum RepairKind: Int, CaseIterable, Sendable {
    case idQuoted, sourceFilled, metadataFilled, timestampNormalized, epochConverted
    case urlPartsDerived, companyFieldsDropped, nestedMetadataEncoded, metadataNumbersTyped, nullsDropped

    public var name: String {
        switch self {
        case .idQuoted: "id_quoted"
        case .sourceFilled: "source_filled"
        case .metadataFilled: "metadata_filled"
        case .timestampNormalized: "timestamp_normalized"
        case .epochConverted: "epoch_converted"
        case .urlPartsDerived: "url_parts_derived"
        case .companyFieldsDropped: "company_fields_dropped"
        case .nestedMetadataEncoded: "nested_metadata_encoded"
        case .metadataNumbersTyped: "metadata_numbers_typed"
        case .nullsDropped: "nulls_dropped"
        }
    }
}

/// The repairs one record needed.
public struct RepairSet: OptionSet, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    init(_ kind: RepairKind) { rawValue = 1 << UInt16(kind.rawValue) }

    public func contains(_ kind: RepairKind) -> Bool { contains(RepairSet(kind)) }
    mutating func insert(_ kind: RepairKind) { insert(RepairSet(kind)) }
}
