import ArgumentParser
import Foundation
import ImportAPI
import ImportPrepCore

/// Where the API is and which key to use; shared by `upload` and `jobs`.
struct APIOptions: ParsableArguments {
    @Option(help: "Import API base URL (https; plain http only for loopback).")
    var endpoint: String?

    @Option(help: "us (https://analytex.userpilot.io) or eu (https://analytex-eu.userpilot.io).")
    var region: String?

    @Option(help: ArgumentHelp("Environment variable holding the API key.", valueName: "var"))
    var tokenEnv = "USERPILOT_API_KEY"

    @Option(help: ArgumentHelp("File holding the API key (instead of the environment).", valueName: "file"))
    var tokenFile: String?

    @Option(help: "Seconds to wait for a connection or an answer before retrying.")
    var timeout = 120.0

    func validate() throws {
        if endpoint != nil && region != nil { throw ValidationError("Pass --endpoint or --region, not both.") }
        if let region, !["us", "eu"].contains(region.lowercased()) {
            throw ValidationError("--region takes us or eu.")
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be more than 0 seconds.") }
        do { _ = try resolvedEndpoint() } catch { throw ValidationError("\(error)") }
    }

    func resolvedEndpoint() throws -> ImportEndpoint {
        if let endpoint { return try ImportEndpoint(endpoint) }
        return try ImportEndpoint(region: region ?? "us")
    }

    func token() throws(APIToken.Problem) -> APIToken {
        if let tokenFile { return try APIToken.fromFile(tokenFile) }
        return try APIToken.fromEnvironment(tokenEnv)
    }

    /// A client of the API; `atMost` caps the time-outs (a dry run's one look at the job list).
    func client(atMost cap: Double = .infinity) throws -> ImportAPIClient {
        let token: APIToken
        do { token = try self.token() } catch {
            FileHandleOutput.standardError("import-prep: \(error)\n")
            throw ExitCode(.usage)
        }
        if let tokenFile, let warning = APIToken.filePermissionWarning(tokenFile) {
            FileHandleOutput.standardError("import-prep: warning: \(warning)\n")
        }
        return ImportAPIClient(
            endpoint: try resolvedEndpoint(), token: token, timeouts: HTTPTimeouts(seconds: min(timeout, cap)))
    }
}

struct Upload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a convert/split folder (or files) into Userpilot, one job at a time, resumably.",
        discussion: """
            Chunks are sent in manifest order as multipart uploads streamed from disk, one job at a time \
            (another running job of the key means wait). Every step is appended to upload-journal.ndjson \
            in DIR and fsynced: a rerun skips completed chunks, resumes polling a job in flight and never \
            submits a chunk twice (unless --force). At the end a table reconciles each chunk's records \
            with the rows its job reports.
            Exit status: 0 every row accounted for, 1 a FILE holds invalid records, 2 usage error, \
            3 a file could not be read or written, 4 network or server trouble retries did not cure \
            (or the key was refused), 5 an import job failed, rows are unaccounted for, or the job list \
            shows a chunk imported twice. A job the API forgot (404) is looked up by its upload name; \
            --resend CHUNK sends one chunk again.

            Examples:
              import-prep upload --dry-run upload
              import-prep upload --region eu upload
              import-prep upload --token-file key.txt --continue-on-failure upload
            The key comes from USERPILOT_API_KEY, or from --token-file.

            More: docs/upload.md.
            """
    )

    @OptionGroup var api: APIOptions

    @Flag(help: "Show the plan (chunks, bytes, jobs, ETA) and send nothing.")
    var dryRun = false

    @Flag(help: "After a failed job, go on with the next chunk.")
    var continueOnFailure = false

    @Flag(help: "Submit chunks the journal shows as already sent.")
    var force = false

    @Option(
        help: ArgumentHelp(
            "Submit this chunk again (repeatable), e.g. after the API forgot its job.", valueName: "chunk"))
    var resend: [String] = []

    @Option(help: "Hours to wait for one job to end (or for the key to be free) before stopping.")
    var jobTimeout = 24.0

    @Option(help: ArgumentHelp("Journal file (default: DIR/upload-journal.ndjson).", valueName: "file"))
    var journal: String?

    @Option(help: "Attempts of one call on 429/5xx/network errors before giving up.")
    var retries = 8

    @Option(help: "Seconds before the first retry (doubles each time, capped at 60, with jitter).")
    var retryDelay = 1.0

    @Option(help: "Longest pause in seconds between two status checks of a running job.")
    var pollInterval = 30.0

    @Argument(
        help: ArgumentHelp("A folder written by convert --out or split, or NDJSON/CSV files.", valueName: "dir|file"))
    var inputs: [String]

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("Name a chunk folder or files to upload.") }
        guard retries >= 1 else { throw ValidationError("--retries must be 1 or more.") }
        guard jobTimeout > 0 else { throw ValidationError("--job-timeout must be more than 0 hours.") }
        guard retryDelay >= 0, pollInterval > 0 else {
            throw ValidationError("--retry-delay must be 0 or more and --poll-interval more than 0.")
        }
        if inputs.count > 1 && inputs.contains(where: Self.isDirectory) {
            throw ValidationError("Upload one folder, or files; not both.")
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    func run() async throws {
        let plan: UploadPlan
        do {
            if inputs.count == 1, Self.isDirectory(inputs[0]) {
                plan = try UploadPlan.folder(inputs[0], journal: journal)
            } else {
                plan = try UploadPlan.files(inputs, journal: journal)
            }
        } catch {
            FileHandleOutput.standardError("import-prep: \(error)\n")
            throw ExitCode(error.exitStatus)
        }
        do {
            try OutputGuard.check(
                inputs: plan.chunks.map(\.path) + (plan.manifestPath.map { [$0] } ?? []),
                outputs: [NamedOutput(option: "--journal", path: plan.journalPath)])
        } catch {
            FileHandleOutput.standardError("import-prep: \(error)\n")
            throw ExitCode(.usage)
        }
        let openedJournal: UploadJournal
        do { openedJournal = try UploadJournal(path: plan.journalPath) } catch {
            FileHandleOutput.standardError("import-prep: \(error)\n")
            throw ExitCode(.ioFailure)
        }
        if dryRun { return try await showPlan(plan, journal: openedJournal) }

        let client = try api.client()
        var options = UploadOptions()
        options.force = force
        options.resend = Set(resend)
        if let unknown = resend.first(where: { name in !plan.chunks.contains { $0.name == name } }) {
            FileHandleOutput.standardError("import-prep: --resend \(unknown): no such chunk in this upload.\n")
            throw ExitCode(.usage)
        }
        options.jobTimeout = jobTimeout * 3600
        options.continueOnFailure = continueOnFailure
        options.retry.maxAttempts = retries
        options.retry.baseDelay = retryDelay
        options.poll.maxInterval = pollInterval
        options.poll.initial = min(1, pollInterval)
        let progress = UploadProgress(plan: plan)
        let uploader = Uploader(client: client, journal: openedJournal, options: options) { progress.show($0) }
        let result = await uploader.run(plan)
        await client.shutdown()
        progress.end()
        FileHandleOutput.standardOutput(UploadReport.reconciliation(result))
        if let failure = result.journalFailure {
            FileHandleOutput.standardError("import-prep: upload stopped: the journal cannot be written: \(failure)\n")
        }
        if let trouble = result.trouble {
            var message = "import-prep: upload stopped: \(trouble)"
            if case .unauthorized = trouble.error {
                message += " Check the key in \(api.tokenFile ?? "$" + api.tokenEnv)."
            }
            FileHandleOutput.standardError(message + "\n")
        }
        if result.exitStatus != .success { throw ExitCode(result.exitStatus) }
    }

    /// Everything but the POSTs: reads the job list (when a key is there) for chunks already sent
    /// and for the pace of earlier jobs.
    func showPlan(_ plan: UploadPlan, journal: UploadJournal) async throws {
        var history: [ImportJob] = []
        var hasKey = true
        do { _ = try api.token() } catch {
            guard case .missingVariable = error else {
                FileHandleOutput.standardError("import-prep: \(error)\n")
                throw ExitCode(.usage)
            }
            hasKey = false
        }
        if hasKey {
            // A plan is a look, not a wait: an unreachable API costs at most 10 seconds here.
            let client = try api.client(atMost: 10)
            do {
                history = try await client.jobs()
            } catch {
                FileHandleOutput.standardError(
                    "import-prep: could not read the job list (\(error)); planning from the journal only.\n")
            }
            await client.shutdown()
        } else {
            FileHandleOutput.standardError("import-prep: no API key: planning from the journal only.\n")
        }
        FileHandleOutput.standardOutput(UploadReport.plan(plan, journal: journal, history: history, force: force))
    }
}

struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the Import API's jobs for the key, or one job.",
        discussion: """
            Examples:
              import-prep jobs
              import-prep jobs --json imports:jobs:0123456789
            The key comes from USERPILOT_API_KEY, or from --token-file.

            Exit status: 0 shown, 2 usage error, 4 network or server trouble (or the key was refused).
            More: docs/upload.md.
            """
    )

    @OptionGroup var api: APIOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Argument(help: ArgumentHelp("A job id (imports:jobs:…).", valueName: "job-id"))
    var jobID: String?

    func run() async throws {
        let client = try api.client()
        do {
            if let jobID {
                let job = try await client.job(jobID)
                FileHandleOutput.standardOutput(
                    json ? UploadReport.json(UploadReport.json(job)) : UploadReport.jobDetail(job))
            } else {
                let jobs = try await client.jobs()
                FileHandleOutput.standardOutput(
                    json ? UploadReport.json(jobs.map { UploadReport.json($0) }) : UploadReport.jobsTable(jobs))
            }
            await client.shutdown()
        } catch {
            await client.shutdown()
            FileHandleOutput.standardError("import-prep: \(error)\n")
            throw ExitCode(.apiTrouble)
        }
    }
}

/// Progress on standard error: one line rewritten in place on a terminal, plain lines otherwise.
final class UploadProgress: @unchecked Sendable {
    let plan: UploadPlan
    let isTerminal = isatty(2) == 1
    let started = Date()
    private var bytesDone = 0
    /// Bytes of chunks completed by an earlier run: not left to do, and not part of this run's pace.
    private var bytesSkipped = 0
    private var lastDraw = Date.distantPast
    private let lock = NSLock()

    init(plan: UploadPlan) { self.plan = plan }

    func show(_ event: UploadEvent) {
        lock.lock()
        defer { lock.unlock() }
        let n = plan.chunks.count
        switch event {
        case .uploading(let index, let chunk, let sent):
            guard isTerminal, Date().timeIntervalSince(lastDraw) > 0.2 || sent == chunk.bytes else { return }
            lastDraw = Date()
            let sending = "sending \(size(sent)) of \(size(chunk.bytes))"
            draw("chunk \(index + 1)/\(n) \(chunk.name): \(sending)\(eta(extra: sent))")
        case .status(let index, let chunk, let job):
            draw(
                "chunk \(index + 1)/\(n) \(chunk.name): job \(job.status)\(eta(extra: chunk.bytes))", line: !isTerminal)
        case .submitted(let index, let chunk, let job):
            line("chunk \(index + 1)/\(n) \(chunk.name): submitted as \(job.id)")
        case .adopted(let index, let chunk, let job):
            line("chunk \(index + 1)/\(n) \(chunk.name): already sent as \(job.id) (\(job.status)); following it")
        case .skipped(let index, let chunk, _, let why):
            bytesSkipped += chunk.bytes
            line("chunk \(index + 1)/\(n) \(chunk.name): skipped, \(why)")
        case .waiting(let job):
            line("waiting: job \(job.id) of this key is \(job.status) (one job at a time)")
        case .conflict(let index, let chunk, let attempt, let delay):
            // Said on the first 409 and then at 2, 4, 8, … so that a long storm stays readable.
            guard attempt & (attempt - 1) == 0 else { return }
            line(
                "chunk \(index + 1)/\(n) \(chunk.name): another job holds the key (HTTP 409, \(attempt) time\(attempt == 1 ? "" : "s")); waiting \(String(format: "%.1f", delay)) s"
            )
        case .stillWaiting(let job, let seconds):
            line("still waiting: job \(job.id) is \(job.status) after \(UploadReport.duration(seconds))")
        case .unknownStatus(let index, let chunk, let job):
            line(
                "chunk \(index + 1)/\(n) \(chunk.name): job \(job.id) shows status \"\(job.status)\", which the API's docs do not list; waiting for completed or failed"
            )
        case .retrying(let what, let error, let attempt, let delay):
            line("retrying \(what) in \(String(format: "%.1f", delay)) s (attempt \(attempt + 1)): \(error)")
        case .finished(let index, let chunk, let job):
            bytesDone += chunk.bytes
            line(
                "chunk \(index + 1)/\(n) \(chunk.name): \(job.status), \(job.rowsAccounted.map(String.init) ?? "?") of \(chunk.records) rows\(eta(extra: 0))"
            )
        case .failed(let index, let chunk, let job, _):
            line("chunk \(index + 1)/\(n) \(chunk.name): job \(job.id) failed")
        }
    }

    func end() {
        if isTerminal { FileHandleOutput.standardError("\r\u{1B}[K") }
    }

    private func draw(_ text: String, line asLine: Bool = false) {
        if asLine { return line(text) }
        if isTerminal { FileHandleOutput.standardError("\r\u{1B}[K" + text) } else { line(text) }
    }

    private func line(_ text: String) {
        FileHandleOutput.standardError((isTerminal ? "\r\u{1B}[K" : "") + text + "\n")
    }

    private func size(_ bytes: Int) -> String { ReportRenderer.byteCount(bytes) }

    /// Remaining time at this run's pace so far.
    private func eta(extra: Int) -> String {
        let done = bytesDone + extra
        let elapsed = Date().timeIntervalSince(started)
        guard done > 0, elapsed > 1 else { return "" }
        let remaining = Double(plan.totalBytes - bytesSkipped - done) / (Double(done) / elapsed)
        return remaining > 0 ? " · ETA \(UploadReport.duration(remaining))" : ""
    }
}
