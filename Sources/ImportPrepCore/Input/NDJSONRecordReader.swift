/// Reads NDJSON: one JSON object per physical line, scanned by `JSONScanner`, checked by
/// `SchemaChecker`, handed to a `RecordSink`. No allocation per record once warmed up.
public final class NDJSONRecordReader {
    private let lines: LineReader

    public init(lines: LineReader) {
        self.lines = lines
    }

    public func run(into sink: RecordSink) throws(IOFailure) {
        // Per-record state lives in locals: no class-property access (and exclusivity check) per record.
        let scanner = JSONScanner()
        let metadataScanner = JSONScanner()
        var metadataKeys: [UnsafeRawBufferPointer] = []
        var fields = RecordFields()
        var problems: [Problem] = []
        problems.reserveCapacity(16)
        var duplicates = DuplicateKeyFinder()
        // Keys and known strings decoded from one line take at most its size; metadata keys
        // decoded from escapes at most its size again.
        let arena = ByteArena(capacity: 2 * lines.maxLineBytes + 64)
        var recordNumber = 0
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
                switch scanner.scan(line.content) {
                case .invalid(let error):
                    problems.append(Problem(error.code, .none, .syntax(error.reason, offset: error.offset)))
                case .notAnObject(let kind):
                    problems.append(Problem(.notAnObject, .none, .found(kind)))
                case .object:
                    Self.collectFields(
                        of: line.content, members: scanner.members, into: &fields, arena: arena, duplicates: &duplicates
                    )
                    let metadata = fields[.metadata]
                    if metadata.kind == .object {
                        Self.findDuplicateKeys(
                            of: metadata.bytes, scanner: metadataScanner, keys: &metadataKeys, arena: arena,
                            duplicates: &duplicates, into: &fields.duplicateMetadataKeys)
                    }
                    type = SchemaChecker.check(&fields, into: &problems)
                }
            }
            sink.accept(location, eventType: type, fields: fields, problems: problems, raw: line.content)
        }
    }

    /// Maps the scanner's members to `fields`, decoding escaped keys and known string values.
    static func collectFields(
        of record: UnsafeRawBufferPointer, members: UnsafeBufferPointer<JSONMember>, into fields: inout RecordFields,
        arena: ByteArena,
        duplicates: inout DuplicateKeyFinder
    ) {
        arena.reset()
        for member in members {
            let rawKey = UnsafeRawBufferPointer(rebasing: record[member.keyStart..<member.keyEnd])
            let key = member.keyHasEscapes ? arena.decodeJSONString(rawKey)! : rawKey
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
        }
        duplicates.findDuplicates(in: fields.otherKeys, into: &fields.duplicateKeys)
    }
}

extension NDJSONRecordReader {
    /// Keys named twice at the top level of an object the scanner already found valid.
    static func findDuplicateKeys(
        of object: UnsafeRawBufferPointer, scanner: JSONScanner, keys: inout [UnsafeRawBufferPointer],
        arena: ByteArena, duplicates: inout DuplicateKeyFinder, into found: inout [UnsafeRawBufferPointer]
    ) {
        guard case .object = scanner.scan(object), scanner.members.count > 1 else { return }
        keys.clear()
        for member in scanner.members {
            let rawKey = UnsafeRawBufferPointer(rebasing: object[member.keyStart..<member.keyEnd])
            keys.append(member.keyHasEscapes ? arena.decodeJSONString(rawKey)! : rawKey)
        }
        duplicates.findDuplicates(in: keys, into: &found)
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
                for j in 0..<i where keys[i].elementsEqual(keys[j]) {
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
                if keys[Int(slots[h]) - 1].elementsEqual(keys[i]) {
                    duplicate = true
                    break
                }
                h = (h + 1) & mask
            }
            if duplicate { duplicates.append(keys[i]) } else { slots[h] = Int32(i + 1) }
        }
    }

    private static func hash(_ bytes: UnsafeRawBufferPointer) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }
}
