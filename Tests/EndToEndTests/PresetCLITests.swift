import Foundation
import ImportPrepTestSupport
import Testing

/// `--from`, detection and `presets` through the built binary, on the vendor samples.
@Suite struct PresetCLITests {
    @Test func theVendorSamplesHoldEveryPresetCode() throws {
        var errors: [String: Int] = [:]
        var warnings: [String: Int] = [:]
        for (preset, file) in [
            ("mixpanel", "mixpanel-export.ndjson"), ("posthog", "posthog-export.ndjson"),
            ("amplitude", "amplitude-export.ndjson"),
            ("segment", "segment-messages.ndjson"), ("ga4", "ga4-export.json"),
            ("mixpanel-profiles", "mixpanel-engage.json"), ("pendo", "pendo-aggregates.json"),
        ] {
            let run = try ImportPrepBinary.run([
                "validate", "--from", preset, "--report", "json", "samples/vendor/\(file)",
            ])
            #expect(run.status == (preset == "mixpanel" ? 1 : 0), "\(preset): \(run.stderr)")
            let total = run.json["total"] as! [String: Any]
            errors.merge(total["errors_by_code"] as! [String: Int], uniquingKeysWith: +)
            warnings.merge(total["warnings_by_code"] as! [String: Int], uniquingKeysWith: +)
            let counts = total["preset"] as! [String: Any]
            #expect(counts["from"] as? String == preset)
        }
        #expect(errors["truncated_export"] == 1)
        for code in [
            "page_without_url", "suspicious_user_id", "several_groups", "metadata_key_collision", "url_percent_encoded",
        ] {
            #expect((warnings[code] ?? 0) > 0, "\(code)")
        }
    }

    @Test func convertCountsSkippedRecordsAndKeepsTheVendorRecordInRejects() throws {
        let folder = try ScratchFolder()
        let run = try ImportPrepBinary.run([
            "convert", "--to", "ndjson", "--from", "mixpanel", "--out", folder.path("out"), "--rejects",
            folder.path("rejects.ndjson"), "samples/vendor/mixpanel-export.ndjson",
        ])
        #expect(run.status == 1, "truncated_export: \(run.stderr)")
        #expect(run.stderr.contains("10 records read = 6 written + 0 rejected + 4 skipped"), "\(run.stderr)")
        // The cut is named at its line; the records before it were read, and the report says no other.
        #expect(run.stderr.contains("line 11: truncated_export"), "\(run.stderr)")
        #expect(!run.stderr.contains("no record of this file was read"), "\(run.stderr)")
        let manifest = try JSONSerialization.jsonObject(with: Data(folder.read("out/manifest.json"))) as! [String: Any]
        let preset = (manifest["totals"] as! [String: Any])["preset"] as! [String: Any]
        #expect(preset["vendor_records"] as? Int == 10 && preset["skipped"] as? Int == 4)
        let rejects = String(decoding: try folder.read("rejects.ndjson"), as: UTF8.self)
        #expect(rejects.contains("truncated_export"))
    }

    @Test func anEngageDocumentOfProfilesConverts() throws {
        let run = try ImportPrepBinary.run([
            "convert", "--to", "ndjson", "--from", "mixpanel-profiles", "samples/vendor/mixpanel-engage.json",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = run.stdout.split(separator: "\n")
        #expect(rows.count == 2 && rows.allSatisfy { $0.contains("\"identify_user\"") })
        #expect(run.stderr.contains("3 records read = 2 written + 0 rejected + 1 skipped"), "\(run.stderr)")
        #expect(run.stderr.contains("no_time 1"))
    }

    @Test func validateSaysWhichPresetAFileNeeds() throws {
        let run = try ImportPrepBinary.run(["validate", "samples/vendor/segment-messages.ndjson"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("looks like a Segment export; add --from segment"), "\(run.stderr)")
        let clean = try ImportPrepBinary.run(["validate", "samples/clean.ndjson"])
        #expect(!clean.stderr.contains("looks like"))
    }

    @Test func presetsListsAndShowsTheRules() throws {
        let list = try ImportPrepBinary.run(["presets"])
        #expect(list.status == 0)
        for name in [
            "mixpanel", "mixpanel-profiles", "mixpanel-groups", "amplitude", "segment", "posthog", "ga4", "pendo",
        ] {
            #expect(list.stdout.contains(name))
        }
        let show = try ImportPrepBinary.run(["presets", "show", "posthog"])
        #expect(show.status == 0 && show.stdout.contains("$autocapture") && show.stdout.contains("--keep-event"))
        let unknown = try ImportPrepBinary.run(["presets", "show", "hubspot"])
        #expect(unknown.status == 2)
    }

    @Test func aMappingFileMapsATableAndItsMistakesAreUsageErrorsWithTheirLine() throws {
        let run = try ImportPrepBinary.run([
            "convert", "--to", "ndjson", "--map", "samples/vendor/warehouse-map.yaml",
            "samples/vendor/warehouse-table.csv",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").count == 3)
        #expect(run.stderr.contains("5 records read = 3 written + 0 rejected + 2 skipped"), "\(run.stderr)")
        let folder = try ScratchFolder()
        try Data("event_type: { value: track }\nuser_id: persn\ninserted_at: ts\n".utf8).write(
            to: URL(fileURLWithPath: folder.path("map.yaml")))
        let bad = try ImportPrepBinary.run([
            "validate", "--map", folder.path("map.yaml"), "samples/vendor/warehouse-table.csv",
        ])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("map.yaml:2: the field `persn`"), "\(bad.stderr)")
        let both = try ImportPrepBinary.run([
            "validate", "--map", folder.path("map.yaml"), "--from", "mixpanel", "samples/clean.ndjson",
        ])
        #expect(both.status == 2)
    }

    @Test func heapEventsAreResolvedThroughTheUsersAndMigrationsAmongTheInputs() throws {
        let run = try ImportPrepBinary.run([
            "convert", "--to", "ndjson", "--from", "heap", "samples/vendor/heap-pageviews.csv",
            "samples/vendor/heap-users.csv", "samples/vendor/heap-user_migrations.csv",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = run.stdout.split(separator: "\n")
        #expect(rows.count == 3 && rows.filter { $0.contains("\"user_id\":\"ann@example.com\"") }.count == 3)
    }

    @Test func presetChoicesNeedFrom() throws {
        let run = try ImportPrepBinary.run(["validate", "--page-event", "Seen", "samples/clean.ndjson"])
        #expect(run.status == 2 && run.stderr.contains("--page-event goes with --from VENDOR"), "\(run.stderr)")
    }
}
