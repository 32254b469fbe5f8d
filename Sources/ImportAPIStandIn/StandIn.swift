import Foundation
import Hummingbird
import ImportPrepCore
import Logging
import NIOCore
import Synchronization

/// Faults the stand-in can be told to produce, each for the next N requests (or jobs).
public struct StandInFaults: Sendable, Equatable {
    /// Answer 503 with an API error body.
    public var serverErrors = 0
    /// Answer 429 with `Retry-After: 0`.
    public var rateLimits = 0
    /// Answer a POST with 409 even when no job runs.
    public var conflicts = 0
    /// Close the connection halfway through reading an upload; no job is made.
    public var dropsDuringUpload = 0
    /// Make the job, then close the connection without answering.
    public var dropsAfterAccepting = 0
    /// Answer 200 with a body that is not JSON.
    public var garbage = 0
    /// Fail the next jobs with an internal error even when the file is valid.
    public var failingJobs = 0
    /// Wait `delay` seconds before answering (after the request was handled: a POST still makes its job).
    public var slowResponses = 0
    /// Make the job, then wait `delay` seconds before answering the POST.
    public var slowUploads = 0
    /// Hold the upload until the client gave up and sent the file again, that copy's job was made
    /// and ended (at least `delay` seconds, at most `holdLimit`), then make this job too (if the
    /// key is idle) and answer: the same chunk imported twice, whatever the machine's pace.
    public var slowBeforeCreating = 0
    public var holdLimit = 120.0
    public var delay = 0.0
    /// Answer 429 with `Retry-After` as an HTTP date `retryAfterSeconds` ahead (RFC 9110).
    public var rateLimitsWithDate = 0
    public var retryAfterSeconds = 2
    /// Answer `GET …/background_jobs/{id}` with 503 (the list still answers).
    public var jobStatusErrors = 0
    /// The next jobs stay `queued` for ever.
    public var stuckJobs = 0
    /// The next jobs move to `cancelled`, a status the docs do not list, and stay there.
    public var oddStatusJobs = 0

    public init() {}
}

/// How the stand-in behaves.
public struct StandInOptions: Sendable {
    /// Keys it accepts (`Authorization: Token KEY`).
    public var tokens: Set<String> = ["standin-key"]
    /// Seconds a job spends in each of queued, validating and processing.
    public var stepSeconds = 0.05
    /// Largest upload read.
    public var maxUploadBytes = 512 << 20
    /// Whether `GET /v1/background_jobs/{id}` answers; when false only `/api/background_jobs/{id}`
    /// does, the other path the docs show.
    public var servesV1JobPath = true
    public var host = "127.0.0.1"
    public var port = 0

    public init() {}
}

/// One upload the stand-in turned into a job, for tests to count what was imported.
public struct ReceivedUpload: Sendable, Equatable {
    public var jobID: String
    public var filename: String
    public var sha256: String
    public var records: Int
    public var imported: Bool
}

/// A local stand-in of Userpilot's Import API (SPEC §2) on a real HTTP server: `POST /v1/imports`,
/// `GET /v1/background_jobs`, `GET /v1/background_jobs/{id}` (and `/api/background_jobs/{id}`), the
/// per-key 409 rule, jobs moving queued → validating → processing → completed or failed in the
/// background, import-prep's own validator deciding failure with the API's failure text, and
/// switchable faults.
public final class ImportAPIStandIn: Sendable {
    public let options: StandInOptions
    let state: StandInState
    private let listeningPort = Mutex<Int?>(nil)

    public init(options: StandInOptions = StandInOptions()) {
        self.options = options
        state = StandInState(stepSeconds: options.stepSeconds)
    }

    /// Runs until the task is cancelled (or, with signals, until SIGINT/SIGTERM).
    public func run(shutdownOnSignals: Bool = false) async throws {
        let router = Router(context: StandInContext.self)
        let state = self.state
        let options = self.options
        router.post("v1/imports") { request, context in
            try await Self.handleUpload(request, context, state: state, options: options)
        }
        router.get("v1/background_jobs") { request, context in
            try await Self.guarded(request, state: state, options: options) { token in
                let jobs = await state.jobs(of: token)
                // A long history is rendered once, when it is added: rendering 20,000 jobs per
                // request would hold a cooperative thread for seconds and stall every other test.
                guard let history = await state.history[token], !history.isEmpty else {
                    return Self.json(.ok, jobs.map { $0.json(detail: false) })
                }
                let live =
                    (try? JSONSerialization.data(withJSONObject: jobs.map { $0.json(detail: false) }))
                    ?? Data("[]".utf8)
                var body = ByteBuffer(string: "[")
                body.writeBytes(history)
                if live.count > 2 {
                    body.writeString(",")
                    body.writeBytes(live.dropFirst().dropLast())
                }
                body.writeString("]")
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
            }
        }
        for prefix in ["v1", "api"] {
            router.get("\(prefix)/background_jobs/:id") { request, context in
                let id = context.parameters.get("id") ?? ""
                return try await Self.guarded(request, state: state, options: options) { token in
                    if prefix == "v1" && !options.servesV1JobPath {
                        return Self.error(.notFound, "not_found", "Not found")
                    }
                    guard let job = await state.job(id, of: token) else {
                        return Self.error(.notFound, "not_found", "Job \(id) not found")
                    }
                    return Self.json(.ok, job.json(detail: true))
                }
            }
        }
        var logger = Logger(label: "import-api-standin")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(
                address: .hostname(options.host, port: options.port), serverName: "import-api-standin"),
            onServerRunning: { channel in self.listeningPort.withLock { $0 = channel.localAddress?.port ?? 0 } },
            logger: logger
        )
        try await app.runService(gracefulShutdownSignals: shutdownOnSignals ? [.sigterm, .sigint] : [])
    }

    /// The port it listens on, once running.
    public func port() async -> Int {
        while true {
            if let port = listeningPort.withLock({ $0 }) { return port }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
    }

    public func setFaults(_ faults: StandInFaults) async { await state.setFaults(faults) }
    public func faults() async -> StandInFaults { await state.faults }
    /// Every upload that became a job, in order.
    public func uploads() async -> [ReceivedUpload] { await state.uploads }
    /// Requests answered so far, as `METHOD path status`.
    public func requestLog() async -> [String] { await state.log }
    /// Adds a job of `token` that stays in `processing` until `finishJob` is called.
    public func addRunningJob(token: String) async -> String { await state.addRunningJob(token: token) }
    /// Adds `count` completed jobs of `token` (a long history, for memory tests).
    public func addCompletedJobs(_ count: Int, token: String) async {
        await state.addCompletedJobs(count, token: token)
    }
    /// Forgets every job, as a restarted server without storage would.
    public func forgetJobs() async { await state.forgetJobs() }
    public func finishJob(_ id: String) async { await state.finish(id) }

    // MARK: Handlers

    static func handleUpload(
        _ request: Request, _ context: StandInContext, state: StandInState, options: StandInOptions
    )
        async throws -> Response
    {
        try await guarded(request, state: state, options: options) { token in
            var request = request
            let conflict = error(.conflict, "conflict", "An import job for this token is already in progress")
            let forcedConflict = await state.takeFault(\.conflicts)
            let busy = await state.hasUnfinishedJob(of: token)
            if forcedConflict || busy {
                await state.note("POST /v1/imports 409")
                return conflict
            }
            if await state.takeFault(\.dropsDuringUpload) {
                var seen = 0
                for try await part in request.body {
                    seen += part.readableBytes
                    if seen > 0 { break }
                }
                await state.note("POST /v1/imports dropped during upload")
                try? await context.channel.close()
                throw HTTPError(.badRequest)
            }
            guard let boundary = multipartBoundary(request.headers[.contentType] ?? "") else {
                return error(.badRequest, "bad_request", "Expected multipart/form-data with a boundary")
            }
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: options.maxUploadBytes)
            } catch {
                return Self.error(.contentTooLarge, "too_large", "File too large")
            }
            guard let part = filePart(Array(body.readableBytesView), boundary: Array(boundary.utf8)) else {
                return error(.badRequest, "bad_request", "No part named file in the form")
            }
            // The check for a running job and the new job are one step, so two POSTs at once
            // cannot both make a job. A slow server still makes it after a client gave up (the
            // wait is not cancelled with the connection).
            let slow = await state.takeFault(\.slowBeforeCreating)
            let (delay, holdLimit) = await (state.faults.delay, state.faults.holdLimit)
            let jobsBefore = await state.jobs(of: token).count
            let made = Task.detached {
                if slow {
                    try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                    let deadline = ContinuousClock.now + .seconds(holdLimit)
                    while ContinuousClock.now < deadline, await !state.isIdle(token, afterMoreJobsThan: jobsBefore) {
                        try? await Task.sleep(nanoseconds: 20_000_000)
                    }
                }
                return await state.createJobIfIdle(token: token, filename: part.filename, bytes: part.bytes)
            }
            guard let job = await made.value else {
                await state.note("POST /v1/imports 409")
                return conflict
            }
            if await state.takeFault(\.dropsAfterAccepting) {
                await state.note("POST /v1/imports dropped after accepting \(job.id)")
                try? await context.channel.close()
                throw HTTPError(.internalServerError)
            }
            if await state.takeFault(\.slowUploads) {
                let delay = await state.faults.delay
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            }
            await state.note("POST /v1/imports 200")
            return json(.ok, job.json(detail: false))
        }
    }

    /// Applies delay, fault and key checks common to every endpoint, then runs `body`.
    static func guarded(
        _ request: Request, state: StandInState, options: StandInOptions,
        _ body: (String) async throws -> Response
    ) async throws -> Response {
        if await state.takeFault(\.slowResponses) {
            let delay = await state.faults.delay
            let response = try await checked(request, state: state, options: options, body)
            try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            return response
        }
        return try await checked(request, state: state, options: options, body)
    }

    static func checked(
        _ request: Request, state: StandInState, options: StandInOptions,
        _ body: (String) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        await state.note("\(request.method) \(path)")
        if await state.takeFault(\.serverErrors) {
            await state.note("\(request.method) \(path) 503")
            return error(.serviceUnavailable, "unavailable", "Service temporarily unavailable")
        }
        if await state.takeFault(\.rateLimits) {
            await state.note("\(request.method) \(path) 429")
            var response = error(.tooManyRequests, "rate_limited", "Too many requests")
            response.headers[.retryAfter] = "0"
            return response
        }
        if await state.takeFault(\.rateLimitsWithDate) {
            await state.note("\(request.method) \(path) 429 date")
            var response = error(.tooManyRequests, "rate_limited", "Too many requests")
            let ahead = Date().addingTimeInterval(Double(await state.faults.retryAfterSeconds))
            response.headers[.retryAfter] = httpDate(ahead)
            return response
        }
        if path.contains("/background_jobs/"), await state.takeFault(\.jobStatusErrors) {
            await state.note("\(request.method) \(path) 503")
            return error(.serviceUnavailable, "unavailable", "Service temporarily unavailable")
        }
        if await state.takeFault(\.garbage) {
            await state.note("\(request.method) \(path) garbage")
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "<html>upstream hiccup</html>")))
        }
        let header = request.headers[.authorization] ?? ""
        let token = header.hasPrefix("Token ") ? String(header.dropFirst(6)) : ""
        guard options.tokens.contains(token) else {
            await state.note("\(request.method) \(path) 401")
            return error(.unauthorized, "unauthorized", "Invalid API key")
        }
        return try await body(token)
    }

    static func json(_ status: HTTPResponse.Status, _ value: Any) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        json(status, ["errors": [["error": code, "error_code": code, "message": message, "details": [:]]]])
    }
}

/// An IMF-fixdate (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
func httpDate(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    return formatter.string(from: date)
}

/// Request context that keeps the connection, so that a fault can drop it.
struct StandInContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
