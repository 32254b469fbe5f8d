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

    /// The records after the first of their key, by the definition: sort by key and record,
    /// keep all but the first of each run.
    static func laterRecordsBySorting(_ entries: [DuplicateEvents.Entry]) -> [Int] {
        let sorted = entries.sorted { ($0.high, $0.low, $0.record) < ($1.high, $1.low, $1.record) }
        return sorted.indices.dropFirst().filter {
            sorted[$0].high == sorted[$0 - 1].high && sorted[$0].low == sorted[$0 - 1].low
        }.map { sorted[$0].record }
    }

    /// A partition's table finds the same records as sorting it: keys repeated up to dozens of
    /// times, records out of order (blocks), keys equal in one half only, slots that collide.
    @Test(arguments: [1, 2, 3, 1_000, 50_000])
    func aPartitionsTableFindsWhatSortingFinds(count: Int) {
        var generator = SeededGenerator(seed: UInt64(count))
        var entries: [DuplicateEvents.Entry] = []
        for record in 0..<count {
            let key = generator.next() % UInt64(max(1, count / 3))
            // Keys that share `low` (the slot) or `high` but not both.
            let high = key % 7 == 0 ? 42 : key &* 0x9E37_79B9_7F4A_7C15
            let low = key % 11 == 0 ? 7 : key ^ 0xABCD
            entries.append(DuplicateEvents.Entry(high: high, low: low, record: record))
        }
        entries.shuffle(using: &generator)
        let found = entries.withUnsafeBufferPointer {
            DuplicateEvents.laterRecords(of: $0, slots: DuplicateEvents.PartitionSpace())
        }.sorted()
        let expected = Self.laterRecordsBySorting(entries).sorted()
        #expect(found == expected)
        #expect(count < 1_000 || expected.count > count / 2)
    }

    /// One core's table is used again for each of its partitions: what a larger partition left
    /// in it must not count in a smaller one read after it, nor the other way round.
    @Test func aTableUsedAgainForTheNextPartitionStartsEmpty() {
        let space = DuplicateEvents.PartitionSpace()
        for (count, seed) in [(40_000, 1), (3, 2), (900, 3), (40_000, 4), (60_000, 5), (2, 6)] {
            var generator = SeededGenerator(seed: UInt64(seed))
            let entries = (0..<count).map { record in
                let key = generator.next() % UInt64(max(1, count / 2))
                return DuplicateEvents.Entry(high: key &* 31, low: key, record: record)
            }
            let found = entries.withUnsafeBufferPointer { DuplicateEvents.laterRecords(of: $0, slots: space) }
            #expect(found.sorted() == Self.laterRecordsBySorting(entries).sorted(), "\(count) entries")
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

/// The 128-bit record hash: every byte counts, on each of its paths (keys under 8 and 16 bytes,
/// the sixteen-byte steps, the overlapping last step).
@Suite struct RecordHashTests {
    static func hash(_ bytes: [UInt8]) -> (UInt64, UInt64) { bytes.withUnsafeBytes { DuplicateEvents.hash($0) } }

    @Test func anyOneByteChangedGivesAnotherHash() {
        for length in Array(0...140) + [255, 256, 257, 300, 1_000] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let original = Self.hash(bytes)
            var seen = Set<[UInt64]>([[original.0, original.1]])
            for position in 0..<length {
                for change: UInt8 in [1, 0x80] {
                    var changed = bytes
                    changed[position] ^= change
                    let h = Self.hash(changed)
                    #expect(seen.insert([h.0, h.1]).inserted, "length \(length), byte \(position) ^ \(change)")
                }
            }
        }
    }

    @Test func lengthCountsEvenForZeroBytesAndTheHashIsStable() {
        var seen = Set<[UInt64]>()
        for length in 0...300 {
            let h = Self.hash([UInt8](repeating: 0, count: length))
            #expect(seen.insert([h.0, h.1]).inserted, "length \(length)")
            #expect(Self.hash([UInt8](repeating: 0, count: length)) == h)
        }
    }
}
