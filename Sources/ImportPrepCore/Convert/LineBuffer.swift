/// A growable byte buffer for building output lines: an append is a capacity check and a copy,
/// without `Array`'s uniqueness and exclusivity checks. Lives for a whole run and is emptied per
/// record or block. One of the few unsafe places (the output buffer).
@_spi(Testing) public final class LineBuffer {
    @exclusivity(unchecked) private var base: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private(set) var count = 0

    public init(capacity: Int = 4096) {
        self.capacity = max(capacity, 64)
        base = .allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    /// What the buffer holds; valid until the next append.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// The bytes from `start` on; valid until the next append.
    func bytes(from start: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + start, count: count - start)
    }

    @inline(__always)
    func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count &+= 1
    }

    @inline(__always)
    func append(contentsOf bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        if bytes.count > capacity - count { grow(to: count + bytes.count) }
        Self.copy(bytes.count, from: source, to: base + count)
        count &+= bytes.count
    }

    /// Appends `opening`, `value` and a closing quote with one capacity check (a string member of
    /// a normalized line: `,"name":"` + text + `"`).
    @inline(__always)
    func appendMember(_ opening: StaticString, _ value: UnsafeRawBufferPointer) {
        let length = opening.utf8CodeUnitCount
        let n = length + value.count + 1
        if n > capacity - count { grow(to: count + n) }
        var p = base + count
        Self.copy(length, from: opening.utf8Start, to: p)
        p += length
        if let source = value.baseAddress, value.count > 0 {
            Self.copy(value.count, from: source, to: p)
            p += value.count
        }
        p.storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
        count &+= n
    }

    /// Copies `n` bytes (n > 0): up to 32 inline, as two overlapping loads and stores of the
    /// widest size that fits (most keys and values of a record are that short, and a call to
    /// `memcpy` costs more than the copy); longer ones through `memcpy`.
    @inline(__always)
    static func copy(_ n: Int, from source: UnsafeRawPointer, to target: UnsafeMutableRawPointer) {
        if n > 32 {
            target.copyMemory(from: source, byteCount: n)
        } else if n >= 16 {
            let head = source.loadUnaligned(as: SIMD16<UInt8>.self)
            let tail = source.loadUnaligned(fromByteOffset: n - 16, as: SIMD16<UInt8>.self)
            target.storeBytes(of: head, as: SIMD16<UInt8>.self)
            target.storeBytes(of: tail, toByteOffset: n - 16, as: SIMD16<UInt8>.self)
        } else if n >= 8 {
            let head = source.loadUnaligned(as: UInt64.self)
            let tail = source.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            target.storeBytes(of: head, as: UInt64.self)
            target.storeBytes(of: tail, toByteOffset: n - 8, as: UInt64.self)
        } else if n >= 4 {
            let head = source.loadUnaligned(as: UInt32.self)
            let tail = source.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
            target.storeBytes(of: head, as: UInt32.self)
            target.storeBytes(of: tail, toByteOffset: n - 4, as: UInt32.self)
        } else {
            // 1 to 3 bytes: the first, the middle and the last (some of them the same).
            let first = source.load(as: UInt8.self)
            let middle = source.load(fromByteOffset: n >> 1, as: UInt8.self)
            let last = source.load(fromByteOffset: n - 1, as: UInt8.self)
            target.storeBytes(of: first, as: UInt8.self)
            target.storeBytes(of: middle, toByteOffset: n >> 1, as: UInt8.self)
            target.storeBytes(of: last, toByteOffset: n - 1, as: UInt8.self)
        }
    }

    /// Appends `count` bytes that `body` writes at the pointer it is given.
    @inline(__always)
    func append(count: Int, _ body: (UnsafeMutableRawPointer) -> Void) {
        if count > capacity - self.count { grow(to: self.count + count) }
        body(base + self.count)
        self.count &+= count
    }

    func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBytes { append(contentsOf: $0) }
    }

    /// Forgets everything after the first `mark` bytes.
    func truncate(to mark: Int) { count = min(count, mark) }

    func removeAll() { count = 0 }

    private func grow(to needed: Int) {
        var bigger = capacity * 2
        while bigger < needed { bigger *= 2 }
        let moved = UnsafeMutableRawPointer.allocate(byteCount: bigger, alignment: 16)
        moved.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = moved
        capacity = bigger
    }
}

extension StaticString {
    /// The literal's UTF-8 bytes (a static string's storage lives as long as the program).
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: utf8Start, count: utf8CodeUnitCount) }
}
