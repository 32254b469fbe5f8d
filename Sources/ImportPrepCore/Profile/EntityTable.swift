import CPUHints

/// Profile's users or companies, by a 64-bit hash of their id: open addressing (linear probing)
/// in 64 parts, each grown on its own by half when it is three quarters full.
///
/// Why not a `Dictionary`: it grows by doubling the whole table, so for a moment it holds the old
/// and the new copy (three times the entries' size), and it hashes the key again with SipHash.
/// Here a part holds 1/64 of the entities, so growing one costs little more than its own size,
/// and the table stays between half and three quarters full: 40 bytes per entity (the key and
/// the state) take 53 to 80 bytes of memory.
final class EntityTable {
    private struct Slot {
        /// 0: empty (a key of 0 is stored as 1).
        var key: UInt64 = 0
        var state = MigrationProfiler.EntityState()
    }

    private struct Part {
        var slots: UnsafeMutablePointer<Slot>
        var capacity: Int
        var count = 0
    }

    private static let partCount = 64
    private let parts: UnsafeMutablePointer<Part>
    /// Entities in the table.
    private(set) var count = 0

    init() {
        parts = .allocate(capacity: Self.partCount)
        for p in 0..<Self.partCount {
            (parts + p).initialize(to: Part(slots: Self.emptySlots(16), capacity: 16))
        }
    }

    deinit {
        for p in 0..<Self.partCount { parts[p].slots.deallocate() }
        parts.deallocate()
    }

    private static func emptySlots(_ capacity: Int) -> UnsafeMutablePointer<Slot> {
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: capacity)
        slots.initialize(repeating: Slot(), count: capacity)
        return slots
    }

    /// Where in `part` the probe for `key` starts: the low 32 bits scaled to the capacity (which
    /// need not be a power of two); the part was chosen by the top bits.
    @inline(__always)
    private static func home(_ key: UInt64, _ capacity: Int) -> Int {
        Int(truncatingIfNeeded: ((key & 0xFFFF_FFFF) &* UInt64(capacity)) &>> 32)
    }

    /// The state of the entity `key`, a fresh one when it is new. The pointer is valid until the
    /// next call (which may move the part it is in).
    func state(for key: UInt64) -> UnsafeMutablePointer<MigrationProfiler.EntityState> {
        let key = key == 0 ? 1 : key
        let part = parts + Int(truncatingIfNeeded: key &>> 58)
        if let found = find(key, in: part) { return found }
        if (part.pointee.count + 1) * 4 > part.pointee.capacity * 3 { grow(part) }
        let capacity = part.pointee.capacity
        var i = Self.home(key, capacity)
        while part.pointee.slots[i].key != 0 {
            i += 1
            if i == capacity { i = 0 }
        }
        part.pointee.slots[i].key = key
        part.pointee.count += 1
        count += 1
        return withUnsafeMutablePointer(to: &part.pointee.slots[i].state) { $0 }
    }

    /// Asks for the slot where the probe for `key` starts to be brought into the cache: done for
    /// an entity a few records ahead, its cache miss overlaps the work on the records before it.
    @inline(__always)
    func prefetch(_ key: UInt64) {
        let key = key == 0 ? 1 : key
        let part = parts + Int(truncatingIfNeeded: key &>> 58)
        import_prep_prefetch(part.pointee.slots + Self.home(key, part.pointee.capacity))
    }

    /// The state of `key`, if the table has it.
    func state(of key: UInt64) -> MigrationProfiler.EntityState? {
        let key = key == 0 ? 1 : key
        return find(key, in: parts + Int(truncatingIfNeeded: key &>> 58))?.pointee
    }

    @inline(__always)
    private func find(_ key: UInt64, in part: UnsafeMutablePointer<Part>) -> UnsafeMutablePointer<
        MigrationProfiler.EntityState
    >? {
        let slots = part.pointee.slots
        let capacity = part.pointee.capacity
        var i = Self.home(key, capacity)
        while true {
            let found = slots[i].key
            if found == key { return withUnsafeMutablePointer(to: &slots[i].state) { $0 } }
            if found == 0 { return nil }
            i += 1
            if i == capacity { i = 0 }
        }
    }

    private func grow(_ part: UnsafeMutablePointer<Part>) {
        let old = part.pointee
        let capacity = old.capacity + old.capacity / 2
        let slots = Self.emptySlots(capacity)
        for k in 0..<old.capacity where old.slots[k].key != 0 {
            var i = Self.home(old.slots[k].key, capacity)
            while slots[i].key != 0 {
                i += 1
                if i == capacity { i = 0 }
            }
            slots[i] = old.slots[k]
        }
        old.slots.deallocate()
        part.pointee.slots = slots
        part.pointee.capacity = capacity
    }

    /// How many entities' states satisfy `predicate`.
    func count(where predicate: (MigrationProfiler.EntityState) -> Bool) -> Int {
        var total = 0
        for p in 0..<Self.partCount {
            let part = parts[p]
            for k in 0..<part.capacity where part.slots[k].key != 0 && predicate(part.slots[k].state) { total += 1 }
        }
        return total
    }
}
