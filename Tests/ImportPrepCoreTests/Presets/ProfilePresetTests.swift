import Foundation
import Testing

@testable import ImportPrepCore

/// `--from mixpanel-profiles` and `mixpanel-groups`: Engage pages as JSON documents (SPEC §8 rule 4).
@Suite struct ProfilePresetTests {
    static let pages = """
        {
          "page": 0,
          "page_size": 2,
          "results": [
            {
              "$distinct_id": "u1",
              "$properties": {"$last_seen": "2024-06-01T10:00:00", "$created": "2023-01-01T00:00:00", "$email": "a@example.com", "plan": {"tier": "pro"}}
            },
            {"$distinct_id": "u2", "$properties": {"$created": "2023-02-02T02:02:02"}}
          ],
          "session_id": "1234-0",
          "status": "ok",
          "total": 4
        }
        {"page": 1, "page_size": 2, "results": [{"$distinct_id": "u3", "$properties": {"name": "no time"}}, {"$distinct_id": "undefined", "$properties": {"$last_seen": "2024-06-01T10:00:00"}}], "session_id": "1234-0", "status": "ok", "total": 4}
        """

    @Test func everyProfileOfEveryPageIsOneIdentifyRowAtItsLastSeenTime() throws {
        let run = try PresetRun.run(.mixpanelProfiles, [Self.pages], name: "engage.json")
        #expect(run.shapes == ["identify_user u1", "identify_user u2"])
        #expect(run.rows[0]["inserted_at"] as? String == "2024-06-01T10:00:00.000000")
        #expect(run.rows[1]["inserted_at"] as? String == "2023-02-02T02:02:02.000000", "creation time when never seen")
        let metadata = run.rows[0]["metadata"] as! [String: Any]
        #expect(metadata["email"] as? String == "a@example.com" && metadata["plan.tier"] as? String == "pro")
        #expect(metadata["$last_seen"] == nil)
        #expect(run.skipped(.noTime) == 1 && run.skipped(.junkUserID) == 1)
        #expect(run.counts.vendorRecords(rows: run.converted.summary.records) == 4)
        // Coordinates are the line of each profile's first byte (its `{`), and the profile is the raw.
        let converted = try convert(
            Self.pages.replacingOccurrences(of: "\"plan\"", with: "\"plan\",\"x\""), as: "e.json"
        ) {
            $0.preset = PresetSettings(preset: .mixpanelProfiles)
        }
        #expect(converted.rejects.first?["line"] as? Int == 5)
        #expect((converted.rejects.first?["raw"] as? String)?.hasPrefix("{\n      \"$distinct_id\": \"u1\"") == true)

        let stamped = try PresetRun.run(.mixpanelProfiles, [Self.pages]) {
            $0.profileTime = Timestamp.vendorTime("2024-12-31T00:00:00Z")
        }
        #expect(stamped.shapes == ["identify_user u1", "identify_user u2", "identify_user u3"])
        #expect(stamped.rows[2]["inserted_at"] as? String == "2024-12-31T00:00:00.000000")
    }

    @Test func ndjsonOfProfilesAndGroupProfilesReadToo() throws {
        let run = try PresetRun.run(
            .mixpanelGroups,
            [
                #"{"$distinct_id":"acme","$properties":{"$last_seen":"2024-06-01T10:00:00","$name":"Acme"}}"#,
                #"{"$distinct_id":"globex","$properties":{"$created":"2024-01-01T00:00:00"}}"#,
            ])
        #expect(run.shapes == ["identify_company acme", "identify_company globex"])
        #expect((run.rows[0]["metadata"] as! [String: Any])["name"] as? String == "Acme")
    }

    @Test func aDocumentCutOffKeepsItsCompleteProfilesAndFailsTheFile() throws {
        let cut = String(Self.pages.prefix(upTo: Self.pages.range(of: "\"session_id\"")!.lowerBound))
        let run = try PresetRun.run(.mixpanelProfiles, [cut])
        #expect(run.shapes == ["identify_user u1", "identify_user u2"])
        #expect(run.validated.count(.truncatedExport) == 1 && run.exitStatus == .invalidRecords)
    }
}
