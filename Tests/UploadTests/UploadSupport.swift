import Foundation
import ImportAPI
import ImportAPIStandIn
import ImportPrepCore
import ImportPrepTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A running stand-in on a free loopback port; stopped by `stop()`.
final class RunningStandIn: @unchecked Sendable {
    let standIn: ImportAPIStandIn
    let task: Task<Void, Error>
    let port: Int

    static let key = "test-key-7f3a9c"

    static func start(configure: (inout StandInOptions) -> Void = { _ in }) async throws -> RunningStandIn {
        var options = StandInOptions()
        options.tokens = [key]
        options.stepSeconds = 0.01
        configure(&options)
        let standIn = ImportAPIStandIn(options: options)
        let task = Task { try await standIn.run() }
        let port = await standIn.port()
        return RunningStandIn(standIn: standIn, task: task, port: port)
    }

    private init(standIn: ImportAPIStandIn, task: Task<Void, Error>, port: Int) {
        self.standIn = standIn
        self.task = task
        self.port = port
    }

    var url: String { "http://127.0.0.1:\(port)" }
    var endpoint: ImportEndpoint { try! ImportEndpoint(url) }

    func client(key: String = RunningStandIn.key, readTimeout: Double = 10) -> ImportAPIClient {
        var timeouts = HTTPTimeouts()
        timeouts.read = readTimeout
        return ImportAPIClient(endpoint: endpoint, token: APIToken(secret: key, origin: "test"), timeouts: timeouts)
    }

    func setFaults(_ change: (inout StandInFaults) -> Void) async {
        var faults = await standIn.faults()
        change(&faults)
        await standIn.setFaults(faults)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

/// Fast retries and polling, so that fault tests take milliseconds.
func fastOptions(_ change: (inout UploadOptions) -> Void = { _ in }) -> UploadOptions {
    var options = UploadOptions()
    options.retry.baseDelay = 0.005
    options.retry.maxDelay = 0.05
    options.retry.maxAttempts = 6
    options.poll.initial = 0.005
    options.poll.maxInterval = 0.03
    change(&options)
    return options
}

/// `count` valid records of all four event types, one per line.
func generatedRecords(_ count: Int, seed: Int = 1) -> [UInt8] {
    var text = ""
    for i in 0..<count {
        let day = 1 + (i + seed) % 28
        let stamp = "2024-03-\(day < 10 ? "0" : "")\(day)T10:\(i % 60 < 10 ? "0" : "")\(i % 60):00Z"
        switch i % 4 {
        case 0:
            text +=
                #"{"event_type":"identify_user","user_id":"u\#(i)","inserted_at":"\#(stamp)","metadata":{"plan":"pro","seats":\#(i % 9)}}"#
        case 1:
            text +=
                #"{"event_type":"identify_company","company_id":"c\#(i)","inserted_at":"\#(stamp)","metadata":{"name":"Acme \#(i)"}}"#
        case 2:
            text +=
                #"{"event_type":"page_view","user_id":"u\#(i)","inserted_at":"\#(stamp)","hostname":"app.example.com","pathname":"/p/\#(i)"}"#
        default:
            text +=
                #"{"event_type":"track","user_id":"u\#(i)","event_name":"clicked \#(seed)","inserted_at":"\#(stamp)","metadata":{"n":\#(i)}}"#
        }
        text += "\n"
    }
    return Array(text.utf8)
}

/// Converts generated records into a chunk folder the way `convert --out` does.
func chunkFolder(records: Int, maxRows: Int, in folder: ScratchFolder, name: String = "chunks", seed: Int = 1) throws
    -> String
{
    let source = folder.path("source-\(seed).ndjson")
    try Data(generatedRecords(records, seed: seed)).write(to: URL(fileURLWithPath: source))
    var options = ConvertOptions()
    options.maxChunkRows = maxRows
    let directory = folder.path(name)
    let converter = try Converter(options: options, destination: .directory(directory), rejects: nil)
    converter.convert(path: source)
    converter.finish()
    #expect(converter.summary.written == records)
    return directory
}

/// Uploads a folder in-process with fast policies and returns the result.
func upload(
    _ directory: String, to server: RunningStandIn, key: String = RunningStandIn.key,
    options: UploadOptions = fastOptions(), events: EventLog? = nil, readTimeout: Double = 10
) async throws -> UploadResult {
    let plan = try UploadPlan.folder(directory)
    let journal = try UploadJournal(path: plan.journalPath)
    let client = server.client(key: key, readTimeout: readTimeout)
    let uploader = Uploader(client: client, journal: journal, options: options) { events?.append($0) }
    let result = await uploader.run(plan)
    await client.shutdown()
    return result
}

/// One upload of a fresh chunk folder to a fresh stand-in with some faults switched on.
struct FaultRun {
    var result: UploadResult
    var uploads: [ReceivedUpload]
    var log: [String]
    var events: [UploadEvent]
    /// Holds the chunk folder (and its journal) for as long as the value lives.
    var folder: ScratchFolder
    var directory: String

    func count(_ matching: (UploadEvent) -> Bool) -> Int { events.filter(matching).count }
    func logLines(_ matching: (String) -> Bool) -> Int { log.filter(matching).count }

    static func run(
        records: Int = 40, maxRows: Int = 20, key: String = RunningStandIn.key, readTimeout: Double = 10,
        options: UploadOptions = fastOptions(), faults: (inout StandInFaults) -> Void
    ) async throws -> FaultRun {
        let server = try await RunningStandIn.start()
        await server.setFaults(faults)
        let folder = try ScratchFolder()
        let directory = try chunkFolder(records: records, maxRows: maxRows, in: folder)
        let events = EventLog()
        let result = try await upload(
            directory, to: server, key: key, options: options, events: events, readTimeout: readTimeout)
        let run = FaultRun(
            result: result, uploads: await server.standIn.uploads(), log: await server.standIn.requestLog(),
            events: events.all, folder: folder, directory: directory)
        await server.stop()
        return run
    }
}

func isRetry(_ event: UploadEvent) -> Bool { if case .retrying = event { true } else { false } }
func isAdoption(_ event: UploadEvent) -> Bool { if case .adopted = event { true } else { false } }

/// Collects upload events from any thread.
final class EventLog: @unchecked Sendable {
    private var events: [UploadEvent] = []
    private let lock = NSLock()
    func append(_ event: UploadEvent) { lock.withLock { events.append(event) } }
    var all: [UploadEvent] { lock.withLock { events } }
}

/// Lines of a journal file as JSON objects.
func journalLines(_ path: String) -> [[String: Any]] {
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    return data.split(separator: UInt8(ascii: "\n")).compactMap {
        (try? JSONSerialization.jsonObject(with: Data($0))) as? [String: Any]
    }
}
