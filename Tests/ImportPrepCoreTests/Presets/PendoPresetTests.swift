import Foundation
import Testing

@testable import ImportPrepCore

/// `--from pendo` (SPEC §8 rules 4 and 10): aggregates as one track per bucket, visitors and
/// accounts as identify rows; the Aggregation API's documents and Fivetran's CSV tables.
@Suite struct PendoPresetTests {
    @Test func aggregateBucketsBecomeOneTrackEachNeverExpanded() throws {
        let document = """
            {"results": [
              {"accountId": "acme", "appId": -323232, "day": 1543726800000, "numEvents": 17, "numMinutes": 4,
               "pageId": "pg-1", "remoteIp": "192.0.2.1", "server": "app.example.com", "userAgent": "Mozilla/5.0", "visitorId": "v1"},
              {"accountId": "acme", "day": 1543726800000, "numEvents": 2, "numMinutes": 1, "featureId": "ft-9", "visitorId": "v1"},
              {"accountId": "acme", "day": 1543726800000, "numEvents": 40, "numMinutes": 9, "visitorId": "v1"},
              {"accountId": "acme", "hour": 1543730400000, "numEvents": 3, "numMinutes": 1, "pageId": "pg-1", "visitorId": "_PENDO_T_abc"},
              {"id": "pg-1", "name": "Home"}
            ]}
            """
        let run = try PresetRun.run(.pendo, [document], name: "page-events.json")
        #expect(run.shapes == ["track v1 Page: pg-1", "track v1 Feature: ft-9"])
        let bucket = run.rows[0]
        #expect(bucket["inserted_at"] as? String == "2018-12-02T05:00:00.000000")
        #expect(bucket["company_id"] as? String == "acme" && bucket["user_agent"] as? String == "Mozilla/5.0")
        let metadata = bucket["metadata"] as! [String: Any]
        #expect(metadata.keys.sorted() == ["numEvents", "numMinutes", "page_id", "server"])
        #expect(metadata["numEvents"] as? Int == 17, "a bucket's count, not 17 rows")
        #expect(run.skipped(.activityRollup) == 1 && run.skipped(.anonymousUser) == 1 && run.skipped(.definition) == 1)
    }

    @Test func visitorsAndAccountsBecomeIdentifyRows() throws {
        let visitors = """
            {"results": [{"visitorId": "v1", "metadata": {
              "agent": {"email": "ann@example.com", "ipaddress": "192.0.2.1"},
              "auto": {"accountid": "acme", "firstvisit": 1463547077029, "lastupdated": 1535558257624, "lastvisit": 1515771385415},
              "salesforce": {"tier": "gold"}}}]}
            {"results": [{"accountId": "acme", "firstvisit": 1499789488980, "lastupdated": 1541601456280, "name": "Acme", "planlevel": null}]}
            """
        let run = try PresetRun.run(.pendo, [visitors], name: "people.json")
        #expect(run.shapes == ["identify_user v1", "identify_company acme"])
        #expect(run.rows[0]["company_id"] as? String == "acme")
        #expect(run.rows[0]["inserted_at"] as? String == "2018-08-29T15:57:37.624000")
        let traits = run.rows[0]["metadata"] as! [String: Any]
        #expect(traits["email"] as? String == "ann@example.com" && traits["ipaddress"] == nil)
        #expect(traits["pendo.firstvisit"] as? String == "2016-05-18T04:51:17.029000")
        #expect(traits["salesforce.tier"] as? String == "gold")
        let account = run.rows[1]["metadata"] as! [String: Any]
        #expect(
            account["name"] as? String == "Acme" && account["firstvisit"] as? String == "2017-07-11T16:11:28.980000")
        #expect(account["planlevel"] == nil)
    }

    @Test func fivetranTablesAsCSV() throws {
        let events = [
            "account_id,page_id,remote_ip,server_name,timestamp,user_agent,visitor_id,_fivetran_synced,app_id,num_events,num_minutes",
            "acme,pg-1,192.0.2.1,app.example.com,2021-04-16 18:00:00,Mozilla/5.0,v1,2021-04-17 08:09:19.785,-323232,17,11",
            "acme,allevents,192.0.2.1,app.example.com,2021-04-16 18:00:00,Mozilla/5.0,v1,2021-04-17 08:09:19.785,-323232,40,20",
        ].joined(separator: "\n")
        let run = try PresetRun.run(.pendo, [events], name: "page_event.csv")
        #expect(run.shapes == ["track v1 Page: pg-1"])
        #expect((run.rows[0]["metadata"] as! [String: Any])["numEvents"] as? Int == 17)
        #expect(run.skipped(.activityRollup) == 1)

        let links =
            "account_id,visitor_id,visitor_last_updated_at,_fivetran_synced\nacme,v1,2021-07-26 12:11:13.275,x\n"
        let linked = try PresetRun.run(.pendo, [links], name: "visitor_account_history.csv")
        #expect(linked.shapes == ["identify_user v1"] && linked.rows[0]["company_id"] as? String == "acme")
    }
}
