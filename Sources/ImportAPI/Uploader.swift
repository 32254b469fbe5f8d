import Foundation
import ImportPrepCore

/// Choices of one `upload` run.
public struct UploadOptions: Sendable {
    /// Submit chunks again even when the journal says they were submitted, completed or failed.
    public var force = false
    /// Chunks (by file name) to submit again whatever the journal says: after the API forgot a job.
    public var resend: Set<String> = []
    /// Go on with the next chunk after a failed job (the exit status is still 5).
    public var continueOnFailure = false
    public var retry = RetryPolicy()
    public var poll = PollPolicy()
    /// Longest wait for one job to end, or for the key to be free (`--job-timeout`).
    public var jobTimeout = 24 * 3600.0
    /// How often a long wait is reported.
    public var reportWaitEvery = 300.0

    public init() {}
}

/// Something the upload did, for progress output.
public enum UploadEvent: Sendable {
    case skipped(index: Int, chunk: UploadChunk, job: ImportJob?, why: String)
    case waiting(forJob: ImportJob)
    /// 409: another job holds the key although the list showed none; waiting `delay` seconds.
    case conflict(index: Int, chunk: UploadChunk, attempt: Int, delay: Double)
    case uploading(index: Int, chunk: UploadChunk, sentBytes: Int)
    case submitted(index: Int, chunk: UploadChunk, job: ImportJob)
    case adopted(index: Int, chunk: UploadChunk, job: ImportJob)
    case status(index: Int, chunk: UploadChunk, job: ImportJob)
    /// A job (or the key) has been busy for `seconds`; said every `reportWaitEvery` seconds.
    case stillWaiting(job: ImportJob, seconds: Double)
    /// A status the docs do not list; said once per job.
    case unknownStatus(index: Int, chunk: UploadChunk, job: ImportJob)
    case retrying(what: String, error: APIError, attempt: Int, delay: Double)
    case finished(index: Int, chunk: UploadChunk, job: ImportJob)
    case failed(index: Int, chunk: UploadChunk, job: ImportJob, locations: [FailureLocation])
}

/// How the run ended for one chunk, for the reconciliation table.
public struct ChunkOutcome: Equatable, Sendable {
    public enum Verdict: String, Sendable {
        /// The job completed and its row count equals the chunk's records.
        case accounted
        /// The job completed but reported another row count, or none.
        case mismatch
        case failed
        /// Submitted (the journal has its job), not final when the run stopped.
        case inFlight = "in flight"
        /// Not sent: the run stopped before this chunk.
        case notSent = "not sent"
    }

    public var chunk: UploadChunk
    public var jobID: String?
    public var status: String?
    public var rowsReported: Int?
    public var verdict: Verdict
}

/// A chunk the API's job list shows as imported by more than one completed job.
public struct DuplicateImport: Equatable, Sendable {
    public var chunk: UploadChunk
    public var jobIDs: [String]
}

/// Why an upload stopped early: what it was doing and, when the API answered, its typed answer
/// (a refused key can be told from a server that kept failing).
public struct UploadTrouble: Error, CustomStringConvertible, Sendable {
    /// What was being done and what went wrong, for the person at the terminal.
    public var trouble: String
    /// The API's answer, when the call ended in one.
    public var error: APIError?

    public var description: String { trouble }
}

/// The end of an upload: per-chunk outcomes, and why it stopped early if it did.
public struct UploadResult: Sendable {
    public var outcomes: [ChunkOutcome]
    /// Network or server trouble that retries did not cure, or a refused key.
    public var trouble: UploadTrouble?
    /// The journal could not be written (exit 3): the run stopped, as it could no longer keep
    /// its promise never to submit twice.
    public var journalFailure: String?
    public var failures: [(chunk: UploadChunk, job: ImportJob, locations: [FailureLocation])] = []
    /// Chunks imported more than once, found in the job list at the end.
    public var duplicates: [DuplicateImport] = []

    public var recordsExpected: Int { outcomes.reduce(0) { $0 + $1.chunk.records } }
    public var recordsAccounted: Int {
        outcomes.filter { $0.verdict == .accounted }.reduce(0) { $0 + $1.chunk.records }
    }

    /// Every row accounted for once; the journal failed; network or server trouble; a job failed,
    /// rows are missing or a chunk was imported twice.
    public var exitStatus: ExitStatus {
        if journalFailure != nil { return .ioFailure }
        if trouble != nil { return .apiTrouble }
        if duplicates.isEmpty && outcomes.allSatisfy({ $0.verdict == .accounted }) { return .success }
        return .importFailed
    }
}

/// Drives one chunk at a time through the Import API: waits while another job of the key runs,
/// submits, polls until the job is final, journals every step, and never submits a chunk the
/// journal (or the API's own job list) shows as already sent, unless forced.
public final class Uploader {
    let client: ImportAPIClient
    let journal: UploadJournal
    let options: UploadOptions
    let observe: @Sendable (UploadEvent) -> Void
    /// The API's job list as last read (only what `isRelevant` keeps), to recognise chunks sent by
    /// another run or by a POST whose answer was lost.
    private var knownJobs: [ImportJob]?
    /// Upload names of the plan being run: a key's long history holds thousands of other jobs,
    /// which are not kept.
    private var planNames: Set<String> = []

    /// A job that can hold one of this plan's chunks, or that keeps the key busy.
    private func isRelevant(_ job: ImportJob) -> Bool {
        !job.status.isFinal || planNames.contains(job.filename ?? "")
    }

    public init(
        client: ImportAPIClient, journal: UploadJournal, options: UploadOptions,
        observe: @escaping @Sendable (UploadEvent) -> Void = { _ in }
    ) {
        self.client = client
        self.journal = journal
        self.options = options
        self.observe = observe
    }

    public func run(_ plan: UploadPlan) async -> UploadResult {
        planNames = Set(plan.chunks.map(\.uploadName))
        var result = UploadResult(outcomes: [])
        var stopped = false
        for (index, chunk) in plan.chunks.enumerated() {
            if stopped {
                result.outcomes.append(journaledOutcome(chunk))
                continue
            }
            do {
                let (job, fresh) = try await bring(chunk, index: index)
                let outcome = Self.outcome(chunk, job)
                result.outcomes.append(outcome)
                if job.status == .failed {
                    let locations = FailureLocator.locate(job.reasonForFailure, in: chunk)
                    result.failures.append((chunk, job, locations))
                    observe(.failed(index: index, chunk: chunk, job: job, locations: locations))
                    if !options.continueOnFailure { stopped = true }
                } else if fresh {
                    observe(.finished(index: index, chunk: chunk, job: job))
                }
            } catch let problem as UploadJournal.Problem {
                result.journalFailure = problem.description
                result.outcomes.append(journaledOutcome(chunk))
                stopped = true
            } catch {
                result.trouble = error as? UploadTrouble ?? UploadTrouble(trouble: "\(error)")
                result.outcomes.append(journaledOutcome(chunk))
                stopped = true
            }
        }
        if result.trouble == nil && result.journalFailure == nil {
            do { result.duplicates = try await duplicates(plan) } catch {
                result.trouble = error as? UploadTrouble ?? UploadTrouble(trouble: "\(error)")
            }
        }
        return result
    }

    /// What the journal knows of a chunk the run did not bring to an end.
    func journaledOutcome(_ chunk: UploadChunk) -> ChunkOutcome {
        guard let state = journal.state(of: chunk.sha256) else { return ChunkOutcome(chunk: chunk, verdict: .notSent) }
        switch state.phase {
        case .completed:
            let verdict: ChunkOutcome.Verdict =
                (state.completedRows ?? state.totalRows) == chunk.records ? .accounted : .mismatch
            return ChunkOutcome(
                chunk: chunk, jobID: state.jobID, status: state.status,
                rowsReported: state.completedRows ?? state.totalRows, verdict: verdict)
        case .failed:
            return ChunkOutcome(chunk: chunk, jobID: state.jobID, status: state.status, verdict: .failed)
        case .submitted, .submitting, .waiting:
            guard let id = state.jobID else { return ChunkOutcome(chunk: chunk, verdict: .notSent) }
            return ChunkOutcome(chunk: chunk, jobID: id, status: state.status, verdict: .inFlight)
        }
    }

    /// Chunks of the plan that more than one job in the API's list imported or is importing (a
    /// POST that timed out after the server made its job, sent again): such rows are in Userpilot
    /// twice. Failed jobs imported nothing and do not count.
    private func duplicates(_ plan: UploadPlan) async throws -> [DuplicateImport] {
        let jobs = try await retrying("list jobs") { () async throws(APIError) in
            try await self.client.jobs(keeping: self.isRelevant)
        }
        return plan.chunks.compactMap { chunk in
            let ids = jobs.filter { $0.filename == chunk.uploadName && $0.status != .failed }.map(\.id)
            return ids.count > 1 ? DuplicateImport(chunk: chunk, jobIDs: ids) : nil
        }
    }

    static func outcome(_ chunk: UploadChunk, _ job: ImportJob) -> ChunkOutcome {
        let verdict: ChunkOutcome.Verdict =
            job.status == .failed ? .failed : job.rowsAccounted == chunk.records ? .accounted : .mismatch
        return ChunkOutcome(
            chunk: chunk, jobID: job.id, status: job.status.description, rowsReported: job.rowsAccounted,
            verdict: verdict)
    }

    /// Gets one chunk to a final job: from the journal, by adopting a job already in the API's
    /// list, or by submitting it.
    /// `fresh` is false when the journal already had the final state.
    private func bring(_ chunk: UploadChunk, index: Int) async throws -> (job: ImportJob, fresh: Bool) {
        let resend = options.force || options.resend.contains(chunk.name)
        if !resend, let state = journal.state(of: chunk.sha256) {
            switch state.phase {
            case .completed, .failed:
                var job = ImportJob(id: state.jobID ?? "?", status: JobStatus(state.status ?? state.phase.rawValue))
                job.totalRows = state.totalRows
                job.completedRows = state.completedRows
                job.reasonForFailure = state.reasons
                if state.phase == .completed {
                    observe(.skipped(index: index, chunk: chunk, job: job, why: "completed in an earlier run"))
                }
                return (job, false)
            case .submitted:
                if let id = state.jobID { return (try await follow(id, chunk: chunk, index: index), true) }
            case .submitting, .waiting:
                // The last run stopped during the POST: the API may have made the job.
                if let job = try await findSent(chunk, refresh: true) {
                    try journal.record(.submitted, chunk: chunk, job: job)
                    observe(.adopted(index: index, chunk: chunk, job: job))
                    return (try await follow(job.id, chunk: chunk, index: index), true)
                }
            }
        } else if !resend, let job = try await findSent(chunk, refresh: false) {
            try journal.record(.submitted, chunk: chunk, job: job)
            observe(.adopted(index: index, chunk: chunk, job: job))
            return (try await follow(job.id, chunk: chunk, index: index), true)
        }
        let job = try await submit(chunk, index: index, adopting: !resend)
        return (try await follow(job.id, chunk: chunk, index: index), true)
    }

    /// A job in the API's list that imported exactly this chunk (same upload name, which carries the
    /// sha256 prefix) and that the journal does not already give to another chunk.
    private func findSent(_ chunk: UploadChunk, refresh: Bool) async throws -> ImportJob? {
        if refresh || knownJobs == nil {
            knownJobs = try await retrying("list jobs") { () async throws(APIError) in
                try await self.client.jobs(keeping: self.isRelevant)
            }
        }
        return sent(chunk, in: knownJobs ?? [])
    }

    private func sent(_ chunk: UploadChunk, in jobs: [ImportJob]) -> ImportJob? {
        let matches = jobs.filter { $0.filename == chunk.uploadName && !journal.knownJobIDs.contains($0.id) }
        return matches.first { $0.status != .failed } ?? matches.last
    }

    /// Sends the chunk. Right before each POST the job list is read afresh (waiting while another
    /// job of the key runs) and the chunk's upload name looked up in it, so that a job another run
    /// or an earlier timed-out POST made is followed, not made again. A 409 means wait: backoff
    /// growing to its cap, with jitter, journaled once.
    private func submit(_ chunk: UploadChunk, index: Int, adopting: Bool) async throws -> ImportJob {
        var attempt = 0
        var conflicts = 0
        var journaled = false
        let started = Date()
        while true {
            try await waitWhileAnotherJobRuns()
            if adopting, let job = sent(chunk, in: knownJobs ?? []) {
                try journal.record(.submitted, chunk: chunk, job: job)
                observe(.adopted(index: index, chunk: chunk, job: job))
                return job
            }
            if !journaled {
                try journal.record(.submitting, chunk: chunk)
                journaled = true
            }
            do {
                observe(.uploading(index: index, chunk: chunk, sentBytes: 0))
                let observe = self.observe
                let job = try await client.submit(file: chunk.path, size: chunk.bytes, uploadName: chunk.uploadName) {
                    sent in observe(.uploading(index: index, chunk: chunk, sentBytes: sent))
                }
                try journal.record(.submitted, chunk: chunk, job: job)
                observe(.submitted(index: index, chunk: chunk, job: job))
                return job
            } catch APIError.conflict {
                conflicts += 1
                if conflicts == 1 { try journal.record(.waiting, chunk: chunk) }
                guard Date().timeIntervalSince(started) < options.jobTimeout else {
                    throw UploadTrouble(
                        trouble:
                            "uploading \(chunk.name): another job of this key kept it busy (HTTP 409) for \(Self.minutes(Date().timeIntervalSince(started))); stopped waiting (--job-timeout)",
                        error: .conflict)
                }
                let delay = options.retry.delay(afterAttempt: min(conflicts, 30))
                observe(.conflict(index: index, chunk: chunk, attempt: conflicts, delay: delay))
                await sleep(seconds: delay)
            } catch let error as APIError where error.isTransient {
                attempt += 1
                guard attempt < options.retry.maxAttempts else {
                    throw UploadTrouble(
                        trouble: "uploading \(chunk.name): \(error) (gave up after \(attempt) attempts)", error: error)
                }
                let delay = options.retry.delay(afterAttempt: attempt, retryAfter: Self.retryAfter(error))
                observe(.retrying(what: "upload of \(chunk.name)", error: error, attempt: attempt, delay: delay))
                await sleep(seconds: delay)
                // The request may have reached the API before the connection broke: the list read
                // before the next POST shows it.
            } catch let error as APIError {
                throw UploadTrouble(trouble: "uploading \(chunk.name): \(error)", error: error)
            }
        }
    }

    /// One job per key at a time: waits until the API lists no unfinished job (the list read last
    /// is kept in `knownJobs`).
    private func waitWhileAnotherJobRuns() async throws {
        var interval = options.poll.initial
        var lastShown: String?
        var wait = LongWait(options: options, observe: observe)
        while true {
            let jobs = try await retrying("list jobs") { () async throws(APIError) in
                try await self.client.jobs(keeping: self.isRelevant)
            }
            knownJobs = jobs
            guard let running = jobs.first(where: { !$0.status.isFinal }) else { return }
            let shown = running.id + running.status.description
            if shown != lastShown {
                observe(.waiting(forJob: running))
                lastShown = shown
            }
            try wait.check(running) { waited in
                "job \(running.id) of this key is still \(running.status) after \(Self.minutes(waited)); stopped waiting for the key to be free (--job-timeout)"
            }
            await sleep(seconds: interval)
            interval = options.poll.next(after: interval)
        }
    }

    /// Polls a job until it is completed or failed, journaling each change of status. A job the
    /// API no longer knows (404) is looked up by the chunk's upload name; a job that is not final
    /// after `jobTimeout` stops the run (a rerun goes on following it).
    private func follow(_ id: String, chunk: UploadChunk, index: Int) async throws -> ImportJob {
        var id = id
        var interval = options.poll.initial
        var lastStatus = journal.state(of: chunk.sha256)?.status
        var reportedUnknown = false
        var wait = LongWait(options: options, observe: observe)
        while true {
            let job: ImportJob
            do {
                job = try await retrying("status of job \(id)") { () async throws(APIError) in
                    try await self.client.job(id)
                }
            } catch let stop as UploadTrouble {
                guard case .refused(404, _)? = stop.error else { throw stop }
                let jobs = try await retrying("list jobs") { () async throws(APIError) in
                    try await self.client.jobs(keeping: self.isRelevant)
                }
                knownJobs = jobs
                guard let other = jobs.first(where: { $0.filename == chunk.uploadName && $0.id != id }) else {
                    throw UploadTrouble(
                        trouble:
                            "job \(id) of \(chunk.name) is no longer known to the API (HTTP 404), and no job in its list holds \(chunk.uploadName). If it was never imported, send it again with --resend \(chunk.name)",
                        error: stop.error)
                }
                try journal.record(.submitted, chunk: chunk, job: other)
                observe(.adopted(index: index, chunk: chunk, job: other))
                id = other.id
                continue
            }
            if job.status.isFinal {
                try journal.record(job.status == .completed ? .completed : .failed, chunk: chunk, job: job)
                return job
            }
            if case .other = job.status, !reportedUnknown {
                observe(.unknownStatus(index: index, chunk: chunk, job: job))
                reportedUnknown = true
            }
            if job.status.description != lastStatus {
                try journal.record(.submitted, chunk: chunk, job: job)
                observe(.status(index: index, chunk: chunk, job: job))
                lastStatus = job.status.description
            }
            try wait.check(job) { waited in
                "job \(id) of \(chunk.name) is still \(job.status) after \(Self.minutes(waited)); stopped waiting (--job-timeout). A rerun goes on following it"
            }
            await sleep(seconds: interval)
            interval = options.poll.next(after: interval)
        }
    }

    /// Runs a read-only call, retrying transient failures with backoff.
    private func retrying<T>(_ what: String, _ call: () async throws(APIError) -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await call()
            } catch let error where error.isTransient {
                attempt += 1
                guard attempt < options.retry.maxAttempts else {
                    throw UploadTrouble(trouble: "\(what): \(error) (gave up after \(attempt) attempts)", error: error)
                }
                let delay = options.retry.delay(afterAttempt: attempt, retryAfter: Self.retryAfter(error))
                observe(.retrying(what: what, error: error, attempt: attempt, delay: delay))
                await sleep(seconds: delay)
            } catch {
                throw UploadTrouble(trouble: "\(what): \(error)", error: error)
            }
        }
    }

    /// A wait that may last long: said every `reportWaitEvery` seconds, given up after `jobTimeout`.
    struct LongWait {
        let options: UploadOptions
        let observe: @Sendable (UploadEvent) -> Void
        let started = Date()
        var lastReport = Date()

        mutating func check(_ job: ImportJob, stopping why: (Double) -> String) throws {
            let waited = Date().timeIntervalSince(started)
            if Date().timeIntervalSince(lastReport) >= options.reportWaitEvery {
                observe(.stillWaiting(job: job, seconds: waited))
                lastReport = Date()
            }
            if waited >= options.jobTimeout { throw UploadTrouble(trouble: why(waited)) }
        }
    }

    static func minutes(_ seconds: Double) -> String {
        seconds < 120 ? "\(Int(seconds)) s" : "\(Int(seconds / 60)) min"
    }

    static func retryAfter(_ error: APIError) -> Double? {
        if case .transient(_, let after) = error { return after }
        return nil
    }
}
