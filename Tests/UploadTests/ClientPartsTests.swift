import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportAPI

/// The parts of the client that need no server: reading the API's answers, the journal, retries,
/// finding a failed row.
@Suite struct ClientPartsTests {
    @Test func jobsAreReadFromDocumentedFieldsOnly() throws {
        let body = #"""
            {"job_id":"imports:jobs:NX-51f4acf7:f681","links":"x","filename":"a.ndjson","file_size":"1024",
             "status":"completed","start_time":"2024-01-01T00:00:00.000000","end_time":"","elapsed_time":12,
             "total_rows":"40","completed_rows":40,"brand_new_field":{"x":[1,2]}}
            """#
        let job = try #require(ImportJob.parse(job: Array(body.utf8)))
        #expect(job.id == "imports:jobs:NX-51f4acf7:f681")
        #expect(job.status == .completed)
        #expect(job.fileSize == 1024)
        #expect(job.totalRows == 40)
        #expect(job.completedRows == 40)
        #expect(job.elapsedSeconds == 12)
        #expect(job.rowsAccounted == 40)
    }

    @Test(arguments: [
        #"[{"job_id":"a","status":"queued"},{"job_id":"b","status":"pending_refresh"}]"#,
        #"{"data":[{"job_id":"a","status":"queued"},{"job_id":"b","status":"pending_refresh"}],"meta":{}}"#,
        #"{"jobs":[{"job_id":"a","status":"queued"},{"job_id":"b","status":"pending_refresh"}]}"#,
        #" [ {"job_id":"a","status":"queued","filename":"x,]}\"y[","x":[[1],{"b":[2]}]} ,"#
            + #"{"job_id":"b","status":"pending_refresh","reason_for_failure":["a,b","[c]"]} ] "#,
        #"{"meta":{"data":1},"results":[{"job_id":"a","status":"queued"},{"job_id":"b","status":"pending_refresh"}]}"#,
    ])
    func jobListsAreReadInEveryShape(body: String) throws {
        let jobs = try #require(ImportJob.parse(list: Array(body.utf8)))
        #expect(jobs.map(\.id) == ["a", "b"])
        #expect(jobs.map(\.status) == [.queued, .pendingRefresh])
        #expect(jobs.allSatisfy { !$0.status.isFinal })
    }

    @Test func emptyAndCutListsAreToldApart() {
        #expect(ImportJob.parse(list: Array(" [ ] ".utf8)) == [])
        #expect(ImportJob.parse(list: Array(#"[{"job_id":"a","status":"queued"}"#.utf8)) == nil)
        #expect(ImportJob.parse(list: Array(#"[{"job_id":"a","status":"queued"}] x"#.utf8)) == nil)
    }

    @Test func garbageIsNotAJob() {
        #expect(ImportJob.parse(job: Array("<html>".utf8)) == nil)
        #expect(ImportJob.parse(list: Array(#"{"status":"ok"}"#.utf8)) == nil)
        #expect(ImportJob.parse(job: Array(#"{"status":"queued"}"#.utf8)) == nil)
        #expect(JobStatus("archived") == .other("archived"))
        #expect(!JobStatus("archived").isFinal)
        #expect(JobStatus("FAILED").isFinal)
    }

    @Test func apiErrorBodiesBecomeOneLine() {
        let body = #"{"errors":[{"error":"unauthorized","error_code":"401","message":"Invalid API key","details":{}}]}"#
        #expect(apiErrorText(Array(body.utf8)) == "Invalid API key (401)")
        #expect(apiErrorText(Array("nope".utf8)) == nil)
    }

    @Test func retryDelaysGrowAreCappedAndHonourRetryAfter() {
        var policy = RetryPolicy()
        policy.baseDelay = 1
        policy.maxDelay = 10
        for attempt in 1...8 {
            let delay = policy.delay(afterAttempt: attempt)
            let full = min(10, Double(1 << (attempt - 1)))
            #expect(delay >= full * 0.5 && delay <= full)
        }
        #expect(policy.delay(afterAttempt: 1, retryAfter: 30) == 30)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 5000) == 600)
        var poll = PollPolicy()
        poll.maxInterval = 4
        #expect(poll.next(after: 1) == 1.5)
        #expect(poll.next(after: 3) == 4)
    }

    @Test func theJournalSurvivesATornLastLineAndIsLocked() throws {
        let folder = try ScratchFolder()
        let path = folder.path("upload-journal.ndjson")
        let chunk = UploadChunk(
            name: "part-00001.ndjson", path: "/dev/null", bytes: 10, records: 2,
            sha256: String(repeating: "b", count: 64))
        do {
            let journal = try UploadJournal(path: path)
            try journal.record(.submitting, chunk: chunk)
            var job = ImportJob(id: "j1", status: .queued)
            try journal.record(.submitted, chunk: chunk, job: job)
            job.status = .completed
            job.totalRows = 2
            #expect(throws: UploadJournal.Problem.self) { try UploadJournal(path: path) }
            try journal.record(.completed, chunk: chunk, job: job)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"phase":"subm"#.utf8))
        try handle.close()

        let reopened = try UploadJournal(path: path)
        #expect(reopened.unreadableLines == 1)
        let state = try #require(reopened.state(of: chunk.sha256))
        #expect(state.phase == .completed)
        #expect(state.jobID == "j1")
        #expect(state.totalRows == 2)
        #expect(reopened.knownJobIDs == ["j1"])
        try reopened.record(.submitting, chunk: chunk)
        #expect(journalLines(path).count == 4)
    }

    @Test func failureTextsNameRowsByNumberOrByContent() throws {
        #expect(FailureLocator.rowNumber(in: "Invalid timestamp at row 12") == 12)
        #expect(FailureLocator.rowNumber(in: "line: 7 is broken") == 7)
        #expect(FailureLocator.rowNumber(in: "Required field `user_id` not provided") == nil)
        let pairs = FailureLocator.rowPairs(
            in:
                #"Required field `user_id` not provided in the row: %{"event_name" => "clicked \"x\"", "event_type" => "track", "metadata" => %{"url" => "ignored"}}"#
        )
        #expect(pairs.map(\.0) == ["event_name", "event_type", "url"])
        #expect(pairs.first?.1 == #"clicked "x""#)

        let folder = try ScratchFolder()
        let path = folder.path("part-00001.ndjson")
        try Data(
            (#"{"event_type":"track","user_id":"a","event_name":"x"}"# + "\n\n"
                + #"{"event_type":"track","event_name":"clicked \"x\"","user_id":"b"}"# + "\n").utf8
        ).write(to: URL(fileURLWithPath: path))
        var chunk = UploadChunk(name: "part-00001.ndjson", path: path, bytes: 0, records: 2, sha256: "")
        chunk.firstSource = SourceLine(file: "in.csv", line: 10)
        chunk.lastSource = SourceLine(file: "in.csv", line: 11)
        let located = FailureLocator.locate(
            [
                #"Bad in the row: %{"event_name" => "clicked \"x\"", "event_type" => "track"}"#, "row 1 is odd",
                "no clue",
            ],
            in: chunk)
        #expect(located[0].row == 2)
        #expect(located[0].source == SourceLine(file: "in.csv", line: 11))
        #expect(located[1].source == SourceLine(file: "in.csv", line: 10))
        #expect(located[2].row == nil)
        #expect(located[2].description.contains("in.csv:10–11"))
    }

    /// A server that quotes the row as JSON instead of the documented `%{…}` map.
    @Test func aRowQuotedAsJSONIsFoundByItsContent() throws {
        let pairs = FailureLocator.rowPairs(
            in:
                #"Required field user_id not provided in the row {x}: {"event_name":"clicked \"x\"","event_type":"track","metadata":{"url":"ignored","n":{"a":"}"}},"inserted_at":"2024-01-01T00:00:00Z"} (1 error)"#
        )
        #expect(pairs.map(\.0) == ["event_name", "event_type", "inserted_at"])
        #expect(pairs.first?.1 == #"clicked "x""#)
        #expect(FailureLocator.rowPairs(in: "no row here {not json} {\"half\": ").isEmpty)

        let folder = try ScratchFolder()
        let path = folder.path("part-00001.ndjson")
        try Data(
            (#"{"event_type":"track","user_id":"a","event_name":"x"}"# + "\n"
                + #"{"event_type":"track","event_name":"y","inserted_at":"2024-01-01T00:00:00Z","company_id":7}"# + "\n")
                .utf8
        ).write(to: URL(fileURLWithPath: path))
        var chunk = UploadChunk(name: "part-00001.ndjson", path: path, bytes: 0, records: 2, sha256: "")
        chunk.firstSource = SourceLine(file: "in.ndjson", line: 40)
        chunk.lastSource = SourceLine(file: "in.ndjson", line: 41)
        let located = FailureLocator.locate(
            [#"Required field user_id not provided: {"event_type": "track", "event_name": "y", "company_id": 7}"#],
            in: chunk)
        #expect(located[0].row == 2)
        #expect(located[0].source == SourceLine(file: "in.ndjson", line: 41))
    }

    @Test func uploadNamesCarryTheDigest() {
        let chunk = UploadChunk(
            name: "part-00007.ndjson", path: "", bytes: 1, records: 1,
            sha256: "0123456789abcdef" + String(repeating: "0", count: 48))
        #expect(chunk.uploadName == "part-00007.0123456789ab.ndjson")
    }
}
