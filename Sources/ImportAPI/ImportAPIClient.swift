import AsyncHTTPClient
import Foundation
import ImportPrepCore
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What a call to the Import API can end in, besides success. `transient` is worth retrying.
public enum APIError: Error, Equatable, CustomStringConvertible, Sendable {
    /// 401 or 403: the key was refused.
    case unauthorized(status: Int, message: String?)
    /// 409: a job of this token is still in progress.
    case conflict
    /// 429, 5xx, time-outs, refused or dropped connections.
    case transient(String, retryAfter: Double?)
    /// A status that retrying will not change (400, 404, 413, …).
    case refused(status: Int, message: String?)
    /// A success status whose body is not the API's JSON.
    case garbage(status: Int, snippet: String)

    public var description: String {
        switch self {
        case .unauthorized(let status, let message):
            "the API refused the key (HTTP \(status))" + (message.map { ": \($0)" } ?? "")
        case .conflict: "another import job of this key is in progress (HTTP 409)"
        case .transient(let reason, _): reason
        case .refused(let status, let message): "the API answered HTTP \(status)" + (message.map { ": \($0)" } ?? "")
        case .garbage(let status, let snippet):
            "the server answered HTTP \(status) with something that is not the Import API's JSON: \(snippet)"
        }
    }

    public var isTransient: Bool {
        switch self {
        case .transient, .garbage: true
        default: false
        }
    }
}

/// Time limits for one HTTP exchange.
public struct HTTPTimeouts: Sendable {
    public var connect: Double = 15
    /// Longest silence while waiting for a response.
    public var read: Double = 120
    public init() {}

    /// One limit for both, as `--timeout` gives it.
    public init(seconds: Double) {
        connect = seconds
        read = seconds
    }
}

/// The three endpoints of the Import API (SPEC §2) over AsyncHTTPClient. Uploads stream the chunk
/// from disk as a `multipart/form-data` body of known length; nothing holds a whole chunk in memory.
public final class ImportAPIClient: Sendable {
    public let endpoint: ImportEndpoint
    let token: APIToken
    let http: HTTPClient
    let timeouts: HTTPTimeouts
    /// Set once the documented `/v1/background_jobs/{id}` path answered 404 and `/api/…` did not.
    private let useAlternateJobPath = Mutex(false)

    public init(endpoint: ImportEndpoint, token: APIToken, timeouts: HTTPTimeouts = HTTPTimeouts()) {
        self.endpoint = endpoint
        self.token = token
        self.timeouts = timeouts
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(
            connect: .milliseconds(Int64(timeouts.connect * 1000)), read: .milliseconds(Int64(timeouts.read * 1000)))
        configuration.redirectConfiguration = .disallow
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// `POST /v1/imports` with the file as part `file`, sent under `uploadName`.
    public func submit(file path: String, size: Int, uploadName: String, progress: (@Sendable (Int) -> Void)? = nil)
        async throws(APIError) -> ImportJob
    {
        let body = MultipartFileBody(path: path, size: size, uploadName: uploadName, progress: progress)
        var request = HTTPClientRequest(url: endpoint.imports)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(body.boundary)")
        request.body = .stream(body, length: .known(Int64(body.length)))
        let (status, bytes) = try await send(request)
        guard let job = ImportJob.parse(job: bytes.readableBytesView) else {
            throw .garbage(status: status, snippet: snippet(bytes))
        }
        return job
    }

    /// `GET /v1/background_jobs`: every job of the key (that `keep` accepts).
    public func jobs(keeping keep: (ImportJob) -> Bool = { _ in true }) async throws(APIError) -> [ImportJob] {
        let (status, bytes) = try await send(HTTPClientRequest(url: endpoint.jobs))
        guard let jobs = ImportJob.parse(list: bytes.readableBytesView, keeping: keep) else {
            throw .garbage(status: status, snippet: snippet(bytes))
        }
        return jobs
    }

    /// `GET /v1/background_jobs/{id}`, falling back to `/api/background_jobs/{id}` on 404.
    public func job(_ id: String) async throws(APIError) -> ImportJob {
        let alternate = useAlternateJobPath.withLock { $0 }
        do {
            return try await fetchJob(id, alternate: alternate)
        } catch .refused(404, let message) where !alternate {
            do {
                let job = try await fetchJob(id, alternate: true)
                useAlternateJobPath.withLock { $0 = true }
                return job
            } catch .refused(404, _) {
                throw .refused(status: 404, message: message)
            }
        }
    }

    private func fetchJob(_ id: String, alternate: Bool) async throws(APIError) -> ImportJob {
        let (status, bytes) = try await send(HTTPClientRequest(url: endpoint.job(id, alternate: alternate)))
        guard let job = ImportJob.parse(job: bytes.readableBytesView) else {
            throw .garbage(status: status, snippet: snippet(bytes))
        }
        return job
    }

    /// Sends a request with the key and maps the answer: 2xx gives the body, anything else an `APIError`.
    private func send(_ request: HTTPClientRequest) async throws(APIError) -> (Int, ByteBuffer) {
        var request = request
        request.headers.add(name: "Authorization", value: token.authorization)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "import-prep")
        let status: Int
        let body: ByteBuffer
        do {
            let response = try await http.execute(request, deadline: .distantFuture)
            status = Int(response.status.code)
            body = try await response.body.collect(upTo: 32 << 20)
            if (200..<300).contains(status) { return (status, body) }
            let message = apiErrorText(body.readableBytesView)
            switch status {
            case 401, 403: throw APIError.unauthorized(status: status, message: message)
            case 409: throw APIError.conflict
            case 408, 429, 500...599:
                let retryAfter = response.headers.first(name: "Retry-After").flatMap { Self.retryAfterSeconds($0) }
                throw APIError.transient(
                    "the server answered HTTP \(status)" + (message.map { ": \($0)" } ?? ""), retryAfter: retryAfter)
            default: throw APIError.refused(status: status, message: message ?? snippetOrNil(body))
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw .transient("network: \(Self.describe(error))", retryAfter: nil)
        }
    }

    /// `Retry-After` in either form of RFC 9110 §10.2.3: delay seconds, or an HTTP date (IMF-fixdate,
    /// or the obsolete RFC 850 and asctime forms), as seconds from `now` (0 for a date past).
    public static func retryAfterSeconds(_ value: String, now: Date = Date()) -> Double? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(text), seconds >= 0, seconds.isFinite { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }

    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            switch client {
            case .remoteConnectionClosed: return "the server closed the connection"
            case .readTimeout: return "no answer within the read time-out"
            case .connectTimeout: return "could not connect within the time-out"
            case .deadlineExceeded: return "the request took too long"
            default: return String(describing: client)
            }
        }
        if let file = error as? MultipartFileBody.ReadFailure { return file.description }
        return String(describing: error)
    }
}

private func snippet(_ body: ByteBuffer) -> String {
    snippetOrNil(body) ?? "(empty body)"
}

private func snippetOrNil(_ body: ByteBuffer) -> String? {
    guard body.readableBytes > 0 else { return nil }
    let text = String(decoding: body.readableBytesView.prefix(120), as: UTF8.self)
    let oneLine = text.map { $0.isNewline ? " " : $0 }
    return String(oneLine) + (body.readableBytes > 120 ? "…" : "")
}

/// A `multipart/form-data` body with one part named `file`, read from disk in 256 KiB blocks.
struct MultipartFileBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    struct ReadFailure: Error, CustomStringConvertible {
        var description: String
    }

    let path: String
    let size: Int
    let boundary: String
    let head: [UInt8]
    let tail: [UInt8]
    let progress: (@Sendable (Int) -> Void)?

    init(path: String, size: Int, uploadName: String, progress: (@Sendable (Int) -> Void)?) {
        self.path = path
        self.size = size
        self.progress = progress
        boundary = "import-prep-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let safeName = uploadName.replacingOccurrences(of: "\"", with: "_").replacingOccurrences(of: "\r", with: "_")
            .replacingOccurrences(of: "\n", with: "_")
        let type = uploadName.hasSuffix(".csv") ? "text/csv" : "application/x-ndjson"
        head = Array(
            ("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(safeName)\"\r\n"
                + "Content-Type: \(type)\r\n\r\n").utf8)
        tail = Array("\r\n--\(boundary)--\r\n".utf8)
    }

    var length: Int { head.count + size + tail.count }

    func makeAsyncIterator() -> Iterator { Iterator(body: self) }

    final class Iterator: AsyncIteratorProtocol {
        let body: MultipartFileBody
        var stage = 0
        var fd: Int32 = -1
        var offset = 0

        init(body: MultipartFileBody) { self.body = body }
        deinit { if fd >= 0 { close(fd) } }

        func next() async throws -> ByteBuffer? {
            switch stage {
            case 0:
                stage = 1
                return ByteBuffer(bytes: body.head)
            case 1:
                if offset == body.size {
                    stage = 2
                    return ByteBuffer(bytes: body.tail)
                }
                if fd < 0 {
                    fd = open(body.path, O_RDONLY | O_CLOEXEC)
                    if fd < 0 {
                        throw ReadFailure(description: "\(body.path): \(String(cString: strerror(errno)))")
                    }
                }
                let want = Swift.min(256 << 10, body.size - offset)
                var buffer = ByteBufferAllocator().buffer(capacity: want)
                let got = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { raw in
                    Swift.max(retryingOnInterrupt { pread(fd, raw.baseAddress, want, off_t(offset)) }, 0)
                }
                if got == 0 {
                    throw ReadFailure(
                        description:
                            "\(body.path) changed while it was being uploaded (shorter than \(body.size) bytes)")
                }
                offset += got
                body.progress?(offset)
                return buffer
            case 2:
                stage = 3
                return nil
            default:
                return nil
            }
        }
    }
}
