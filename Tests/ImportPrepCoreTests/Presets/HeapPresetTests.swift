import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// `--from heap`: Heap Connect's tables; events resolved to identities through users and
/// user_migrations read from the inputs first.
@Suite struct HeapPresetTests {
    static let users = """
        user_id,identity,join_date,last_modified,email
        101,ann@example.com,2023-01-01 10:00:00,2024-05-01 09:00:00,ann@example.com
        102,,2023-02-01 10:00:00,,
        """
    static let migrations = "from_user_id,to_user_id,time\n201,101,2024-05-02 10:00:00\n"
    static let pageviews = """
        event_id,user_id,session_id,time,browser,device_type,domain,path,query,hash,title
        1,101,s1,2024-05-03 10:00:00,Chrome,Desktop,app.example.com,/home,?tab=2,,Home
        2,201,s2,2024-05-03 10:01:00,Firefox,Mobile,app.example.com,/settings,,#top,Settings
        3,102,s3,2024-05-03 10:02:00,Chrome,Desktop,app.example.com,/home,,,Home
        """

    func identities() throws -> HeapIdentities {
        let folder = try ScratchFolder()
        try Data(Self.users.utf8).write(to: URL(fileURLWithPath: folder.path("users.csv")))
        try Data(Self.migrations.utf8).write(to: URL(fileURLWithPath: folder.path("user_migrations.csv")))
        return HeapIdentities.load(
            paths: [folder.path("users.csv"), folder.path("user_migrations.csv")], csv: { $0.hasSuffix(".csv") },
            delimiter: 0x2C)
    }

    @Test func usersPageviewsAndEventsResolvedThroughMigrations() throws {
        let found = try identities()
        #expect(found.users == 1)
        let users = try PresetRun.run(.heap, [Self.users], name: "users.csv") { $0.heapIdentities = found }
        #expect(users.shapes == ["identify_user ann@example.com"] && users.skipped(.anonymousUser) == 1)
        #expect(users.rows[0]["inserted_at"] as? String == "2024-05-01T09:00:00.000000")
        #expect((users.rows[0]["metadata"] as! [String: Any])["created_at"] as? String == "2023-01-01 10:00:00")

        let pages = try PresetRun.run(.heap, [Self.pageviews], name: "pageviews.csv") { $0.heapIdentities = found }
        #expect(pages.shapes == ["page_view ann@example.com", "page_view ann@example.com"], "201 was merged into 101")
        #expect(pages.rows[0]["url"] as? String == "https://app.example.com/home?tab=2")
        #expect(pages.rows[1]["url"] as? String == "https://app.example.com/settings#top")
        #expect(pages.rows[0]["browser"] as? String == "Chrome" && pages.rows[0]["device_type"] as? String == "Desktop")
        #expect((pages.rows[0]["metadata"] as! [String: Any]).keys.sorted() == ["title"])
        #expect(pages.skipped(.anonymousUser) == 1, "user 102 has no identity")

        let events = "event_id,user_id,time,plan\n9,101,1714730400000,pro\n"
        let named = try PresetRun.run(.heap, [events], name: "signed_up.csv") {
            $0.heapIdentities = found
            $0.eventName = "Signed Up"
        }
        #expect(named.shapes == ["track ann@example.com Signed Up"])
        #expect(named.rows[0]["inserted_at"] as? String == "2024-05-03T10:00:00.000000", "epoch milliseconds")
        let migrations = try PresetRun.run(.heap, [Self.migrations], name: "m.csv") { $0.heapIdentities = found }
        #expect(migrations.skipped(.identityMerge) == 1)
    }
}
