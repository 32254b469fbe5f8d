import Foundation
import ImportPrepTestSupport
import Testing

/// `convert` and `split` through the built binary.
@Suite struct ConvertCLITests {
    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("import-prep-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func convertsSamplesIntoChunksWithRejects() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("chunks").path
        let rejects = dir.appendingPathComponent("rejects.ndjson").path
        let run = try ImportPrepBinary.run([
            "convert", "--to", "ndjson", "--out", out, "--max-bytes", "1KB", "--rejects", rejects, "samples/errors.csv",
            "samples/clean.csv",
        ])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("20 records read = 8 written + 12 rejected"), "\(run.stderr)")
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")))
            as! [String: Any]
        let chunks = manifest["chunks"] as! [[String: Any]]
        #expect(chunks.count >= 2)
        for chunk in chunks {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: out + "/" + (chunk["file"] as! String)))
            #expect(bytes.count <= 1000)
            #expect(try IndependentSHA256.hex(Array(bytes)) == chunk["sha256"] as? String)
        }
        let rejected = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n")
        #expect(rejected.count == 12)
        // What was written validates cleanly.
        let parts = chunks.map { out + "/" + ($0["file"] as! String) }
        let check = try ImportPrepBinary.run(["validate", "--report", "json"] + parts)
        #expect(check.status == 0)
        let total = check.json["total"] as! [String: Any]
        #expect((total["warnings_by_code"] as! [String: Int]).values.allSatisfy { $0 == 0 })
    }

    @Test func convertsToStandardOutputAndReportsJSONOnStderr() throws {
        let run = try ImportPrepBinary.run(["convert", "--to", "ndjson", "--report", "json", "samples/clean.csv"])
        #expect(run.status == 0)
        #expect(run.stdout.split(separator: "\n").count == 6)
        let report = try JSONSerialization.jsonObject(with: Data(run.stderr.utf8)) as! [String: Any]
        #expect(report["written"] as? Int == 6)
        let check = try ImportPrepBinary.run(["validate", "--format", "ndjson", "-"], stdin: Data(run.stdout.utf8))
        #expect(check.status == 0 && check.stdout.contains("6 valid"))
    }

    @Test func splitCutsExistingNDJSON() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("parts").path
        let run = try ImportPrepBinary.run(["split", "--max-bytes", "700", "--out", out, "samples/clean.ndjson"])
        #expect(run.status == 0, "\(run.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(files.contains("manifest.json") && files.contains("part-00002.ndjson"))
        var joined = Data()
        for file in files where file.hasPrefix("part-") {
            joined += try Data(contentsOf: URL(fileURLWithPath: out + "/" + file))
        }
        #expect(joined == (try Data(contentsOf: Paths.root.appendingPathComponent("samples/clean.ndjson"))))
    }

    @Test(arguments: [
        ["split", "--out", "x", "samples/clean.ndjson"], ["split", "--max-bytes", "1MB", "samples/clean.ndjson"],
        ["convert", "samples/clean.ndjson"], ["convert", "--to", "csv", "samples/clean.ndjson"],
        ["convert", "--to", "ndjson", "--max-bytes", "lots", "samples/clean.ndjson"],
        ["convert", "--to", "ndjson", "--out", "x", "-o", "y", "samples/clean.ndjson"],
        ["convert", "--to", "ndjson", "--epoch", "days", "samples/clean.ndjson"],
    ])
    func usageErrorsExitTwo(arguments: [String]) throws {
        let run = try ImportPrepBinary.run(arguments)
        #expect(run.status == 2, "\(arguments): \(run.stderr)")
    }

    /// A header that cannot be read is not "0 records read" with exit 0: exit 1, the error in the
    /// summary, the JSON report and the manifest, the file's lines counted as not read.
    @Test func anUnreadableHeaderFailsTheConversion() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("bad.csv")
        try Data("event_\"type,user_id\ntrack,u1\ntrack,u2\n".utf8).write(to: input)
        let out = dir.appendingPathComponent("parts").path
        let run = try ImportPrepBinary.run(["convert", "--to", "ndjson", "--out", out, input.path])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("line 1: malformed_csv"), "\(run.stderr)")
        #expect(run.stderr.contains("The CSV header cannot be read"), "\(run.stderr)")
        #expect(!run.stderr.contains("reading resumed"), "\(run.stderr)")
        #expect(run.stderr.contains("2 non-blank lines not read"), "\(run.stderr)")
        let manifest = try String(contentsOfFile: out + "/manifest.json", encoding: .utf8)
        #expect(manifest.contains(#""file_error":{"code":"malformed_csv","line":1"#), "\(manifest)")
        let json = try ImportPrepBinary.run(["convert", "--to", "ndjson", "-o", "-", "--report", "json", input.path])
        #expect(json.status == 1 && json.stderr.contains(#""lines_not_read":2"#), "\(json.stderr)")
    }

    @Test func aFolderWithEarlierChunksIsRefused() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("parts").path
        #expect(
            try ImportPrepBinary.run(["convert", "--to", "ndjson", "--out", out, "samples/clean.ndjson"]).status == 0)
        let again = try ImportPrepBinary.run(["convert", "--to", "ndjson", "--out", out, "samples/clean.ndjson"])
        #expect(again.status == 3)
        #expect(again.stderr.contains(out))
    }

    /// SIGINT or SIGTERM while waiting for input: finished chunks stay, the partial one goes, and
    /// the manifest says the run was interrupted and after which line.
    @Test(arguments: [SIGINT, SIGTERM])
    func interruptionLeavesOnlyCompleteChunks(signal: Int32) throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("parts").path
        let process = try ChildProcess(
            ImportPrepBinary.url.path, ["convert", "--to", "ndjson", "--out", out, "--max-rows", "10", "-"],
            stdin: .pipe)
        let line =
            #"{"event_type":"track","user_id":"u","event_name":"e","inserted_at":"2024-07-28T10:00:00","metadata":{}}"#
            + "\n"
        try process.write(Data(String(repeating: line, count: 25).utf8))
        // Wait (bounded) until two chunks are complete and the third is being written.
        var waited = 0
        while !FileManager.default.fileExists(atPath: out + "/part-00002.ndjson") && waited < 200 {
            usleep(50_000)
            waited += 1
        }
        process.signal(signal)
        // Standard input stays open: the run must stop while it waits for more.
        let ending = process.wait()
        process.closeInput()
        #expect(ending == .init(status: 128 + signal, signalled: false))
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(files == ["manifest.json", "part-00001.ndjson", "part-00002.ndjson"], "\(files)")
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")))
            as! [String: Any]
        #expect(manifest["complete"] as? Bool == false)
        let interrupted = manifest["interrupted"] as! [String: Any]
        // The signal may land while records 21-25 are still being handled, or after.
        let stoppedAt = interrupted["line"] as? Int ?? 0
        #expect((21...25).contains(stoppedAt))
        #expect(interrupted["signal"] as? Int == Int(signal))
        #expect((manifest["chunks"] as! [Any]).count == 2)
        let totals = manifest["totals"] as! [String: Any]
        #expect(totals["written"] as? Int == 20)
        #expect(totals["not_written"] as? Int == stoppedAt - 20)
        #expect(totals["records"] as? Int == stoppedAt)
    }
}
