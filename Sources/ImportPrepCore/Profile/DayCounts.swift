/// Records per UTC day (days since 1970-01-01) and event type: `profile`'s history chart, span
/// and gaps.
///
/// Counted once a record, so it is a table of its own rather than `[Int: [Int]]`: a dictionary of
/// arrays hashed each day with SipHash and checked each record for a unique inner array (about
/// 3.5% of `profile`'s samples in `perf`). Here a slot is the day and its four counts side by
/// side, found by linear probing from a multiplicative hash; the table doubles at half full.
public final class DayCounts: Sequence {
    /// A slot's day, then one count per `EventType` (by raw value).
    private static let stride = 1 + EventType.allCases.count
    /// The day of a free slot: no timestamp reaches it (`Timestamp` years are 0–9999).
    private static let free = Int.min

    private var slots: UnsafeMutablePointer<Int>
    private var capacity: Int
    /// Days with at least one record.
    public private(set) var count = 0

    init() {
        capacity = 64
        slots = Self.freeSlots(capacity)
    }

    deinit { slots.deallocate() }

    private static func freeSlots(_ capacity: Int) -> UnsafeMutablePointer<Int> {
        let slots = UnsafeMutablePointer<Int>.allocate(capacity: capacity * stride)
        slots.initialize(repeating: 0, count: capacity * stride)
        for s in 0..<capacity { slots[s * stride] = free }
        return slots
    }

    @inline(__always)
    private func home(_ day: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: Int64(day)) &* 0x9E37_79B9_7F4A_7C15) &>> 32) & (capacity - 1)
    }

    /// The slot of `day`, or of the free slot where it would go.
    @inline(__always)
    private func slot(_ day: Int) -> UnsafeMutablePointer<Int> {
        var i = home(day)
        while true {
            let slot = slots + i * Self.stride
            if slot.pointee == day || slot.pointee == Self.free { return slot }
            i = (i + 1) & (capacity - 1)
        }
    }

    /// Counts `n` records of `type` on `day`.
    @inline(__always)
    func add(day: Int, type: EventType, _ n: Int = 1) {
        var slot = slot(day)
        if slot.pointee == Self.free {
            if (count + 1) * 2 > capacity {
                grow()
                slot = self.slot(day)
            }
            slot.pointee = day
            count += 1
        }
        slot[1 + Int(type.rawValue)] += n
    }

    private func grow() {
        let old = slots
        let oldCapacity = capacity
        capacity *= 2
        slots = Self.freeSlots(capacity)
        for s in 0..<oldCapacity where old[s * Self.stride] != Self.free {
            let day = old[s * Self.stride]
            let slot = slot(day)
            slot.update(from: old + s * Self.stride, count: Self.stride)
        }
        old.deallocate()
    }

    /// The counts of `day` by event type (raw value), nil for a day without records.
    public subscript(day: Int) -> [Int]? {
        let slot = slot(day)
        guard slot.pointee == day else { return nil }
        return (1..<Self.stride).map { slot[$0] }
    }

    /// The days with records, in no order.
    public var days: [Int] { map(\.day) }

    /// Adds another table's counts (a block's, at its join).
    func add(_ other: DayCounts) {
        for (day, counts) in other {
            for type in EventType.allCases where counts[Int(type.rawValue)] > 0 {
                add(day: day, type: type, counts[Int(type.rawValue)])
            }
        }
    }

    /// Empties the table (its memory kept).
    func removeAll() {
        for s in 0..<capacity {
            slots[s * Self.stride] = Self.free
            for k in 1..<Self.stride { slots[s * Self.stride + k] = 0 }
        }
        count = 0
    }

    public struct Iterator: IteratorProtocol {
        fileprivate let table: DayCounts
        fileprivate var position = 0

        public mutating func next() -> (day: Int, counts: [Int])? {
            while position < table.capacity {
                let slot = table.slots + position * DayCounts.stride
                position += 1
                if slot.pointee != DayCounts.free {
                    return (slot.pointee, (1..<DayCounts.stride).map { slot[$0] })
                }
            }
            return nil
        }
    }

    public func makeIterator() -> Iterator { Iterator(table: self) }
}
