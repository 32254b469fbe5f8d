/// Writes a checked record as one line of normalized NDJSON (SPEC §6): fixed key order, repairs
/// applied, `metadata` always present, strings in canonical escaping.
struct NormalizedWriter {
    let inferNumbers: Bool
    let epoch: EpochUnit?
    private let scratch: ByteArena
    private let scanner = JSONScanner()
    private let nested = LineBuffer()
    /// Where the last line's members are, as it was written (nil: not noted).
    let members: NormalizedMembers?

    init(inferNumbers: Bool, epoch: EpochUnit?, maxRecordBytes: Int, notesMembers: Bool = false) {
        self.inferNumbers = inferNumbers
        self.epoch = epoch
        members = notesMembers ? NormalizedMembers() : nil
        scratch = ByteArena(capacity: maxRecordBytes + 1)
    }

    /// Whether `problem` is one `convert` repairs (the rest send the record to the rejects).
    func canRepair(_ problem: Problem, in fields: RecordFields) -> Bool {
        if problem.code.isWarning { return true }
        switch (problem.code, problem.field, problem.detail) {
        case (.wrongType, .known(let field), .found(.number)) where field == .userID || field == .companyID:
            // Only an integer is an id written as a number; `0.5` or `1e3` is not.
            return JSONEncoding.isInteger(fields[field].bytes)
        case (.invalidTimestamp, _, _):
            guard let epoch else { return false }
            return Timestamp.fromEpoch(fields[.insertedAt].bytes, unit: epoch) != nil
        default:
            return false
        }
    }

    /// The UTC timestamp `convert` writes for the record, or nil when there is none to write.
    func timestamp(of fields: RecordFields) -> (Timestamp, RepairSet)? {
        if let time = fields.insertedAt { return (time.inUTC, []) }
        let value = fields[.insertedAt]
        if let epoch, let time = Timestamp.fromEpoch(value.bytes, unit: epoch) {
            return (time, RepairSet(.epochConverted))
        }
        return nil
    }

    /// Appends the record (and its line feed) to `out`; returns the `inserted_at` written (UTC),
    /// for the manifest.
    mutating func write(
        _ r: RecordFields, type: EventType, into out: LineBuffer, repairs: inout RepairSet
    ) -> Timestamp? {
        if members == nil, let line = r.mappedLine, let time = r.insertedAt {
            let use = Self.use(of: line, r, type: type)
            let before = out.count
            var added = RepairSet()
            switch use {
            case .none:
                return writeFields(r, type: type, into: out, repairs: &repairs)
            case .copy:
                out.append(contentsOf: line)
            case .copyAddingPageParts(let at, let url):
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[..<at]))
                let slash: StaticString = "/"
                let path = url.path.isEmpty ? UnsafeRawBufferPointer(start: slash.utf8Start, count: 1) : url.path
                out.append(
                    contentsOf: UnsafeRawBufferPointer(rebasing: KnownField.hostname.memberOpening.bytes.dropLast()))
                JSONEncoding.appendString(url.host, to: out)
                out.append(
                    contentsOf: UnsafeRawBufferPointer(rebasing: KnownField.pathname.memberOpening.bytes.dropLast()))
                JSONEncoding.appendString(path, to: out)
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[at...]))
                added.insert(.urlPartsDerived)
            }
            out.append(UInt8(ascii: "\n"))
            repairs.formUnion(added)
            #if DEBUG
                let made = LineBuffer()
                var madeRepairs = RepairSet()
                _ = writeFields(r, type: type, into: made, repairs: &madeRepairs)
                assert(
                    made.bytes.sameBytes(as: out.bytes(from: before)) && madeRepairs == added,
                    "a mapped row taken as written differs from its normalized line")
            #endif
            return time.inUTC
        }
        return writeFields(r, type: type, into: out, repairs: &repairs)
    }

    /// What `write` makes of a mapped row (`RecordFields.mappedLine`, whose members are in a
    /// normalized line's order and escaping).
    enum MappedLineUse {
        /// Written field by field.
        case none
        /// The row is the line.
        case copy
        /// The row with `hostname` and `pathname` derived from its `url` inserted before the url's
        /// member, at `at`.
        case copyAddingPageParts(at: Int, url: EventURL)
    }

    /// Whether the mapped row `line` of `r` is what `writeFields` makes of it but for page parts to
    /// derive: nothing else to repair (ids and texts are strings, `source` is given, nothing an
    /// `identify_company` line drops, `metadata` an object) and no nested value to encode.
    @inline(__always)
    static func use(of line: UnsafeRawBufferPointer, _ r: RecordFields, type: EventType) -> MappedLineUse {
        @inline(__always) func isText(_ field: KnownField) -> Bool {
            let kind = r[field].kind
            return kind == nil || kind == .string
        }
        guard r[.source].kind == .string, r[.metadata].kind == .object, r.metadataCells.isEmpty,
            isText(.userID), isText(.companyID), isText(.eventName), isText(.hostname), isText(.pathname),
            isText(.userAgent), let metadataKeys = r.scannedMetadataKeys
        else { return .none }
        if type == .identifyCompany {
            guard r.otherKeys.isEmpty, r[.userID].kind == nil, r[.eventName].kind == nil, r[.hostname].kind == nil,
                r[.pathname].kind == nil, r[.url].kind == nil, r[.userAgent].kind == nil
            else { return .none }
        }
        for value in r.otherValues where value.kind == .object || value.kind == .array { return .none }
        for key in metadataKeys where key.kind == .object || key.kind == .array { return .none }
        let url = r[.url]
        guard url.kind != nil else { return .copy }
        // A url without escapes lies in the row itself, after `,"url":"`; its parts go before that.
        let opening: StaticString = ",\"url\":\""
        guard url.kind == .string, !url.hasEscapes, r[.hostname].kind == nil, r[.pathname].kind == nil,
            let parsed = r.parsedURL(of: url.bytes), let value = url.bytes.baseAddress, let base = line.baseAddress,
            value - base >= opening.utf8CodeUnitCount, value - base <= line.count
        else { return .none }
        let at = value - base - opening.utf8CodeUnitCount
        guard UnsafeRawBufferPointer(rebasing: line[at..<(value - base)]).sameBytes(as: opening.bytes) else {
            return .none
        }
        return .copyAddingPageParts(at: at, url: parsed)
    }

    /// `write`, field by field.
    private mutating func writeFields(
        _ r: RecordFields, type: EventType, into out: LineBuffer, repairs: inout RepairSet
    ) -> Timestamp? {
        let isCompany = type == .identifyCompany
        members?.removeAll()
        let opening: StaticString = "{\"event_type\":\""
        let typeStart = out.count + opening.utf8CodeUnitCount
        out.appendMember(opening, type.staticName.bytes)
        members?.note(NormalizedMembers.Member.eventType, typeStart..<(out.count - 1))

        if !isCompany { appendText(.userID, r, out, &repairs) }
        appendText(.companyID, r, out, &repairs)
        if !isCompany { appendText(.eventName, r, out, &repairs) }

        if r[.source].isGiven {
            appendText(.source, r, out, &repairs)
        } else {
            out.appendMember(KnownField.source.memberOpening, EventSource.backendHTTPImport.staticName.bytes)
            repairs.insert(.sourceFilled)
        }

        JSONEncoding.appendLiteral(",\"inserted_at\":\"", to: out)
        let timeStart = out.count
        let written = timestamp(of: r)
        if let (time, timeRepairs) = written {
            time.appendNormalized(to: out)
            repairs.formUnion(timeRepairs)
            if !out.bytes(from: timeStart).sameBytes(as: r[.insertedAt].bytes) && timeRepairs.isEmpty {
                repairs.insert(.timestampNormalized)
            }
        }
        members?.note(NormalizedMembers.Member.insertedAt, timeStart..<out.count)
        out.append(UInt8(ascii: "\""))

        if isCompany {
            if !r.otherKeys.isEmpty
                || KnownField.allCases.contains(where: { !$0.isProcessedForCompanies && r[$0].kind != nil })
            {
                repairs.insert(.companyFieldsDropped)
            }
        } else {
            appendPageParts(r, out, &repairs)
            appendText(.url, r, out, &repairs)
            appendText(.userAgent, r, out, &repairs)
            let plainKeys = r.otherKeysAndValuesAreJSON && !r.keysHaveEscapes
            for (key, value) in zip(r.otherKeys, r.otherValues) {
                out.append(UInt8(ascii: ","))
                if plainKeys {
                    JSONEncoding.appendQuoted(key, to: out)
                } else {
                    JSONEncoding.appendString(key, to: out)
                }
                out.append(UInt8(ascii: ":"))
                appendValue(value, plain: r.otherKeysAndValuesAreJSON, out)
            }
        }

        appendMetadata(r, out, &repairs)
        JSONEncoding.appendLiteral("}\n", to: out)
        return written?.0
    }

    // MARK: - Pieces

    /// A text field as a JSON string; a number (an id) is quoted digit for digit; null is dropped.
    private func appendText(_ field: KnownField, _ r: RecordFields, _ out: LineBuffer, _ repairs: inout RepairSet) {
        let value = r[field]
        guard value.isGiven else {
            if value.kind == .null { repairs.insert(.nullsDropped) }
            return
        }
        let opening = field.memberOpening
        let start = out.count + opening.utf8CodeUnitCount
        if value.kind == .number {
            out.appendMember(opening, value.bytes)
            repairs.insert(.idQuoted)
        } else if value.isPlainJSONText {
            out.appendMember(opening, value.bytes)
        } else {
            // `,"name":` and the string as appendString quotes and escapes it.
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: opening.bytes.dropLast()))
            JSONEncoding.appendString(value.bytes, to: out)
        }
        members?.noteField(field, start..<(out.count - 1))
    }

    /// `hostname` and `pathname`: from the url when there is one (the API derives them from it).
    private func appendPageParts(_ r: RecordFields, _ out: LineBuffer, _ repairs: inout RepairSet) {
        let urlValue = r[.url]
        guard urlValue.kind == .string, let url = r.parsedURL(of: urlValue.bytes) else {
            appendText(.hostname, r, out, &repairs)
            appendText(.pathname, r, out, &repairs)
            return
        }
        let slash: StaticString = "/"
        let path = url.path.isEmpty ? UnsafeRawBufferPointer(start: slash.utf8Start, count: 1) : url.path
        appendDerived(.hostname, url.host, r, out, &repairs)
        appendDerived(.pathname, path, r, out, &repairs)
    }

    private func appendDerived(
        _ field: KnownField, _ derived: UnsafeRawBufferPointer, _ r: RecordFields, _ out: LineBuffer,
        _ repairs: inout RepairSet
    ) {
        let given = r[field]
        if given.kind != .string || !given.bytes.sameBytes(as: derived) { repairs.insert(.urlPartsDerived) }
        let opening = field.memberOpening
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: opening.bytes.dropLast()))
        let start = out.count + 1
        JSONEncoding.appendString(derived, to: out)
        members?.noteField(field, start..<(out.count - 1))
    }

    /// A value of a key outside the schema: strings re-escaped canonically, the rest as written.
    /// `plain`: a string without escapes is plain JSON text (it was read from JSON).
    private func appendValue(_ value: FieldValue, plain: Bool, _ out: LineBuffer) {
        switch value.kind {
        case .string?:
            if value.hasEscapes {
                JSONEncoding.appendStringBody(value.bytes, hasEscapes: true, scratch: scratch, to: out)
            } else if plain {
                JSONEncoding.appendQuoted(value.bytes, to: out)
            } else {
                JSONEncoding.appendString(value.bytes, to: out)
            }
        case .object?, .array?:
            JSONEncoding.appendCanonical(value.bytes, scratch: scratch, to: out)
        default:
            out.append(contentsOf: value.bytes)
        }
    }

    /// `metadata` last, always an object: JSON members first (nested values become their JSON
    /// text as a string), then CSV `metadata.<key>` cells (numbers typed unless `--no-infer`).
    private mutating func appendMetadata(_ r: RecordFields, _ out: LineBuffer, _ repairs: inout RepairSet) {
        JSONEncoding.appendLiteral(",\"metadata\":", to: out)
        let metadataStart = out.count
        defer { members?.note(NormalizedMembers.Member.metadata, metadataStart..<out.count) }
        out.append(UInt8(ascii: "{"))
        var first = true
        func separator(_ out: LineBuffer) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
        }
        let metadata = r[.metadata]
        let keys = metadata.kind == .object ? r.scannedMetadataKeys : nil
        // Written as it came when that is what `writeMembers` would write, byte for byte; the
        // record's scan tells without its members being taken over.
        if let keys, Self.isCanonical(metadata.bytes, count: keys.count, { JSONMember(keys[$0], offset: 0) }) {
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: metadata.bytes.dropFirst().dropLast()))
            first = keys.isEmpty
        } else if metadata.kind == .object && metadata.bytes.count > 0 && scanner.scanMetadata(of: r) == .object {
            if keys == nil && Self.isCanonical(metadata.bytes, scanner.members) {
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: metadata.bytes.dropFirst().dropLast()))
                first = scanner.members.isEmpty
            } else {
                writeMembers(of: metadata.bytes, into: out, first: &first, &repairs)
            }
        }
        for (key, value) in r.metadataCells {
            separator(out)
            JSONEncoding.appendString(key, to: out)
            out.append(UInt8(ascii: ":"))
            if inferNumbers && JSONEncoding.isPortableNumber(value) {
                out.append(contentsOf: value)
                repairs.insert(.metadataNumbersTyped)
            } else {
                JSONEncoding.appendString(value, to: out)
            }
        }
        if !metadata.isGiven && r.metadataCells.isEmpty { repairs.insert(.metadataFilled) }
        out.append(UInt8(ascii: "}"))
    }

    /// The members of a `metadata` object one by one: keys and strings in canonical form, nested
    /// values as their JSON text in a string.
    private mutating func writeMembers(
        of metadata: UnsafeRawBufferPointer, into out: LineBuffer, first: inout Bool, _ repairs: inout RepairSet
    ) {
        for member in scanner.members {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            let key = UnsafeRawBufferPointer(rebasing: metadata[member.keyStart..<member.keyEnd])
            JSONEncoding.appendStringBody(key, hasEscapes: member.keyHasEscapes, scratch: scratch, to: out)
            out.append(UInt8(ascii: ":"))
            let value = UnsafeRawBufferPointer(rebasing: metadata[member.valueStart..<member.valueEnd])
            switch member.kind {
            case .string:
                JSONEncoding.appendStringBody(value, hasEscapes: member.valueHasEscapes, scratch: scratch, to: out)
            case .object, .array:
                nested.removeAll()
                JSONEncoding.appendCanonical(value, scratch: scratch, to: nested)
                JSONEncoding.appendString(nested.bytes, to: out)
                repairs.insert(.nestedMetadataEncoded)
            default:
                out.append(contentsOf: value)
            }
        }
    }
}

extension NormalizedWriter {
    /// Whether the object `text`, whose members are `members`, is already in the form
    /// `appendMetadata` writes: no escapes, no nested object or array, and no white space — its
    /// length is that of its keys and values with only the quotes, colons, commas and braces
    /// JSON needs, so the tokens are all there is.
    static func isCanonical(_ text: UnsafeRawBufferPointer, _ members: UnsafeBufferPointer<JSONMember>) -> Bool {
        isCanonical(text, count: members.count) { members[$0] }
    }

    /// The same for `count` members given one at a time (lengths only: their offsets may be
    /// anywhere).
    @inline(__always)
    static func isCanonical(
        _ text: UnsafeRawBufferPointer, count: Int, _ member: (Int) -> JSONMember
    ) -> Bool {
        var length = count == 0 ? 2 : 1 + count
        for k in 0..<count {
            let member = member(k)
            guard !member.keyHasEscapes, !member.valueHasEscapes, member.kind != .object, member.kind != .array else {
                return false
            }
            length += member.keyEnd - member.keyStart + 3 + member.valueEnd - member.valueStart
            if member.kind == .string { length += 2 }
        }
        return length == text.count
    }
}

/// Where the values of some members of a normalized line are (a string without its quotes,
/// `metadata` with its braces; empty when the line has no such member), noted as the line is
/// written: `profile`'s duplicate-event keys read them without scanning the line again.
final class NormalizedMembers {
    enum Member: Int, CaseIterable {
        case eventType, userID, eventName, insertedAt, hostname, pathname, metadata
    }

    /// One span per member (a fixed buffer: noting costs a store, no copy-on-write check).
    private let spans = UnsafeMutablePointer<Range<Int>>.allocate(capacity: Member.allCases.count)

    init() { spans.initialize(repeating: 0..<0, count: Member.allCases.count) }

    deinit { spans.deallocate() }

    subscript(member: Member) -> Range<Int> { spans[member.rawValue] }

    func removeAll() { spans.update(repeating: 0..<0, count: Member.allCases.count) }

    @inline(__always) func note(_ member: Member, _ span: Range<Int>) { spans[member.rawValue] = span }

    /// Notes a text field's value (the fields other than these are not kept).
    @inline(__always) func noteField(_ field: KnownField, _ span: Range<Int>) {
        switch field {
        case .userID: note(Member.userID, span)
        case .eventName: note(Member.eventName, span)
        case .hostname: note(Member.hostname, span)
        case .pathname: note(Member.pathname, span)
        default: break
        }
    }
}
