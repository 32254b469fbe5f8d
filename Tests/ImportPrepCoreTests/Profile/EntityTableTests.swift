import Testing

@testable import ImportPrepCore

/// Profile's table of users and companies against a `Dictionary` doing the same work.
@Suite struct EntityTableTests {
    /// A key generator spreading keys over all 64 bits (the table takes its part from the top
    /// bits and its slot from the low ones), with some keys that differ only in the high half.
    static func key(_ n: UInt64) -> UInt64 {
        var z = n &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @Test func statesSurviveGrowthAndMatchADictionary() {
        let table = EntityTable()
        var model: [UInt64: MigrationProfiler.EntityState] = [:]
        var keys: [UInt64] = (0..<60_000).map { Self.key($0) }
        // Same low 32 bits, other high bits: they share a home slot in parts of equal size.
        keys += (1...200).map { UInt64($0) << 40 | 0x1234_5678 }
        for (n, key) in keys.enumerated() {
            for touch in 0..<(n % 3 + 1) {
                let state = table.state(for: key)
                var expected = model[key] ?? MigrationProfiler.EntityState()
                #expect(state.pointee.firstEvent == expected.firstEvent)
                state.pointee.firstEvent = min(state.pointee.firstEvent, n * 10 + touch)
                state.pointee.keys |= 1 << UInt64(touch)
                if n % 5 == 0 { state.pointee.firstIdentify = n }
                expected.firstEvent = min(expected.firstEvent, n * 10 + touch)
                expected.keys |= 1 << UInt64(touch)
                if n % 5 == 0 { expected.firstIdentify = n }
                model[key] = expected
            }
        }
        #expect(table.count == model.count)
        #expect(table.count == keys.count)
        for key in keys {
            let state = table.state(of: key)
            #expect(state?.firstEvent == model[key]?.firstEvent)
            #expect(state?.keys == model[key]?.keys)
            #expect(state?.firstIdentify == model[key]?.firstIdentify)
        }
        #expect(table.state(of: Self.key(1_000_000)) == nil)
        #expect(table.count { $0.isIdentified } == model.values.filter(\.isIdentified).count)
        #expect(table.count { !$0.isIdentified } == model.values.filter { !$0.isIdentified }.count)
    }

    @Test func keyZeroIsAnEntityToo() {
        let table = EntityTable()
        #expect(table.state(of: 0) == nil)
        table.state(for: 0).pointee.firstEvent = 7
        #expect(table.state(of: 0)?.firstEvent == 7)
        #expect(table.count == 1)
    }
}
