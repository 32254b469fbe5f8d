#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension UnsafeRawBufferPointer {
    /// Whether both hold the same bytes (`memcmp`; the generic `elementsEqual` goes byte by byte
    /// through iterators).
    @inline(__always)
    func sameBytes(as other: UnsafeRawBufferPointer) -> Bool {
        guard count == other.count else { return false }
        guard count > 0 else { return true }
        return Self.equal(baseAddress!, other.baseAddress!, count)
    }

    /// Whether `count` bytes at `a` and `b` are the same: keys and names are short, so up to 16
    /// bytes two overlapping words each (no `memcmp` call), longer ones through `memcmp`.
    @inline(__always)
    static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
        switch count {
        case 8...16:
            return a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self)
                && a.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
                    == b.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
        case 4...7:
            return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
                && a.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
                    == b.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
        case 1...3:
            return a.load(as: UInt8.self) == b.load(as: UInt8.self)
                && a.load(fromByteOffset: count &>> 1, as: UInt8.self)
                    == b.load(fromByteOffset: count &>> 1, as: UInt8.self)
                && a.load(fromByteOffset: count &- 1, as: UInt8.self)
                    == b.load(fromByteOffset: count &- 1, as: UInt8.self)
        case 0: return true
        default: return memcmp(a, b, count) == 0
        }
    }

    /// Byte-wise comparison with an ASCII literal, without making a `String` (`equal`'s word
    /// compares; the literal's words fold to constants once inlined).
    @inline(__always)
    func equals(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard self.count == count else { return false }
        return count == 0 || Self.equal(baseAddress!, UnsafeRawPointer(literal.utf8Start), count)
    }
}
