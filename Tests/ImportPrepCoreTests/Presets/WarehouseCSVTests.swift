import Foundation
import Testing

@testable import ImportPrepCore

/// Vendors' warehouse copies as CSV (SPEC §8): columns plus JSON in cells, read through the same
/// mapping as the vendor's NDJSON.
@Suite struct WarehouseCSVTests {
    @Test func mixpanelsWarehouseCopyMapsLikeItsExport() throws {
        let csv = [
            "_fivetran_synced,name,time,distinct_id,properties,insert_id,os,browser,city",
            #"2020-08-07 08:59:49,plays,2020-08-01 10:16:46,9e30-uuid,"{""title"": ""spongebob"",""user_id"": ""114521"",""video_id"": 5279}",x1,Roku,,Oslo"#,
            #"2020-08-07 08:59:49,$identify,2020-08-01 10:16:47,9e30-uuid,{},x2,,,"#,
            #"2020-08-07 08:59:49,plays,,9e30-uuid,{},x3,,,"#,
        ].joined(separator: "\r\n")
        let run = try PresetRun.run(.mixpanel, [csv], name: "event.csv")
        #expect(run.shapes == ["track 9e30-uuid plays"])
        let row = run.rows[0]
        #expect(row["inserted_at"] as? String == "2020-08-01T10:16:46.000000")
        #expect(row["operating_system"] as? String == "Roku")
        let metadata = row["metadata"] as! [String: Any]
        #expect(metadata.keys.sorted() == ["city", "title", "user_id", "video_id"])
        #expect(metadata["video_id"] as? Int == 5279)
        #expect(run.skipped(.identityMerge) == 1 && run.skipped(.noTime) == 1)

        let byProperty = try PresetRun.run(.mixpanel, [csv], name: "event.csv") { $0.userProperty = "user_id" }
        #expect(byProperty.shapes == ["track 114521 plays"])
    }

    @Test func amplitudeAndPosthogTablesWithJSONCells() throws {
        let amplitude = [
            "event_type,user_id,event_time,event_properties,user_properties,groups,amplitude_id",
            #"watch,dev@example.com,2025-03-01T19:42:58.123,"{""show"":""x""}","{""Cohort"":""A""}",{},75805000264"#,
        ].joined(separator: "\n")
        let run = try PresetRun.run(.amplitude, [amplitude], name: "amplitude.csv")
        #expect(run.shapes == ["identify_user dev@example.com", "track dev@example.com watch"])
        #expect((run.rows[1]["metadata"] as! [String: Any])["show"] as? String == "x")

        let posthog = [
            "uuid,event,distinct_id,timestamp,properties",
            #"a1,$pageview,u1,2024-05-01 12:00:00,"{""$current_url"":""https://e.com/a"",""plan"":""pro""}""#,
        ].joined(separator: "\n")
        let ph = try PresetRun.run(.posthog, [posthog], name: "events.csv")
        #expect(ph.shapes == ["page_view u1"])
        #expect(ph.rows[0]["url"] as? String == "https://e.com/a")
    }

    @Test func csvAndNDJSONCopiesOfTheSameRecordsConvertToTheSameBytes() throws {
        let ndjson = [
            #"{"event_type":"watch","user_id":"u1","event_time":"2025-03-01 19:42:58.123","event_properties":{"show":"x","n":3},"user_properties":{"cohort":"A"},"groups":{"company":["acme"]},"$insert_id":"i1"}"#,
            #"{"event_type":"[Amplitude] Page Viewed","user_id":"u2","event_time":"2025-03-01 19:43:00","event_properties":{"[Amplitude] Page Location":"https://e.com/a b"},"$insert_id":"i2"}"#,
        ].joined(separator: "\n")
        let csv = [
            "event_type,user_id,event_time,event_properties,user_properties,groups,$insert_id",
            #"watch,u1,2025-03-01 19:42:58.123,"{""show"":""x"",""n"":3}","{""cohort"":""A""}","{""company"":[""acme""]}",i1"#,
            #"[Amplitude] Page Viewed,u2,2025-03-01 19:43:00,"{""[Amplitude] Page Location"":""https://e.com/a b""}",,,i2"#,
        ].joined(separator: "\n")
        let fromNDJSON = try PresetRun.run(.amplitude, [ndjson], name: "export.ndjson")
        let fromCSV = try PresetRun.run(.amplitude, [csv], name: "export.csv")
        #expect(fromNDJSON.converted.output == fromCSV.converted.output)
        #expect(fromNDJSON.rows.count == 3)
    }

    @Test func segmentImportsCSVNestsTraitsOneLevel() throws {
        let csv = [
            "action,userId,timestamp,traits.company,traits.email,traits.seats,traits.note,first.second.third",
            "identify,a3810,2014-10-02T00:46:34.576Z,segment,andy@segment.io,5,null,2",
            "identify,b1238,2014-09-21T00:26:25.576Z,01,steve@example.com,0.1,x,5",
            "identify,b9999,,acme,c@example.com,1,,",
        ].joined(separator: "\n")
        let run = try PresetRun.run(.segment, [csv], name: "import.csv")
        #expect(run.shapes == ["identify_user a3810", "identify_user b1238"])
        let traits = run.rows[0]["metadata"] as! [String: Any]
        #expect(traits["email"] as? String == "andy@segment.io" && traits["seats"] as? Int == 5)
        #expect(traits["note"] == nil, "null cells are absent")
        #expect((run.rows[1]["metadata"] as! [String: Any])["company"] as? String == "01", "01 is not a number")
        #expect(run.skipped(.noTime) == 1)
    }

    @Test func segmentsWarehouseTablesAreToldByTheirColumns() throws {
        let pages = [
            "id,anonymous_id,user_id,received_at,timestamp,url,path,title,context_ip,context_user_agent,context_group_id",
            "ajs-1,a1,u1,2015-02-23 22:28:55,2015-02-23 22:28:55,https://www.example.com/p,/p,Product,8.8.8.8,Mozilla/5.0,acme",
            "ajs-2,a2,,2015-02-23 22:28:56,2015-02-23 22:28:56,https://www.example.com/q,/q,Q,8.8.8.8,Mozilla/5.0,",
        ].joined(separator: "\n")
        let run = try PresetRun.run(.segment, [pages], name: "pages.csv")
        #expect(run.shapes == ["page_view u1"] && run.skipped(.anonymousUser) == 1)
        #expect(run.rows[0]["company_id"] as? String == "acme" && run.rows[0]["user_agent"] as? String == "Mozilla/5.0")
        #expect(
            (run.rows[0]["metadata"] as! [String: Any]).keys.sorted() == ["path", "title"], "context_* columns dropped")

        let tracks =
            "id,user_id,timestamp,event,event_text,total\nm1,u1,2024-03-01 10:00:00,order_completed,Order Completed,9.5\n"
        let track = try PresetRun.run(.segment, [tracks], name: "tracks.csv")
        #expect(track.shapes == ["track u1 Order Completed"])
        #expect((track.rows[0]["metadata"] as! [String: Any])["total"] as? Double == 9.5, "numbers as numbers")

        let identifies = "id,user_id,timestamp,email,created_at\ni1,u1,2024-03-01 10:00:00,a@example.com,2020-01-01\n"
        #expect(try PresetRun.run(.segment, [identifies], name: "identifies.csv").shapes == ["identify_user u1"])
        let groups = "id,user_id,group_id,timestamp,name\ng1,u1,acme,2024-03-01 10:00:00,Acme\n"
        let grouped = try PresetRun.run(.segment, [groups], name: "groups.csv")
        #expect(grouped.shapes == ["identify_company acme", "identify_user u1"])
    }

    @Test func brokenCSVRecordsAreRejectedWithTheirTextAndReadingGoesOn() throws {
        let csv = [
            "name,time,distinct_id",
            "a,1700000000,u1",
            "b,1700000001",
            #"c,1700000002,"u"3"#,
            "d,1700000003,u4",
        ].joined(separator: "\n")
        let run = try PresetRun.run(.mixpanel, [csv], name: "event.csv")
        #expect(run.shapes == ["track u1 a", "track u4 d"])
        #expect(run.converted.rejects.map { $0["line"] as? Int } == [3, 4])
        #expect(run.converted.rejects.first?["raw"] as? String == "b,1700000001")
        #expect(run.validated.count(.columnCount) == 1 && run.validated.count(.malformedCSV) == 1)
    }
}
