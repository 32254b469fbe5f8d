import Foundation
import ImportAPIStandIn
import ImportPrepCore
import ImportPrepTestSupport
import Testing

@testable import ImportAPI

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 17: upload against a harsher stand-in — keys that cannot be headers, 409 storms, two
/// runs at once, slow servers that make a job after the client gave up, `Retry-After` dates, an
/// unwritable journal, forgotten jobs, jobs that never end. No test depends on exact timing:
/// every wait is bounded, and counts come from the stand-in's own records.
@Suite(.timeLimit(.minutes(5))) struct UploadChaosTests {
    // MARK: 1. The key is never shown

    @Test func aKeyThatIsNotOneLineIsAUsageErrorAndNeverShown() async throws {
        let server = try await RunningStandIn.start()
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 10, maxRows: 10, in: folder)
        let keyFile = folder.path("key")
        try Data("\(RunningStandIn.key)\n# staging key\n".utf8).write(to: URL(fileURLWithPath: keyFile))
        chmod(keyFile, 0o600)
        for arguments in [
            ["jobs", "--endpoint", server.url, "--token-file", keyFile],
            ["upload", "--dry-run", "--endpoint", server.url, "--token-file", keyFile, directory],
            ["upload", "--endpoint", server.url, "--token-file", keyFile, directory],
        ] {
            let run = try await ImportPrepBinary.runAsync(arguments)
            #expect(run.status == 2, "\(arguments[0]): \(run.stderr)")
            #expect(run.stderr.contains(keyFile) && run.stderr.contains("not one line"), "\(run.stderr)")
            #expect(!run.stderr.contains(RunningStandIn.key) && !run.stdout.contains(RunningStandIn.key))
        }
        let variable = try await ImportPrepBinary.runAsync(
            ["jobs", "--endpoint", server.url], environment: ["USERPILOT_API_KEY": "abc\u{7}def"])
        #expect(variable.status == 2 && variable.stderr.contains("$USERPILOT_API_KEY"), "\(variable.stderr)")
        #expect(await server.standIn.requestLog().isEmpty, "nothing was sent")
        await server.stop()
    }

    @Test func aKeyFileOthersCanReadGetsAWarning() async throws {
        let server = try await RunningStandIn.start()
        let folder = try ScratchFolder()
        let keyFile = folder.path("key")
        try Data("\(RunningStandIn.key)\n".utf8).write(to: URL(fileURLWithPath: keyFile))
        chmod(keyFile, 0o644)
        let open = try await ImportPrepBinary.runAsync(["jobs", "--endpoint", server.url, "--token-file", keyFile])
        #expect(open.status == 0)
        #expect(open.stderr.contains("can be read by other users (mode 644)"), "\(open.stderr)")
        chmod(keyFile, 0o600)
        let closed = try await ImportPrepBinary.runAsync(["jobs", "--endpoint", server.url, "--token-file", keyFile])
        #expect(closed.status == 0 && !closed.stderr.contains("other users"), "\(closed.stderr)")
        await server.stop()
    }

    // MARK: 2. A 409 storm means wait

    @Test func aConflictStormMeansWaitJournaledOnceNotResent() async throws {
        let run = try await FaultRun.run(records: 40, maxRows: 20) { $0.conflicts = 40 }
        #expect(run.result.exitStatus == .success, "\(run.result.trouble?.description ?? "")")
        #expect(run.uploads.count == 2, "each chunk imported once")
        // Every 409 the client saw was waited out (a POST that timed out on a busy machine used up a
        // 409 without the client seeing it).
        let conflicts = run.count { if case .conflict = $0 { true } else { false } }
        #expect((1...40).contains(conflicts), "\(conflicts)")
        let lines = journalLines(run.directory + "/upload-journal.ndjson")
        for chunk in ["part-00001.ndjson", "part-00002.ndjson"] {
            let phases = lines.filter { $0["chunk"] as? String == chunk }.compactMap { $0["phase"] as? String }
            #expect(phases.filter { $0 == "submitting" }.count == 1, "\(chunk): \(phases)")
            #expect(phases.filter { $0 == "waiting" }.count <= 1, "\(chunk): \(phases)")
        }
        // A job list was read before every POST: one list read at least per POST.
        #expect(run.logLines { $0 == "GET /v1/background_jobs" } >= run.logLines { $0 == "POST /v1/imports" })
    }

    // MARK: 3. Two runs at once

    /// Two folders holding the same chunks, uploaded at once and with a staggered start: the
    /// stand-in's record of accepted files proves each chunk was imported once. Jobs take 1.5 s
    /// here, as real ones take minutes: longer than one run needs from reading the list to its POST.
    @Test(arguments: [0.0, 0.3])
    func twoRunsOfCopiesImportEachChunkOnce(stagger: Double) async throws {
        let server = try await RunningStandIn.start { $0.stepSeconds = 0.5 }
        let folder = try ScratchFolder()
        let first = try chunkFolder(records: 30, maxRows: 10, in: folder, name: "a")
        let second = try chunkFolder(records: 30, maxRows: 10, in: folder, name: "b")
        async let one = upload(first, to: server)
        async let two: UploadResult = {
            try await Task.sleep(nanoseconds: UInt64(stagger * 1e9))
            return try await upload(second, to: server)
        }()
        let results = try await [one, two]
        let imported = await server.standIn.uploads().filter(\.imported)
        await server.stop()
        #expect(results.map(\.exitStatus) == [.success, .success], "\(results.map { $0.trouble?.description ?? "" })")
        #expect(imported.count == 3)
        #expect(Set(imported.map(\.sha256)).count == 3, "a chunk was imported twice")
    }

    /// The lock is on the journal's folder: deleting the journal does not let a second run in.
    @Test func aDeletedJournalDoesNotReleaseTheLock() throws {
        let folder = try ScratchFolder()
        let path = folder.path("upload-journal.ndjson")
        let first = try UploadJournal(path: path)
        try FileManager.default.removeItem(atPath: path)
        #expect(throws: UploadJournal.Problem.self) { try UploadJournal(path: path) }
        _ = first
    }

    // MARK: 4. A slow server made a job after the client gave up

    @Test func aChunkImportedTwiceIsFoundAndReported() async throws {
        let server = try await RunningStandIn.start()
        // The first POST's job is made only after the client's second copy was made and ended.
        await server.setFaults {
            $0.slowBeforeCreating = 1
            $0.delay = 1.0
        }
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 10, maxRows: 10, in: folder)
        // Short time-outs, and retries enough to outlast a busy machine's stalls.
        let first = try await upload(
            directory, to: server, options: fastOptions { $0.retry.maxAttempts = 100 }, readTimeout: 0.5)
        #expect(first.trouble == nil)
        // Wait (bounded, past the stand-in's own hold limit) for the held job to be made.
        for _ in 0..<3000 where await server.standIn.uploads().count < 2 {
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(await server.standIn.uploads().count >= 2)
        let rerun = try await upload(directory, to: server)
        await server.stop()
        #expect(rerun.exitStatus == .importFailed)
        #expect(rerun.duplicates.count == 1 && (rerun.duplicates.first?.jobIDs.count ?? 0) >= 2)
        let table = UploadReport.reconciliation(rerun)
        #expect(table.contains("part-00001.ndjson: imported twice"), "\(table)")
        for id in rerun.duplicates.first?.jobIDs ?? [] { #expect(table.contains(id)) }
        #expect(!table.contains("every row landed"))
    }

    // MARK: 5. Retry-After as an HTTP date

    @Test func retryAfterIsReadInBothForms() {
        let now = Date(timeIntervalSince1970: 784_111_769)  // Sun, 06 Nov 1994 08:49:29 GMT
        #expect(ImportAPIClient.retryAfterSeconds("120", now: now) == 120)
        #expect(ImportAPIClient.retryAfterSeconds("Sun, 06 Nov 1994 08:49:37 GMT", now: now) == 8)
        #expect(ImportAPIClient.retryAfterSeconds("Sunday, 06-Nov-94 08:49:37 GMT", now: now) == 8)
        #expect(ImportAPIClient.retryAfterSeconds("Sun Nov  6 08:49:37 1994", now: now) == 8)
        #expect(ImportAPIClient.retryAfterSeconds("Sun, 06 Nov 1994 08:49:00 GMT", now: now) == 0)
        #expect(ImportAPIClient.retryAfterSeconds("soon", now: now) == nil)
    }

    @Test func aRetryAfterDateSetsTheDelay() async throws {
        // A generous read time-out: on a busy machine a slow answer must not be lost to a
        // time-out (its 429 would then never be seen).
        let run = try await FaultRun.run(records: 10, maxRows: 10, readTimeout: 120) {
            $0.rateLimitsWithDate = 1
            $0.retryAfterSeconds = 15
        }
        #expect(run.result.exitStatus == .success)
        let delays = run.events.compactMap { event -> Double? in
            if case .retrying(_, let error, _, let delay) = event, "\(error)".contains("429") { return delay }
            return nil
        }
        // The policy's own delays are at most 0.05 s here; only the header's date (14–15 s ahead
        // when it was sent, less however long the answer took on a busy machine) makes it longer.
        #expect(delays.count == 1 && delays[0] > 0.5, "\(delays)")
    }

    // MARK: 6 and 7. An unwritable journal; what the table shows after a stop

    @Test func anUnwritableJournalStopsWithExitThreeAndTheTableShowsTheJobInFlight() async throws {
        let server = try await RunningStandIn.start()
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 20, maxRows: 10, in: folder)
        let plan = try UploadPlan.folder(directory)
        let journal = try UploadJournal(path: plan.journalPath)
        let client = server.client()
        // The uploader calls its observer on its own task, between journal writes.
        nonisolated(unsafe) let breaking = journal
        let uploader = Uploader(client: client, journal: journal, options: fastOptions()) { event in
            if case .submitted = event { breaking.breakForTesting() }
        }
        let result = await uploader.run(plan)
        await client.shutdown()
        await server.stop()
        #expect(result.exitStatus == .ioFailure)
        #expect(result.journalFailure != nil)
        #expect(result.outcomes.map(\.verdict) == [.inFlight, .notSent])
        #expect(result.outcomes[0].jobID?.hasPrefix("imports:jobs:") == true)
        #expect(UploadReport.reconciliation(result).contains("in flight"))
    }

    @Test func aStopWhileFollowingShowsTheJobInFlight() async throws {
        let run = try await FaultRun.run(records: 20, maxRows: 10) { $0.jobStatusErrors = 1000 }
        #expect(run.result.exitStatus == .apiTrouble)
        #expect(run.result.outcomes.map(\.verdict) == [.inFlight, .notSent])
        #expect(run.result.outcomes[0].jobID != nil)
    }

    // MARK: 8. A job the API forgot

    @Test func aForgottenJobIsLookedUpAndResentOnlyWhenAsked() async throws {
        let server = try await RunningStandIn.start()
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 20, maxRows: 10, in: folder)
        await server.setFaults { $0.jobStatusErrors = 1000 }
        let stopped = try await upload(directory, to: server)
        #expect(stopped.outcomes.first?.verdict == .inFlight)
        await server.setFaults { $0.jobStatusErrors = 0 }
        await server.standIn.forgetJobs()

        let forgotten = try await upload(directory, to: server)
        #expect(forgotten.exitStatus == .apiTrouble)
        #expect(forgotten.trouble?.description.contains("no longer known to the API") == true)
        #expect(forgotten.trouble?.description.contains("--resend part-00001.ndjson") == true)
        #expect(await server.standIn.uploads().count == 1, "nothing sent again unasked")

        let resent = try await upload(directory, to: server, options: fastOptions { $0.resend = ["part-00001.ndjson"] })
        let uploads = await server.standIn.uploads()
        await server.stop()
        #expect(resent.exitStatus == .success, "\(resent.trouble?.description ?? "")")
        #expect(uploads.count == 3)
        #expect(uploads.filter { $0.filename.hasPrefix("part-00002") }.count == 1)
    }

    // MARK: 9. Time-outs follow the flags

    /// The connect time-out used to be a fixed 15 s whatever --timeout said: it is now the one
    /// `--timeout` (checked on the client's configuration, not by the clock).
    @Test func theConnectTimeOutFollowsTimeout() async throws {
        let timeouts = HTTPTimeouts(seconds: 2)
        #expect(timeouts.connect == 2 && timeouts.read == 2)
        let client = ImportAPIClient(
            endpoint: try ImportEndpoint("http://127.0.0.1:1"), token: APIToken(secret: "k", origin: "test"),
            timeouts: timeouts)
        #expect(client.timeouts.connect == 2)
        await #expect(throws: APIError.self) { _ = try await client.jobs() }
        await client.shutdown()
        let run = try await ImportPrepBinary.runAsync(
            ["jobs", "--endpoint", "http://127.0.0.1:1", "--timeout", "2"], environment: ["USERPILOT_API_KEY": "k"])
        #expect(run.status == 4, "\(run.stderr)")
        #expect(run.stderr.contains("network"), "\(run.stderr)")
    }

    // MARK: 10. Jobs that never end

    @Test(arguments: ["stuck", "odd"])
    func aJobThatNeverEndsIsReportedAndStopsAtTheJobTimeout(kind: String) async throws {
        let server = try await RunningStandIn.start()
        await server.setFaults {
            if kind == "stuck" { $0.stuckJobs = 1 } else { $0.oddStatusJobs = 1 }
        }
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 10, maxRows: 10, in: folder)
        let events = EventLog()
        let options = fastOptions {
            $0.jobTimeout = 0.5
            $0.reportWaitEvery = 0.1
        }
        let result = try await upload(directory, to: server, options: options, events: events)
        await server.stop()
        #expect(result.exitStatus == .apiTrouble)
        #expect(
            result.trouble?.description.contains(kind == "stuck" ? "still queued" : "still cancelled") == true,
            "\(result.trouble?.description ?? "")")
        #expect(events.all.contains { if case .stillWaiting = $0 { true } else { false } })
        let unknown = events.all.filter { if case .unknownStatus = $0 { true } else { false } }.count
        #expect(unknown == (kind == "odd" ? 1 : 0))
        #expect(result.outcomes.first?.verdict == .inFlight)
    }
}
