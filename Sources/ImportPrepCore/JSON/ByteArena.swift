/// A fixed-capacity scratch buffer that lives for a whole run and is emptied per record.
///
/// Pointers into it stay valid until `reset()`, because it never grows: callers size it to the
/// largest record they accept, and bytes copied or decoded from one record never exceed it.
public final class ByteArena {
    private let storage: UnsafeMutableRawPointer
    public let capacity: Int
    @exclusivity(unchecked) public private(set) var count = 0

    public init(capacity: Int) {
        self.capacity = max(capacity, 64)
        storage = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    @inline(__always) public func reset() { count = 0 }

    /// Forgets what was added after `count` was `mark`.
    @inline(__always) public func truncate(to mark: Int) { count = min(count, mark) }

    /// Everything copied since the last `reset()`.
    public var contents: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage, count: count) }

    /// Copies `bytes` in; returns the copy, or nil when the arena is full.
    @inline(__always)
    public func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard bytes.count <= capacity - count else { return nil }
        let destination = storage + count
        if let source = bytes.baseAddress, bytes.count > 0 {
            destination.copyMemory(from: source, byteCount: bytes.count)
        }
        count += bytes.count
        return UnsafeRawBufferPointer(start: destination, count: bytes.count)
    }

    /// Decodes the body of a JSON string (already validated by `JSONScanner`) into UTF-8.
    /// Returns nil when the arena is full.
    public func decodeJSONString(_ body: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard body.count <= capacity - count else { return nil }
        let out = (storage + count).assumingMemoryBound(to: UInt8.self)
        var o = 0
        var i = 0
        let n = body.count
        @inline(__always) func put(_ b: UInt8) {
            out[o] = b
            o += 1
        }
        while i < n {
            let c = body[i]
            guard c == UInt8(ascii: "\\"), i + 1 < n else {
                put(c)
                i += 1
                continue
            }
            let e = body[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): put(0x08)
            case UInt8(ascii: "f"): put(0x0C)
            case UInt8(ascii: "n"): put(0x0A)
            case UInt8(ascii: "r"): put(0x0D)
            case UInt8(ascii: "t"): put(0x09)
            case UInt8(ascii: "u"):
                var scalar = Self.hex4(body, i)
                i += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF && i + 6 <= n {
                    let low = Self.hex4(body, i + 2)
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                // UTF-8 never takes more bytes than the escape it came from (6 or 12).
                if scalar < 0x80 {
                    put(UInt8(scalar))
                } else if scalar < 0x800 {
                    put(UInt8(0xC0 | scalar >> 6))
                    put(UInt8(0x80 | scalar & 0x3F))
                } else if scalar < 0x10000 {
                    put(UInt8(0xE0 | scalar >> 12))
                    put(UInt8(0x80 | (scalar >> 6) & 0x3F))
                    put(UInt8(0x80 | scalar & 0x3F))
                } else {
                    put(UInt8(0xF0 | scalar >> 18))
                    put(UInt8(0x80 | (scalar >> 12) & 0x3F))
                    put(UInt8(0x80 | (scalar >> 6) & 0x3F))
                    put(UInt8(0x80 | scalar & 0x3F))
                }
            default: put(e)  // \" \\ \/
            }
        }
        let result = UnsafeRawBufferPointer(start: storage + count, count: o)
        count += o
        return result
    }

    private static func hex4(_ body: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var value = 0
        for k in start..<min(start + 4, body.count) {
            value = value << 4 | max(JSONScanner.hexValue(body[k]), 0)
        }
        return value
    }
}
