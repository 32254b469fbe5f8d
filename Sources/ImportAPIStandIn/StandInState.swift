import Foundation
import ImportPrepCore

/// A job as the stand-in keeps it.
struct StandInJob: Sendable {
    var id: String
    var token: String
    var filename: String
    var fileSize: Int
    var status: String
    var start: Date
    var end: Date?
    var totalRows: Int?
    var completedRows: Int?
    var reasons: [String] = []

    /// The documented fields; the one-job answer adds `completed_rows`.
    func json(detail: Bool) -> [String: Any] {
        var object: [String: Any] = [
            "job_id": id, "links": "/v1/background_jobs/\(id)", "filename": filename, "file_size": fileSize,
            "status": status, "start_time": Self.time(start), "end_time": end.map(Self.time) ?? "",
            "elapsed_time": Int(((end ?? Date()).timeIntervalSince(start)).rounded()), "type": "import",
        ]
        object["total_rows"] = totalRows ?? 0
        if detail { object["completed_rows"] = completedRows ?? 0 }
        if status == "failed" { object["reason_for_failure"] = reasons }
        return object
    }

    /// ISO-8601 without a zone, with microseconds, as the API shows it.
    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS"
        return formatter.string(from: date)
    }
}

/// Jobs, faults and the request log, behind an actor.
actor StandInState {
    var jobs: [StandInJob] = []
    var faults = StandInFaults()
    var uploads: [ReceivedUpload] = []
    var log: [String] = []
    let stepSeconds: Double

    init(stepSeconds: Double) { self.stepSeconds = stepSeconds }

    func setFaults(_ faults: StandInFaults) { self.faults = faults }

    /// Uses up one of the faults counted by `key`; false when none is left.
    func takeFault(_ key: WritableKeyPath<StandInFaults, Int>) -> Bool {
        guard faults[keyPath: key] > 0 else { return false }
        faults[keyPath: key] -= 1
        return true
    }

    func note(_ line: String) { log.append(line) }

    func jobs(of token: String) -> [StandInJob] { jobs.filter { $0.token == token } }

    func job(_ id: String, of token: String) -> StandInJob? { jobs.first { $0.id == id && $0.token == token } }

    func hasUnfinishedJob(of token: String) -> Bool {
        jobs.contains { $0.token == token && $0.status != "completed" && $0.status != "failed" }
    }

    /// Whether the key has more than `count` jobs and none of them is unfinished.
    func isIdle(_ token: String, afterMoreJobsThan count: Int) -> Bool {
        jobs(of: token).count > count && !hasUnfinishedJob(of: token)
    }

    func addRunningJob(token: String) -> String {
        let id = "imports:jobs:NX-standin:" + UUID().uuidString.lowercased()
        jobs.append(
            StandInJob(
                id: id, token: token, filename: "someone-else.csv", fileSize: 1, status: "processing", start: Date()))
        return id
    }

    func forgetJobs() { jobs.removeAll() }

    /// Completed jobs added as a history, per key, as the JSON elements of the list (no brackets).
    var history: [String: [UInt8]] = [:]

    func addCompletedJobs(_ count: Int, token: String) {
        let now = Date()
        let jobs = (0..<count).map { k in
            StandInJob(
                id: "imports:jobs:NX-standin:history-\(k)", token: token, filename: "history-\(k).ndjson",
                fileSize: 1000 + k, status: "completed", start: now, end: now, totalRows: 10, completedRows: 10)
        }
        let data = (try? JSONSerialization.data(withJSONObject: jobs.map { $0.json(detail: false) })) ?? Data("[]".utf8)
        var elements = history[token] ?? []
        if !elements.isEmpty && data.count > 2 { elements.append(UInt8(ascii: ",")) }
        elements.append(contentsOf: data.dropFirst().dropLast())
        history[token] = elements
    }

    /// Makes the job unless another job of the key is unfinished, in one step.
    func createJobIfIdle(token: String, filename: String, bytes: [UInt8]) -> StandInJob? {
        guard !hasUnfinishedJob(of: token) else { return nil }
        let forcedFailure = takeFault(\.failingJobs)
        return createJob(token: token, filename: filename, bytes: bytes, forcedFailure: forcedFailure)
    }

    func finish(_ id: String) {
        guard let index = jobs.firstIndex(where: { $0.id == id }) else { return }
        jobs[index].status = "completed"
        jobs[index].end = Date()
    }

    /// Makes a queued job and moves it along in the background; the file is checked by import-prep's
    /// validator, and its first error becomes the failure text.
    func createJob(token: String, filename: String, bytes: [UInt8], forcedFailure: Bool) -> StandInJob {
        let id = "imports:jobs:NX-standin:" + UUID().uuidString.lowercased()
        let job = StandInJob(
            id: id, token: token, filename: filename, fileSize: bytes.count, status: "queued", start: Date())
        jobs.append(job)
        let verdict = Self.judge(bytes, filename: filename)
        let sha = FileDigest.sha256(bytes)
        let failed = forcedFailure || verdict.failure != nil
        uploads.append(
            ReceivedUpload(jobID: id, filename: filename, sha256: sha, records: verdict.records, imported: !failed))
        let step = stepSeconds
        if takeFault(\.stuckJobs) { return job }
        let odd = takeFault(\.oddStatusJobs)
        Task {
            if odd {
                try? await Task.sleep(nanoseconds: UInt64(step * 1e9))
                self.update(id) { $0.status = "cancelled" }
                return
            }
            for status in ["validating", "processing"] {
                try? await Task.sleep(nanoseconds: UInt64(step * 1e9))
                self.update(id) { $0.status = status }
            }
            try? await Task.sleep(nanoseconds: UInt64(step * 1e9))
            self.update(id) { job in
                job.end = Date()
                job.totalRows = verdict.records
                if forcedFailure {
                    job.status = "failed"
                    job.reasons = ["Internal error while processing the file, please try again"]
                } else if let failure = verdict.failure {
                    job.status = "failed"
                    job.reasons = [failure]
                    job.completedRows = 0
                } else {
                    job.status = "completed"
                    job.completedRows = verdict.records
                }
            }
        }
        return job
    }

    private func update(_ id: String, _ change: (inout StandInJob) -> Void) {
        guard let index = jobs.firstIndex(where: { $0.id == id }) else { return }
        change(&jobs[index])
    }

    /// Records in the file and, when one is invalid, the API-style failure text for the first.
    static func judge(_ bytes: [UInt8], filename: String) -> (records: Int, failure: String?) {
        var options = ValidationOptions()
        options.parallel = false
        options.maxErrors = 1
        options.format = filename.lowercased().hasSuffix(".csv") ? .csv : .ndjson
        let validator = Validator(options: options)
        validator.validate(source: ByteSource(bytes: bytes, name: filename))
        validator.finish()
        let total = validator.total
        guard let first = validator.shownErrors.first else {
            return (total.records, total.readFailure.map { "Could not read the file: \($0)" })
        }
        let row = rowText(bytes, from: first.location.byteOffset)
        let text: String
        if first.code == .missingField, let field = first.field {
            text = "Required field `\(field)` not provided in the row: \(row)"
        } else if let field = first.field {
            text = "Invalid value for field `\(field)` (\(first.message)) in the row: \(row)"
        } else {
            text = "\(first.message) in the row: \(row)"
        }
        return (total.records, text)
    }

    /// The record starting at `offset`, shown as the API shows rows: an Elixir-style map.
    static func rowText(_ bytes: [UInt8], from offset: Int) -> String {
        guard offset >= 0, offset < bytes.count else { return "%{}" }
        let end = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        let line = Array(bytes[offset..<end])
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) else {
            return String(decoding: line.prefix(500), as: UTF8.self)
        }
        return elixir(object)
    }

    static func elixir(_ value: Any) -> String {
        switch value {
        case let object as [String: Any]:
            return "%{" + object.keys.sorted().map { "\"\($0)\" => \(elixir(object[$0]!))" }.joined(separator: ", ")
                + "}"
        case let array as [Any]: return "[" + array.map(elixir).joined(separator: ", ") + "]"
        case let text as String:
            return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        case let number as NSNumber:
            return number.stringValue
        default: return "nil"
        }
    }
}

/// The boundary parameter of a `multipart/form-data` content type.
func multipartBoundary(_ contentType: String) -> String? {
    guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
    for parameter in contentType.split(separator: ";").dropFirst() {
        let pair = parameter.trimmingCharacters(in: .whitespaces)
        if pair.lowercased().hasPrefix("boundary=") {
            let value = pair.dropFirst("boundary=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return value.isEmpty ? nil : value
        }
    }
    return nil
}

/// The part named `file` of a multipart body: its file name and bytes.
func filePart(_ body: [UInt8], boundary: [UInt8]) -> (filename: String, bytes: [UInt8])? {
    let delimiter = Array("--".utf8) + boundary
    var position = 0
    while let start = find(delimiter, in: body, from: position) {
        var cursor = start + delimiter.count
        if body[cursor...].starts(with: Array("--".utf8)) { return nil }
        guard let headersEnd = find(Array("\r\n\r\n".utf8), in: body, from: cursor) else { return nil }
        let headers = String(decoding: body[cursor..<headersEnd], as: UTF8.self)
        cursor = headersEnd + 4
        guard let next = find(Array("\r\n".utf8) + delimiter, in: body, from: cursor) else { return nil }
        if headers.contains("name=\"file\"") {
            var filename = "upload"
            if let range = headers.range(of: "filename=\"") {
                let rest = headers[range.upperBound...]
                filename = String(rest.prefix { $0 != "\"" })
            }
            return (filename, Array(body[cursor..<next]))
        }
        position = next + 2
    }
    return nil
}

private func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
    guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
    let first = needle[0]
    var i = start
    let last = haystack.count - needle.count
    while i <= last {
        if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        i += 1
    }
    return nil
}
