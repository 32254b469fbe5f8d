import CPUHints

/// Kinds of JSON value the schema distinguishes.
public enum JSONValueKind: UInt8, Sendable {
    case string, number, object, array, bool, null

    var article: String {
        switch self {
        case .string: "a string"
        case .number: "a number"
        case .object: "an object"
        case .array: "an array"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}

/// What made a record's JSON unacceptable, and where (offset within the record).
public struct JSONSyntaxError: Equatable, Sendable {
    /// `.malformedJSON`, `.invalidUTF8` or `.tooDeep`.
    public var code: ProblemCode
    public var offset: Int
    public var reason: StaticString

    public static func == (a: Self, b: Self) -> Bool {
        a.code == b.code && a.offset == b.offset && a.reason.description == b.reason.description
    }
}

/// One top-level member of a record: where its key and value sit in the record's bytes.
/// For strings, `value` excludes the quotes; escapes are still encoded (see `valueHasEscapes`).
public struct JSONMember: Sendable {
    public var keyStart = 0
    public var keyEnd = 0
    public var keyHasEscapes = false
    public var valueStart = 0
    public var valueEnd = 0
    public var kind = JSONValueKind.null
    public var valueHasEscapes = false
    /// For objects and arrays: whether they hold another object or array.
    public var holdsContainers = false
    /// For an object value: its own keys, `JSONScanner.keys(of:)` (so that a duplicate key inside
    /// `metadata` is found without scanning it again).
    public var keysStart = 0
    public var keysEnd = 0
}

/// Where a key of a member's object value and its value sit in the record (escapes still
/// encoded; a string value without its quotes).
public struct JSONKey: Sendable {
    public var start = 0
    public var end = 0
    public var hasEscapes = false
    public var valueHasEscapes = false
    public var kind = JSONValueKind.null
    public var valueStart = 0
    public var valueEnd = 0
}

extension JSONMember {
    /// A key of an object read in the record's scan, as a member of that object whose bytes
    /// start at `base` in the record.
    @inline(__always)
    init(_ key: JSONKey, offset base: Int) {
        self.init(
            keyStart: key.start - base, keyEnd: key.end - base, keyHasEscapes: key.hasEscapes,
            valueStart: key.valueStart - base, valueEnd: key.valueEnd - base, kind: key.kind,
            valueHasEscapes: key.valueHasEscapes)
    }
}

/// Strict RFC 8259 validator for one record, working on bytes.
///
/// It checks the whole text (grammar, escapes, surrogate pairs, UTF-8, depth at most 64) in one
/// pass and hands back the top-level members without building a tree or any `String`. Members
/// are written straight into a reusable buffer (no copy of a member through the stack, no
/// `Array` checks per member); the buffer lives as long as the scanner.
public final class JSONScanner {
    public static let maxDepth = 64

    public enum Outcome: Equatable, Sendable {
        case object
        case notAnObject(JSONValueKind)
        case invalid(JSONSyntaxError)
    }

    @exclusivity(unchecked) private var slots: UnsafeMutablePointer<JSONMember>
    @exclusivity(unchecked) private var capacity = 64
    @exclusivity(unchecked) private var count = 0
    /// Keys of the objects that are top-level members' values, in record order.
    @exclusivity(unchecked) private var keySlots: UnsafeMutablePointer<JSONKey>
    @exclusivity(unchecked) private var keyCapacity = 256
    /// The stop bitmap of the record being scanned by `scanObjectRecord`
    /// (`import_prep_string_stops`), in words.
    @exclusivity(unchecked) private var stops: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private var stopsCapacity = 64

    /// Top-level members of the last record scanned, when it was an object. Valid until the next `scan`.
    public var members: UnsafeBufferPointer<JSONMember> { UnsafeBufferPointer(start: slots, count: count) }

    /// The keys of `member`'s object value (empty for other values), in order, with their values.
    public func keys(of member: JSONMember) -> UnsafeBufferPointer<JSONKey> {
        UnsafeBufferPointer(start: keySlots + member.keysStart, count: member.keysEnd - member.keysStart)
    }

    /// Takes as its members the members of `member`'s object value as `other` found them while
    /// scanning the record with `scanWithMemberObjects` (offsets made relative to the value): an object inside a record that was
    /// scanned is read without scanning its bytes again. Not for `holdsContainers` or `keys(of:)`.
    func adoptMembers(of member: JSONMember, from other: JSONScanner) {
        adoptMembers(other.keys(of: member), offset: member.valueStart)
    }

    /// The same from the keys themselves (`RecordFields.metadataMembers`): the object's value
    /// starts at `base` in the record they were found in.
    func adoptMembers(_ keys: UnsafeBufferPointer<JSONKey>, offset base: Int) {
        while capacity <= keys.count { grow() }
        for (k, key) in keys.enumerated() { slots[k] = JSONMember(key, offset: base) }
        count = keys.count
    }

    /// Takes `members` and their objects' `keys` as a scan of `scanWithMemberObjects` would have
    /// left them (`RowLayout`: a row the vendor mapper wrote and noted as it wrote it).
    func adopt(members: UnsafeBufferPointer<JSONMember>, keys: UnsafeBufferPointer<JSONKey>) {
        while capacity <= members.count { grow() }
        while keyCapacity <= keys.count { growKeys() }
        if let source = members.baseAddress { slots.update(from: source, count: members.count) }
        if let source = keys.baseAddress { keySlots.update(from: source, count: keys.count) }
        count = members.count
    }

    /// Reads the `metadata` object of `fields` into `members`: taken from the record's scan when
    /// the reader kept it (`RecordFields.metadataMembers`), else scanned (a CSV cell, a record read
    /// without it). Offsets are relative to the metadata's bytes.
    func scanMetadata(of fields: RecordFields) -> Outcome {
        if let keys = fields.scannedMetadataKeys {
            adoptMembers(keys, offset: fields.metadataMembersOffset)
            return .object
        }
        return scan(fields[.metadata].bytes)
    }

    public init() {
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: JSONMember(), count: capacity)
        keySlots = .allocate(capacity: keyCapacity)
        keySlots.initialize(repeating: JSONKey(), count: keyCapacity)
        stops = .allocate(capacity: stopsCapacity)
    }

    deinit {
        slots.deallocate()
        keySlots.deallocate()
        stops.deallocate()
    }

    /// Room for the stop bitmap of a record of `n` bytes (a record longer than any before).
    @inline(never)
    private func growStops(_ n: Int) {
        stops.deallocate()
        stopsCapacity = (n + 63) / 64 * 2 + 2
        stops = .allocate(capacity: stopsCapacity)
    }

    /// Doubles the key buffer.
    private func growKeys() { Self.double(&keySlots, &keyCapacity, empty: JSONKey()) }

    /// Doubles the member buffer (a record with more members than ever before).
    private func grow() { Self.double(&slots, &capacity, empty: JSONMember()) }

    /// Moves `buffer` into one twice its size (the rest filled with `empty`).
    private static func double<T>(_ buffer: inout UnsafeMutablePointer<T>, _ capacity: inout Int, empty: T) {
        let bigger = UnsafeMutablePointer<T>.allocate(capacity: capacity * 2)
        bigger.initialize(repeating: empty, count: capacity * 2)
        bigger.update(from: buffer, count: capacity)
        buffer.deallocate()
        buffer = bigger
        capacity *= 2
    }

    public func scan(_ record: UnsafeRawBufferPointer) -> Outcome { scan(record, valuesOfMemberObjects: false) }

    /// `scan`, recording also where the values of the top-level members' objects are (in
    /// `keys(of:)`), for `adoptMembers` (the vendor presets read those objects).
    func scanWithMemberObjects(_ record: UnsafeRawBufferPointer) -> Outcome {
        scan(record, valuesOfMemberObjects: true)
    }

    @inline(__always)
    private func scan(_ record: UnsafeRawBufferPointer, valuesOfMemberObjects: Bool) -> Outcome {
        if let base = record.baseAddress,
            scanObjectRecord(base.assumingMemoryBound(to: UInt8.self), record.count, valuesOfMemberObjects)
        {
            return .object
        }
        return scanAnyValue(record, valuesOfMemberObjects: valuesOfMemberObjects)
    }

    /// The scan of any text (what `scan` falls back to): every value kind at the top, every
    /// error with its offset and reason.
    @inline(__always)
    func scanAnyValue(_ record: UnsafeRawBufferPointer, valuesOfMemberObjects: Bool) -> Outcome {
        // `slot` is the member being read; `used` members before it are complete.
        var used = 0
        var slot = slots
        var keys = 0
        defer { count = used }
        guard let base = record.baseAddress, record.count > 0 else {
            return .invalid(JSONSyntaxError(code: .malformedJSON, offset: 0, reason: "the record is empty"))
        }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let n = record.count
        var error = JSONSyntaxError(code: .malformedJSON, offset: 0, reason: "")
        var i = Self.skipWhitespace(p, 0, n)
        var depth = 0
        var objectLevels: UInt64 = 0  // bit d-1 set when the container at depth d is an object
        var topKind = JSONValueKind.null

        @inline(__always) func fail(_ code: ProblemCode, _ at: Int, _ reason: StaticString) -> Outcome {
            .invalid(JSONSyntaxError(code: code, offset: at, reason: reason))
        }

        valueLoop: while true {
            guard i < n else { return fail(.malformedJSON, i, "the record ends where a value was expected") }
            let inMember = depth == 1 && topKind == .object
            // A value of a member's object: recorded with its key (`keys(of:)`).
            let inMemberObject = valuesOfMemberObjects && depth == 2 && topKind == .object && objectLevels & 2 != 0
            let c = p[i]
            switch c {
            case UInt8(ascii: "\""):
                var escaped = false
                let end = Self.scanString(p, i + 1, n, &escaped, &error)
                if end < 0 { return .invalid(error) }
                if depth == 0 { topKind = .string }
                if inMember {
                    slot.pointee.kind = .string
                    slot.pointee.valueStart = i + 1
                    slot.pointee.valueEnd = end
                    slot.pointee.valueHasEscapes = escaped
                } else if inMemberObject {
                    let key = keySlots + (keys - 1)
                    key.pointee.kind = .string
                    key.pointee.valueStart = i + 1
                    key.pointee.valueEnd = end
                    key.pointee.valueHasEscapes = escaped
                }
                i = end + 1
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = c == UInt8(ascii: "{")
                if depth >= 2 { slot.pointee.holdsContainers = true }
                if depth == 0 { topKind = isObject ? .object : .array }
                if inMember {
                    slot.pointee.kind = isObject ? .object : .array
                    slot.pointee.valueStart = i
                } else if inMemberObject {
                    keySlots[keys - 1].kind = isObject ? .object : .array
                    keySlots[keys - 1].valueStart = i
                }
                depth += 1
                if depth > Self.maxDepth { return fail(.tooDeep, i, "nesting deeper than 64 levels") }
                if isObject {
                    objectLevels |= 1 << UInt64(depth - 1)
                } else {
                    objectLevels &= ~(1 << UInt64(depth - 1))
                }
                i = Self.skipWhitespace(p, i + 1, n)
                if i < n && p[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    i += 1
                    depth -= 1
                } else if isObject {
                    if depth == 2 && topKind == .object {
                        i = Self.scanKey(p, i, n, slot, record: false, &error, nested: keySlots + keys)
                        if i < 0 { return .invalid(error) }
                        keys += 1
                        if keys == keyCapacity { growKeys() }
                        slot.pointee.keysEnd = keys
                        continue valueLoop
                    }
                    i = Self.scanKey(p, i, n, slot, record: depth == 1, &error)
                    if i < 0 { return .invalid(error) }
                    if depth == 1 {
                        slot.pointee.keysStart = keys
                        slot.pointee.keysEnd = keys
                    }
                    continue valueLoop
                } else {
                    continue valueLoop
                }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let end = Self.scanNumber(p, i, n)
                if end < 0 { return fail(.malformedJSON, i, "invalid number") }
                if depth == 0 { topKind = .number }
                if inMember {
                    slot.pointee.kind = .number
                    slot.pointee.valueStart = i
                } else if inMemberObject {
                    keySlots[keys - 1].kind = .number
                    keySlots[keys - 1].valueStart = i
                }
                i = end
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                let end = Self.scanLiteral(p, i, n)
                if end < 0 { return fail(.malformedJSON, i, "unknown literal (only true, false and null exist)") }
                if depth == 0 { topKind = c == UInt8(ascii: "n") ? .null : .bool }
                if inMember {
                    slot.pointee.kind = c == UInt8(ascii: "n") ? .null : .bool
                    slot.pointee.valueStart = i
                } else if inMemberObject {
                    keySlots[keys - 1].kind = c == UInt8(ascii: "n") ? .null : .bool
                    keySlots[keys - 1].valueStart = i
                }
                i = end
            default:
                return fail(.malformedJSON, i, "unexpected character where a value was expected")
            }

            // A value just ended; `depth` is the depth of the container around it.
            while true {
                if depth == 1 && topKind == .object {
                    if slot.pointee.kind != .string { slot.pointee.valueEnd = i }
                    used += 1
                    if used == capacity {
                        grow()
                    }
                    slot = slots + used
                } else if valuesOfMemberObjects && depth == 2 && topKind == .object && objectLevels & 2 != 0 {
                    if keySlots[keys - 1].kind != .string { keySlots[keys - 1].valueEnd = i }
                }
                if depth == 0 {
                    i = Self.skipWhitespace(p, i, n)
                    if i != n { return fail(.malformedJSON, i, "unexpected characters after the end of the value") }
                    return topKind == .object ? .object : .notAnObject(topKind)
                }
                i = Self.skipWhitespace(p, i, n)
                guard i < n else { return fail(.malformedJSON, i, "the record ends inside an object or array") }
                let inObject = (objectLevels >> UInt64(depth - 1)) & 1 == 1
                let c = p[i]
                if c == UInt8(ascii: ",") {
                    i = Self.skipWhitespace(p, i + 1, n)
                    if inObject {
                        if depth == 2 && topKind == .object {
                            i = Self.scanKey(p, i, n, slot, record: false, &error, nested: keySlots + keys)
                            if i < 0 { return .invalid(error) }
                            keys += 1
                            if keys == keyCapacity { growKeys() }
                            slot.pointee.keysEnd = keys
                            continue valueLoop
                        }
                        i = Self.scanKey(p, i, n, slot, record: depth == 1, &error)
                        if i < 0 { return .invalid(error) }
                        if depth == 1 {
                            slot.pointee.keysStart = keys
                            slot.pointee.keysEnd = keys
                        }
                    }
                    continue valueLoop
                }
                if c == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    i += 1
                    depth -= 1
                    continue
                }
                return fail(
                    .malformedJSON, i,
                    inObject ? "expected ',' or '}' after a value" : "expected ',' or ']' after a value")
            }
        }
    }

    // MARK: - Records that are objects (the usual case), without the general loop's bookkeeping

    /// Scans a record that is a well-formed object, top-level members one after another: no
    /// depth, container or member-state tests per token, as the general loop needs. Containers
    /// inside a member's value are checked by `skipContainer`. Returns false at the first thing
    /// it does not accept, without saying why: `scanAnyValue` then reads the record again and
    /// finds the error and its offset (the members and keys it records are the same, which
    /// `ObjectRecordScanTests` check on every input they have).
    @inline(__always)
    func scanObjectRecord(_ p: UnsafePointer<UInt8>, _ n: Int, _ valuesOfMemberObjects: Bool) -> Bool {
        var i = Self.skipWhitespace(p, 0, n)
        guard i < n, p[i] == UInt8(ascii: "{") else { return false }
        if (n + 63) / 64 >= stopsCapacity { growStops(n) }
        import_prep_string_stops(p, n, stops)
        let stops = UnsafePointer(self.stops)
        i = Self.skipWhitespace(p, i + 1, n)
        var used = 0
        var keys = 0
        if i < n && p[i] == UInt8(ascii: "}") {
            guard Self.skipWhitespace(p, i + 1, n) == n else { return false }
            count = 0
            return true
        }
        while true {
            guard i < n, p[i] == UInt8(ascii: "\"") else { return false }
            var escaped = false
            let keyEnd = Self.endOfString(p, i + 1, n, stops, &escaped)
            guard keyEnd >= 0 else { return false }
            if used == capacity { grow() }
            let slot = slots + used
            slot.initialize(
                to: JSONMember(keyStart: i + 1, keyEnd: keyEnd, keyHasEscapes: escaped, keysStart: keys, keysEnd: keys))
            i = Self.skipWhitespace(p, keyEnd + 1, n)
            guard i < n, p[i] == UInt8(ascii: ":") else { return false }
            i = Self.skipWhitespace(p, i + 1, n)
            guard i < n else { return false }
            switch p[i] {
            case UInt8(ascii: "\""):
                var valueEscaped = false
                let end = Self.endOfString(p, i + 1, n, stops, &valueEscaped)
                guard end >= 0 else { return false }
                slot.pointee.kind = .string
                slot.pointee.valueStart = i + 1
                slot.pointee.valueEnd = end
                slot.pointee.valueHasEscapes = valueEscaped
                i = end + 1
            case UInt8(ascii: "{"):
                slot.pointee.kind = .object
                slot.pointee.valueStart = i
                i = scanMemberObject(p, i, n, stops, slot, &keys, valuesOfMemberObjects)
                guard i >= 0 else { return false }
                slot.pointee.valueEnd = i
            case UInt8(ascii: "["):
                slot.pointee.kind = .array
                slot.pointee.valueStart = i
                i = Self.skipContainer(p, i, n, stops, depth: 2, holdsContainers: &slot.pointee.holdsContainers)
                guard i >= 0 else { return false }
                slot.pointee.valueEnd = i
            case let c:
                let end = Self.scanScalar(p, i, n)
                guard end >= 0 else { return false }
                slot.pointee.kind = Self.scalarKind(c)
                slot.pointee.valueStart = i
                slot.pointee.valueEnd = end
                i = end
            }
            used += 1
            i = Self.skipWhitespace(p, i, n)
            guard i < n else { return false }
            if p[i] == UInt8(ascii: ",") {
                i = Self.skipWhitespace(p, i + 1, n)
                continue
            }
            guard p[i] == UInt8(ascii: "}"), Self.skipWhitespace(p, i + 1, n) == n else { return false }
            count = used
            return true
        }
    }

    /// A member's object value from its `{`: its keys (and, for `scanWithMemberObjects`, their
    /// values) recorded for `keys(of:)`. Returns the index after its `}`, or -1.
    @inline(__always)
    private func scanMemberObject(
        _ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int, _ stops: UnsafePointer<UInt64>,
        _ slot: UnsafeMutablePointer<JSONMember>, _ keys: inout Int, _ valuesOfMemberObjects: Bool
    ) -> Int {
        var i = Self.skipWhitespace(p, start + 1, n)
        if i < n && p[i] == UInt8(ascii: "}") { return i + 1 }
        while true {
            guard i < n, p[i] == UInt8(ascii: "\"") else { return -1 }
            var escaped = false
            let keyEnd = Self.endOfString(p, i + 1, n, stops, &escaped)
            guard keyEnd >= 0 else { return -1 }
            let key = keySlots + keys
            key.pointee = JSONKey(start: i + 1, end: keyEnd, hasEscapes: escaped)
            i = Self.skipWhitespace(p, keyEnd + 1, n)
            guard i < n, p[i] == UInt8(ascii: ":") else { return -1 }
            i = Self.skipWhitespace(p, i + 1, n)
            guard i < n else { return -1 }
            let c = p[i]
            let valueStart = i
            var valueEscaped = false
            var kind = JSONValueKind.string
            if c == UInt8(ascii: "\"") {
                let end = Self.endOfString(p, i + 1, n, stops, &valueEscaped)
                guard end >= 0 else { return -1 }
                i = end + 1
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                slot.pointee.holdsContainers = true
                kind = c == UInt8(ascii: "{") ? .object : .array
                i = Self.skipContainer(p, i, n, stops, depth: 3, holdsContainers: &slot.pointee.holdsContainers)
                guard i >= 0 else { return -1 }
            } else {
                i = Self.scanScalar(p, i, n)
                guard i >= 0 else { return -1 }
                kind = Self.scalarKind(c)
            }
            if valuesOfMemberObjects {
                key.pointee.kind = kind
                if kind == .string {
                    key.pointee.valueStart = valueStart + 1
                    key.pointee.valueEnd = i - 1
                    key.pointee.valueHasEscapes = valueEscaped
                } else {
                    key.pointee.valueStart = valueStart
                    key.pointee.valueEnd = i
                }
            }
            keys += 1
            if keys == keyCapacity { growKeys() }
            slot.pointee.keysEnd = keys
            i = Self.skipWhitespace(p, i, n)
            guard i < n else { return -1 }
            if p[i] == UInt8(ascii: ",") {
                i = Self.skipWhitespace(p, i + 1, n)
                continue
            }
            return p[i] == UInt8(ascii: "}") ? i + 1 : -1
        }
    }

    /// A number, `true`, `false` or `null` at `i`; the index after it, or -1.
    @inline(__always)
    private static func scanScalar(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
        switch p[i] {
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): scanNumber(p, i, n)
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): scanLiteral(p, i, n)
        default: -1
        }
    }

    /// The kind of the scalar whose first byte is `c` (one `scanScalar` accepted).
    @inline(__always)
    private static func scalarKind(_ c: UInt8) -> JSONValueKind {
        switch c {
        case UInt8(ascii: "n"): .null
        case UInt8(ascii: "t"), UInt8(ascii: "f"): .bool
        default: .number
        }
    }

    /// Checks the container opening at `start`, at nesting `depth` (the record's object is 1),
    /// and everything in it; returns the index after it, or -1 (a syntax error, or deeper than
    /// `maxDepth`). Nothing is recorded but whether it holds another container.
    private static func skipContainer(
        _ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int, _ stops: UnsafePointer<UInt64>, depth startDepth: Int,
        holdsContainers: inout Bool
    ) -> Int {
        var i = start
        var depth = startDepth - 1
        var objectLevels: UInt64 = 0  // bit k set when the container at depth startDepth + k is an object
        valueLoop: while true {
            guard i < n else { return -1 }
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                i = skipString(p, i, n, stops)
                guard i >= 0 else { return -1 }
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                depth += 1
                if depth > maxDepth { return -1 }
                if depth > startDepth { holdsContainers = true }
                let isObject = c == UInt8(ascii: "{")
                let bit: UInt64 = 1 << UInt64(depth - startDepth)
                if isObject { objectLevels |= bit } else { objectLevels &= ~bit }
                i = skipWhitespace(p, i + 1, n)
                if i < n && p[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    i += 1
                    depth -= 1
                } else {
                    if isObject {
                        i = skipKey(p, i, n, stops)
                        guard i >= 0 else { return -1 }
                    }
                    continue valueLoop
                }
            } else {
                i = scanScalar(p, i, n)
                guard i >= 0 else { return -1 }
            }
            // A value just ended; `depth` is the depth of the container around it.
            while true {
                if depth < startDepth { return i }
                i = skipWhitespace(p, i, n)
                guard i < n else { return -1 }
                let inObject = (objectLevels >> UInt64(depth - startDepth)) & 1 == 1
                if p[i] == UInt8(ascii: ",") {
                    i = skipWhitespace(p, i + 1, n)
                    if inObject {
                        i = skipKey(p, i, n, stops)
                        guard i >= 0 else { return -1 }
                    }
                    continue valueLoop
                }
                guard p[i] == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return -1 }
                i += 1
                depth -= 1
            }
        }
    }

    /// `"key"` and the `:` after it, nothing recorded; the index of the value, or -1.
    @inline(__always)
    private static func skipKey(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int, _ stops: UnsafePointer<UInt64>)
        -> Int
    {
        guard start < n, p[start] == UInt8(ascii: "\"") else { return -1 }
        let end = skipString(p, start, n, stops)
        guard end >= 0 else { return -1 }
        let i = skipWhitespace(p, end, n)
        guard i < n, p[i] == UInt8(ascii: ":") else { return -1 }
        return skipWhitespace(p, i + 1, n)
    }

    /// The string whose opening quote is at `start`, checked, nothing recorded; the index after
    /// its closing quote, or -1.
    @inline(__always)
    private static func skipString(
        _ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int, _ stops: UnsafePointer<UInt64>
    ) -> Int {
        var escaped = false
        let end = endOfString(p, start + 1, n, stops, &escaped)
        return end < 0 ? -1 : end + 1
    }

    /// The stop bitmap of `bytes` as `scanObjectRecord` builds it, with AVX2 where the CPU has
    /// it or with SSE2 (for tests of the two paths).
    static func stopBitmap(of bytes: [UInt8], avx2: Bool) -> [UInt64] {
        var bits = [UInt64](repeating: 0xA5A5, count: (bytes.count + 63) / 64 + 1)
        bytes.withUnsafeBufferPointer { p in
            bits.withUnsafeMutableBufferPointer {
                import_prep_string_stops_using(p.baseAddress, p.count, $0.baseAddress, avx2 ? 1 : 0)
            }
        }
        return bits
    }

    /// `scanString` for `scanObjectRecord`: the next byte that stops a plain run comes from the
    /// record's stop bitmap (a count of trailing zeros, no loop per string). Returns the index of
    /// the closing quote, or -1 for anything wrong, which the general scan then names.
    @inline(__always)
    static func endOfString(
        _ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int, _ stops: UnsafePointer<UInt64>, _ escaped: inout Bool
    ) -> Int {
        // The usual string: plain ASCII up to a quote in the same word, found inline.
        let word = stops[start &>> 6] &>> UInt64(start & 63)
        if word != 0 {
            let i = start &+ word.trailingZeroBitCount
            if p[i] == UInt8(ascii: "\"") { return i }
        }
        return endOfAnyString(p, start, n, stops, &escaped)
    }

    /// `endOfString` for the rest: escapes, control and non-ASCII bytes, strings across words.
    @inline(never)
    static func endOfAnyString(
        _ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int, _ stops: UnsafePointer<UInt64>, _ escaped: inout Bool
    ) -> Int {
        var i = start
        var unused = JSONSyntaxError(code: .malformedJSON, offset: 0, reason: "")
        while true {
            // `stops` has a zero word after the last, and no bits past `n`.
            let word = stops[i &>> 6] &>> UInt64(i & 63)
            if word != 0 {
                i &+= word.trailingZeroBitCount
            } else {
                let words = (n &+ 63) &>> 6
                var w = (i &>> 6) &+ 1
                while w < words && stops[w] == 0 { w &+= 1 }
                guard w < words else { return -1 }
                i = (w &<< 6) &+ stops[w].trailingZeroBitCount
            }
            if p[i] == UInt8(ascii: "\"") { return i }
            i = pastStop(p, i, n, &escaped, &unused)
            if i < 0 { return -1 }
        }
    }

    // MARK: - Inner loops (the scanner's one unsafe region)

    @inline(__always)
    static func skipWhitespace(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) -> Int {
        var i = start
        while i < n {
            let c = p[i]
            // One test for the usual case, a structural or value byte (compact NDJSON has no spaces).
            if c > 0x20 { break }
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { break }
            i += 1
        }
        return i
    }

    /// Scans `"key"` and the `:` after it; returns the index of the value, or -1.
    @inline(__always)
    static func scanKey(
        _ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int, _ member: UnsafeMutablePointer<JSONMember>, record: Bool,
        _ error: inout JSONSyntaxError, nested: UnsafeMutablePointer<JSONKey>? = nil
    ) -> Int {
        guard start < n, p[start] == UInt8(ascii: "\"") else {
            error = JSONSyntaxError(code: .malformedJSON, offset: start, reason: "expected a key in double quotes")
            return -1
        }
        var escaped = false
        let end = scanString(p, start + 1, n, &escaped, &error)
        if end < 0 { return -1 }
        if record {
            member.initialize(to: JSONMember(keyStart: start + 1, keyEnd: end, keyHasEscapes: escaped))
        } else if let nested {
            nested.pointee = JSONKey(start: start + 1, end: end, hasEscapes: escaped)
        }
        var i = skipWhitespace(p, end + 1, n)
        guard i < n, p[i] == UInt8(ascii: ":") else {
            error = JSONSyntaxError(code: .malformedJSON, offset: i, reason: "expected ':' after a key")
            return -1
        }
        i = skipWhitespace(p, i + 1, n)
        return i
    }

    /// Scans a string body from just after its opening quote. Returns the index of the closing
    /// quote, or -1 with `error` set. Checks escapes, surrogate pairs, control bytes and UTF-8.
    @inline(__always)
    static func scanString(
        _ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int, _ escaped: inout Bool, _ error: inout JSONSyntaxError
    ) -> Int {
        var i = start
        while true {
            // Plain ASCII bytes are skipped in one C loop (sixteen at a time with SSE2); it stops
            // at the first `"`, `\`, control or non-ASCII byte.
            i = import_prep_skip_plain_string(p, i, n)
            guard i < n else {
                error = JSONSyntaxError(code: .malformedJSON, offset: start - 1, reason: "unterminated string")
                return -1
            }
            if p[i] == UInt8(ascii: "\"") { return i }
            i = pastStop(p, i, n, &escaped, &error)
            if i < 0 { return -1 }
        }
    }

    /// Reads past the byte at `i` that stopped a string's plain run, when it is not the closing
    /// quote: an escape, a UTF-8 character. Returns the index after it, or -1 with `error` set (a
    /// bad escape, a control byte, invalid UTF-8). Shared by `scanString` and `endOfAnyString`.
    @inline(__always)
    static func pastStop(
        _ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ escaped: inout Bool, _ error: inout JSONSyntaxError
    ) -> Int {
        let c = p[i]
        if c == UInt8(ascii: "\\") {
            escaped = true
            return scanEscape(p, i, n, &error)
        }
        if c < 0x20 {
            error = JSONSyntaxError(code: .malformedJSON, offset: i, reason: "unescaped control character in a string")
            return -1
        }
        guard c >= 0x80 else { return i &+ 1 }
        let length = utf8SequenceLength(p, i, n)
        guard length > 0 else {
            error = JSONSyntaxError(code: .invalidUTF8, offset: i, reason: "invalid UTF-8 sequence")
            return -1
        }
        return i &+ length
    }

    /// Validates the escape at `i` (a backslash); returns the index after it, or -1.
    static func scanEscape(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ error: inout JSONSyntaxError) -> Int {
        guard i + 1 < n else {
            error = JSONSyntaxError(code: .malformedJSON, offset: i, reason: "unterminated escape")
            return -1
        }
        switch p[i + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
            UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return i + 2
        case UInt8(ascii: "u"):
            let unit = hex4(p, i + 2, n)
            if unit < 0 {
                error = JSONSyntaxError(
                    code: .malformedJSON, offset: i, reason: "\\u must be followed by four hex digits")
                return -1
            }
            if unit >= 0xDC00 && unit <= 0xDFFF {
                error = JSONSyntaxError(code: .malformedJSON, offset: i, reason: "lone low surrogate escape")
                return -1
            }
            if unit >= 0xD800 && unit <= 0xDBFF {
                let low =
                    (i + 7 < n && p[i + 6] == UInt8(ascii: "\\") && p[i + 7] == UInt8(ascii: "u"))
                    ? hex4(p, i + 8, n) : -1
                guard low >= 0xDC00 && low <= 0xDFFF else {
                    error = JSONSyntaxError(
                        code: .malformedJSON, offset: i, reason: "high surrogate escape without its low half")
                    return -1
                }
                return i + 12
            }
            return i + 6
        default:
            error = JSONSyntaxError(code: .malformedJSON, offset: i, reason: "invalid escape sequence")
            return -1
        }
    }

    @inline(__always)
    static func hex4(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) -> Int {
        guard start + 4 <= n else { return -1 }
        var value = 0
        for k in 0..<4 {
            let d = hexValue(p[start + k])
            if d < 0 { return -1 }
            value = value << 4 | d
        }
        return value
    }

    @inline(__always)
    static func hexValue(_ c: UInt8) -> Int {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(c &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(c &- UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(c &- UInt8(ascii: "A")) + 10
        default: -1
        }
    }

    /// Length of the well-formed UTF-8 sequence at `i` (lead byte >= 0x80), or 0 when invalid
    /// (stray continuation, overlong form, surrogate, above U+10FFFF, truncated).
    @inline(__always)
    static func utf8SequenceLength(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
        let lead = p[i]
        @inline(__always) func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            i + k < n && p[i + k] >= lo && p[i + k] <= hi
        }
        switch lead {
        case 0xC2...0xDF:
            return cont(1) ? 2 : 0
        case 0xE0:
            return cont(1, 0xA0) && cont(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return cont(1) && cont(2) ? 3 : 0
        case 0xED:
            return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0
        case 0xF0:
            return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0
        case 0xF1...0xF3:
            return cont(1) && cont(2) && cont(3) ? 4 : 0
        case 0xF4:
            return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0
        default:
            return 0
        }
    }

    /// Scans a number by RFC 8259's grammar; returns the index after it, or -1.
    @inline(__always)
    static func scanNumber(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) -> Int {
        var i = start
        @inline(__always) func isDigit(_ k: Int) -> Bool { k < n && p[k] &- UInt8(ascii: "0") < 10 }
        if p[i] == UInt8(ascii: "-") { i += 1 }
        guard i < n else { return -1 }
        if p[i] == UInt8(ascii: "0") {
            i += 1
        } else if isDigit(i) {
            while isDigit(i) { i += 1 }
        } else {
            return -1
        }
        if i < n && p[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { return -1 }
            while isDigit(i) { i += 1 }
        }
        if i < n && (p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E")) {
            i += 1
            if i < n && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) { i += 1 }
            guard isDigit(i) else { return -1 }
            while isDigit(i) { i += 1 }
        }
        return i
    }

    @inline(__always)
    static func scanLiteral(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) -> Int {
        let literal: StaticString
        switch p[start] {
        case UInt8(ascii: "t"): literal = "true"
        case UInt8(ascii: "f"): literal = "false"
        default: literal = "null"
        }
        let length = literal.utf8CodeUnitCount
        guard start + length <= n else { return -1 }
        for k in 0..<length where p[start + k] != literal.utf8Start[k] { return -1 }
        return start + length
    }
}
