/// Where a record sits in its input file (SPEC §5). Measured once, by the reader.
public struct RecordLocation: Equatable, Sendable {
    /// 1-based physical line where the record starts (header and blank lines included).
    public var line: Int
    /// 1-based data record number (header and blank lines not counted).
    public var record: Int
    /// 0-based offset of the record's first byte in the input.
    public var byteOffset: Int

    public init(line: Int, record: Int, byteOffset: Int) {
        self.line = line
        self.record = record
        self.byteOffset = byteOffset
    }
}

/// Which field a problem is about, as the record names it.
///
/// `.name` points into the record's bytes or the CSV header: a `Problem` is only valid while its
/// record is being reported, and `ReportedProblem` is the form that outlives it.
public enum ProblemField {
    case none
    case known(KnownField)
    case name(UnsafeRawBufferPointer)
    /// A key at the top level of `metadata`, named `metadata.<key>`.
    case metadataKey(UnsafeRawBufferPointer)
}

/// Details that make a message precise; bytes point into the record (see `ProblemField`).
public enum ProblemDetail {
    case none
    case syntax(StaticString, offset: Int)
    /// Like `syntax`, inside one CSV cell.
    case inCell(StaticString, offset: Int)
    case found(JSONValueKind)
    case value(UnsafeRawBufferPointer)
    case timestamp(Timestamp.Failure, UnsafeRawBufferPointer)
    case epochNumber(UnsafeRawBufferPointer)
    case counts(found: Int, expected: Int)
    case limit(Int)
    /// The normalized record does not fit in a chunk of `--max-bytes`.
    case chunkLimit(Int)
    /// The normalized record is longer than `--max-record-bytes` (validate would refuse it).
    case normalizedLimit(Int)
    case requiredBy(EventType?)
    case urlParts(host: UnsafeRawBufferPointer, path: UnsafeRawBufferPointer)
    case text(StaticString)
    /// The CSV header cannot be read, for this reason: no record of the file is read.
    case header(StaticString)
}

/// One problem of one record, as found on the hot path: no strings are made until it is reported.
public struct Problem {
    public var code: ProblemCode
    public var field: ProblemField
    public var detail: ProblemDetail

    public init(_ code: ProblemCode, _ field: ProblemField = .none, _ detail: ProblemDetail = .none) {
        self.code = code
        self.field = field
        self.detail = detail
    }
}

/// A problem made durable for reports: file, coordinates, field name and message as text.
public struct ReportedProblem: Equatable, Sendable {
    public var file: String
    public var location: RecordLocation
    public var field: String?
    public var code: ProblemCode
    public var message: String

    public init(file: String, location: RecordLocation, field: String?, code: ProblemCode, message: String) {
        self.file = file
        self.location = location
        self.field = field
        self.code = code
        self.message = message
    }

    public init(_ problem: Problem, file: String, location: RecordLocation) {
        self.file = file
        self.location = location
        self.code = problem.code
        switch problem.field {
        case .none: field = nil
        case .known(let known): field = known.name
        case .name(let bytes): field = String(decoding: bytes, as: UTF8.self)
        case .metadataKey(let bytes): field = "metadata." + String(decoding: bytes, as: UTF8.self)
        }
        message = problem.message(fieldName: field)
    }
}

extension Problem {
    /// One sentence saying what is wrong and what to do about it.
    func message(fieldName: String?) -> String {
        let f = fieldName.map { "`\($0)`" } ?? "the field"
        switch code {
        case .malformedJSON:
            return "The line is not valid JSON (\(Self.describe(detail))); fix or remove it."
        case .invalidUTF8:
            return
                "The record holds bytes that are not valid UTF-8 (\(Self.describe(detail))); re-export the file as UTF-8."
        case .tooDeep:
            return "The record nests objects or arrays deeper than 64 levels (\(Self.describe(detail))); flatten it."
        case .notAnObject:
            return "Each line must be one JSON object, but this one is \(Self.describe(detail)); wrap the event in {…}."
        case .malformedCSV:
            if case .header(let reason) = detail {
                return "The CSV header cannot be read (\(reason)), so no record of this file was read; fix the header."
            }
            return
                "The CSV record starting here is malformed (\(Self.describe(detail))); reading resumed at the next line, so errors right after this one may follow from it."
        case .recordTooLarge:
            if case .normalizedLimit(let bytes) = detail {
                return
                    "Written out normalized, the record would be longer than --max-record-bytes (\(bytes) bytes), so validate would refuse it; raise --max-record-bytes."
            }
            if case .chunkLimit(let bytes) = detail {
                return
                    "The written record is larger than --max-bytes (\(bytes) bytes), so no chunk can hold it; raise --max-bytes."
            }
            return
                "The record is larger than the limit of \(Self.describe(detail)); split it or raise --max-record-bytes."
        case .duplicateKey:
            return "\(f) appears more than once in the record; keep one copy (the API does not say which one it keeps)."
        case .columnCount:
            return "The row has \(Self.describe(detail)); check for an unquoted delimiter or a missing cell."
        case .missingField:
            return "\(f) is required\(Self.describe(detail)); add it."
        case .emptyField:
            return "\(f) is empty or only white space; give it a value or leave the field out."
        case .wrongType:
            if case .found(.number) = detail, fieldName != KnownField.insertedAt.name {
                return
                    "\(f) must be a JSON string, not a number; quote it (convert does this for you, digit for digit)."
            }
            return "\(f) must be a JSON string, not \(Self.describe(detail)); fix the export."
        case .unknownEventType:
            return
                "event_type \(Self.describe(detail)) is not one of identify_user, identify_company, page_view, track (case-sensitive)."
        case .invalidSource:
            return
                "source \(Self.describe(detail)) is not one of \(EventSource.allCases.map(\.name).joined(separator: ", ")) (case-sensitive); leave it out to get backend-http-import."
        case .invalidTimestamp:
            if case .epochNumber = detail {
                return
                    "inserted_at \(Self.describe(detail)) is an epoch number, not an ISO-8601 date and time; convert --epoch auto|s|ms|us can turn it into one."
            }
            return "inserted_at \(Self.describe(detail)); write it as YYYY-MM-DDTHH:MM:SS[.ffffff]."
        case .invalidURL:
            return
                "url \(Self.describe(detail)) is not an absolute http or https URL with a host; fix it or leave it out."
        case .invalidMetadata:
            if case .inCell(let reason, let offset) = detail {
                return
                    "The metadata cell is not valid JSON (\(reason) at byte \(offset + 1) of the cell); it must hold one JSON object."
            }
            return "metadata must be a JSON object, but this is \(Self.describe(detail)); fix the export."
        case .sourceDefaulted:
            return "The record has no `source`; the API accepts that, and convert fills in backend-http-import."
        case .metadataDefaulted:
            return "The record has no `metadata`; it is read as {} (convert writes it out)."
        case .ignoredField:
            return
                "identify_company records keep only event_type, company_id, source, inserted_at and metadata; the API ignores \(f)."
        case .urlOverrides:
            return "hostname or pathname differ from the url (\(Self.describe(detail))); the API keeps the url's."
        case .timestampOffset:
            return
                "inserted_at \(Self.describe(detail)) has a zone offset, which the API may drop and so shift the event; convert rewrites it to UTC."
        case .nestedMetadata:
            return
                "metadata holds a nested object or array; Userpilot types properties as String, Numeric or Date, so flatten it if you need it."
        case .truncatedExport:
            return
                "The export ends early (\(Self.describe(detail))): every complete record before this line was read, the rest of the range is missing; export it again."
        case .pageWithoutURL:
            return
                "The vendor's page event has no usable URL (nor host and path), so it was written as a track event of the same name, its location properties kept in metadata."
        case .suspiciousUserID:
            return
                "The user id \(Self.describe(detail)) looks like a placeholder; it was kept: check that it is a real user."
        case .severalGroups:
            return
                "The record names several group types; the first (\(Self.describe(detail))) became company_id. Name the company's type with --group-type."
        case .metadataKeyCollision:
            return "Renaming \(f) would collide with a key the record already has; the existing key was kept."
        case .urlPercentEncoded:
            return "The vendor's URL held white space; each white-space character was percent-encoded."
        }
    }

    static func quoted(_ bytes: UnsafeRawBufferPointer) -> String {
        let limit = 60
        let text = String(decoding: bytes.prefix(limit), as: UTF8.self)
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case _ where scalar.value < 0x20: escaped += "\\u{\(String(scalar.value, radix: 16))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return "\"" + escaped + (bytes.count > limit ? "…" : "") + "\""
    }

    static func describe(_ detail: ProblemDetail) -> String {
        switch detail {
        case .none: return ""
        case .syntax(let reason, let offset): return "\(reason) at byte \(offset + 1) of the record"
        case .inCell(let reason, let offset): return "\(reason) at byte \(offset + 1) of the cell"
        case .found(let kind): return kind.article
        case .value(let bytes): return quoted(bytes)
        case .timestamp(let failure, let bytes):
            return "\(quoted(bytes)) is not a valid date and time: \(failure.explanation)"
        case .epochNumber(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .counts(let found, let expected): return "\(found) cells but the header has \(expected)"
        case .limit(let bytes), .chunkLimit(let bytes), .normalizedLimit(let bytes): return "\(bytes) bytes"
        case .requiredBy(let type):
            guard let type else { return "" }
            return " for \(type.name) events"
        case .urlParts(let host, let path):
            return "the url gives hostname \(quoted(host)) and pathname \(path.isEmpty ? "\"/\"" : quoted(path))"
        case .text(let text), .header(let text): return "\(text)"
        }
    }
}
