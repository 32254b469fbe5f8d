/// The rules of SPEC §3 applied to one record; appends every problem it finds.
public enum SchemaChecker {
    static let textFields: [KnownField] = [.userID, .companyID, .eventName, .hostname, .pathname, .url, .userAgent]

    /// Checks `r` and returns its event type when it is one of the four. A valid `inserted_at`
    /// is kept parsed in `r.insertedAt`, and a valid `url` in `r.checkedURL`, so that nothing after
    /// the check parses them again.
    @discardableResult
    public static func check(_ r: inout RecordFields, into problems: inout [Problem]) -> EventType? {
        var type: EventType? = nil
        let eventType = r[.eventType]
        switch eventType.kind {
        case nil, .null:
            problems.append(Problem(.missingField, .known(.eventType)))
        case .string:
            if isBlank(eventType.bytes) {
                problems.append(Problem(.emptyField, .known(.eventType)))
            } else if let known = EventType(bytes: eventType.bytes) {
                type = known
            } else {
                problems.append(Problem(.unknownEventType, .known(.eventType), .value(eventType.bytes)))
            }
        case let kind?:
            problems.append(Problem(.wrongType, .known(.eventType), .found(kind)))
        }
        let isCompany = type == .identifyCompany

        // Text fields: strings, not blank; url parsed.
        var url: EventURL? = nil
        for field in textFields {
            if isCompany && !field.isProcessedForCompanies { continue }
            let v = r[field]
            guard v.isGiven, let kind = v.kind else { continue }
            if kind != .string {
                problems.append(Problem(.wrongType, .known(field), .found(kind)))
            } else if isBlank(v.bytes) {
                problems.append(Problem(.emptyField, .known(field)))
            } else if field == .url {
                url = EventURL.parse(v.bytes)
                if url == nil {
                    problems.append(Problem(.invalidURL, .known(.url), .value(v.bytes)))
                } else {
                    r.checkedURL = url
                    r.checkedURLBytes = v.bytes
                }
            }
        }

        var source: EventSource? = nil
        let sourceValue = r[.source]
        switch sourceValue.kind {
        case nil, .null:
            problems.append(Problem(.sourceDefaulted, .known(.source)))
        case .string:
            source = EventSource(bytes: sourceValue.bytes)
            if source == nil { problems.append(Problem(.invalidSource, .known(.source), .value(sourceValue.bytes))) }
        case let kind?:
            problems.append(Problem(.wrongType, .known(.source), .found(kind)))
        }

        let insertedAt = r[.insertedAt]
        switch insertedAt.kind {
        case nil, .null:
            problems.append(Problem(.missingField, .known(.insertedAt), .requiredBy(type)))
        case .string:
            switch Timestamp.parse(insertedAt.bytes) {
            case .failure(let failure):
                problems.append(Problem(.invalidTimestamp, .known(.insertedAt), .timestamp(failure, insertedAt.bytes)))
            case .success(let time):
                r.insertedAt = time
                if time.offsetMinutes != nil {
                    problems.append(Problem(.timestampOffset, .known(.insertedAt), .value(insertedAt.bytes)))
                }
            }
        case .number:
            problems.append(Problem(.invalidTimestamp, .known(.insertedAt), .epochNumber(insertedAt.bytes)))
        case let kind?:
            problems.append(Problem(.wrongType, .known(.insertedAt), .found(kind)))
        }

        let metadata = r[.metadata]
        switch metadata.kind {
        case nil, .null:
            problems.append(Problem(.metadataDefaulted, .known(.metadata)))
        case .object:
            if metadata.holdsContainers { problems.append(Problem(.nestedMetadata, .known(.metadata))) }
        case let kind?:
            problems.append(Problem(.invalidMetadata, .known(.metadata), .found(kind)))
        }

        // Required fields per event type, and what web-client rows must carry.
        @inline(__always) func require(_ field: KnownField, _ detail: ProblemDetail) {
            if !r[field].isGiven { problems.append(Problem(.missingField, .known(field), detail)) }
        }
        let urlGiven = r[.url].isGiven
        var needsPageParts = false
        switch type {
        case .identifyUser?:
            require(.userID, .requiredBy(type))
        case .identifyCompany?:
            require(.companyID, .requiredBy(type))
        case .pageView?:
            require(.userID, .requiredBy(type))
            needsPageParts = !urlGiven
        case .track?:
            require(.userID, .requiredBy(type))
            require(.eventName, .requiredBy(type))
        case nil:
            break
        }
        if source == .webClient && !isCompany {
            require(.userAgent, .text(" for source web-client"))
            needsPageParts = needsPageParts || !urlGiven
        }
        if needsPageParts {
            let detail: ProblemDetail = type == .pageView ? .requiredBy(type) : .text(" for source web-client")
            require(.hostname, detail)
            require(.pathname, detail)
        }

        if let url, !isCompany {
            let hostname = r[.hostname]
            let pathname = r[.pathname]
            let hostDiffers = hostname.kind == .string && !url.hostMatches(hostname.bytes)
            let pathDiffers = pathname.kind == .string && !url.pathMatches(pathname.bytes)
            if hostDiffers || pathDiffers {
                problems.append(
                    Problem(
                        .urlOverrides, .known(hostDiffers ? .hostname : .pathname),
                        .urlParts(host: url.host, path: url.path)))
            }
        }

        for key in r.duplicateKeys {
            problems.append(Problem(.duplicateKey, .name(key)))
        }
        for key in r.duplicateMetadataKeys {
            problems.append(Problem(.duplicateKey, .metadataKey(key)))
        }

        if isCompany {
            for field in KnownField.allCases where !field.isProcessedForCompanies && r[field].kind != nil {
                problems.append(Problem(.ignoredField, .known(field)))
            }
            for key in r.otherKeys {
                problems.append(Problem(.ignoredField, .name(key)))
            }
        }
        return type
    }

    @inline(__always)
    static func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool { WhiteSpace.isBlank(bytes) }
}
