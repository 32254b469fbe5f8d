import Foundation
import ImportPrepCore

/// One file to import as one job: a chunk of a convert/split folder or a file named on the command line.
public struct UploadChunk: Equatable, Sendable {
    /// File name in its folder (`part-00003.ndjson`).
    public var name: String
    public var path: String
    public var bytes: Int
    /// Records in the file: from the manifest, or counted by validating the file.
    public var records: Int
    /// Hex sha256 of the file's bytes; the journal knows a chunk by it.
    public var sha256: String
    /// Where its first and last records came from, when a manifest says so.
    public var firstSource: SourceLine?
    public var lastSource: SourceLine?

    /// The file name sent in the upload: the chunk's name with a digest prefix, so that a job in the
    /// API's list can be matched to the exact bytes it imported (`part-00003.1f2e3d4c5b6a.ndjson`).
    public var uploadName: String {
        let digest = String(sha256.prefix(12))
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            return name[..<dot] + "." + digest + name[dot...]
        }
        return name + "." + digest
    }

    /// Source line of the chunk's `row`-th record (1-based), exact when the chunk's records came
    /// from consecutive lines of one file (no blank or rejected lines between them).
    public func sourceLine(ofRow row: Int) -> SourceLine? {
        guard let first = firstSource, let last = lastSource, first.file == last.file,
            last.line - first.line + 1 == records, row >= 1, row <= records
        else { return nil }
        return SourceLine(file: first.file, line: first.line + row - 1)
    }
}

public struct SourceLine: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var description: String { "\(file):\(line)" }
}

/// Why a folder or file cannot be uploaded.
public struct PlanProblem: Error, CustomStringConvertible {
    public var description: String
    /// 1: a file holds invalid records; 3: something could not be read.
    public var exitStatus: ExitStatus
}

/// The ordered list of chunks an upload will submit.
public struct UploadPlan: Sendable {
    public var chunks: [UploadChunk]
    /// Where the journal lives.
    public var journalPath: String
    /// The manifest the chunks were listed in (a folder upload), which the journal must not be.
    public var manifestPath: String?
    public var totalBytes: Int { chunks.reduce(0) { $0 + $1.bytes } }
    public var totalRecords: Int { chunks.reduce(0) { $0 + $1.records } }

    /// A convert/split output folder: chunks in manifest order, each checked against its recorded
    /// size and sha256 so that a file changed since it was written is never sent.
    public static func folder(_ directory: String, journal: String? = nil) throws(PlanProblem) -> UploadPlan {
        let manifestPath = directory + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw PlanProblem(
                description:
                    "\(manifestPath): cannot be read; upload takes a folder written by convert --out or split.",
                exitStatus: .ioFailure)
        }
        guard let manifest = Manifest.read(data) else {
            throw PlanProblem(
                description: "\(manifestPath): not a manifest written by import-prep.", exitStatus: .ioFailure)
        }
        if !manifest.complete {
            throw PlanProblem(
                description:
                    "\(manifestPath): the conversion was interrupted before the end of its input; convert again into an empty folder, then upload.",
                exitStatus: .ioFailure)
        }
        var chunks: [UploadChunk] = []
        for entry in manifest.chunks {
            let (name, bytes, records, sha256) = (entry.file, entry.bytes, entry.records, entry.sha256)
            guard !name.contains("/"), !name.isEmpty else {
                throw PlanProblem(
                    description: "\(manifestPath): a chunk's file must be a name in the folder, not \(name).",
                    exitStatus: .ioFailure)
            }
            let path = directory + "/" + name
            let actual = try digest(of: path)
            guard actual.bytes == bytes, actual.sha256 == sha256 else {
                throw PlanProblem(
                    description:
                        "\(path): does not match manifest.json (\(actual.bytes) bytes, sha256 \(actual.sha256.prefix(12))…; the manifest says \(bytes) bytes, \(sha256.prefix(12))…). It changed after it was written; it will not be sent.",
                    exitStatus: .ioFailure)
            }
            chunks.append(
                UploadChunk(
                    name: name, path: path, bytes: bytes, records: records, sha256: sha256,
                    firstSource: entry.firstSource.map { SourceLine(file: $0.file, line: $0.line) },
                    lastSource: entry.lastSource.map { SourceLine(file: $0.file, line: $0.line) }))
        }
        return UploadPlan(
            chunks: chunks, journalPath: journal ?? directory + "/upload-journal.ndjson", manifestPath: manifestPath)
    }

    /// Files named on the command line: each is validated first (a file with an invalid record would
    /// fail its whole job) and counted. The journal goes next to the first file unless told otherwise.
    public static func files(_ paths: [String], journal: String? = nil) throws(PlanProblem) -> UploadPlan {
        var chunks: [UploadChunk] = []
        for path in paths {
            var options = ValidationOptions()
            options.parallel = false
            options.maxErrors = 3
            let validator = Validator(options: options)
            validator.validate(path: path)
            validator.finish()
            let summary = validator.total
            if let failure = summary.readFailure {
                throw PlanProblem(description: "\(path): \(failure)", exitStatus: .ioFailure)
            }
            if summary.invalid > 0 {
                let first = validator.shownErrors.prefix(3).map {
                    "  \($0.file):\($0.location.line): \($0.message)"
                }.joined(separator: "\n")
                throw PlanProblem(
                    description:
                        "\(path): \(summary.invalid) invalid record(s); the API would fail the whole job at the first one. Run `import-prep convert --out DIR \(path)` and upload DIR.\n"
                        + first,
                    exitStatus: .invalidRecords)
            }
            if summary.bytes != (try? ByteSource(path: path))?.regularFileSize {
                throw PlanProblem(
                    description: "\(path): upload takes regular, uncompressed files.", exitStatus: .ioFailure)
            }
            let actual = try digest(of: path)
            let name = (path as NSString).lastPathComponent
            chunks.append(
                UploadChunk(
                    name: name, path: path, bytes: actual.bytes, records: summary.records, sha256: actual.sha256,
                    firstSource: SourceLine(file: path, line: 1), lastSource: nil))
        }
        let directory = paths.first.map { ($0 as NSString).deletingLastPathComponent } ?? "."
        return UploadPlan(
            chunks: chunks, journalPath: journal ?? (directory.isEmpty ? "." : directory) + "/upload-journal.ndjson")
    }

    /// Size and sha256 of a file.
    public static func digest(of path: String) throws(PlanProblem) -> (bytes: Int, sha256: String) {
        do {
            return try FileDigest.sha256(ofFile: path)
        } catch {
            throw PlanProblem(description: error.description, exitStatus: .ioFailure)
        }
    }
}
