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
    public var exitStatus: Int32
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
                exitStatus: 3)
        }
        guard let manifest = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let list = manifest["chunks"] as? [[String: Any]]
        else {
            throw PlanProblem(description: "\(manifestPath): not a manifest written by import-prep.", exitStatus: 3)
        }
        if manifest["complete"] as? Bool == false {
            throw PlanProblem(
                description:
                    "\(manifestPath): the conversion was interrupted before the end of its input; convert again into an empty folder, then upload.",
                exitStatus: 3)
        }
        var chunks: [UploadChunk] = []
        for entry in list {
            guard let name = entry["file"] as? String, !name.contains("/"),
                let bytes = ImportJob.integer(entry["bytes"]), let records = ImportJob.integer(entry["records"]),
                let sha256 = entry["sha256"] as? String
            else {
                throw PlanProblem(
                    description: "\(manifestPath): a chunk entry lacks file, bytes, records or sha256.", exitStatus: 3)
            }
            let path = directory + "/" + name
            let actual = try digest(of: path)
            guard actual.bytes == bytes, actual.sha256 == sha256 else {
                throw PlanProblem(
                    description:
                        "\(path): does not match manifest.json (\(actual.bytes) bytes, sha256 \(actual.sha256.prefix(12))…; the manifest says \(bytes) bytes, \(sha256.prefix(12))…). It changed after it was written; it will not be sent.",
                    exitStatus: 3)
            }
            chunks.append(
                UploadChunk(
                    name: name, path: path, bytes: bytes, records: records, sha256: sha256,
                    firstSource: source(entry["first_source"]), lastSource: source(entry["last_source"])))
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
                throw PlanProblem(description: "\(path): \(failure)", exitStatus: 3)
            }
            if summary.invalid > 0 {
                let first = validator.shownErrors.prefix(3).map {
                    "  \($0.file):\($0.location.line): \($0.message)"
                }.joined(separator: "\n")
                throw PlanProblem(
                    description:
                        "\(path): \(summary.invalid) invalid record(s); the API would fail the whole job at the first one. Run `import-prep convert --out DIR \(path)` and upload DIR.\n"
                        + first,
                    exitStatus: 1)
            }
            if summary.bytes != (try? ByteSource(path: path))?.regularFileSize {
                throw PlanProblem(description: "\(path): upload takes regular, uncompressed files.", exitStatus: 3)
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

    static func source(_ value: Any?) -> SourceLine? {
        guard let object = value as? [String: Any], let file = object["file"] as? String,
            let line = ImportJob.integer(object["line"])
        else { return nil }
        return SourceLine(file: file, line: line)
    }

    /// Size and sha256 of a file.
    public static func digest(of path: String) throws(PlanProblem) -> (bytes: Int, sha256: String) {
        do {
            return try FileDigest.sha256(ofFile: path)
        } catch {
            throw PlanProblem(description: error.description, exitStatus: 3)
        }
    }
}
