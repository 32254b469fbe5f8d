import Foundation
import ImportPrepTestSupport
import Testing

/// `profile` through the built binary, on the bundled sample history.
@Suite struct ProfileCLITests {
    @Test func theSampleHistoryReportsItsFindingsAndStrictFailsOnRisks() throws {
        let run = try ImportPrepBinary.run(["profile", "--report", "json", "samples/profile-history.ndjson"])
        #expect(run.status == 0, "\(run.stderr)")
        let findings = run.json["findings"] as! [[String: Any]]
        let codes = Set(findings.compactMap { $0["code"] as? String })
        for code in [
            "history_gap", "ancient_timestamp", "junk_id", "user_never_identified", "company_never_identified",
            "type_drift", "key_case_collision", "identify_after_first_event", "identify_out_of_order",
            "pii_in_event_metadata", "identify_property_dropped", "identify_null_overwrite", "duplicate_record",
            "future_timestamp", "id_whitespace",
        ] {
            #expect(codes.contains(code), "\(code)")
        }
        let gap = findings.first { $0["code"] as? String == "history_gap" }!
        #expect((gap["breakdown"] as! [String: Int])["2024-02-10..2024-02-16"] == 7)

        let strict = try ImportPrepBinary.run(["profile", "--strict", "samples/profile-history.ndjson"])
        #expect(strict.status == 1)
        #expect(strict.stdout.contains("records per month"))
        #expect(strict.stdout.contains("history_gap: 12"))
        // Only risks count for --strict: the API's own examples have a user never identified (a
        // risk), the sample without findings exits 0 under --strict.
        let risky = try ImportPrepBinary.run(["profile", "--strict", "samples/clean.ndjson"])
        #expect(risky.status == 1)
        #expect(risky.stdout.contains("user_never_identified: 1"))
        let folder = try ScratchFolder()
        let fine = folder.path("fine.ndjson")
        try Data(
            ("{\"event_type\":\"identify_user\",\"user_id\":\"u1\",\"inserted_at\":\"2024-01-01T10:00:00Z\"}\n"
                + "{\"event_type\":\"track\",\"user_id\":\"u1\",\"event_name\":\"E\",\"inserted_at\":\"2024-01-02T10:00:00Z\"}\n")
                .utf8
        ).write(to: URL(fileURLWithPath: fine))
        let none = try ImportPrepBinary.run(["profile", "--strict", fine])
        #expect(none.status == 0)
        #expect(none.stdout.contains("No findings"))
    }

    @Test func aVendorExportAndAMissingFile() throws {
        let vendor = try ImportPrepBinary.run([
            "profile", "--from", "amplitude", "--report", "json", "samples/vendor/amplitude-export.ndjson",
        ])
        #expect(vendor.status == 0, "\(vendor.stderr)")
        #expect((vendor.json["records"] as? Int ?? 0) > 0)
        let missing = try ImportPrepBinary.run(["profile", "samples/no-such-file.ndjson"])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("no-such-file.ndjson"))
    }
}

/// `profile`'s temporary files (the duplicate checks' spill) are gone after a signal too.
@Suite struct ProfileInterruptionTests {
    @Test(.timeLimit(.minutes(2)), arguments: [SIGINT, SIGTERM])
    func aSignalRemovesTheTemporaryFiles(signal: Int32) throws {
        let folder = try ScratchFolder()
        let tmp = folder.path("tmp")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let process = try ChildProcess(
            ImportPrepBinary.url.path, ["profile", "--tmp", tmp, "--format", "ndjson", "-"], stdin: .pipe)
        // Enough records for the duplicate checks to spill (they keep 4,096 keys per partition in
        // memory first): 80,000 distinct ones, written while the run reads them.
        var lines = ""
        for n in 0..<80_000 {
            lines +=
                #"{"event_type":"track","user_id":"u\#(n)","event_name":"e","inserted_at":"2024-07-28T10:00:00","metadata":{}}"#
                + "\n"
        }
        try process.write(Data(lines.utf8))
        // Wait (bounded) until the spill folder exists, then interrupt while input stays open.
        var waited = 0
        while (try FileManager.default.contentsOfDirectory(atPath: tmp)).isEmpty && waited < 400 {
            usleep(50_000)
            waited += 1
        }
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: tmp)).isEmpty)
        process.signal(signal)
        let ending = process.wait()
        process.closeInput()
        #expect(ending == .init(status: 128 + signal, signalled: false))
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp) == [])
    }

    @Test func theTemporaryFilesAreGoneAfterARun() throws {
        let folder = try ScratchFolder()
        let tmp = folder.path("tmp")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let run = try ImportPrepBinary.run(["profile", "--tmp", tmp, "samples/profile-history.ndjson"])
        #expect(run.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp) == [])
        let bad = try ImportPrepBinary.run(["profile", "--tmp", folder.path("missing"), "samples/clean.ndjson"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--tmp"))
    }
}
