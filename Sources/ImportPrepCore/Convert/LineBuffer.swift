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
        (base + count).copyMemory(from: source, byteCount: bytes.count)
        count &+= bytes.count
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
