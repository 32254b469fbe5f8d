import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// The duplicate finder keeps keys in memory until a partition's buffer fills, then spills to
/// its temporary folder; both paths must find the same duplicates, and nothing may stay behind.
@Suite struct DuplicateEventsTests {
    /// `count` keys where every seventh repeats the key of the record 1,000 before it.
    static func keys(_ count: Int) -> (keys: [[UInt8]], duplicates: [Int]) {
        var keys: [[UInt8]] = []
        var duplicates: [Int] = []
        for record in 1...count {
            if record % 7 == 0 && record > 1_000 {
                keys.append(keys[record - 1_001])
                duplicates.append(record)
            } else {
                keys.append(Array("key-\(record)".utf8))
            }
        }
        return (keys, duplicates)
    }

    @Test(arguments: [500, 100_000])
    func findsEveryRepeatedKeyAndLeavesNothingBehind(count: Int) throws {
        let folder = try ScratchFolder()
        let (keys, expected) = Self.keys(count)
        let finder = try DuplicateEvents(temporaryFolder: folder.url.path, expectedRecords: count)
        for (index, key) in keys.enumerated() {
            try key.withUnsafeBytes { try finder.add(key: $0, record: index + 1) }
        }
        let spilled = try FileManager.default.contentsOfDirectory(atPath: folder.url.path)
        // 100,000 keys over 16 partitions fill their buffers; 500 stay in memory.
        #expect(spilled.isEmpty == (count < 16 * 4_096), "\(spilled)")
        try finder.finish()
        #expect(finder.duplicates == expected.filter { $0 <= count })
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty)
        for record in 1...count {
            #expect(finder.isDuplicate(record) == (record % 7 == 0 && record > 1_000))
        }
    }

    @Test func aMissingOrReadOnlyFolderIsRefusedAtOnce() throws {
        let folder = try ScratchFolder()
        #expect(throws: IOFailure.self) {
            try DuplicateEvents(temporaryFolder: folder.path("missing"), expectedRecords: 10)
        }
        FileManager.default.createFile(atPath: folder.path("file"), contents: Data())
        #expect(throws: IOFailure.self) {
            try DuplicateEvents(temporaryFolder: folder.path("file"), expectedRecords: 10)
        }
    }
}
