import Foundation
import ImportAPIStandIn
import ImportPrepCore
import ImportPrepTestSupport
import Testing

@testable import ImportAPI

/// The uploader against the stand-in on loopback: one job at a time, the journal, faults.
@Suite(.timeLimit(.minutes(5))) struct UploadTests {
    @Test func manyChunksAllLandOnceInOrder() async throws {
        let server = try await RunningStandIn.start()
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 300, maxRows: 20, in: folder)
        let result = try await upload(directory, to: server)
        await server.stop()

        #expect(result.exitStatus == .success)
        #expect(result.outcomes.count == 15)
        #expect(result.outcomes.allSatisfy { $0.verdict == .accounted })
        #expect(result.recordsAccounted == 300)
        let plan = try UploadPlan.folder(directory)
        let uploads = await server.standIn.uploads()
        #expect(uploads.map(\.sha256) == plan.chunks.map(\.sha256))
        #expect(uploads.map(\.records) == Array(repeating: 20, count: 15))
        #expect(uploads.map(\.filename) == plan.chunks.map(\.uploadName))
        #expect(await server.standIn.requestLog().filter { $0.hasSuffix(" 409") }.isEmpty)
        let lines = journalLines(plan.journalPath)
        #expect(lines.filter { $0["phase"] as? String == "completed" }.count == 15)
        #expect(lines.allSatisfy { ($0["sha256"] as? String)?.count == 64 })
    }

    @Test func aRerunSkipsWhatCompletedAndSendsNothing() async throws {
        let server = try await RunningStandIn.start()
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 60, maxRows: 25, in: folder)
        let first = try await upload(directory, to: server)
        let events = EventLog()
        let second = try await upload(directory, to: server, events: events)
        await server.stop()

        #expect(first.exitStatus == .success)
        #expect(second.exitStatus == .success)
        #expect(second.recordsAccounted == 60)
        #expect(await server.standIn.uploads().count == 3)
        let skipped = events.all.filter { if case .skipped = $0 { true } else { false } }
        #expect(skipped.count == 3)
    }

    /// --force sends every chunk again; the reconciliation then finds each imported twice (exit 5).
    @Test func forceSubmitsAgainAndTheDuplicatesAreReported() async throws {
        let server = try await RunningStandIn.start()
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 30, maxRows: 20, in: folder)
        _ = try await upload(directory, to: server)
        let again = try await upload(directory, to: server, options: fastOptions { $0.force = true })
        await server.stop()
        #expect(again.exitStatus == .importFailed)
        #expect(again.duplicates.map { $0.jobIDs.count } == [2, 2])
        #expect(UploadReport.reconciliation(again).contains("part-00001.ndjson: imported twice"))
        #expect(await server.standIn.uploads().count == 4)
    }

    @Test func waitsWhileAnotherJobOfTheKeyRuns() async throws {
        let server = try await RunningStandIn.start()
        let other = await server.standIn.addRunningJob(token: RunningStandIn.key)
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 10, maxRows: 100, in: folder)
        let events = EventLog()
        let running = Task { try await upload(directory, to: server, events: events) }
        // Let the uploader look at the job list a few times before the other job ends.
        while await server.standIn.requestLog().filter({ $0.contains("GET") }).count < 3 {
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        #expect(await server.standIn.uploads().isEmpty)
        await server.standIn.finishJob(other)
        let result = try await running.value
        await server.stop()

        #expect(result.exitStatus == .success)
        #expect(await server.standIn.uploads().count == 1)
        #expect(events.all.contains { if case .waiting(let job) = $0 { job.id == other } else { false } })
    }

    @Test func conflictMeansWaitAndRetry() async throws {
        let run = try await FaultRun.run { $0.conflicts = 3 }
        #expect(run.result.exitStatus == .success)
        #expect(run.logLines { $0.hasSuffix(" 409") } == 3)
        #expect(run.uploads.count == 2)
    }

    @Test func serverErrorsAndRateLimitsAreRetried() async throws {
        let run = try await FaultRun.run {
            $0.serverErrors = 3
            $0.rateLimits = 2
        }
        #expect(run.result.exitStatus == .success)
        #expect(run.uploads.count == 2)
        #expect(run.count(isRetry) == 5)
    }

    @Test func connectionsDroppedMidUploadAreRetried() async throws {
        let run = try await FaultRun.run { $0.dropsDuringUpload = 2 }
        #expect(run.result.exitStatus == .success)
        #expect(run.logLines { $0.contains("dropped during upload") } == 2)
        #expect(run.uploads.count == 2)
    }

    /// The API made the job but the answer never arrived: the uploader finds the job in the list
    /// (by the upload name, which carries the sha256) instead of sending the chunk a second time.
    @Test func aJobMadeBeforeTheConnectionDroppedIsAdoptedNotResent() async throws {
        let run = try await FaultRun.run { $0.dropsAfterAccepting = 1 }
        #expect(run.result.exitStatus == .success)
        #expect(run.uploads.count == 2)
        #expect(Set(run.uploads.map(\.sha256)).count == 2)
        #expect(run.count(isAdoption) == 1)
    }

    /// Answers slower than the read time-out: every slow call is retried, and the POST whose
    /// answer came too late (its job was made) is adopted, not sent again.
    @Test func slowAnswersTimeOutAndAreRetriedWithoutResending() async throws {
        // The first job-list answer and the first POST's answer come after the time-out. On a
        // machine that stalls for a minute every call may time out for a while: retries enough
        // to outlast it (each attempt takes at most the time-out and a 0.05 s pause).
        let run = try await FaultRun.run(readTimeout: 0.3, options: fastOptions { $0.retry.maxAttempts = 1000 }) {
            $0.slowResponses = 1
            $0.slowUploads = 1
            $0.delay = 1.0
        }
        #expect(run.result.exitStatus == .success)
        #expect(run.uploads.count == 2)
        #expect(Set(run.uploads.map(\.sha256)).count == 2)
        let timeOuts = run.count {
            if case .retrying(_, let error, _, _) = $0 { "\(error)".contains("time-out") } else { false }
        }
        // At least the two slow answers time out; on a busy machine a fast answer may too.
        #expect(timeOuts >= 2)
        #expect(run.count(isAdoption) >= 1)
    }

    @Test func retriesGiveUpWithExitFour() async throws {
        let run = try await FaultRun.run { $0.serverErrors = 1000 }
        #expect(run.result.exitStatus == .apiTrouble)
        #expect(run.result.trouble?.description.contains("503") == true)
        #expect(run.result.trouble?.description.contains("gave up after 6 attempts") == true)
        #expect(run.result.outcomes.map(\.verdict) == [.notSent, .notSent])
        #expect(run.uploads.isEmpty)
    }

    @Test func garbageAnswersEndWithExitFourAndSayWhy() async throws {
        let run = try await FaultRun.run(records: 10) { $0.garbage = 1000 }
        #expect(run.result.exitStatus == .apiTrouble)
        #expect(run.result.trouble?.description.contains("not the Import API's JSON") == true)
        #expect(run.result.trouble?.description.contains("<html>") == true)
    }

    @Test func aWrongKeyStopsAtOnceWithoutShowingIt() async throws {
        let secret = "wrong-secret-5d1e"
        let run = try await FaultRun.run(records: 10, key: secret) { _ in }
        #expect(run.result.exitStatus == .apiTrouble)
        let trouble = try #require(run.result.trouble)
        let refusedKey = if case .unauthorized(401, _)? = trouble.error { true } else { false }
        #expect(refusedKey, "the typed answer says the key was refused: \(String(describing: trouble.error))")
        #expect(trouble.description.contains("401"))
        #expect(!trouble.description.contains(secret))
        // One refused call stops the run (a call that timed out on a busy machine may be tried again).
        #expect(run.logLines { $0.hasSuffix(" 401") } >= 1)
        #expect(run.logLines { $0.hasPrefix("POST") } == 0)
        let journal = try String(contentsOfFile: run.directory + "/upload-journal.ndjson", encoding: .utf8)
        #expect(!journal.contains(secret))
    }

    @Test func aFailedJobStopsTheRunAndARerunDoesNotResendIt() async throws {
        let server = try await RunningStandIn.start()
        await server.setFaults { $0.failingJobs = 1 }
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 60, maxRows: 20, in: folder)
        let result = try await upload(directory, to: server)
        #expect(result.exitStatus == .importFailed)
        #expect(result.outcomes.map(\.verdict) == [.failed, .notSent, .notSent])
        #expect(result.failures.first?.locations.first?.reason.contains("Internal error") == true)

        let rerun = try await upload(directory, to: server)
        #expect(rerun.exitStatus == .importFailed)
        #expect(await server.standIn.uploads().count == 1)

        let onward = try await upload(directory, to: server, options: fastOptions { $0.continueOnFailure = true })
        await server.stop()
        #expect(onward.outcomes.map(\.verdict) == [.failed, .accounted, .accounted])
        #expect(onward.exitStatus == .importFailed)
        #expect(await server.standIn.uploads().count == 3)
    }

    /// A chunk the API finds invalid (here: altered after convert, manifest updated to match): the
    /// failure text names the row by its content; the uploader finds it and its source line.
    @Test func aFailureIsMappedBackToTheChunkRowAndSourceLine() async throws {
        let server = try await RunningStandIn.start()
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 40, maxRows: 20, in: folder)
        let chunkPath = directory + "/part-00002.ndjson"
        var lines = try String(contentsOfFile: chunkPath, encoding: .utf8).split(separator: "\n").map(String.init)
        // Row 6 of chunk 2 is record 26 of the source (line 26): an identify_company record.
        #expect(lines[5].contains("\"c25\""))
        lines[5] = lines[5].replacingOccurrences(of: "\"company_id\":\"c25\",", with: "")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: chunkPath))
        try rewriteManifestEntry(directory, chunk: "part-00002.ndjson")

        let result = try await upload(directory, to: server)
        await server.stop()
        #expect(result.exitStatus == .importFailed)
        #expect(result.outcomes.map(\.verdict) == [.accounted, .failed])
        let location = try #require(result.failures.first?.locations.first)
        #expect(location.reason.hasPrefix("Required field `company_id` not provided in the row: %{"))
        #expect(location.row == 6)
        #expect(location.source?.line == 26)
        #expect(location.source?.file.hasSuffix("source-1.ndjson") == true)
        #expect(UploadReport.reconciliation(result).contains("row 6 of the chunk (source "))
    }

    @Test func theOtherDocumentedJobPathIsUsedWhenTheFirstIsMissing() async throws {
        let server = try await RunningStandIn.start { $0.servesV1JobPath = false }
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 30, maxRows: 10, in: folder)
        let result = try await upload(directory, to: server)
        let log = await server.standIn.requestLog()
        await server.stop()
        #expect(result.exitStatus == .success)
        #expect(result.recordsAccounted == 30)
        #expect(log.contains { $0.hasPrefix("GET /api/background_jobs/") })
    }

    @Test func aChunkChangedAfterConvertIsNotSent() async throws {
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 30, maxRows: 20, in: folder)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/part-00001.ndjson"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\n".utf8))
        try handle.close()
        #expect {
            try UploadPlan.folder(directory)
        } throws: { error in
            (error as? PlanProblem)?.description.contains("does not match manifest.json") == true
        }
    }

    @Test func rowsTheJobDidNotReportAreNotAccounted() async throws {
        var chunk = UploadChunk(
            name: "part-00001.ndjson", path: "/dev/null", bytes: 0, records: 5,
            sha256: String(repeating: "a", count: 64))
        chunk.firstSource = nil
        var job = ImportJob(id: "j", status: .completed)
        job.totalRows = 4
        #expect(Uploader.outcome(chunk, job).verdict == .mismatch)
        job.completedRows = 5
        #expect(Uploader.outcome(chunk, job).verdict == .accounted)
        job.totalRows = nil
        job.completedRows = nil
        #expect(Uploader.outcome(chunk, job).verdict == .mismatch)
    }
}

/// Recomputes a chunk's bytes and sha256 in manifest.json (to simulate a server stricter than convert).
func rewriteManifestEntry(_ directory: String, chunk: String) throws {
    let manifestPath = directory + "/manifest.json"
    var manifest = try #require(
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as? [String: Any])
    var chunks = try #require(manifest["chunks"] as? [[String: Any]])
    let path = directory + "/" + chunk
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    let digest = try UploadPlan.digest(of: path)
    for i in chunks.indices where chunks[i]["file"] as? String == chunk {
        chunks[i]["bytes"] = bytes.count
        chunks[i]["sha256"] = digest.sha256
    }
    manifest["chunks"] = chunks
    try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: manifestPath))
}
