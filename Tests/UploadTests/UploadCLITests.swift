import Foundation
import ImportAPI
import ImportAPIStandIn
import ImportPrepTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The built binary's `upload` and `jobs` against the stand-in on loopback.
@Suite(.timeLimit(.minutes(5))) struct UploadCLITests {
    static let fast = ["--retry-delay", "0.01", "--poll-interval", "0.05"]

    /// When the test kills the upload with SIGKILL.
    enum KillMoment: String, CaseIterable, Sendable {
        /// As soon as the first POST reaches the stand-in (its body may still be on the way).
        case firstRequestArrives
        /// As soon as the stand-in has made the first job: the answer is most likely still on its
        /// way, so the journal says `submitting`.
        case firstJobMade
        /// After three jobs were made, in the middle of the run.
        case thirdJobMade
    }

    /// kill -9, then a rerun: no chunk imported twice, every row accounted for.
    @Test(arguments: KillMoment.allCases)
    func killedDuringAnUploadThenRerunImportsEveryChunkOnce(moment: KillMoment) async throws {
        let server = try await RunningStandIn.start { $0.stepSeconds = 0.05 }
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 120, maxRows: 20, in: folder)
        let environment = ["USERPILOT_API_KEY": RunningStandIn.key]
        let arguments = ["upload", "--endpoint", server.url] + Self.fast + [directory]

        let killed = try await ImportPrepBinary.runAsync(arguments, environment: environment) { process in
            while process.isRunning {
                let reached: Bool
                switch moment {
                case .firstRequestArrives:
                    reached = await server.standIn.requestLog().contains { $0.hasPrefix("POST") }
                case .firstJobMade: reached = await server.standIn.uploads().count >= 1
                case .thirdJobMade: reached = await server.standIn.uploads().count >= 3
                }
                if reached { break }
                try? await Task.sleep(nanoseconds: 1_000_000)
            }
            process.signal(SIGKILL)
        }
        #expect(killed.signalled)
        #expect(await server.standIn.uploads().count < 6)

        let rerun = try await ImportPrepBinary.runAsync(arguments, environment: environment)
        let uploads = await server.standIn.uploads()
        await server.stop()
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(uploads.count == 6)
        #expect(Set(uploads.map(\.sha256)).count == 6)
        #expect(rerun.stdout.contains("120 of 120 records accounted for in 6 of 6 chunks: every row landed."))
    }

    /// The chunk is streamed from disk: a chunk 40× larger does not make the upload's peak
    /// memory grow by more than a few buffers.
    @Test func uploadMemoryDoesNotGrowWithTheChunk() async throws {
        let server = try await RunningStandIn.start()
        let folder = try ScratchFolder()
        let small = try chunkFolder(records: 5_000, maxRows: 1_000_000, in: folder, name: "small")
        let large = try chunkFolder(records: 200_000, maxRows: 1_000_000, in: folder, name: "large", seed: 2)
        let environment = ["USERPILOT_API_KEY": RunningStandIn.key]
        let smallRun = try await ImportPrepBinary.runAsync(
            ["upload", "--endpoint", server.url] + Self.fast + [small], environment: environment)
        let largeRun = try await ImportPrepBinary.runAsync(
            ["upload", "--endpoint", server.url] + Self.fast + [large], environment: environment)
        let uploads = await server.standIn.uploads()
        await server.stop()
        #expect(smallRun.status == 0 && largeRun.status == 0)
        #expect(uploads.map(\.records) == [5_000, 200_000])
        let largeBytes = try UploadPlan.folder(large).totalBytes
        #expect(largeBytes > 25_000_000)
        #expect(largeRun.peakKiB - smallRun.peakKiB < 12 * 1024, "\(smallRun.peakKiB) KiB → \(largeRun.peakKiB) KiB")
    }

    /// A key with a long history: 20,000 jobs in the list, read before every POST, and once more
    /// at the end. The list is cut into its jobs without one tree of Foundation objects.
    @Test func aLongJobListKeepsMemoryBounded() async throws {
        let server = try await RunningStandIn.start()
        await server.standIn.addCompletedJobs(20_000, token: RunningStandIn.key)
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 100, maxRows: 100, in: folder)
        let run = try await ImportPrepBinary.runAsync(
            ["upload", "--endpoint", server.url] + Self.fast + [directory],
            environment: ["USERPILOT_API_KEY": RunningStandIn.key])
        let uploads = await server.standIn.uploads()
        await server.stop()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(uploads.count == 1)
        print("upload with 20,000 jobs in the list: peak \(run.peakKiB) KiB")
        #expect(run.peakKiB < 64 * 1024, "peak \(run.peakKiB) KiB")
    }

    @Test func aWrongKeyIsRefusedClearlyAndNeverEchoed() async throws {
        let server = try await RunningStandIn.start()
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 10, maxRows: 20, in: folder)
        let secret = "sk-wrong-91c2e7"
        let run = try await ImportPrepBinary.runAsync(
            ["upload", "--endpoint", server.url] + Self.fast + [directory], environment: ["USERPILOT_API_KEY": secret])
        await server.stop()
        #expect(run.status == 4)
        #expect(run.stderr.contains("HTTP 401"))
        #expect(run.stderr.contains("$USERPILOT_API_KEY"))
        let journal = (try? String(contentsOfFile: directory + "/upload-journal.ndjson", encoding: .utf8)) ?? ""
        for text in [run.stdout, run.stderr, journal] { #expect(!text.contains(secret)) }
    }

    @Test func theKeyComesFromAFileOrANamedVariableAndIsRequired() async throws {
        let server = try await RunningStandIn.start()
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 10, maxRows: 20, in: folder)
        let missing = try await ImportPrepBinary.runAsync(["upload", "--endpoint", server.url, directory])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("set $USERPILOT_API_KEY"))

        try Data((RunningStandIn.key + "\n").utf8).write(to: URL(fileURLWithPath: folder.path("key")))
        let fromFile = try await ImportPrepBinary.runAsync(
            ["upload", "--endpoint", server.url, "--token-file", folder.path("key")] + Self.fast + [directory])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        let named = try await ImportPrepBinary.runAsync(
            ["jobs", "--endpoint", server.url, "--token-env", "MY_KEY"], environment: ["MY_KEY": RunningStandIn.key])
        await server.stop()
        #expect(named.status == 0)
        #expect(named.stdout.contains("1 job(s)"))
    }

    @Test func plainHTTPIsRefusedExceptOnLoopback() async throws {
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 5, maxRows: 20, in: folder)
        let run = try await ImportPrepBinary.runAsync(
            ["upload", "--endpoint", "http://imports.example.com", directory], environment: ["USERPILOT_API_KEY": "k"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("must use https://"))
        #expect(throws: ImportEndpoint.Problem.self) { try ImportEndpoint("http://10.0.0.1:8080") }
        #expect(try ImportEndpoint("http://127.0.0.1:9/").base == "http://127.0.0.1:9")
        #expect(try ImportEndpoint("http://[::1]:9").base == "http://[::1]:9")
        #expect(try ImportEndpoint(region: "eu").base == "https://analytex-eu.userpilot.io")
        #expect(try ImportEndpoint(region: "us").jobs == "https://analytex.userpilot.io/v1/background_jobs")
    }

    @Test func dryRunPlansWithoutPosting() async throws {
        // Jobs last about a second, so that elapsed_time (whole seconds) gives a pace.
        let server = try await RunningStandIn.start { $0.stepSeconds = 0.25 }
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 50, maxRows: 20, in: folder)
        let environment = ["USERPILOT_API_KEY": RunningStandIn.key]
        // One chunk uploaded by an earlier run gives the pace for the estimate.
        let earlier = try chunkFolder(records: 20, maxRows: 20, in: folder, name: "earlier", seed: 2)
        _ = try await ImportPrepBinary.runAsync(
            ["upload", "--endpoint", server.url] + Self.fast + [earlier], environment: environment)
        let before = await server.standIn.requestLog().filter { $0.hasPrefix("POST") }.count

        let run = try await ImportPrepBinary.runAsync(
            ["upload", "--dry-run", "--endpoint", server.url, directory], environment: environment)
        let posts = await server.standIn.requestLog().filter { $0.hasPrefix("POST") }.count
        await server.stop()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(posts == before)
        #expect(run.stdout.contains("3 chunks"))
        #expect(run.stdout.contains("3 jobs to submit"))
        #expect(run.stdout.contains("ETA: about"))
        #expect(run.stdout.contains("part-00003.ndjson"))
    }

    @Test func jobsShowsTheListAndOneJobAsTableOrJSON() async throws {
        let server = try await RunningStandIn.start()
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: 40, maxRows: 20, in: folder)
        let environment = ["USERPILOT_API_KEY": RunningStandIn.key]
        _ = try await ImportPrepBinary.runAsync(
            ["upload", "--endpoint", server.url] + Self.fast + [directory], environment: environment)
        let ids = await server.standIn.uploads().map(\.jobID)

        let table = try await ImportPrepBinary.runAsync(["jobs", "--endpoint", server.url], environment: environment)
        let json = try await ImportPrepBinary.runAsync(
            ["jobs", "--json", "--endpoint", server.url], environment: environment)
        let one = try await ImportPrepBinary.runAsync(
            ["jobs", "--endpoint", server.url, ids[1]], environment: environment)
        let oneJSON = try await ImportPrepBinary.runAsync(
            ["jobs", "--json", "--endpoint", server.url, ids[0]], environment: environment)
        await server.stop()
        #expect(table.status == 0)
        #expect(ids.allSatisfy { table.stdout.contains($0) })
        #expect(table.stdout.contains("2 job(s)"))
        let list = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(list.map { $0["job_id"] as? String } == ids)
        #expect(list.allSatisfy { $0["status"] as? String == "completed" && $0["total_rows"] as? Int == 20 })
        #expect(one.stdout.contains("job_id: \(ids[1])\nstatus: completed\n"))
        #expect(one.stdout.contains("completed_rows: 20"))
        let detail = try #require(try JSONSerialization.jsonObject(with: Data(oneJSON.stdout.utf8)) as? [String: Any])
        #expect(detail["completed_rows"] as? Int == 20)
    }

    @Test func singleFilesAreValidatedCountedAndUploaded() async throws {
        let server = try await RunningStandIn.start()
        let folder = try ScratchFolder()
        let good = folder.path("events.ndjson")
        try Data(("\n" + String(decoding: generatedRecords(7), as: UTF8.self)).utf8).write(
            to: URL(fileURLWithPath: good))
        let bad = folder.path("bad.ndjson")
        try Data(#"{"event_type":"track","user_id":"u1","inserted_at":"2024-01-01T00:00:00Z"}"#.utf8 + [10])
            .write(to: URL(fileURLWithPath: bad))
        let environment = ["USERPILOT_API_KEY": RunningStandIn.key]

        let refused = try await ImportPrepBinary.runAsync(
            ["upload", "--endpoint", server.url, bad], environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("import-prep convert --out DIR"))
        #expect(refused.stderr.contains("bad.ndjson:1:"))

        let sent = try await ImportPrepBinary.runAsync(
            ["upload", "--endpoint", server.url] + Self.fast + [good], environment: environment)
        let uploads = await server.standIn.uploads()
        await server.stop()
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(uploads.count == 1)
        #expect(uploads.first?.records == 7)
        #expect(uploads.first?.filename.hasPrefix("events.") == true)
        #expect(FileManager.default.fileExists(atPath: folder.path("upload-journal.ndjson")))
    }
}
