#if canImport(Glibc)
    import Glibc
#endif

/// A JSON value inside a vendor record, where it lies: a string without its quotes and with its
/// escapes still encoded, any other value as its text.
struct VendorValue {
    var kind: JSONValueKind
    var bytes: UnsafeRawBufferPointer
    var hasEscapes = false

    /// A string or a number: something that can be an id or a name.
    var isScalarText: Bool { kind == .string || kind == .number }
}

/// One JSON object of a vendor record, with its members as `JSONScanner` found them. Valid while
/// the record is mapped and its slot is not scanned again.
struct VendorObject {
    let bytes: UnsafeRawBufferPointer
    let members: UnsafeBufferPointer<JSONMember>
    /// The arena of the `VendorObjects` that opened it, which outlives the record's objects (as
    /// their members, in its scanners, do): not retained for each object opened.
    unowned(unsafe) let arena: ByteArena

    var count: Int { members.count }

    /// The `i`th key, decoded.
    func key(_ i: Int) -> UnsafeRawBufferPointer {
        let member = members[i]
        let raw = UnsafeRawBufferPointer(rebasing: bytes[member.keyStart..<member.keyEnd])
        return member.keyHasEscapes ? arena.decodeJSONString(raw) ?? raw : raw
    }

    func value(_ i: Int) -> VendorValue {
        let member = members[i]
        return VendorValue(
            kind: member.kind, bytes: UnsafeRawBufferPointer(rebasing: bytes[member.valueStart..<member.valueEnd]),
            hasEscapes: member.valueHasEscapes)
    }

    /// The first member named `name`, null values included.
    func member(_ name: ByteString) -> VendorValue? {
        for i in 0..<members.count where name.matches(key(i)) { return value(i) }
        return nil
    }

    /// The first member whose key is these bytes (a key read from the record itself), null values included.
    func member(named name: UnsafeRawBufferPointer) -> VendorValue? {
        for i in 0..<members.count where DuplicateKeyFinder.same(key(i), name) { return value(i) }
        return nil
    }

    /// The first member named `name` whose value is not null.
    subscript(_ name: ByteString) -> VendorValue? {
        guard let value = member(name), value.kind != .null else { return nil }
        return value
    }
}

/// A name known in advance (a vendor field or event name), compared with record bytes without
/// making a `String`.
/// A literal (`top["event"]`) points at the program's constant text: looking a field up by name
/// allocates nothing per record.
struct ByteString: @unchecked Sendable, ExpressibleByStringLiteral {
    /// A literal's constant text (nil for a name made at run time, which `owned` holds).
    private let start: UnsafeRawPointer?
    let count: Int
    private let owned: [UInt8]?

    init(_ text: String) {
        owned = Array(text.utf8)
        start = nil
        count = owned!.count
    }

    init(stringLiteral value: StaticString) {
        if value.hasPointerRepresentation {
            start = UnsafeRawPointer(value.utf8Start)
            count = value.utf8CodeUnitCount
            owned = nil
        } else {
            owned = Array(value.description.utf8)
            start = nil
            count = owned!.count
        }
    }

    init(unicodeScalarLiteral value: StaticString) { self.init(stringLiteral: value) }
    init(extendedGraphemeClusterLiteral value: StaticString) { self.init(stringLiteral: value) }

    /// The name's UTF-8 bytes, for the duration of `body`.
    @inline(__always)
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let start { return body(UnsafeRawBufferPointer(start: start, count: count)) }
        return owned!.withUnsafeBytes(body)
    }

    var bytes: [UInt8] { owned ?? withBytes { Array($0) } }

    @inline(__always)
    func matches(_ other: UnsafeRawBufferPointer) -> Bool {
        guard other.count == count else { return false }
        guard count > 0 else { return true }
        if let start { return UnsafeRawBufferPointer.equal(start, other.baseAddress!, count) }
        return owned!.withUnsafeBytes { UnsafeRawBufferPointer.equal($0.baseAddress!, other.baseAddress!, count) }
    }
}

/// A set of names (event names, keys) looked up by bytes without making a `String`: an
/// open-addressing table of indexes, hashed with FNV-1a (no `Hasher`, no allocation per lookup).
struct ByteSet: Sendable {
    /// The names' bytes one after another; name `k` is `bytes[starts[k]..<starts[k + 1]]`.
    private let bytes: [UInt8]
    private let starts: [Int]
    private let slots: [Int32]
    private let mask: Int
    /// The names' first bytes, a bit each: most keys are told apart from every prefix by one test.
    private let firstBytes: [UInt64]
    /// The names' lengths below 64, a bit each: most ids are no placeholder's length.
    private let shortLengths: UInt64

    init(_ texts: [String]) {
        bytes = texts.flatMap { Array($0.utf8) }
        starts = texts.reduce(into: [0]) { $0.append($0.last! + $1.utf8.count) }
        var size = 16
        while size < 2 * texts.count { size <<= 1 }
        var slots = [Int32](repeating: 0, count: size)
        for (i, text) in texts.enumerated() {
            var name = Array(text.utf8)
            var h = name.withUnsafeMutableBytes { Self.hash(UnsafeRawBufferPointer($0)) } & (size - 1)
            while slots[h] != 0 { h = (h + 1) & (size - 1) }
            slots[h] = Int32(i + 1)
        }
        self.slots = slots
        mask = size - 1
        var firstBytes: [UInt64] = [0, 0, 0, 0]
        for name in texts {
            if let first = name.utf8.first { firstBytes[Int(first >> 6)] |= 1 << UInt64(first & 63) }
        }
        self.firstBytes = firstBytes
        shortLengths = texts.reduce(0) { $1.utf8.count < 64 ? $0 | 1 << UInt64($1.utf8.count) : $0 }
    }

    var isEmpty: Bool { starts.count == 1 }

    /// Which name `bytes` is (its index in the list given), or nil.
    func index(of bytes: UnsafeRawBufferPointer) -> Int? {
        index(of: bytes, hash: Self.hash(bytes))
    }

    /// Whether name `k` is `other`.
    @inline(__always)
    private func name(_ k: Int, is other: UnsafeRawBufferPointer) -> Bool {
        let start = starts[k]
        let count = starts[k + 1] - start
        guard count == other.count else { return false }
        guard count > 0 else { return true }
        return bytes.withUnsafeBytes {
            UnsafeRawBufferPointer.equal($0.baseAddress! + start, other.baseAddress!, count)
        }
    }

    /// The same, with `hash` = `ByteSet.hash(bytes)` computed once for lookups in several sets.
    func index(of bytes: UnsafeRawBufferPointer, hash: Int) -> Int? {
        guard !isEmpty else { return nil }
        var h = hash & mask
        while true {
            let slot = Int(slots[h])
            if slot == 0 { return nil }
            if name(slot - 1, is: bytes) { return slot - 1 }
            h = (h + 1) & mask
        }
    }

    func contains(_ bytes: UnsafeRawBufferPointer) -> Bool { index(of: bytes) != nil }

    func contains(_ bytes: UnsafeRawBufferPointer, hash: Int) -> Bool { index(of: bytes, hash: hash) != nil }

    /// Whether `bytes`, ASCII letters lower-cased, is one of the names (given in lower case);
    /// up to 36 bytes, lowered in a stack buffer (ids, placeholder lists).
    func containsIgnoringASCIICase(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // A length no name has, or a first byte no name starts with (lower-cased), is no name.
        guard let first = bytes.first, bytes.count <= 36, shortLengths & (1 << UInt64(bytes.count)) != 0 else {
            return bytes.isEmpty && shortLengths & 1 != 0
        }
        let lowered = first >= 0x41 && first <= 0x5A ? first | 0x20 : first
        guard firstBytes[Int(lowered >> 6)] & (1 << UInt64(lowered & 63)) != 0 else { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { lower in
            for i in 0..<bytes.count { lower[i] = bytes[i] >= 0x41 && bytes[i] <= 0x5A ? bytes[i] | 0x20 : bytes[i] }
            return contains(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(lower)[0..<bytes.count]))
        }
    }

    /// Whether `bytes` starts with one of the names (for prefixes).
    func hasPrefix(of bytes: UnsafeRawBufferPointer) -> Bool {
        guard let first = bytes.first, firstBytes[Int(first &>> 6)] & (1 &<< UInt64(first & 63)) != 0 else {
            return false
        }
        for k in 0..<(starts.count - 1) where starts[k + 1] - starts[k] <= bytes.count {
            if name(k, is: UnsafeRawBufferPointer(rebasing: bytes[0..<(starts[k + 1] - starts[k])])) { return true }
        }
        return false
    }

    /// Eight bytes a step, then the tail, mixed as MurmurHash3's finaliser does (the table uses
    /// the low bits).
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> Int {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: bytes.count)
        guard let base = bytes.baseAddress else { return Int(truncatingIfNeeded: h) }
        let n = bytes.count
        var i = 0
        while i &+ 8 <= n {
            h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h &>> 29
            i &+= 8
        }
        if i < n {
            // The last bytes in one or two loads: the word ending at `n` (it overlaps bytes
            // already mixed in) or, in a key shorter than a word, a 4-, 2- and 1-byte piece.
            var tail: UInt64
            if n >= 8 {
                tail = base.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
            } else {
                tail = 0
                var at = 0
                if n & 4 != 0 {
                    tail = UInt64(base.loadUnaligned(as: UInt32.self))
                    at = 4
                }
                if n & 2 != 0 {
                    tail |= UInt64(base.loadUnaligned(fromByteOffset: at, as: UInt16.self)) &<< UInt64(at &* 8)
                    at &+= 2
                }
                if n & 1 != 0 { tail |= UInt64(base.load(fromByteOffset: at, as: UInt8.self)) &<< UInt64(at &* 8) }
            }
            h = (h ^ tail) &* 0x9E37_79B9_7F4A_7C15
        }
        h ^= h &>> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h &>> 33
        return Int(truncatingIfNeeded: h)
    }
}

/// What a preset does with a vendor key, found with one lookup per key: the client column it
/// fills, whether metadata drops it, the name it is renamed to.
struct KeyRoles {
    struct Role {
        /// Index in the preset's client columns, or -1.
        var clientColumn = -1
        var dropped = false
        /// Index in the renames, or -1.
        var rename = -1
    }

    private let names: ByteSet
    private let roles: [Role]

    init(clientKeys: [String], droppedKeys: [String], renamedKeys: [String]) {
        var order: [String] = []
        var roles: [Role] = []
        var index: [String: Int] = [:]
        func entry(_ name: String) -> Int {
            if let k = index[name] { return k }
            index[name] = order.count
            order.append(name)
            roles.append(Role())
            return order.count - 1
        }
        // A name listed twice keeps its first column and rename, as a `ByteSet` lookup finds.
        for (k, name) in clientKeys.enumerated() where index[name] == nil { roles[entry(name)].clientColumn = k }
        for name in droppedKeys { roles[entry(name)].dropped = true }
        for (k, name) in renamedKeys.enumerated() {
            let e = entry(name)
            if roles[e].rename < 0 { roles[e].rename = k }
        }
        names = ByteSet(order)
        self.roles = roles
    }

    /// The role of `key`, whose `ByteSet.hash` is `hash`; nil when the preset has none for it.
    @inline(__always)
    func role(of key: UnsafeRawBufferPointer, hash: Int) -> Role? {
        names.index(of: key, hash: hash).map { roles[$0] }
    }

    /// Where the role of `key` is (for `subscript`), or -1 when the preset has none for it.
    @inline(__always)
    func index(of key: UnsafeRawBufferPointer, hash: Int) -> Int { names.index(of: key, hash: hash) ?? -1 }

    /// The role found at `index` (none for -1).
    @inline(__always)
    subscript(_ index: Int) -> Role { index < 0 ? Role() : roles[index] }
}

/// Scanners for the objects of one vendor record, one per slot, so that an object stays readable
/// while another one is scanned (the record, its properties, its context, nested metadata…).
final class VendorObjects {
    @exclusivity(unchecked) private var scanners: [JSONScanner] = []
    let arena: ByteArena

    private let empty: VendorObject

    init(maxRecordBytes: Int) {
        arena = ByteArena(capacity: 2 * maxRecordBytes + 64)
        empty = VendorObject(
            bytes: UnsafeRawBufferPointer(start: nil, count: 0), members: UnsafeBufferPointer(start: nil, count: 0),
            arena: arena)
    }

    /// What each slot scanned last in this record (start and length), so that opening the same
    /// object twice (for the event key, then for the mapping) scans it once.
    @exclusivity(unchecked) private var scanned: [(start: UnsafeRawPointer?, count: Int, isObject: Bool)] = []

    /// Forgets the decoded keys and strings of the last record, and what the slots scanned.
    func reset() {
        arena.reset()
        for k in scanned.indices { scanned[k].count = -1 }
    }

    /// Scans a record's top level in slot 0 (the record is not checked JSON yet): its outcome,
    /// and `scanner(0)` holds its members.
    func scanRecord(_ bytes: UnsafeRawBufferPointer) -> JSONScanner.Outcome {
        let outcome = scanner(0).scanWithMemberObjects(bytes)
        scanned[0] = (bytes.baseAddress, bytes.count, outcome == .object)
        return outcome
    }

    /// The scanner of `slot`.
    func scanner(_ slot: Int) -> JSONScanner {
        while scanners.count <= slot {
            scanners.append(JSONScanner())
            scanned.append((nil, -1, false))
        }
        return scanners[slot]
    }

    /// The object in `bytes` (already checked as JSON), scanned in `slot` unless that slot scanned
    /// these bytes already in this record; nil when it is not an object.
    func open(_ bytes: UnsafeRawBufferPointer, slot: Int) -> VendorObject? {
        unowned(unsafe) let scanner = scanner(slot)
        if scanned[slot].count != bytes.count || scanned[slot].start != bytes.baseAddress {
            if slot > 0, let member = recordMember(at: bytes) {
                scanner.adoptMembers(of: member, from: scanners[0])
                scanned[slot] = (bytes.baseAddress, bytes.count, true)
            } else {
                scanned[slot] = (bytes.baseAddress, bytes.count, scanner.scan(bytes) == .object)
            }
        }
        guard scanned[slot].isObject else { return nil }
        return VendorObject(bytes: bytes, members: scanner.members, arena: arena)
    }

    /// The top-level member of the record in slot 0 whose value is the object `bytes`, if any: its
    /// members were found by the record's scan.
    private func recordMember(at bytes: UnsafeRawBufferPointer) -> JSONMember? {
        guard scanned[0].isObject, let record = scanned[0].start, let start = bytes.baseAddress,
            start >= record, start < record + scanned[0].count
        else { return nil }
        let offset = record.distance(to: start)
        for member in scanners[0].members where member.valueStart == offset {
            return member.kind == .object && member.valueEnd - offset == bytes.count ? member : nil
        }
        return nil
    }

    /// The object value `value`, or the empty object when it is absent or not an object.
    func open(_ value: VendorValue?, slot: Int) -> VendorObject {
        guard let value, value.kind == .object, let object = open(value.bytes, slot: slot) else { return empty }
        return object
    }

    /// The elements of an array value (checked JSON), appended to `list` (emptied first).
    func elements(_ value: VendorValue?, into list: inout [VendorValue]) {
        list.clear()
        guard let value, value.kind == .array else { return }
        let bytes = value.bytes
        var depth = 0
        var start = -1
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        func finish(_ end: Int) {
            guard start >= 0 else { return }
            var a = start
            var b = end
            while a < b && isSpace(bytes[a]) { a += 1 }
            while b > a && isSpace(bytes[b - 1]) { b -= 1 }
            start = -1
            guard a < b else { return }
            let first = bytes[a]
            if first == UInt8(ascii: "\"") {
                let body = UnsafeRawBufferPointer(rebasing: bytes[(a + 1)..<(b - 1)])
                list.append(VendorValue(kind: .string, bytes: body, hasEscapes: body.contains(UInt8(ascii: "\\"))))
                return
            }
            let kind: JSONValueKind =
                switch first {
                case UInt8(ascii: "{"): .object
                case UInt8(ascii: "["): .array
                case UInt8(ascii: "t"), UInt8(ascii: "f"): .bool
                case UInt8(ascii: "n"): .null
                default: .number
                }
            list.append(VendorValue(kind: kind, bytes: UnsafeRawBufferPointer(rebasing: bytes[a..<b])))
        }
        var strings = JSONStringTracker()
        for i in 0..<bytes.count {
            let c = bytes[i]
            if strings.feed(c) { continue }
            switch c {
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth == 1 { start = i + 1 }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if depth == 1 { finish(i) }
                depth -= 1
            case UInt8(ascii: ","):
                if depth == 1 {
                    finish(i)
                    start = i + 1
                }
            default: break
            }
        }
    }

    /// A string value decoded (or a number's text); nil for other kinds.
    func text(_ value: VendorValue?) -> UnsafeRawBufferPointer? {
        guard let value, value.isScalarText else { return nil }
        if value.kind == .string && value.hasEscapes { return arena.decodeJSONString(value.bytes) }
        return value.bytes
    }
}

extension Timestamp {
    /// A vendor time: an epoch number or digit string with its unit read from its magnitude
    /// (< 10^11 seconds, < 10^14 milliseconds, < 10^17 microseconds, else nanoseconds; integer
    /// arithmetic), or an ISO date and time (zone-less is UTC). Nil when it is neither.
    public static func vendorTime(_ text: String) -> Timestamp? {
        var copy = text
        return copy.withUTF8 { vendorTime(UnsafeRawBufferPointer($0)) }
    }

    static func vendorTime(_ text: UnsafeRawBufferPointer) -> Timestamp? {
        if let time = fromEpoch(text, unit: .auto, nanosecondsPastMicroseconds: true) { return time }
        guard case .success(let time) = Timestamp.parse(text) else { return nil }
        let utc = time.inUTC
        return utc.year >= 1 && utc.year <= 9999 ? utc : nil
    }

    /// The same instant `seconds` later (earlier when negative).
    func shifted(by seconds: Int) -> Timestamp? {
        guard seconds != 0 else { return self }
        let base = Self.daysFromCivil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second
        let time = Timestamp(epochSeconds: base + seconds, nanoseconds: nanoseconds)
        return time.year >= 1 && time.year <= 9999 ? time : nil
    }
}

/// Whether the bytes of checked JSON text lie inside a string (quotes and backslash escapes),
/// fed one byte at a time: what the streaming splitters share.
public struct JSONStringTracker {
    public private(set) var inString = false
    private var escaped = false

    public init() {}

    /// Feeds one byte; true when it belongs to a string, its quotes included.
    @inline(__always)
    public mutating func feed(_ c: UInt8) -> Bool {
        if inString {
            if escaped {
                escaped = false
            } else if c == UInt8(ascii: "\\") {
                escaped = true
            } else if c == UInt8(ascii: "\"") {
                inString = false
            }
            return true
        }
        if c == UInt8(ascii: "\"") {
            inString = true
            return true
        }
        return false
    }
}
