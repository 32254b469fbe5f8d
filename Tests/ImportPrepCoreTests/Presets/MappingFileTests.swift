import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// `--map FILE` (SPEC §8 "Mapping files"): the vocabulary, real time-zone rules, and mistakes
/// named by the mapping file's line.
@Suite struct MappingFileTests {
    static let yaml = """
        # a warehouse table with columns account, person, action, ts, page, props
        event_type:
          field: action
          values: { "Page Viewed": page_view, "Profile Updated": identify_user }
          default: track
        user_id: person
        company_id: account
        event_name: action
        inserted_at: { field: ts, format: "%d/%m/%Y %H:%M:%S", zone: "Europe/Dublin" }
        url: page
        metadata: { from: props, include: ["plan", "seats", "utm.*"], exclude: ["password"], rename: { seats: seat_count } }
        skip_when: { field: person, in: ["", "test-user"] }
        """

    static let table = [
        "account,person,action,ts,page,props",
        #"acme,ann,Page Viewed,28/07/2024 10:00:00,https://app.example.com/home,"{""plan"":""pro"",""seats"":5,""utm"":{""source"":""g""},""password"":""x"",""other"":1}""#,
        #"acme,ann,Clicked,28/07/2024 10:05:00,,"{""plan"":""pro""}""#,
        "acme,test-user,Clicked,28/07/2024 10:06:00,,{}",
        ",,Clicked,28/07/2024 10:06:00,,{}",
        #"acme,bob,Profile Updated,01/02/2024 10:00:00,,"{""seats"":3}""#,
        "acme,bob,Clicked,not a date,,{}",
    ].joined(separator: "\n")

    static func run(_ mapping: String, _ input: String, name: String = "table.csv") throws -> PresetRun {
        let file = try MappingFile.parse(mapping, file: "map.yaml")
        return try PresetRun.run(.mapped, [input], name: name) { $0.mapping = file }
    }

    @Test func theSpecsExampleMapsATable() throws {
        let run = try Self.run(Self.yaml, Self.table)
        #expect(run.shapes == ["page_view ann Page Viewed", "track ann Clicked", "identify_user bob Profile Updated"])
        #expect(
            run.rows[0]["company_id"] as? String == "acme"
                && run.rows[0]["url"] as? String == "https://app.example.com/home")
        #expect(run.rows[0]["inserted_at"] as? String == "2024-07-28T09:00:00.000000", "Irish summer time is UTC+1")
        #expect(run.rows[2]["inserted_at"] as? String == "2024-02-01T10:00:00.000000", "Irish winter time is UTC")
        let metadata = run.rows[0]["metadata"] as! [String: Any]
        #expect(metadata.keys.sorted() == ["plan", "seat_count", "utm.source"])
        #expect(run.skipped(.skipWhen) == 2 && run.skipped(.noTime) == 1)
        #expect(run.validated.invalid == 0)
    }

    @Test func jsonMappingFilesNDJSONPathsConstantsAndEpochs() throws {
        let mapping =
            #"{"event_type": {"value": "track"}, "user_id": "who.id", "event_name": {"field": "kind", "default": "Unnamed"}, "inserted_at": {"field": "at", "epoch": "ms"}, "metadata": {"from": "data", "exclude": ["secret*"]}}"#
        let input = [
            #"{"who":{"id":"u1"},"kind":"Opened","at":1722160800123,"data":{"a":1,"secret_key":"x"}}"#,
            #"{"who":{"id":"u2"},"at":"1722160800000","data":{}}"#,
        ].joined(separator: "\n")
        let run = try Self.run(mapping, input, name: "events.ndjson")
        #expect(run.shapes == ["track u1 Opened", "track u2 Unnamed"])
        #expect(run.rows[0]["inserted_at"] as? String == "2024-07-28T10:00:00.123000")
        #expect((run.rows[0]["metadata"] as! [String: Any]).keys.sorted() == ["a"])
    }

    @Test(arguments: [
        ("event_type: track\nuser: person\ninserted_at: ts\n", 2, "`user` is not a target"),
        ("event_type: track\ninserted_at: { field: ts, zone: Mars/Olympus }\n", 2, "not a time zone"),
        ("event_type: track\n\ninserted_at: { field: ts, format: \"%d.%q\" }\n", 3, "does not read"),
        ("event_type: track\ninserted_at: { field: ts, epoch: minutes }\n", 2, "epoch takes"),
        ("event_type: track\ninserted_at: ts\nmetadata: { from: props, keep: [a] }\n", 3, "not a word of metadata"),
        ("event_type: [track\ninserted_at: ts\n", 2, "is not YAML or JSON"),
        ("user_id: person\ninserted_at: ts\n", 1, "event_type is missing"),
    ])
    func aMistakeNamesItsLine(text: String, line: Int, message: String) {
        #expect {
            _ = try MappingFile.parse(text, file: "map.yaml")
        } throws: { error in
            guard let problem = error as? MappingFile.Problem else { return false }
            return problem.line == line && problem.message.contains(message)
                && problem.description.hasPrefix("map.yaml:\(line): ")
        }
    }

    @Test func aFieldFoundInNoRecordNamesItsLine() throws {
        let folder = try ScratchFolder()
        try Data(Self.table.utf8).write(to: URL(fileURLWithPath: folder.path("t.csv")))
        let mapping = try MappingFile.parse(
            "event_type: { value: track }\nuser_id: persn\ninserted_at: ts\n", file: "m.yaml")
        #expect {
            try mapping.checkFields(against: [folder.path("t.csv")], csv: { $0.hasSuffix(".csv") }, delimiter: 0x2C)
        } throws: { error in
            (error as? MappingFile.Problem)?.line == 2
        }
        let good = try MappingFile.parse(Self.yaml, file: "m.yaml")
        try good.checkFields(against: [folder.path("t.csv")], csv: { $0.hasSuffix(".csv") }, delimiter: 0x2C)
    }
}
