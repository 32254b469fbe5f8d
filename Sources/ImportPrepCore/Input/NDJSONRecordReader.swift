#if canImport(Glibc)
    import Glibc
#endif

/// Reads NDJSON: one JSON object per physical line, scanned by `JSONScanner`, checked by
/// `SchemaChecker`, handed to a `RecordSink`. No allocation per record once warmed up.
public final class NDJSONRecordReader: RecordReader {
    private let lines: LineReader

    public init(lines: LineReader) {
        self.lines = lines
    }

    @discardableResult
    public func run(into sink: RecordSink) throws(IOFailure) -> Bool {
        // Per-record state lives in locals: no class-property access (and exclusivity check) per record.
        let scanner = JSONScanner()
        var metadataKeys: [UnsafeRawBufferPointer] = []
        var fields = RecordFields()
        var problems: [Problem] = []
        problems.reserveCapacity(16)
        var duplicates = DuplicateKeyFinder()
        // Keys and known strings decoded from one line take at most its size; metadata keys
        // decoded from escapes at most its size again.
        let arena = ByteArena(capacity: 2 * lines.maxLineBytes + 64)
        var recordNumber = 0
        // Writers and profile read `metadata`'s members; the record's scan notes them.
        let membersOfObjects = sink.readsMetadata
        while !sink.shouldStop, let line = try lines.next() {
            if line.isBlank(rowDelimiter: nil) {
                sink.blankLine()
                continue
            }
            recordNumber += 1
            let location = RecordLocation(line: line.number, record: recordNumber, byteOffset: line.offset)
            problems.clear()
            fields.reset()
            var type: EventType? = nil
            if line.isOversized {
                problems.append(Problem(.recordTooLarge, .none, .limit(lines.maxLineBytes)))
            } else {
                let outcome =
                    membersOfObjects ? scanner.scanWithMemberObjects(line.content) : scanner.scan(line.content)
                switch outcome {
                case .invalid(let error):
                    problems.append(Problem(error.code, .none, .syntax(error.reason, offset: error.offset)))
                case .notAnObject(let kind):
                    problems.append(Problem(.notAnObject, .none, .found(kind)))
                case .object:
                    Self.collectFields(
                        of: line.content, scanner: scanner, into: &fields, arena: arena, duplicates: &duplicates,
                        metadataKeys: &metadataKeys, membersOfObjects: membersOfObjects)
                    type = SchemaChecker.check(&fields, into: &problems)
                }
            }
            sink.accept(location, eventType: type, fields: fields, problems: problems, raw: line.content)
        }
        return true
    }

    /// Maps the scanner's members to `fields`, decoding escaped keys and known string values, and
    /// finds keys named twice at the top level and at the top level of `metadata`. With
    /// `membersOfObjects` (the scan was `scanWithMemberObjects`), `metadata`'s members are kept.
    @inline(__always)
    static func collectFields(
        of record: UnsafeRawBufferPointer, scanner: JSONScanner, into fields: inout RecordFields,
        arena: ByteArena, duplicates: inout DuplicateKeyFinder, metadataKeys: inout [UnsafeRawBufferPointer],
        membersOfObjects: Bool
    ) {
        arena.reset()
        fields.otherKeysAndValuesAreJSON = true
        for member in scanner.members {
            let rawKey = UnsafeRawBufferPointer(rebasing: record[member.keyStart..<member.keyEnd])
            var key = rawKey
            if member.keyHasEscapes {
                key = arena.decodeJSONString(rawKey)!
                fields.keysHaveEscapes = true
            }
            guard let known = KnownField(bytes: key) else {
                fields.otherKeys.append(key)
                fields.otherValues.append(
                    FieldValue(
                        kind: member.kind,
                        bytes: UnsafeRawBufferPointer(rebasing: record[member.valueStart..<member.valueEnd]),
                        holdsContainers: member.holdsContainers, hasEscapes: member.valueHasEscapes))
                continue
            }
            if fields[known].kind != nil {
                fields.duplicateKeys.append(key)
                continue
            }
            var value = UnsafeRawBufferPointer(rebasing: record[member.valueStart..<member.valueEnd])
            // Known strings are handed over decoded.
            if member.kind == .string && member.valueHasEscapes { value = arena.decodeJSONString(value)! }
            fields[known] = FieldValue(kind: member.kind, bytes: value, holdsContainers: member.holdsContainers)
            fields[known].isPlainJSONText = member.kind == .string && !member.valueHasEscapes
            if known == .metadata {
                if membersOfObjects && member.kind == .object {
                    fields.metadataMembers = scanner.keys(of: member)
                    fields.metadataMembersOf = value
                    fields.metadataMembersOffset = member.valueStart
                }
                findDuplicates(
                    in: scanner.keys(of: member), of: record, arena: arena, duplicates: &duplicates,
                    keys: &metadataKeys, into: &fields.duplicateMetadataKeys)
            }
        }
        duplicates.findDuplicates(in: fields.otherKeys, into: &fields.duplicateKeys)
    }
}

extension NDJSONRecordReader {
    /// Keys of an object named twice: compared where they lie when there are a few and none is
    /// escaped (the common case), else decoded into `keys` and looked up.
    @inline(__always)
    static func findDuplicates(
        in found: UnsafeBufferPointer<JSONKey>, of record: UnsafeRawBufferPointer, arena: ByteArena,
        duplicates: inout DuplicateKeyFinder, keys: inout [UnsafeRawBufferPointer],
        into named: inout [UnsafeRawBufferPointer]
    ) {
        let n = found.count
        guard n > 1, let base = record.baseAddress else { return }
        var escaped = false
        for k in 0..<n where found[k].hasEscapes { escaped = true }
        if n <= 8 && !escaped {
            for i in 1..<n {
                let a = found[i]
                let length = a.end - a.start
                for j in 0..<i {
                    let b = found[j]
                    guard b.end - b.start == length,
                        UnsafeRawBufferPointer.equal(base + a.start, base + b.start, length)
                    else {
                        continue
                    }
                    named.append(UnsafeRawBufferPointer(start: base + a.start, count: length))
                    break
                }
            }
            return
        }
        keys.clear()
        for key in found {
            let raw = UnsafeRawBufferPointer(rebasing: record[key.start..<key.end])
            keys.append(key.hasEscapes ? arena.decodeJSONString(raw)! : raw)
        }
        duplicates.findDuplicates(in: keys, into: &named)
    }
}

/// Finds keys named twice: pairwise for a few keys, a reusable hash table for many.
struct DuplicateKeyFinder {
    private var slots: [Int32] = []

    mutating func findDuplicates(in keys: [UnsafeRawBufferPointer], into duplicates: inout [UnsafeRawBufferPointer]) {
        let n = keys.count
        guard n > 1 else { return }
        if n <= 8 {
            for i in 1..<n {
                for j in 0..<i where Self.same(keys[i], keys[j]) {
                    duplicates.append(keys[i])
                    break
                }
            }
            return
        }
        var size = 16
        while size < 2 * n { size <<= 1 }
        if slots.count < size { slots = Array(repeating: 0, count: size) }
        for k in 0..<size { slots[k] = 0 }
        let mask = size - 1
        for i in 0..<n {
            var h = Self.hash(keys[i]) & mask
            var duplicate = false
            while slots[h] != 0 {
                if Self.same(keys[Int(slots[h]) - 1], keys[i]) {
                    duplicate = true
                    break
                }
                h = (h + 1) & mask
            }
            if duplicate { duplicates.append(keys[i]) } else { slots[h] = Int32(i + 1) }
        }
    }

    /// Byte-equal keys.
    @inline(__always)
    static func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.sameBytes(as: b)
    }

    private static func hash(_ bytes: UnsafeRawBufferPointer) -> Int { ByteSet.hash(bytes) }
}
