/// A top-level value as the schema sees it: its JSON kind and its bytes.
/// Strings are decoded (escapes resolved); numbers and containers are their raw text.
public struct FieldValue {
    /// nil when the key is absent.
    public var kind: JSONValueKind?
    public var bytes: UnsafeRawBufferPointer
    /// For objects and arrays: whether they hold another object or array.
    public var holdsContainers: Bool
    /// For strings: `bytes` is the JSON-escaped body (other keys' values in NDJSON), not decoded text.
    public var hasEscapes: Bool
    /// For strings: `bytes` came from a JSON string without escapes, so it holds no byte JSON
    /// must escape and is written between quotes as it is.
    var isPlainJSONText = false

    public static var absent: FieldValue { FieldValue(kind: nil, bytes: UnsafeRawBufferPointer(start: nil, count: 0)) }

    public init(
        kind: JSONValueKind?, bytes: UnsafeRawBufferPointer, holdsContainers: Bool = false, hasEscapes: Bool = false
    ) {
        self.kind = kind
        self.bytes = bytes
        self.holdsContainers = holdsContainers
        self.hasEscapes = hasEscapes
    }

    /// Present with a value other than `null` (a `null` reads as absent).
    @inline(__always) var isGiven: Bool { kind != nil && kind != .null }
}

/// One record reduced to what the schema checks, the same for CSV and NDJSON input.
/// The buffers it points into belong to the reader and live until the next record.
public struct RecordFields {
    private var values: [FieldValue]
    /// Keys outside the schema, in input order (CSV: the non-empty columns).
    public var otherKeys: [UnsafeRawBufferPointer] = []
    /// The values of `otherKeys`, when the reader keeps values (NDJSON always; CSV for convert).
    public var otherValues: [FieldValue] = []
    /// `otherKeys` and `otherValues` were read from JSON (NDJSON, vendor rows): a key, or a string
    /// value, read without escapes holds no byte JSON must escape and is written between quotes
    /// as it is. False for CSV, whose column names and cells may hold any text.
    var otherKeysAndValuesAreJSON = false
    /// Some key of the record (of any kind) was read with escapes: `otherKeys` are escaped when
    /// written.
    var keysHaveEscapes = false
    /// CSV `metadata.<key>` cells (key, text), in column order, when the reader keeps values.
    public var metadataCells: [(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)] = []
    /// Keys that appeared more than once, each named once per extra copy.
    public var duplicateKeys: [UnsafeRawBufferPointer] = []
    /// Keys that appeared more than once at the top level of `metadata`, once per extra copy.
    public var duplicateMetadataKeys: [UnsafeRawBufferPointer] = []
    /// `inserted_at` as `SchemaChecker` parsed it, when it is a valid timestamp string.
    public var insertedAt: Timestamp?
    /// `url` as `SchemaChecker` parsed it, with the bytes it parsed (`parsedURL(of:)` gives it
    /// back for those bytes only): the normalized writer does not parse it again.
    var checkedURL: EventURL?
    var checkedURLBytes = UnsafeRawBufferPointer(start: nil, count: 0)
    /// The members of the `metadata` object as the record's scan found them (offsets in the
    /// record; the object is `metadataMembersOf`, starting at `metadataMembersOffset`), when the
    /// reader scanned with `scanWithMemberObjects`: `JSONScanner.scanMetadata` reads them instead
    /// of scanning the object again.
    public var metadataMembers: UnsafeBufferPointer<JSONKey>?
    var metadataMembersOf: UnsafeRawBufferPointer?
    var metadataMembersOffset = 0
    /// The record's own bytes (without the line feed) when it is a vendor row its mapper wrote in
    /// a normalized line's member order and escaping (`RowLayout.isInWrittenOrder`): the
    /// normalized writer copies them when nothing in the record needs repair.
    var mappedLine: UnsafeRawBufferPointer?

    /// `metadataMembers` when they describe the `metadata` value as it is (not one a repair or a
    /// preset put in its place).
    var scannedMetadataKeys: UnsafeBufferPointer<JSONKey>? {
        let metadata = self[.metadata]
        guard let keys = metadataMembers, let described = metadataMembersOf,
            described.baseAddress == metadata.bytes.baseAddress, described.count == metadata.bytes.count
        else { return nil }
        return keys
    }

    public init() {
        values = Array(repeating: .absent, count: KnownField.allCases.count)
        otherKeys.reserveCapacity(32)
        otherValues.reserveCapacity(32)
        metadataCells.reserveCapacity(16)
        duplicateKeys.reserveCapacity(4)
        duplicateMetadataKeys.reserveCapacity(4)
    }

    public subscript(field: KnownField) -> FieldValue {
        get { values[field.rawValue] }
        set { values[field.rawValue] = newValue }
    }

    /// The parts of the url in `bytes`: the schema check's when it parsed these very bytes.
    @inline(__always)
    func parsedURL(of bytes: UnsafeRawBufferPointer) -> EventURL? {
        if let checkedURL, checkedURLBytes.baseAddress == bytes.baseAddress, checkedURLBytes.count == bytes.count {
            return checkedURL
        }
        return EventURL.parse(bytes)
    }

    public mutating func reset() {
        values.withUnsafeMutableBufferPointer { $0.update(repeating: .absent) }
        otherKeys.clear()
        otherValues.clear()
        otherKeysAndValuesAreJSON = false
        keysHaveEscapes = false
        metadataCells.clear()
        duplicateKeys.clear()
        duplicateMetadataKeys.clear()
        insertedAt = nil
        checkedURL = nil
        metadataMembers = nil
        metadataMembersOf = nil
        mappedLine = nil
    }
}

extension Array {
    /// Empties the array and keeps its storage; nothing to do (not even the generic removal) when
    /// it is already empty, as per-record lists mostly are.
    @inline(__always)
    mutating func clear() {
        if !isEmpty { removeAll(keepingCapacity: true) }
    }
}
