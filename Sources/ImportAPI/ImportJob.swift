import Foundation

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
    /// under `data`, `jobs`, `background_jobs` or `items`. Nil when the body is none of these.
    public static func parse(list body: some Collection<UInt8>) -> [ImportJob]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        else { return nil }
        var array = object as? [Any]
        if array == nil, let wrapper = object as? [String: Any] {
            for key in ["data", "jobs", "background_jobs", "items", "results"] {
                if let inner = wrapper[key] as? [Any] {
                    array = inner
                    break
                }
            }
        }
        guard let array else { return nil }
        return array.compactMap { ($0 as? [String: Any]).flatMap(ImportJob.init(json:)) }
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
