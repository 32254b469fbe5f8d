import Foundation
import ImportPrepCore

/// Text and JSON renderings of upload results, plans and job lists.
public enum UploadReport {
    /// The reconciliation table: per chunk, the manifest's records against the rows the job reported.
    public static func reconciliation(_ result: UploadResult) -> String {
        var rows: [[String]] = [["chunk", "records", "job rows", "status", "verdict", "job"]]
        for outcome in result.outcomes {
            rows.append([
                outcome.chunk.name, String(outcome.chunk.records), outcome.rowsReported.map(String.init) ?? "-",
                outcome.status ?? "-", outcome.verdict.rawValue, outcome.jobID ?? "-",
            ])
        }
        var text = table(rows, rightAligned: [1, 2])
        let expected = result.recordsExpected
        let accounted = result.recordsAccounted
        text +=
            "\(accounted) of \(expected) records accounted for in \(result.outcomes.filter { $0.verdict == .accounted }.count) of \(result.outcomes.count) chunks"
        text += accounted == expected && result.exitStatus == .success ? ": every row landed.\n" : ".\n"
        for failure in result.failures {
            text += "\(failure.chunk.name): job \(failure.job.id) failed:\n"
            if failure.locations.isEmpty { text += "  (the API gave no reason)\n" }
            for location in failure.locations { text += "  \(location)\n" }
        }
        for outcome in result.outcomes where outcome.verdict == .mismatch {
            text +=
                "\(outcome.chunk.name): the manifest has \(outcome.chunk.records) records, job \(outcome.jobID ?? "?") reported \(outcome.rowsReported.map(String.init) ?? "no row count").\n"
        }
        for duplicate in result.duplicates {
            text +=
                "\(duplicate.chunk.name): imported twice: jobs \(duplicate.jobIDs.joined(separator: ", ")) "
                + "each hold \(duplicate.chunk.uploadName), so its \(duplicate.chunk.records) rows are in Userpilot "
                + "\(duplicate.jobIDs.count) times (a POST that timed out after the API made its job was sent again).\n"
        }
        for outcome in result.outcomes where outcome.verdict == .inFlight {
            text +=
                "\(outcome.chunk.name): job \(outcome.jobID ?? "?") was still running when the run stopped; a rerun follows it.\n"
        }
        return text
    }

    /// The `--dry-run` plan: what would be sent, what is already done, and an estimate of the time.
    public static func plan(_ plan: UploadPlan, journal: UploadJournal?, history: [ImportJob], force: Bool) -> String {
        var rows: [[String]] = [["chunk", "bytes", "records", "journal", "upload as"]]
        var pendingBytes = 0
        var pendingChunks = 0
        for chunk in plan.chunks {
            let state = force ? nil : journal?.state(of: chunk.sha256)
            let sentBefore = force ? nil : history.first { $0.filename == chunk.uploadName && $0.status != .failed }
            let note: String
            var willSubmit = false
            switch (state?.phase, sentBefore) {
            case (.completed?, _): note = "completed (skip)"
            case (.failed?, _): note = "failed (stops the run; --force resubmits)"
            case (.submitted?, _): note = "in flight: resume polling \(state?.jobID ?? "")"
            case (_, let job?): note = "already in the API's list as \(job.id) (adopt)"
            case (.submitting?, nil), (.waiting?, nil):
                note = "interrupted during upload: check the job list, then submit"
                willSubmit = true
            case (nil, nil):
                note = "submit"
                willSubmit = true
            }
            if willSubmit {
                pendingBytes += chunk.bytes
                pendingChunks += 1
            }
            rows.append([chunk.name, String(chunk.bytes), String(chunk.records), note, chunk.uploadName])
        }
        var text = table(rows, rightAligned: [1, 2])
        text +=
            "\(plan.chunks.count) chunks, \(ReportRenderer.byteCount(plan.totalBytes)), \(plan.totalRecords) records; \(pendingChunks) jobs to submit (\(ReportRenderer.byteCount(pendingBytes))), one at a time.\n"
        if let rate = bytesPerSecond(history: history, journal: journal) {
            text +=
                "ETA: about \(duration(Double(pendingBytes) / rate)) at \(Int(rate)) bytes/s, the pace of earlier jobs.\n"
        } else {
            text += "ETA: unknown (no earlier completed job with a size and an elapsed time to go by).\n"
        }
        text += "Journal: \(plan.journalPath)\n"
        return text
    }

    /// Import pace from completed jobs that give both `file_size` and `elapsed_time`.
    static func bytesPerSecond(history: [ImportJob], journal: UploadJournal?) -> Double? {
        var bytes = 0.0
        var seconds = 0.0
        for job in history where job.status == .completed {
            if let size = job.fileSize, let elapsed = job.elapsedSeconds, elapsed > 0 {
                bytes += Double(size)
                seconds += elapsed
            }
        }
        if seconds == 0, let journal {
            for state in journal.states.values where state.phase == .completed {
                if let size = state.bytes, let elapsed = state.elapsedSeconds, elapsed > 0 {
                    bytes += Double(size)
                    seconds += elapsed
                }
            }
        }
        return seconds > 0 && bytes > 0 ? bytes / seconds : nil
    }

    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60) s" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }

    /// `import-prep jobs`: one line per job.
    public static func jobsTable(_ jobs: [ImportJob]) -> String {
        var rows: [[String]] = [["job_id", "status", "filename", "rows", "started", "elapsed"]]
        for job in jobs {
            rows.append([
                job.id, job.status.description, job.filename ?? "-",
                (job.completedRows ?? job.totalRows).map(String.init) ?? "-", job.startTime ?? "-",
                job.elapsedSeconds.map { duration($0) } ?? "-",
            ])
        }
        return table(rows, rightAligned: [3]) + "\(jobs.count) job(s)\n"
    }

    /// `import-prep jobs JOB_ID`: every documented field, one per line.
    public static func jobDetail(_ job: ImportJob) -> String {
        var text = "job_id: \(job.id)\nstatus: \(job.status)\n"
        if let value = job.type { text += "type: \(value)\n" }
        if let value = job.filename { text += "filename: \(value)\n" }
        if let value = job.fileSize { text += "file_size: \(value)\n" }
        if let value = job.startTime { text += "start_time: \(value)\n" }
        if let value = job.endTime { text += "end_time: \(value)\n" }
        if let value = job.elapsedSeconds { text += "elapsed_time: \(value)\n" }
        if let value = job.totalRows { text += "total_rows: \(value)\n" }
        if let value = job.completedRows { text += "completed_rows: \(value)\n" }
        for reason in job.reasonForFailure { text += "reason_for_failure: \(reason)\n" }
        return text
    }

    public static func json(_ job: ImportJob) -> [String: Any] {
        var object: [String: Any] = ["job_id": job.id, "status": job.status.description]
        object["type"] = job.type
        object["filename"] = job.filename
        object["file_size"] = job.fileSize
        object["start_time"] = job.startTime
        object["end_time"] = job.endTime
        object["elapsed_time"] = job.elapsedSeconds
        object["total_rows"] = job.totalRows
        object["completed_rows"] = job.completedRows
        if job.status == .failed { object["reason_for_failure"] = job.reasonForFailure }
        return object
    }

    public static func json(_ value: Any) -> String {
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: value, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        else { return "null\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func table(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        guard let header = rows.first else { return "" }
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var text = ""
        for row in rows {
            let cells = row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }
            var line = cells.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            text += line + "\n"
        }
        return text
    }
}
