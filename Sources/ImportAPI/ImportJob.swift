import Foundation
import ImportPrepCore

/// Where a job stands. Only `completed` and `failed` are final (SPEC §2); any other text the API
/// may add later is kept as it came and treated as still running.
public enum JobStatus: Equatable, Sendable, CustomStringConvertible {
    case queued, validating, processing, pendingRefresh, completed, failed
    case other(String)

    public init(_ text: String) {
        switch text.lowercased() {
        case "queued": self = .queued
        case "validating": self = .validating
        case "processing": self = .processing
        case "pending_refresh": self = .pendingRefresh
        case "completed": self = .completed
        case "failed": self = .failed
        default: self = .other(text)
        }
    }

    public var isFinal: Bool { self == .completed || self == .failed }

    public var description: String {
        switch self {
        case .queued: "queued"
        case .validating: "validating"
        case .processing: "processing"
        case .pendingRefresh: "pending_refresh"
        case .completed: "completed"
        case .failed: "failed"
        case .other(let text): text
        }
    }
}

/// One background job as the Import API describes it. Built only from documented fields; unknown
/// fields are ignored, and numbers are accepted as JSON numbers or as digit strings (the docs show both).
public struct ImportJob: Equatable, Sendable {
    public var id: String
    public var status: JobStatus
    public var filename: String?
    public var fileSize: Int?
    public var startTime: String?
    public var endTime: String?
    public var elapsedSeconds: Double?
    public var totalRows: Int?
    public var completedRows: Int?
    public var reasonForFailure: [String]
    public var type: String?

    public init(id: String, status: JobStatus) {
        self.id = id
        self.status = status
        reasonForFailure = []
    }

    /// The rows the API says it took in: `completed_rows` where given, else `total_rows`.
    public var rowsAccounted: Int? { completedRows ?? totalRows }

    /// Reads one job object; nil when the object has no `job_id` or `status`.
    init?(json object: [String: Any]) {
        guard let id = Self.string(object["job_id"]) ?? Self.string(object["id"]),
            let status = Self.string(object["status"])
        else { return nil }
        self.init(id: id, status: JobStatus(status))
        filename = Self.string(object["filename"])
        fileSize = Self.integer(object["file_size"])
        startTime = Self.string(object["start_time"])
        endTime = Self.string(object["end_time"])
        elapsedSeconds = Self.number(object["elapsed_time"])
        totalRows = Self.integer(object["total_rows"])
        completedRows = Self.integer(object["completed_rows"])
        type = Self.string(object["type"])
        switch object["reason_for_failure"] {
        case let list as [Any]: reasonForFailure = list.map { Self.string($0) ?? "\($0)" }
        case let text as String: reasonForFailure = [text]
        default: break
        }
    }

    /// Parses a single-job body: the job object itself, or one wrapped in `data` / `job`.
    public static func parse(job body: some Collection<UInt8>) -> ImportJob? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        else { return nil }
        return job(in: object)
    }

    /// Parses a job-list body: an array of jobs (as documented), or an object holding the array
    /// under `data`, `jobs`, `background_jobs`, `items` or `results`. Nil when the body is none of
    /// these. The array is cut into its elements in one pass over the bytes and each job object is
    /// read on its own, so a list of 20,000 jobs never becomes one tree of Foundation objects.
    /// Only the jobs `keep` accepts are kept.
    public static func parse(
        list body: some Collection<UInt8>, keeping keep: (ImportJob) -> Bool = { _ in true }
    ) -> [ImportJob]? {
        func read(_ raw: UnsafeRawBufferPointer) -> [ImportJob]? {
            guard let elements = JobList.elements(raw) else { return nil }
            return elements.compactMap { range in
                let object = try? JSONSerialization.jsonObject(with: Data(raw[range]))
                return (object as? [String: Any]).flatMap(ImportJob.init(json:)).flatMap { keep($0) ? $0 : nil }
            }
        }
        if let jobs = body.withContiguousStorageIfAvailable({ read(UnsafeRawBufferPointer($0)) }) { return jobs }
        return Array(body).withUnsafeBytes { read($0) }
    }

    static func job(in object: Any) -> ImportJob? {
        guard let dictionary = object as? [String: Any] else { return nil }
        if let job = ImportJob(json: dictionary) { return job }
        for key in ["data", "job", "background_job"] {
            if let inner = dictionary[key] as? [String: Any], let job = ImportJob(json: inner) { return job }
        }
        return nil
    }

    static func string(_ value: Any?) -> String? {
        switch value {
        case let text as String: text
        case let number as NSNumber: number.stringValue
        default: nil
        }
    }

    static func number(_ value: Any?) -> Double? {
        switch value {
        case let number as NSNumber: number.doubleValue
        case let text as String: Double(text.trimmingCharacters(in: .whitespaces))
        default: nil
        }
    }

    static func integer(_ value: Any?) -> Int? {
        switch value {
        case let number as NSNumber:
            let double = number.doubleValue
            return double.rounded() == double && abs(double) < 9e15 ? Int(double) : nil
        case let text as String: return Int(text.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }
}

/// The API's error body, `{"errors": [{"error", "error_code", "message", "details"}]}`, as one line
/// of text; nil when the body has another shape.
func apiErrorText(_ body: some Collection<UInt8>) -> String? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
        let errors = object["errors"] as? [Any]
    else { return nil }
    let parts = errors.compactMap { item -> String? in
        guard let error = item as? [String: Any] else { return nil }
        let message = ImportJob.string(error["message"]) ?? ImportJob.string(error["error"]) ?? ""
        let code = ImportJob.string(error["error_code"])
        return code.map { "\(message) (\($0))" } ?? message
    }
    return parts.isEmpty ? nil : parts.joined(separator: "; ")
}

/// Finds the elements of a job list without building it: the documented bare array, or the
/// array a wrapper object holds.
enum JobList {
    static let wrapperKeys = ["data", "jobs", "background_jobs", "items", "results"]

    static func elements(_ body: UnsafeRawBufferPointer) -> [Range<Int>]? {
        guard let first = body.firstIndex(where: { !isSpace($0) }) else { return nil }
        if body[first] == UInt8(ascii: "[") {
            guard let (elements, end) = split(body, openingAt: first),
                body[end...].allSatisfy(isSpace)
            else { return nil }
            return elements
        }
        // A wrapper object: the scanner checks it and finds the array's member.
        let scanner = JSONScanner()
        guard scanner.scan(body) == .object else { return nil }
        for key in wrapperKeys {
            for member in scanner.members where member.kind == .array {
                guard body[member.keyStart..<member.keyEnd].elementsEqual(key.utf8) else { continue }
                return split(body, openingAt: member.valueStart)?.elements
            }
        }
        return nil
    }

    /// The ranges of the elements of the array whose `[` is at `open`, and the index after its `]`.
    private static func split(_ body: UnsafeRawBufferPointer, openingAt open: Int) -> (
        elements: [Range<Int>], end: Int
    )? {
        var elements: [Range<Int>] = []
        var depth = 0
        var start = -1
        var i = open
        while i < body.count {
            let c = body[i]
            switch c {
            case UInt8(ascii: "\""):
                if start < 0 { start = i }
                i += 1
                while i < body.count && body[i] != UInt8(ascii: "\"") {
                    i += body[i] == UInt8(ascii: "\\") ? 2 : 1
                }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth == 2 && start < 0 { start = i }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 {
                    if start >= 0 { elements.append(start..<i) }
                    return (elements.map(trimmed(body)), i + 1)
                }
            case UInt8(ascii: ","):
                if depth == 1 {
                    guard start >= 0 else { return nil }
                    elements.append(start..<i)
                    start = -1
                }
            default:
                if depth == 1 && start < 0 && !isSpace(c) { start = i }
            }
            i += 1
        }
        return nil
    }

    private static func trimmed(_ body: UnsafeRawBufferPointer) -> (Range<Int>) -> Range<Int> {
        { range in
            var upper = range.upperBound
            while upper > range.lowerBound && isSpace(body[upper - 1]) { upper -= 1 }
            return range.lowerBound..<upper
        }
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }
}
