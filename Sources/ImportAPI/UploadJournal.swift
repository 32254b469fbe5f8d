import Foundation
import ImportPrepCore

#if canImport(Glibc)
    import Glibc
#endif

/// `upload-journal.ndjson`: one JSON line per state change of a chunk, appended and fsynced before
/// the upload moves on, so that a rerun after any interruption knows what was sent. Chunks are known
/// by their sha256; the API key is never written here.
public final class UploadJournal {
    public enum Phase: String, Sendable {
        /// The POST was about to start; the API may or may not have created a job.
        case submitting
        /// The API answered 409 (another job holds the key); journaled once per submission.
        case waiting
        /// The API answered with a job id.
        case submitted
        case completed
        case failed
    }

    /// What the journal knows of one chunk, folded from its lines.
    public struct ChunkState: Equatable, Sendable {
        public var phase: Phase
        public var chunk: String
        public var jobID: String?
        public var status: String?
        public var totalRows: Int?
        public var completedRows: Int?
        public var reasons: [String] = []
        public var bytes: Int?
        public var elapsedSeconds: Double?
    }

    private let timeFormatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    public let path: String
    private let fd: Int32
    /// The journal's folder, held open and locked: a lock on the journal file itself would not
    /// hold if the file were deleted and made anew while a run holds it.
    private let folderFD: Int32
    public private(set) var states: [String: ChunkState] = [:]
    /// Job ids this journal has recorded, so that adopting a job from the API's list never takes one
    /// that already belongs to another chunk.
    public private(set) var knownJobIDs: Set<String> = []
    /// Lines that could not be read (a line torn by a crash, at most the last one).
    public private(set) var unreadableLines = 0

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    /// Opens (creating if needed) and reads the journal, and locks it: two uploads of one folder at
    /// once would race for the same chunks.
    public init(path: String) throws(Problem) {
        self.path = path
        // Never through a link someone planted at the journal's name, and never onto a device or pipe.
        fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let reason =
                errno == ELOOP ? "is a symbolic link; name the journal file itself" : String(cString: strerror(errno))
            throw Problem(description: "\(path): \(reason)")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw Problem(description: "\(path): is not a regular file; the journal must be one")
        }
        let folder = (path as NSString).deletingLastPathComponent
        folderFD = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folderFD >= 0, flock(folderFD, LOCK_EX | LOCK_NB) == 0 else {
            let busy = folderFD >= 0
            if folderFD >= 0 { close(folderFD) }
            close(fd)
            throw Problem(
                description: busy
                    ? "\(path): another upload using this folder is running (its folder is locked)."
                    : "\(path): cannot open its folder: \(String(cString: strerror(errno)))")
        }
        if let data = FileManager.default.contents(atPath: path) {
            for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                    unreadableLines += 1
                    continue
                }
                fold(object)
            }
            // A crash mid-line leaves no newline at the end: start the next entry on a line of its own.
            if data.last.map({ $0 != UInt8(ascii: "\n") }) == true { _ = write(fd, "\n", 1) }
        }
    }

    deinit {
        close(fd)
        close(folderFD)
    }

    /// Makes every later write fail, as a journal that became unwritable mid-run would (tests).
    func breakForTesting() {
        let readOnly = open("/dev/null", O_RDONLY | O_CLOEXEC)
        dup2(readOnly, fd)
        close(readOnly)
    }

    public func state(of sha256: String) -> ChunkState? { states[sha256] }

    /// Appends one entry and waits for it to reach the disk.
    public func record(
        _ phase: Phase, chunk: UploadChunk, job: ImportJob? = nil, time: Date = Date()
    ) throws(Problem) {
        var object: [String: Any] = [
            "time": timeFormatter.string(from: time),
            "phase": phase.rawValue,
            "chunk": chunk.name,
            "sha256": chunk.sha256,
            "bytes": chunk.bytes,
            "records": chunk.records,
        ]
        if let job {
            object["job_id"] = job.id
            object["status"] = job.status.description
            if let rows = job.totalRows { object["total_rows"] = rows }
            if let rows = job.completedRows { object["completed_rows"] = rows }
            if let elapsed = job.elapsedSeconds { object["elapsed_time"] = elapsed }
            if !job.reasonForFailure.isEmpty { object["reason_for_failure"] = job.reasonForFailure }
        }
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            throw Problem(description: "\(path): could not encode a journal entry")
        }
        line.append(UInt8(ascii: "\n"))
        let failed = line.withUnsafeBytes { writeAll(fd, $0) }
        guard failed == nil, fsync(fd) == 0 else {
            throw Problem(description: "\(path): \(String(cString: strerror(errno)))")
        }
        fold(object)
    }

    private func fold(_ object: [String: Any]) {
        guard let sha = object["sha256"] as? String, let phaseText = object["phase"] as? String,
            let phase = Phase(rawValue: phaseText)
        else {
            unreadableLines += 1
            return
        }
        var state = states[sha] ?? ChunkState(phase: phase, chunk: object["chunk"] as? String ?? "?")
        state.phase = phase
        if let id = object["job_id"] as? String {
            state.jobID = id
            knownJobIDs.insert(id)
        } else if phase == .submitting {
            state.jobID = nil
        }
        state.status = object["status"] as? String ?? state.status
        state.totalRows = ImportJob.integer(object["total_rows"]) ?? state.totalRows
        state.completedRows = ImportJob.integer(object["completed_rows"]) ?? state.completedRows
        state.elapsedSeconds = ImportJob.number(object["elapsed_time"]) ?? state.elapsedSeconds
        state.bytes = ImportJob.integer(object["bytes"]) ?? state.bytes
        if let reasons = object["reason_for_failure"] as? [String] { state.reasons = reasons }
        states[sha] = state
    }
}
