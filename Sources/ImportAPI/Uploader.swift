import Foundation

/// Choices of one `upload` run.
public struct UploadOptions: Sendable {
    /// Submit chunks again even when the journal says they were submitted, completed or failed.
    public var force = false
    /// Go on with the next chunk after a failed job (the exit status is still 5).
    public var continueOnFailure = false
    public var retry = RetryPolicy()
    public var poll = PollPolicy()

    public init() {}
}

/// Something the upload did, for progress output.
public enum UploadEvent: Sendable {
    case skipped(index: Int, chunk: UploadChunk, job: ImportJob?, why: String)
    case waiting(forJob: ImportJob)
    case uploading(index: Int, chunk: UploadChunk, sentBytes: Int)
    case submitted(index: Int, chunk: UploadChunk, job: ImportJob)
    case adopted(index: Int, chunk: UploadChunk, job: ImportJob)
    case status(index: Int, chunk: UploadChunk, job: ImportJob)
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
        /// Not sent: the run stopped before this chunk.
        case notSent = "not sent"
    }

    public var chunk: UploadChunk
    public var jobID: String?
    public var status: String?
    public var rowsReported: Int?
    public var verdict: Verdict
}

/// The end of an upload: per-chunk outcomes, and why it stopped early if it did.
public struct UploadResult: Sendable {
    public var outcomes: [ChunkOutcome]
    /// Network or server trouble that retries did not cure, or a refused key.
    public var trouble: String?
    public var failures: [(chunk: UploadChunk, job: ImportJob, locations: [FailureLocation])] = []

    public var recordsExpected: Int { outcomes.reduce(0) { $0 + $1.chunk.records } }
    public var recordsAccounted: Int {
        outcomes.filter { $0.verdict == .accounted }.reduce(0) { $0 + $1.chunk.records }
    }

    /// 0 every row accounted for; 4 network or server trouble; 5 a job failed or rows are missing.
    public var exitStatus: Int32 {
        if trouble != nil { return 4 }
        if outcomes.allSatisfy({ $0.verdict == .accounted }) { return 0 }
        return 5
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
    /// The API's job list, read once at the start to recognise chunks sent by an earlier run whose
    /// journal did not record the job.
    private var knownJobs: [ImportJob]?

    public init(
        client: ImportAPIClient, journal: UploadJournal, options: UploadOptions,
        observe: @escaping @Sendable (UploadEvent) -> Void = { _ in }
    ) {
        self.client = client
        self.journal = journal
        self.options = options
        self.observe = observe
    }

    struct Stop: Error {
        var trouble: String
    }

    public func run(_ plan: UploadPlan) async -> UploadResult {
        var result = UploadResult(outcomes: [])
        var stopped = false
        for (index, chunk) in plan.chunks.enumerated() {
            if stopped {
                result.outcomes.append(ChunkOutcome(chunk: chunk, verdict: .notSent))
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
            } catch {
                result.trouble = (error as? Stop)?.trouble ?? "\(error)"
                result.outcomes.append(ChunkOutcome(chunk: chunk, verdict: .notSent))
                stopped = true
            }
        }
        return result
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
        if !options.force, let state = journal.state(of: chunk.sha256) {
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
            case .submitting:
                // The last run stopped during the POST: the API may have made the job.
                if let job = try await findSent(chunk, refresh: true) {
                    try journal.record(.submitted, chunk: chunk, job: job)
                    observe(.adopted(index: index, chunk: chunk, job: job))
                    return (try await follow(job.id, chunk: chunk, index: index), true)
                }
            }
        } else if !options.force, let job = try await findSent(chunk, refresh: false) {
            try journal.record(.submitted, chunk: chunk, job: job)
            observe(.adopted(index: index, chunk: chunk, job: job))
            return (try await follow(job.id, chunk: chunk, index: index), true)
        }
        let job = try await submit(chunk, index: index)
        return (try await follow(job.id, chunk: chunk, index: index), true)
    }

    /// A job in the API's list that imported exactly this chunk (same upload name, which carries the
    /// sha256 prefix) and that the journal does not already give to another chunk.
    private func findSent(_ chunk: UploadChunk, refresh: Bool) async throws -> ImportJob? {
        if refresh || knownJobs == nil {
            knownJobs = try await retrying("list jobs") { () async throws(APIError) in try await self.client.jobs() }
        }
        let matches = (knownJobs ?? []).filter {
            $0.filename == chunk.uploadName && !journal.knownJobIDs.contains($0.id)
        }
        return matches.first { $0.status != .failed } ?? matches.last
    }

    private func submit(_ chunk: UploadChunk, index: Int) async throws -> ImportJob {
        var attempt = 0
        while true {
            try await waitWhileAnotherJobRuns()
            try journal.record(.submitting, chunk: chunk)
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
                continue
            } catch let error as APIError where error.isTransient {
                attempt += 1
                guard attempt < options.retry.maxAttempts else {
                    throw Stop(trouble: "uploading \(chunk.name): \(error) (gave up after \(attempt) attempts)")
                }
                let delay = options.retry.delay(afterAttempt: attempt, retryAfter: Self.retryAfter(error))
                observe(.retrying(what: "upload of \(chunk.name)", error: error, attempt: attempt, delay: delay))
                await sleep(seconds: delay)
                // The request may have reached the API before the connection broke.
                if let job = try await findSent(chunk, refresh: true) {
                    try journal.record(.submitted, chunk: chunk, job: job)
                    observe(.adopted(index: index, chunk: chunk, job: job))
                    return job
                }
            } catch let error as Stop {
                throw error
            } catch {
                throw Stop(trouble: "uploading \(chunk.name): \(error)")
            }
        }
    }

    /// One job per key at a time: waits until the API lists no unfinished job.
    private func waitWhileAnotherJobRuns() async throws {
        var interval = options.poll.initial
        var lastShown: String?
        while true {
            let jobs = try await retrying("list jobs") { () async throws(APIError) in try await self.client.jobs() }
            knownJobs = jobs
            guard let running = jobs.first(where: { !$0.status.isFinal }) else { return }
            let shown = running.id + running.status.description
            if shown != lastShown {
                observe(.waiting(forJob: running))
                lastShown = shown
            }
            await sleep(seconds: interval)
            interval = options.poll.next(after: interval)
        }
    }

    /// Polls a job until it is completed or failed, journaling each change of status.
    private func follow(_ id: String, chunk: UploadChunk, index: Int) async throws -> ImportJob {
        var interval = options.poll.initial
        var lastStatus = journal.state(of: chunk.sha256)?.status
        while true {
            let job = try await retrying("status of job \(id)") { () async throws(APIError) in
                try await self.client.job(id)
            }
            if job.status.isFinal {
                try journal.record(job.status == .completed ? .completed : .failed, chunk: chunk, job: job)
                return job
            }
            if job.status.description != lastStatus {
                try journal.record(.submitted, chunk: chunk, job: job)
                observe(.status(index: index, chunk: chunk, job: job))
                lastStatus = job.status.description
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
                    throw Stop(trouble: "\(what): \(error) (gave up after \(attempt) attempts)")
                }
                let delay = options.retry.delay(afterAttempt: attempt, retryAfter: Self.retryAfter(error))
                observe(.retrying(what: what, error: error, attempt: attempt, delay: delay))
                await sleep(seconds: delay)
            } catch {
                throw Stop(trouble: "\(what): \(error)")
            }
        }
    }

    static func retryAfter(_ error: APIError) -> Double? {
        if case .transient(_, let after) = error { return after }
        return nil
    }
}
