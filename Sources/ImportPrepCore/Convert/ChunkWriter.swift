import Foundation

/// Where `convert` and `split` write: upload-sized chunks in a folder (with a manifest), one
/// file, or standard output.
public enum ConvertDestination: Sendable, Equatable {
    case directory(String)
    case file(String)
    case standardOutput
}

/// One finished chunk, as the manifest lists it.
public struct ChunkInfo: Sendable, Equatable {
    public var file: String
    public var bytes = 0
    public var records = 0
    public var sha256 = ""
    /// Index into the run's inputs and 1-based line of the first and last record.
    public var firstSource = (input: 0, line: 0)
    public var lastSource = (input: 0, line: 0)
    public var byEventType = [Int](repeating: 0, count: EventType.allCases.count)
    /// Earliest and latest `inserted_at` in the chunk (UTC, normalized).
    public var firstInsertedAt = ""
    public var lastInsertedAt = ""

    public static func == (a: Self, b: Self) -> Bool {
        a.file == b.file && a.bytes == b.bytes && a.records == b.records && a.sha256 == b.sha256
            && a.firstSource == b.firstSource && a.lastSource == b.lastSource && a.byEventType == b.byEventType
            && a.firstInsertedAt == b.firstInsertedAt && a.lastInsertedAt == b.lastInsertedAt
    }
}

/// Appends records to chunks of at most `maxBytes` and `maxRows`, never splitting a record.
/// Each chunk is written under a fresh temporary name and renamed when complete (`OutputFile`),
/// so a file with a final name is always whole.
final class ChunkWriter {
    let destination: ConvertDestination
    let maxBytes: Int
    let maxRows: Int
    private(set) var chunks: [ChunkInfo] = []

    // Touched per record: exclusivity is not checked at run time (nothing here is reentrant).
    @exclusivity(unchecked) private var output: OutputFile?
    @exclusivity(unchecked) private var info = ChunkInfo(file: "")
    /// Earliest and latest `inserted_at` of the open chunk, compared by `orderKey`, written out
    /// as text only when the chunk closes.
    @exclusivity(unchecked) private var earliest: (key: Int, time: Timestamp)?
    @exclusivity(unchecked) private var latest: (key: Int, time: Timestamp)?

    init(destination: ConvertDestination, maxBytes: Int, maxRows: Int) throws(IOFailure) {
        self.destination = destination
        if case .directory = destination {
            self.maxBytes = maxBytes
            self.maxRows = maxRows
        } else {
            self.maxBytes = .max
            self.maxRows = .max
        }
        if case .directory(let path) = destination { try Self.prepare(directory: path) }
    }

    /// Appends one record line: `line` holds its `\n`, or `addNewline` adds one. The caller has
    /// checked it fits in `maxBytes`.
    func append(
        _ line: UnsafeRawBufferPointer, addNewline: Bool = false, eventType: EventType, insertedAt: Timestamp?,
        input: Int, sourceLine: Int
    ) throws(IOFailure) {
        let size = line.count + (addNewline ? 1 : 0)
        if output != nil && (info.bytes + size > maxBytes || info.records >= maxRows) {
            try closeChunk()
        }
        if output == nil { try openChunk(input: input, sourceLine: sourceLine) }
        try output!.write(bytes: line)
        if addNewline { try output!.write(byte: 0x0A) }
        info.bytes += size
        info.records += 1
        info.lastSource = (input, sourceLine)
        info.byEventType[eventType.rawValue] += 1
        if let insertedAt {
            let key = insertedAt.orderKey
            if earliest == nil || key < earliest!.key { earliest = (key, insertedAt) }
            if latest == nil || key > latest!.key { latest = (key, insertedAt) }
        }
    }

    /// Closes the open chunk (renaming it to its final name).
    func finish() throws(IOFailure) {
        if output != nil { try closeChunk() }
        if case .file = destination, chunks.isEmpty {
            // No record: still leave an (empty) output file, as the user asked for one.
            try openChunk(input: 0, sourceLine: 0)
            try closeChunk()
        }
    }

    /// Removes the chunk being written (after an interruption or failure); returns what it held.
    @discardableResult
    func discardOpenChunk() -> ChunkInfo? {
        guard let output else { return nil }
        output.discard()
        self.output = nil
        return info
    }

    private func openChunk(input: Int, sourceLine: Int) throws(IOFailure) {
        switch destination {
        case .directory(let directory):
            let name = String(format: "part-%05d.ndjson", chunks.count + 1)
            info = ChunkInfo(file: name)
            output = try OutputFile.create(path: directory + "/" + name, hashing: true)
        case .file(let path):
            info = ChunkInfo(file: path)
            output = try OutputFile.create(path: path)
        case .standardOutput:
            info = ChunkInfo(file: "-")
            output = OutputFile.standardOutput()
        }
        info.firstSource = (input, sourceLine)
        earliest = nil
        latest = nil
    }

    private func closeChunk() throws(IOFailure) {
        guard let output else { return }
        do throws(IOFailure) {
            info.sha256 = try output.sha256()
            try output.close()
        } catch {
            discardOpenChunk()
            throw error
        }
        self.output = nil
        info.firstInsertedAt = Self.text(earliest?.time)
        info.lastInsertedAt = Self.text(latest?.time)
        chunks.append(info)
    }

    private static func text(_ time: Timestamp?) -> String {
        let text = LineBuffer(capacity: 64)
        time?.appendNormalized(to: text)
        return String(decoding: text.bytes, as: UTF8.self)
    }

    /// Creates the folder if needed; refuses one that already holds chunks or a manifest, so
    /// that no stale chunk from an earlier run can be mistaken for part of this one.
    private static func prepare(directory: String) throws(IOFailure) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw IOFailure(path: directory, reason: "cannot create the output folder (\(error.localizedDescription))")
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        if entries.contains(where: { $0 == "manifest.json" || ($0.hasPrefix("part-") && $0.hasSuffix(".ndjson")) }) {
            throw IOFailure(
                path: directory,
                reason: "already holds chunks or a manifest from an earlier run; choose an empty folder")
        }
    }
}
