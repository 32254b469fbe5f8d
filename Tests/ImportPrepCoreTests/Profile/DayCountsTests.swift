import Testing

@testable import ImportPrepCore

/// `DayCounts` against a dictionary of the same counts: days far apart and side by side, before
/// 1970 and after, through several doublings, merged, emptied and used again.
@Suite struct DayCountsTests {
    /// A day sequence with repeats, neighbours, negative days and far jumps; the same on every run.
    static func days(_ n: Int, seed: UInt64) -> [(day: Int, type: EventType)] {
        var state = seed
        return (0..<n).map { i in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let r = Int(truncatingIfNeeded: state >> 33)
            let day: Int
            switch i % 4 {
            case 0: day = 19_000 + r % 700  // a couple of years of history
            case 1: day = -800 + r % 1_600  // around 1970, either side
            case 2: day = r % 2_932_000  // anywhere up to year 9999
            default: day = 19_000 + i / 4  // consecutive days
            }
            return (day, EventType.allCases[r % 4])
        }
    }

    static func expected(_ days: [(day: Int, type: EventType)]) -> [Int: [Int]] {
        var counts: [Int: [Int]] = [:]
        for (day, type) in days { counts[day, default: [0, 0, 0, 0]][type.rawValue] += 1 }
        return counts
    }

    static func contents(_ table: DayCounts) -> [Int: [Int]] {
        Dictionary(uniqueKeysWithValues: table.map { ($0.day, $0.counts) })
    }

    @Test func countsEveryDayAsADictionaryWould() {
        for n in [0, 1, 31, 32, 33, 100, 5_000] {
            let days = Self.days(n, seed: UInt64(n))
            let table = DayCounts()
            for (day, type) in days { table.add(day: day, type: type) }
            let expected = Self.expected(days)
            #expect(Self.contents(table) == expected, "n = \(n)")
            #expect(table.count == expected.count)
            #expect(Set(table.days) == Set(expected.keys))
            for (day, counts) in expected { #expect(table[day] == counts) }
            for day in [-1_000_000, -801, 0, 18_999, 3_000_000] where expected[day] == nil {
                #expect(table[day] == nil, "day \(day)")
            }
        }
    }

    @Test func mergesAndStartsAgain() {
        let first = Self.days(3_000, seed: 1)
        let second = Self.days(2_000, seed: 2)
        let a = DayCounts()
        let b = DayCounts()
        for (day, type) in first { a.add(day: day, type: type) }
        for (day, type) in second { b.add(day: day, type: type) }
        a.add(b)
        #expect(Self.contents(a) == Self.expected(first + second))
        #expect(Self.contents(b) == Self.expected(second))

        a.removeAll()
        #expect(a.count == 0)
        #expect(Array(a).isEmpty)
        #expect(a[first[0].day] == nil)
        let third = Self.days(500, seed: 3)
        for (day, type) in third { a.add(day: day, type: type) }
        #expect(Self.contents(a) == Self.expected(third))
    }
}
