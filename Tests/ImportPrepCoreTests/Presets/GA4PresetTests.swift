import Foundation
import Testing

@testable import ImportPrepCore

/// `--from ga4`: BigQuery export rows, one per line or pretty-printed (SPEC §8).
@Suite struct GA4PresetTests {
    static func row(
        _ name: String, user: String? = "u1", micros: String = "1611798022695757", params: String = "",
        userProperties: String = ""
    ) -> String {
        let id = user.map { #""user_id":"\#($0)","# } ?? ""
        return
            #"{"event_name":"\#(name)",\#(id)"user_pseudo_id":"p.1","event_timestamp":"\#(micros)","event_params":[\#(params)],"user_properties":[\#(userProperties)],"device":{"category":"desktop","operating_system":"Web","language":"en-us","web_info":{"browser":"Chrome"}},"geo":{"country":"United States"}}"#
    }

    static func param(_ key: String, _ kind: String, _ value: String) -> String {
        #"{"key":"\#(key)","value":{"\#(kind)":\#(value)}}"#
    }

    @Test func pageViewsScreensParametersAndClients() throws {
        let run = try PresetRun.run(
            .ga4,
            [
                Self.row(
                    "page_view",
                    params: [
                        Self.param("page_location", "string_value", #""https://shop.example.com/pay""#),
                        Self.param("ga_session_id", "int_value", #""3599645542""#),
                        Self.param("page_title", "string_value", #""Pay""#),
                        Self.param("value", "int_value", #""42""#),
                        Self.param("big", "int_value", #""12345678901234567""#),
                        Self.param("ratio", "double_value", "0.25"),
                    ].joined(separator: ",")),
                Self.row("screen_view", params: Self.param("firebase_screen", "string_value", #""Home""#)),
                Self.row("session_start"),
                Self.row("purchase", user: nil),
                Self.row("page_view", params: Self.param("page_title", "string_value", #""No URL""#)),
            ])
        #expect(run.shapes == ["page_view u1", "track u1 Screen Viewed", "track u1 page_view"])
        let page = run.rows[0]
        #expect(page["url"] as? String == "https://shop.example.com/pay")
        #expect(page["inserted_at"] as? String == "2021-01-28T01:40:22.695757")
        #expect(page["browser"] as? String == "Chrome" && page["device_type"] as? String == "desktop")
        #expect(page["country_code"] == nil, "geo.country is a name")
        let metadata = page["metadata"] as! [String: Any]
        #expect(metadata.keys.sorted() == ["big", "page_title", "ratio", "value"])
        #expect(metadata["value"] as? Int == 42 && metadata["big"] as? String == "12345678901234567")
        #expect(metadata["ratio"] as? Double == 0.25)
        #expect((run.rows[1]["metadata"] as! [String: Any])["name"] as? String == "Home")
        #expect(run.skipped(.vendorInternalEvent) == 1 && run.skipped(.anonymousUser) == 1)
        #expect(run.warnings(.pageWithoutURL) == 1)

        let anonymous = try PresetRun.run(.ga4, [Self.row("purchase", user: nil)]) { $0.keepAnonymous = true }
        #expect(anonymous.shapes == ["track p.1 purchase"])
    }

    @Test func userPropertiesDeriveIdentifyRowsWhenTheyChange() throws {
        let plan = { (value: String) in Self.param("plan", "string_value", #""\#(value)""#) }
        let run = try PresetRun.run(
            .ga4,
            [
                Self.row("a", userProperties: plan("pro")), Self.row("b", userProperties: plan("pro")),
                Self.row("c", userProperties: plan("team")),
            ])
        #expect(run.shapes == ["identify_user u1", "track u1 a", "track u1 b", "identify_user u1", "track u1 c"])
        #expect((run.rows[3]["metadata"] as! [String: Any])["plan"] as? String == "team")
    }

    @Test func aPrettyPrintedRowReadsAsOneRecordWithItsLine() throws {
        let text = "\n" + Self.row("purchase").replacingOccurrences(of: ",\"", with: ",\n  \"")
        let run = try PresetRun.run(.ga4, [text, Self.row("refund")])
        #expect(run.shapes == ["track u1 purchase", "track u1 refund"])
        let converted = try convert(text + "\n" + Self.row("", user: "u2"), as: "ga4.json") {
            $0.preset = PresetSettings(preset: .ga4)
        }
        #expect(
            converted.rejects.map { $0["line"] as? Int } == [
                text.split(separator: "\n", omittingEmptySubsequences: false).count + 1
            ])
    }
}
