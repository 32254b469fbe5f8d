import Foundation
import ImportPrepTestSupport
import Testing

/// Runs the built `import-prep` binary on `samples/` and on made-up inputs.
@Suite struct CLITests {
    @Test(arguments: ["samples/clean.ndjson", "samples/clean.csv"])
    func cleanSamplesAreValid(sample: String) throws {
        let run = try ImportPrepBinary.run(["validate", sample])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("6 records: 6 valid, 0 invalid"))
        #expect(run.stdout.contains("Every record is valid."))
        let json = try ImportPrepBinary.run(["validate", "--report", "json", sample]).json
        let total = json["total"] as! [String: Any]
        #expect((total["warnings_by_code"] as! [String: Int]).values.allSatisfy { $0 == 0 })
        #expect((total["by_event_type"] as! [String: Int]).values.allSatisfy { $0 > 0 })
    }

    @Test func theDocsExamplesAreValidWithTheSourceWarning() throws {
        let run = try ImportPrepBinary.run(["validate", "--report", "json", "samples/api-docs-examples.ndjson"])
        #expect(run.status == 0)
        let total = run.json["total"] as! [String: Any]
        #expect(total["valid"] as? Int == 2)
        #expect((total["warnings_by_code"] as! [String: Int])["source_defaulted"] == 2)
    }

    @Test func theErrorSamplesHoldEveryCode() throws {
        let run = try ImportPrepBinary.run([
            "validate", "--report", "json", "samples/errors.ndjson", "samples/errors.csv",
        ])
        #expect(run.status == 1)
        let total = run.json["total"] as! [String: Any]
        let errors = total["errors_by_code"] as! [String: Int]
        let warnings = total["warnings_by_code"] as! [String: Int]
        // Every code but those only a preset raises (the vendor samples hold those).
        let presetOnly = [
            "truncated_export", "page_without_url", "suspicious_user_id", "several_groups",
            "metadata_key_collision", "url_percent_encoded",
        ]
        #expect(errors.count == 17 && warnings.count == 11)
        #expect(errors.filter { !presetOnly.contains($0.key) }.values.allSatisfy { $0 > 0 }, "\(errors)")
        #expect(warnings.filter { !presetOnly.contains($0.key) }.values.allSatisfy { $0 > 0 }, "\(warnings)")
    }

    @Test func errorsFileListsEveryErrorUncapped() throws {
        let errorsFile = try ImportPrepBinary.temporaryFile("errors.ndjson", Data())
        let run = try ImportPrepBinary.run([
            "validate", "--report", "json", "--max-errors", "1", "--errors", errorsFile.path, "samples/errors.ndjson",
        ])
        #expect(run.status == 1)
        let file = (run.json["files"] as! [[String: Any]])[0]
        #expect((file["errors"] as! [Any]).count == 1)
        let counted = (file["errors_by_code"] as! [String: Int]).values.reduce(0, +)
        let lines = try String(contentsOf: errorsFile, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == counted)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        #expect(Set(first.keys) == ["file", "line", "record", "byte_offset", "field", "code", "message"])
        #expect(first["line"] as? Int == 2)
        #expect(first["code"] as? String == "malformed_json")
    }

    @Test func readsStandardInput() throws {
        let input = try Data(contentsOf: Paths.root.appendingPathComponent("samples/clean.ndjson"))
        let run = try ImportPrepBinary.run(["validate", "-"], stdin: input)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("- (ndjson"))
        let csv = try Data(contentsOf: Paths.root.appendingPathComponent("samples/clean.csv"))
        let csvRun = try ImportPrepBinary.run(["validate", "--format", "csv", "-"], stdin: csv)
        #expect(csvRun.status == 0, "\(csvRun.stdout)")
    }

    @Test(arguments: [
        ["validate"], ["validate", "--format", "xml", "x.csv"], ["validate", "--bogus", "x.csv"],
        ["validate", "--max-record-bytes", "huge", "x.csv"], ["frobnicate"],
    ])
    func usageErrorsExitTwo(arguments: [String]) throws {
        let run = try ImportPrepBinary.run(arguments)
        #expect(run.status == 2, "\(arguments): \(run.status) \(run.stderr)")
        #expect(!run.stderr.isEmpty)
    }

    @Test func unreadableInputsExitThreeAndNameThePath() throws {
        let run = try ImportPrepBinary.run(["validate", "samples/clean.ndjson", "no/such/file.ndjson"])
        #expect(run.status == 3)
        #expect(run.stderr.contains("no/such/file.ndjson"))
        #expect(run.stdout.contains("6 records"))
        let unwritable = try ImportPrepBinary.run([
            "validate", "--errors", "/no/such/dir/errors.ndjson", "samples/clean.ndjson",
        ])
        #expect(unwritable.status == 3)
        #expect(unwritable.stderr.contains("/no/such/dir/errors.ndjson"))
    }

    @Test func failFastStopsEarly() throws {
        let run = try ImportPrepBinary.run(["validate", "--fail-fast", "--report", "json", "samples/errors.ndjson"])
        #expect(run.status == 1)
        let total = run.json["total"] as! [String: Any]
        #expect(total["records"] as? Int == 2)
        #expect(total["invalid"] as? Int == 1)
    }

    @Test func helpExitsZero() throws {
        let run = try ImportPrepBinary.run(["validate", "--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("--max-errors"))
    }

    /// A file far larger than the buffers is validated in bounded memory (max RSS of the child).
    @Test func memoryStaysBoundedOnALargeFile() throws {
        let line =
            Array(
                #"{"event_type":"track","user_id":"u-123456","event_name":"Report Exported","source":"backend-http-import","inserted_at":"2024-07-28T10:00:00.123456","metadata":{"plan":"pro","rows":1200,"note":"some text to make the record longer than a cache line or two"}}"#
                    .utf8) + [0x0A]
        var block = [UInt8]()
        for _ in 0..<4096 { block += line }
        let url = try ImportPrepBinary.temporaryFile("big.ndjson", Data())
        let handle = try FileHandle(forWritingTo: url)
        for _ in 0..<(96 << 20) / block.count { handle.write(Data(block)) }
        try handle.close()
        let run = try ImportPrepBinary.runFeeding(["validate", "--report", "json", url.path]) { _ in }
        #expect(run.status == 0)
        #expect(run.peakKiB < 64 * 1024, "peak RSS \(run.peakKiB) KiB")
        try? FileManager.default.removeItem(at: url.deletingLastPathComponent())
    }
}
