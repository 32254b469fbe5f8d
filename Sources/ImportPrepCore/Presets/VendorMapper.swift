/// Turns one vendor record into zero, one or two Userpilot rows (SPEC §8), written as NDJSON
/// lines into `rows`: the rules every preset shares (users, junk ids, time, page events and their
/// fallback, metadata flattening, renames, client columns, `source`), and each vendor's fields.
/// The rows are then checked like any NDJSON line (`VendorRowChecker`), from the positions of
/// their members noted as they were written (`layout`) rather than from a second scan.
final class VendorMapper {
    enum Outcome {
        /// `rows` holds this many rows; the second (when there is one) is derived.
        case rows(Int)
        case skip(SkipReason)
    }

    let settings: PresetSettings
    /// The rows of the last record, one per line.
    let rows = LineBuffer(capacity: 64 << 10)
    /// Where the members of each row of the last record are (the row check takes them instead of
    /// scanning the row).
    let layout = RowLayout()
    /// Where each row of the last record ends in `rows` (after its line feed).
    @exclusivity(unchecked) private(set) var rowEnds: [Int] = []
    /// Warnings the mapping itself raised, per row (their bytes point into the vendor record).
    @exclusivity(unchecked) private(set) var warnings: [[Problem]] = [[], [], [], []]
    /// Rule 5: a fingerprint of the last properties written per user and per company (keyed by a
    /// hash of the id), so that an identify row is derived only when they change. Read in blocks,
    /// it holds what the block saw; its last snapshot per entity joins the file's at hand-over.
    @exclusivity(unchecked) var fingerprints: [UInt64: UInt64] = [:]

    /// How derived rows (rule 5) are decided.
    enum DerivedRows {
        /// By `fingerprints`, as the file is read in order on one core.
        case decide
        /// In a block read on a worker: an entity the block has not seen yet gets no row here; it
        /// is a `candidate`, decided at hand-over against the entity's snapshot before the block.
        case candidates
        /// Replaying a candidate the hand-over kept: every derived row is written, no state kept.
        case all
    }

    var derivedRows = DerivedRows.decide
    /// The candidates of the last record (`DerivedRows.candidates`).
    @exclusivity(unchecked) private(set) var candidates: [DerivedRowCandidate] = []
    /// Keep each candidate's row (`candidateRow`): `profile` checks the ones written from these
    /// bytes at the join instead of mapping the vendor record again.
    @exclusivity(unchecked) var keepsCandidateRows = false
    @exclusivity(unchecked) private var candidateRows: [UInt8] = []

    /// The row `candidate` would have been (without its line's end), while its record is mapped.
    func candidateRow<R>(_ candidate: DerivedRowCandidate, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        candidateRows.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[candidate.row])) }
    }
    /// The type of each derived row of the last record (the event's row is not listed).
    @exclusivity(unchecked) private(set) var derivedTypes: [EventType] = []

    private let objects: VendorObjects
    private let scratch: ByteArena
    private let keyPath = LineBuffer(capacity: 1024)
    private let nested = LineBuffer(capacity: 1024)
    @exclusivity(unchecked) private var elements: [VendorValue] = []
    /// Columns of Segment's warehouse tables that are not properties or traits.
    private let segmentColumns = ByteSet([
        "id", "anonymous_id", "user_id", "group_id", "event", "event_text", "timestamp", "original_timestamp",
        "received_at", "sent_at", "uuid_ts", "loaded_at", "url",
    ])
    private let segmentPrefixes = ByteSet(["context_"])
    /// Pendo's visit times, written as ISO text rather than as the epoch numbers they are.
    private let pendoVisitTimes = ByteSet(["firstvisit", "lastvisit"])
    /// Columns of Mixpanel's warehouse copy that are not event properties.
    private let mixpanelColumns = ByteSet([
        "event", "name", "time", "distinct_id", "properties", "insert_id", "event_id", "mp_processing_time_ms",
        "device_id", "distinct_id_before_identity", "lib_version", "_file", "_line", "_fivetran_id", "_fivetran_synced",
    ])
    @exclusivity(unchecked) private var parameters: [(key: UnsafeRawBufferPointer, value: VendorValue)] = []
    @exclusivity(unchecked) private var pairs: [(key: UnsafeRawBufferPointer, value: VendorValue)] = []
    @exclusivity(unchecked) private var userParameters: [(key: UnsafeRawBufferPointer, value: VendorValue)] = []

    private let pageEvents: ByteSet
    private let merges: ByteSet
    private let internalEvents: ByteSet
    private let droppedKeys: ByteSet
    /// Client columns, dropped keys and renames in one table (metadata looks each key up once).
    private let keyRoles: KeyRoles
    private let droppedPrefixes: ByteSet
    private let hasClientColumns: Bool
    /// One id per distinct client column (`$os` and `os` both fill `operating_system`).
    private let clientColumnIDs: [Int]
    /// The client columns the row being written has, and the vendor keys that filled them (left
    /// out of its metadata; a second key for a column written already stays in metadata).
    @exclusivity(unchecked) private var writtenColumns: UInt64 = 0
    @exclusivity(unchecked) private var clientKeysWritten: [UnsafeRawBufferPointer] = []
    /// The role of each key (its index in `keyRoles`, or -1) of the objects the row's client
    /// columns came from, found once there and read again when their metadata is written.
    @exclusivity(unchecked) private var knownRoles: [Int32] = []
    /// Those objects (by their members) and where their keys' roles start in `knownRoles`.
    @exclusivity(unchecked) private var knownRoleObjects: [(members: UnsafePointer<JSONMember>?, start: Int)] = []
    /// The key lists of the last objects whose roles were looked up (an export's few shapes).
    private let keyShapes = KeyShapes()
    /// Each client column's name as written, `"name":` (escaped once, here, not per row).
    private let clientColumnKeys: [[UInt8]]
    /// `--company-prop`, as the keys a row's metadata leaves out.
    private let companyConsumed: [ByteString]
    /// A list of keys kept from record to record, so that collecting them allocates nothing.
    @exclusivity(unchecked) private var consumedKeys: [ByteString] = []
    private static let mixpanelLocationKeys: [ByteString] = [
        "$current_url", "url", "current_domain", "current_url_path", "current_url_protocol", "current_url_search",
    ]
    private static let amplitudeLocationKeys: [ByteString] = [
        "[Amplitude] Page Location", "[Amplitude] Page URL", "[Amplitude] Page Domain", "[Amplitude] Page Path",
        "[Amplitude] Page Title", "[Amplitude] Page Counter", "url",
    ]
    private static let posthogLocationKeys: [ByteString] = ["$current_url", "$host", "$pathname"]
    private static let urlKey: [ByteString] = ["url"]

    /// The reusable key list, emptied and moved out (its owner gives it back when done).
    private func takeConsumedKeys() -> [ByteString] {
        var keys: [ByteString] = []
        swap(&keys, &consumedKeys)
        keys.clear()
        return keys
    }
    /// The id of the client column that takes only 2-letter codes.
    private let countryColumnID: Int?
    private let renameTo = Preset.traitRenames.map { ByteString($0.to) }
    private let junkIDs = ByteSet(Preset.junkIDs)
    private let userProperty: ByteString?
    private let companyProperty: ByteString?
    private let groupType: ByteString?

    init(settings: PresetSettings, maxRecordBytes: Int) {
        self.settings = settings
        let preset = settings.preset
        objects = VendorObjects(maxRecordBytes: maxRecordBytes)
        scratch = ByteArena(capacity: 2 * maxRecordBytes + 64)
        pageEvents = ByteSet(preset.pageEvents + settings.pageEvents)
        merges = ByteSet(preset.identityMerges)
        internalEvents = ByteSet(preset.internalEvents.filter { !settings.keepEvents.contains($0) })
        droppedKeys = ByteSet(preset.droppedKeys)
        droppedPrefixes = ByteSet(preset.droppedPrefixes)
        hasClientColumns = !preset.clientColumns.isEmpty
        keyRoles = KeyRoles(
            clientKeys: preset.clientColumns.map(\.vendor), droppedKeys: preset.droppedKeys,
            renamedKeys: Preset.traitRenames.map(\.from))
        var ids: [String: Int] = [:]
        let columnIDs = preset.clientColumns.map { column in
            if let id = ids[column.column] { return id }
            ids[column.column] = ids.count
            return ids.count - 1
        }
        clientColumnIDs = columnIDs
        clientColumnKeys = preset.clientColumns.map { column in
            let key = LineBuffer(capacity: 64)
            Array(column.column.utf8).withUnsafeBytes { JSONEncoding.appendString($0, to: key) }
            key.append(UInt8(ascii: ":"))
            return Array(key.bytes)
        }
        countryColumnID = preset.clientColumns.firstIndex { $0.column == "country_code" }.map { columnIDs[$0] }
        companyConsumed = settings.companyProperty.map { [ByteString($0)] } ?? []
        userProperty = settings.userProperty.map { ByteString($0) }
        companyProperty = settings.companyProperty.map { ByteString($0) }
        groupType = settings.groupType.map { ByteString($0) }
    }

    /// Starts on a vendor record: scans its top level once for the checks, the event key and the
    /// mapping. The record is read by `eventKey()` and `map()` only when this says `.object`.
    func begin(_ record: UnsafeRawBufferPointer) -> JSONScanner.Outcome {
        objects.reset()
        scratch.reset()
        self.record = record
        return objects.scanRecord(record)
    }

    /// The scanner holding the top-level members of the record begun.
    var recordScanner: JSONScanner { objects.scanner(0) }

    @exclusivity(unchecked) private var record = UnsafeRawBufferPointer(start: nil, count: 0)

    /// Maps the record begun (a JSON object).
    func map() -> Outcome {
        rows.removeAll()
        rowEnds.clear()
        layout.reset()
        candidates.clear()
        candidateRows.clear()
        derivedTypes.clear()
        for k in warnings.indices { warnings[k].clear() }
        guard let top = objects.open(record, slot: 0) else { return .rows(0) }
        switch settings.preset {
        case .mixpanel: return mixpanel(top)
        case .mixpanelProfiles: return mixpanelProfile(top, company: false)
        case .mixpanelGroups: return mixpanelProfile(top, company: true)
        case .amplitude: return amplitude(top)
        case .segment: return segment(top)
        case .posthog: return posthog(top)
        case .ga4: return ga4(top)
        case .pendo: return pendo(top)
        case .mapped: return mapped(top)
        case .heap: return heap(top)
        }
    }

    /// The vendor's event key of the record begun (a JSON object): Mixpanel's
    /// `$insert_id`, Amplitude's `$insert_id` (else `uuid`), Segment's `messageId`, PostHog's
    /// `uuid`, GA4's event name, pseudo id and bundle sequence id; nil when it has none.
    func eventKey() -> UnsafeRawBufferPointer? {
        guard let top = objects.open(record, slot: 0) else { return nil }
        switch settings.preset {
        case .mixpanel:
            let properties = objects.open(top["properties"], slot: 1)
            return objects.text(properties["$insert_id"] ?? top["insert_id"])
        case .amplitude: return objects.text(top["$insert_id"] ?? top["uuid"])
        case .segment: return objects.text(top["messageId"] ?? top["message_id"] ?? top["id"])
        case .posthog: return objects.text(top["uuid"])
        case .ga4:
            guard let name = objects.text(top["event_name"]), let id = objects.text(top["user_pseudo_id"]),
                let sequence = objects.text(top["event_bundle_sequence_id"])
            else { return nil }
            nested.removeAll()
            for part in [name, id, sequence] {
                nested.append(contentsOf: part)
                nested.append(0)
            }
            return scratch.copy(nested.bytes)
        default: return nil
        }
    }

    // MARK: Vendors

    private func mixpanel(_ top: VendorObject) -> Outcome {
        // The raw export nests everything in `properties`; the warehouse copy (CSV) has `name`,
        // `time` and `distinct_id` as columns, `properties` as JSON and default properties as columns.
        let event = top["event"] ?? top["name"]
        let name = objects.text(event)
        if let name, merges.contains(name) { return .skip(.identityMerge) }
        if let name, internalEvents.contains(name) { return .skip(.vendorInternalEvent) }
        let properties = objects.open(top["properties"], slot: 1)
        var user =
            userProperty.flatMap { properties[$0] ?? top[$0] } ?? properties["$user_id"] ?? properties["distinct_id"]
            ?? top["distinct_id"]
        if let text = objects.text(user), text.starts(with: "$device:".utf8) {
            guard settings.keepAnonymous else { return .skip(.anonymousUser) }
        }
        if user == nil && settings.keepAnonymous { user = properties["$device_id"] }
        guard let user = user, user.isScalarText else { return .skip(.anonymousUser) }
        if let junk = junk(user) { return .skip(junk) }
        guard let time = time(properties["time"] ?? top["time"]) else { return .skip(.noTime) }
        let company = companyProperty.flatMap { properties[$0] ?? top[$0] }
        var consumed = takeConsumedKeys()
        defer { consumedKeys = consumed }
        if let companyProperty { consumed.append(companyProperty) }
        if let name, pageEvents.contains(name) {
            let location = pageLocation(
                url: properties["$current_url"] ?? properties["url"], host: properties["current_domain"],
                path: properties["current_url_path"])
            if location != nil {
                consumed.append(contentsOf: Self.mixpanelLocationKeys)
            }
            beginRow(location == nil ? .track : .pageView, user: user, company: company, time: time)
            if let location { writeLocation(location) } else { fallBackToTrack(name: event) }
        } else {
            beginRow(.track, user: user, company: company, name: event, time: time)
        }
        writeClientColumns(properties)
        writeClientColumns(top)
        writeMetadata(MetadataSources(properties, top), consumed: consumed, skipInLast: mixpanelColumns)
        return .rows(rowEnds.count)
    }

    /// Rule 4: an Engage profile is one identify row stamped with its last-seen time, else its
    /// creation time, else `--profile-time`; else it is skipped (never the run's clock).
    private func mixpanelProfile(_ top: VendorObject, company: Bool) -> Outcome {
        let properties = objects.open(top["$properties"], slot: 1)
        let id = top["$distinct_id"]
        if !company {
            guard let id, id.isScalarText else { return .skip(.anonymousUser) }
            if let junk = junk(id) { return .skip(junk) }
        }
        guard let time = time(properties["$last_seen"]) ?? time(properties["$created"]) ?? settings.profileTime else {
            return .skip(.noTime)
        }
        if company {
            beginCompanyRow(id.flatMap { $0.isScalarText ? $0 : nil }, time: time)
        } else {
            beginRow(.identifyUser, user: id!, company: companyProperty.flatMap { properties[$0] }, time: time)
        }
        writeMetadata(MetadataSources(properties), consumed: companyConsumed)
        return .rows(rowEnds.count)
    }

    private func amplitude(_ top: VendorObject) -> Outcome {
        let event = top["event_type"]
        let name = objects.text(event)
        if let name, internalEvents.contains(name) { return .skip(.vendorInternalEvent) }
        let eventProperties = objects.open(top["event_properties"], slot: 1)
        let userProperties = objects.open(top["user_properties"], slot: 2)
        var user = userProperty.flatMap { eventProperties[$0] ?? userProperties[$0] } ?? top["user_id"]
        if user == nil && settings.keepAnonymous { user = top["device_id"] }
        let groups = objects.open(top["groups"], slot: 3)
        let (company, groupName) = firstGroup(groups, slot: 4)
        let isGroupIdentify = name.map { $0.equals("$groupidentify") } ?? false
        if !isGroupIdentify {
            guard let user = user, user.isScalarText else { return .skip(.anonymousUser) }
            if let junk = junk(user) { return .skip(junk) }
        }
        guard let time = time(top["event_time"] ?? top["client_event_time"] ?? top["server_received_time"]) else {
            return .skip(.noTime)
        }
        if isGroupIdentify {
            guard let company else {
                // No group key: a company row without company_id, rejected by the schema.
                beginCompanyRow(nil, time: time)
                writeMetadata(MetadataSources(), consumed: [])
                return .rows(rowEnds.count)
            }
            let groupProperties = objects.open(top["group_properties"], slot: 5)
            let ofKey = objects.open(groupName.flatMap { groupProperties.member(named: $0) }, slot: 6)
            let properties = objects.open(objects.text(company).flatMap { ofKey.member(named: $0) }, slot: 7)
            beginCompanyRow(company, time: time)
            writeMetadata(MetadataSources(properties), consumed: [])
            return .rows(rowEnds.count)
        }
        if let name, name.equals("$identify") {
            beginRow(.identifyUser, user: user!, company: company, time: time)
            let setOnce = objects.open(userProperties["$setOnce"], slot: 8)
            let set = objects.open(userProperties["$set"], slot: 9)
            writeMetadata(
                setOnce.count + set.count > 0 ? MetadataSources(setOnce, set) : MetadataSources(userProperties),
                consumed: [])
            return .rows(rowEnds.count)
        }
        derive(.identifyUser, user!, company: company, time: time, from: MetadataSources(userProperties))
        if let company, let groupName {
            let groupProperties = objects.open(top["group_properties"], slot: 5)
            let ofType = objects.open(groupProperties.member(named: groupName), slot: 6)
            derive(
                .identifyCompany, company, company: nil, time: time,
                from: MetadataSources(objects.open(objects.text(company).flatMap { ofType.member(named: $0) }, slot: 7))
            )
        }
        var consumed = takeConsumedKeys()
        defer { consumedKeys = consumed }
        if let name, pageEvents.contains(name) {
            let location = pageLocation(
                url: eventProperties["[Amplitude] Page Location"] ?? eventProperties["[Amplitude] Page URL"]
                    ?? eventProperties["url"],
                host: eventProperties["[Amplitude] Page Domain"], path: eventProperties["[Amplitude] Page Path"])
            beginRow(location == nil ? .track : .pageView, user: user!, company: company, time: time)
            if let location {
                writeLocation(location)
                consumed.append(contentsOf: Self.amplitudeLocationKeys)
            } else {
                fallBackToTrack(name: event)
            }
        } else {
            beginRow(.track, user: user!, company: company, name: event, time: time)
        }
        if let platform = objects.text(top["platform"]), platform.equals("Web"), let os = top["os_name"] {
            writeField("browser", os)
        }
        writeMetadata(MetadataSources(eventProperties), consumed: consumed)
        return .rows(rowEnds.count)
    }

    private func segment(_ top: VendorObject) -> Outcome {
        // segment-import's CSV names the type `type`, its older layout `action`.
        guard let type = objects.text(top["type"] ?? top["action"]) else { return segmentWarehouse(top) }
        if type.equals("alias") { return .skip(.identityMerge) }
        let properties = objects.open(top["properties"], slot: 1)
        let traits = objects.open(top["traits"], slot: 2)
        let context = objects.open(top["context"], slot: 3)
        var user = userProperty.flatMap { properties[$0] ?? traits[$0] } ?? top["userId"]
        if user == nil && settings.keepAnonymous { user = top["anonymousId"] }
        let isGroup = type.equals("group")
        if let found = user, found.isScalarText, let junk = junk(found) { return .skip(junk) }
        if !isGroup && (user == nil || !user!.isScalarText) { return .skip(.anonymousUser) }
        guard let time = time(top["timestamp"] ?? top["originalTimestamp"] ?? top["receivedAt"]) else {
            return .skip(.noTime)
        }
        let page = objects.open(context["page"], slot: 4)
        if isGroup {
            guard let group = top["groupId"], group.isScalarText else {
                beginCompanyRow(nil, time: time)
                writeMetadata(MetadataSources(traits), consumed: [])
                return .rows(rowEnds.count)
            }
            beginCompanyRow(group, time: time)
            writeMetadata(MetadataSources(traits), consumed: [])
            guard let user, user.isScalarText else { return .rows(rowEnds.count) }
            beginRow(.identifyUser, user: user, company: group, time: time)
            writeMetadata(MetadataSources(), consumed: [])
            return .rows(rowEnds.count)
        }
        let company = context["groupId"]
        if type.equals("identify") {
            beginRow(.identifyUser, user: user!, company: company, time: time)
            if let location = pageLocation(url: page["url"], host: nil, path: nil) { writeLocation(location) }
            if let agent = context["userAgent"] { writeField("user_agent", agent) }
            writeMetadata(MetadataSources(traits), consumed: [])
        } else if type.equals("page") {
            let location = pageLocation(url: properties["url"] ?? page["url"], host: nil, path: nil)
            beginRow(location == nil ? .track : .pageView, user: user!, company: company, time: time)
            if let location {
                writeLocation(location)
            } else {
                fallBackToTrack(name: top["name"] ?? properties["name"])
            }
            var extra: [(ByteString, VendorValue)] = []
            if let name = top["name"], properties.member("name") == nil {
                extra.append(("name", name))
            }
            writeMetadata(MetadataSources(properties), consumed: location == nil ? [] : Self.urlKey, extra: extra)
        } else if type.equals("screen") {
            beginRow(.track, user: user!, company: company, literalName: "Screen Viewed", time: time)
            var extra: [(ByteString, VendorValue)] = []
            if let name = top["name"], properties.member("name") == nil {
                extra.append(("name", name))
            }
            writeMetadata(MetadataSources(properties), consumed: [], extra: extra)
        } else {
            // track, and any other type: its `event` names it.
            beginRow(.track, user: user!, company: company, name: top["event"], time: time)
            writeMetadata(MetadataSources(properties), consumed: [])
        }
        return .rows(rowEnds.count)
    }

    /// Segment's warehouse tables (`tracks` and per-event tables, `pages`, `identifies`, `groups`):
    /// snake_case columns, `context_*` columns, properties and traits as columns; the table is
    /// told by its columns (`group_id`; `event`/`event_text`; `url`/`path`; else identifies).
    private func segmentWarehouse(_ top: VendorObject) -> Outcome {
        var user = userProperty.flatMap { top[$0] } ?? top["user_id"]
        if user == nil && settings.keepAnonymous { user = top["anonymous_id"] }
        let group = top["group_id"]
        if let found = user, found.isScalarText, let junk = junk(found) { return .skip(junk) }
        if group == nil && (user == nil || !user!.isScalarText) { return .skip(.anonymousUser) }
        guard let time = time(top["timestamp"] ?? top["original_timestamp"] ?? top["received_at"]) else {
            return .skip(.noTime)
        }
        let company = top["context_group_id"]
        if let group {
            beginCompanyRow(group, time: time)
            writeMetadata(
                MetadataSources(top), consumed: [], skipInLast: segmentColumns, skipPrefixesInLast: segmentPrefixes)
            guard let user, user.isScalarText else { return .rows(rowEnds.count) }
            beginRow(.identifyUser, user: user, company: group, time: time)
            writeMetadata(MetadataSources(), consumed: [])
            return .rows(rowEnds.count)
        }
        if let event = top["event_text"] ?? top["event"] {
            beginRow(.track, user: user!, company: company, name: event, time: time)
        } else if top.member("url") != nil || top.member("path") != nil {
            let location = pageLocation(url: top["url"] ?? top["context_page_url"], host: nil, path: nil)
            beginRow(location == nil ? .track : .pageView, user: user!, company: company, time: time)
            if let location { writeLocation(location) } else { fallBackToTrack(name: top["name"] ?? top["title"]) }
        } else {
            beginRow(.identifyUser, user: user!, company: company, time: time)
            if let location = pageLocation(url: top["context_page_url"], host: nil, path: nil) {
                writeLocation(location)
            }
        }
        if let agent = top["context_user_agent"] { writeField("user_agent", agent) }
        writeMetadata(
            MetadataSources(top), consumed: [], skipInLast: segmentColumns, skipPrefixesInLast: segmentPrefixes)
        return .rows(rowEnds.count)
    }

    private func posthog(_ top: VendorObject) -> Outcome {
        let event = top["event"]
        let name = objects.text(event)
        if let name, merges.contains(name) { return .skip(.identityMerge) }
        if let name, internalEvents.contains(name) { return .skip(.vendorInternalEvent) }
        let properties = objects.open(top["properties"], slot: 1)
        let personless =
            properties["$process_person_profile"].map { $0.kind == .bool && $0.bytes.first == UInt8(ascii: "f") }
            ?? false
        if personless && !settings.keepAnonymous { return .skip(.anonymousUser) }
        let user = userProperty.flatMap { properties[$0] } ?? top["distinct_id"]
        let isGroupIdentify = name.map { $0.equals("$groupidentify") } ?? false
        if !isGroupIdentify {
            guard let user, user.isScalarText else { return .skip(.anonymousUser) }
            if let junk = junk(user) { return .skip(junk) }
        }
        guard let time = time(top["timestamp"]) else { return .skip(.noTime) }
        if isGroupIdentify {
            if let wanted = groupType, let type = objects.text(properties["$group_type"]), !wanted.matches(type) {
                return .skip(.vendorInternalEvent)
            }
            beginCompanyRow(properties["$group_key"], time: time)
            writeMetadata(MetadataSources(objects.open(properties["$group_set"], slot: 2)), consumed: [])
            return .rows(rowEnds.count)
        }
        let (company, _) = firstGroup(objects.open(properties["$groups"], slot: 3), slot: nil)
        if let name, name.equals("$identify") || name.equals("$set") {
            beginRow(.identifyUser, user: user!, company: company, time: time)
            writeMetadata(
                MetadataSources(
                    objects.open(properties["$set_once"], slot: 4), objects.open(properties["$set"], slot: 5)),
                consumed: [])
            return .rows(rowEnds.count)
        }
        derive(
            .identifyUser, user!, company: company, time: time,
            from: MetadataSources(
                objects.open(properties["$set_once"], slot: 4), objects.open(properties["$set"], slot: 5)))
        var consumed = takeConsumedKeys()
        defer { consumedKeys = consumed }
        if let name, pageEvents.contains(name) {
            let location = pageLocation(
                url: properties["$current_url"], host: properties["$host"], path: properties["$pathname"])
            beginRow(location == nil ? .track : .pageView, user: user!, company: company, time: time)
            if let location {
                writeLocation(location)
                consumed.append(contentsOf: Self.posthogLocationKeys)
            } else {
                fallBackToTrack(name: event)
            }
        } else if let name, name.equals("$screen") {
            beginRow(.track, user: user!, company: company, literalName: "Screen Viewed", time: time)
            consumed.append("$screen_name")
            if let screen = properties["$screen_name"] {
                writeClientColumns(properties)
                writeUserAgent(properties)
                writeMetadata(MetadataSources(properties), consumed: consumed, extra: [("name", screen)])
                return .rows(rowEnds.count)
            }
        } else {
            beginRow(.track, user: user!, company: company, name: event, time: time)
        }
        writeClientColumns(properties)
        writeUserAgent(properties)
        writeMetadata(MetadataSources(properties), consumed: consumed)
        return .rows(rowEnds.count)
    }

    private func ga4(_ top: VendorObject) -> Outcome {
        let event = top["event_name"]
        let name = objects.text(event)
        if let name, internalEvents.contains(name) { return .skip(.vendorInternalEvent) }
        keyValues(top["event_params"], into: &parameters)
        keyValues(top["user_properties"], into: &userParameters)
        func parameter(_ key: ByteString) -> VendorValue? {
            parameters.first { key.matches($0.key) }?.value ?? userParameters.first { key.matches($0.key) }?.value
        }
        var user = userProperty.flatMap { parameter($0) } ?? top["user_id"]
        if user == nil && settings.keepAnonymous { user = top["user_pseudo_id"] }
        guard let user, user.isScalarText else { return .skip(.anonymousUser) }
        if let junk = junk(user) { return .skip(junk) }
        guard let time = time(top["event_timestamp"]) else { return .skip(.noTime) }
        let company = companyProperty.flatMap { parameter($0) }
        if settings.derivedIdentify && !userParameters.isEmpty {
            let start = rows.count
            let row = rowEnds.count
            beginRow(.identifyUser, user: user, company: company, time: time)
            let metadata = rows.count
            writeMetadata(MetadataSources(), consumed: [], pairs: userParameters)
            keepIfChanged(.identifyUser, user, rowStart: start, row: row, metadataStart: metadata, earlierWarnings: 0)
        }
        var consumed = takeConsumedKeys()
        defer { consumedKeys = consumed }
        if let companyProperty { consumed.append(companyProperty) }
        if let name, pageEvents.contains(name) {
            let location = pageLocation(url: parameter("page_location"), host: nil, path: nil)
            beginRow(location == nil ? .track : .pageView, user: user, company: company, time: time)
            if let location {
                writeLocation(location)
                consumed.append("page_location")
            } else {
                fallBackToTrack(name: event)
            }
        } else if let name, name.equals("screen_view") {
            beginRow(.track, user: user, company: company, literalName: "Screen Viewed", time: time)
            if let screen = parameter("firebase_screen") {
                parameters.append((key: Self.nameKey, value: screen))
                consumed.append("firebase_screen")
            }
        } else {
            beginRow(.track, user: user, company: company, name: event, time: time)
        }
        let device = objects.open(top["device"], slot: 12)
        let web = objects.open(device["web_info"], slot: 13)
        if let browser = web["browser"] { writeField("browser", browser) }
        if let os = device["operating_system"] { writeField("operating_system", os) }
        if let category = device["category"] { writeField("device_type", category) }
        if let language = device["language"] { writeField("browser_language", language) }
        writeMetadata(MetadataSources(), consumed: consumed, pairs: parameters)
        return .rows(rowEnds.count)
    }

    /// `name`, as a key that points into the program's constant text (valid for the whole run).
    private static var nameKey: UnsafeRawBufferPointer {
        let name: StaticString = "name"
        return name.bytes
    }

    /// Heap Connect's tables, told apart by their columns: users (identity), user_migrations,
    /// pageviews (domain and path), and event tables.
    private func heap(_ top: VendorObject) -> Outcome {
        if top.member("from_user_id") != nil { return .skip(.identityMerge) }
        if top.member("identity") != nil {
            guard let identity = top["identity"], identity.isScalarText, objects.text(identity)?.isEmpty == false else {
                return .skip(.anonymousUser)
            }
            if let junk = junk(identity) { return .skip(junk) }
            guard
                let time = time(top["last_modified"]) ?? time(top["join_date"] ?? top["joindate"])
                    ?? settings.profileTime
            else { return .skip(.noTime) }
            beginRow(.identifyUser, user: identity, company: companyProperty.flatMap { top[$0] }, time: time)
            writeMetadata(MetadataSources(top), consumed: companyConsumed)
            return .rows(rowEnds.count)
        }
        // An event: its user is Heap's own id, resolved to an identity through the users table.
        guard let heapID = objects.text(top["user_id"]),
            let identity = settings.heapIdentities?.identity(of: String(decoding: heapID, as: UTF8.self))
        else { return .skip(.anonymousUser) }
        guard let copy = Array(identity.utf8).withUnsafeBytes({ scratch.copy($0) }) else {
            return .skip(.anonymousUser)
        }
        let user = VendorValue(kind: .string, bytes: copy)
        if let junk = junk(user) { return .skip(junk) }
        guard let time = time(top["time"]) else { return .skip(.noTime) }
        let company = companyProperty.flatMap { top[$0] }
        if let domain = objects.text(top["domain"]), let path = objects.text(top["path"]), !domain.isEmpty {
            nested.removeAll()
            JSONEncoding.appendLiteral("https://", to: nested)
            nested.append(contentsOf: domain)
            nested.append(contentsOf: path)
            if let query = objects.text(top["query"]), !query.isEmpty {
                if query.first != UInt8(ascii: "?") { nested.append(UInt8(ascii: "?")) }
                nested.append(contentsOf: query)
            }
            if let hash = objects.text(top["hash"]), !hash.isEmpty {
                if hash.first != UInt8(ascii: "#") { nested.append(UInt8(ascii: "#")) }
                nested.append(contentsOf: hash)
            }
            let url = scratch.copy(nested.bytes).map { VendorValue(kind: .string, bytes: $0) }
            let location = pageLocation(url: url, host: top["domain"], path: top["path"])
            beginRow(location == nil ? .track : .pageView, user: user, company: company, time: time)
            if let location { writeLocation(location) } else { writeField("event_name", literal: "Page Viewed") }
        } else {
            let given = top["event_name"] ?? top["event_table_name"]
            beginRow(.track, user: user, company: company, name: given, time: time)
            if given == nil, let name = settings.eventName {
                rows.append(UInt8(ascii: ","))
                let quote = rows.count
                JSONEncoding.appendKey("event_name", to: rows)
                let value = rows.count
                Self.appendText(name, to: rows)
                layout.member(
                    key: quote, value: value, in: rows,
                    valueEscaped: RowLayout.hasEscape(in: rows, from: value + 1, to: rows.count - 1))
            }
        }
        writeClientColumns(top)
        writeMetadata(MetadataSources(top), consumed: companyConsumed)
        return .rows(rowEnds.count)
    }

    /// A mapping file (`--map`): each target from its field, constant, value table or default;
    /// the time by its format, epoch unit and zone; metadata filtered and renamed; `skip_when`.
    private func mapped(_ top: VendorObject) -> Outcome {
        guard let mapping = settings.mapping else { return .skip(.skipWhen) }
        for skip in mapping.skips {
            let text = fieldText(skip.field, in: top) ?? ""
            if skip.values.contains(text) { return .skip(.skipWhen) }
        }
        func target(_ name: String) -> String? {
            guard let source = mapping.fields[name] else { return nil }
            if let constant = source.constant { return constant }
            guard let field = source.field, let text = fieldText(field, in: top) else { return source.defaultValue }
            if source.values.isEmpty { return text }
            return source.values[text] ?? source.defaultValue
        }
        guard let time = mapping.time,
            let timeText = time.source.constant ?? time.source.field.flatMap({ fieldText($0, in: top) }),
            let stamp = time.read(timeText)?.shifted(by: settings.shiftSeconds)
        else { return .skip(.noTime) }
        let type = target("event_type") ?? ""
        // A mapping file's rows are scanned again, as written.
        layout.beginRow(at: rows.count)
        layout.forget()
        JSONEncoding.appendLiteral("{\"event_type\":", to: rows)
        Self.appendText(type, to: rows)
        for name in ["user_id", "company_id", "event_name"] {
            guard let value = target(name) else { continue }
            rows.append(UInt8(ascii: ","))
            Self.appendText(name, to: rows)
            rows.append(UInt8(ascii: ":"))
            Self.appendText(value, to: rows)
        }
        writeCommon(stamp)
        for name in ["url", "hostname", "pathname", "user_agent"] {
            guard let value = target(name) else { continue }
            rows.append(UInt8(ascii: ","))
            Self.appendText(name, to: rows)
            rows.append(UInt8(ascii: ":"))
            Self.appendText(value, to: rows)
        }
        let rule = mapping.metadata
        let source: VendorObject
        if let from = rule?.from {
            source = objects.open(fieldValue(from, in: top), slot: 15)
        } else if rule != nil {
            source = top
        } else {
            source = objects.open(nil, slot: 15)
        }
        metadataFilter = rule.map { MetadataFilter($0) }
        defer { metadataFilter = nil }
        writeMetadata(MetadataSources(source), consumed: [])
        return .rows(rowEnds.count)
    }

    /// A field of the record: a column or top-level key of that exact name, else a dotted path.
    private func fieldValue(_ field: String, in top: VendorObject) -> VendorValue? {
        let name = ByteString(field)
        if let value = top[name] { return value }
        var parts = field.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return nil }
        var object = top
        var slot = 24
        while parts.count > 1 {
            let part = parts.removeFirst()
            guard let next = object[ByteString(part)], next.kind == .object,
                let opened = objects.open(next.bytes, slot: slot)
            else { return nil }
            object = opened
            slot += 1
        }
        return object[ByteString(parts[0])]
    }

    /// A field's value as text: a string decoded, a number or boolean as written; nil when absent.
    private func fieldText(_ field: String, in top: VendorObject) -> String? {
        guard let value = fieldValue(field, in: top) else { return nil }
        switch value.kind {
        case .string: return objects.text(value).map { String(decoding: $0, as: UTF8.self) }
        case .number, .bool: return String(decoding: value.bytes, as: UTF8.self)
        default: return String(decoding: value.bytes, as: UTF8.self)
        }
    }

    private static func appendText(_ text: String, to out: LineBuffer) {
        var copy = text
        copy.withUTF8 { JSONEncoding.appendString(UnsafeRawBufferPointer($0), to: out) }
    }

    /// A mapping file's `include`, `exclude` and `rename` for flattened metadata keys.
    final class MetadataFilter {
        let include: [String]
        let exclude: [String]
        let rename: [String: String]

        init(_ rule: MappingFile.Metadata) {
            include = rule.include
            exclude = rule.exclude
            rename = rule.rename
        }

        /// The key to write for `key`, or nil when it is left out.
        func name(for key: UnsafeRawBufferPointer) -> String? {
            let text = String(decoding: key, as: UTF8.self)
            if !include.isEmpty && !include.contains(where: { Self.matches(text, $0) }) { return nil }
            if exclude.contains(where: { Self.matches(text, $0) }) { return nil }
            return rename[text] ?? text
        }

        /// `*` matches any run of characters; everything else itself.
        static func matches(_ text: String, _ pattern: String) -> Bool {
            let parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
            guard parts.count > 1 else { return text == pattern }
            var rest = Substring(text)
            guard rest.hasPrefix(parts[0]) else { return false }
            rest = rest.dropFirst(parts[0].count)
            for part in parts.dropFirst().dropLast() {
                guard let range = rest.range(of: part) else { return false }
                rest = rest[range.upperBound...]
            }
            return rest.hasSuffix(parts.last!)
        }
    }

    private var metadataFilter: MetadataFilter?

    /// Pendo (rules 4 and 10): aggregate buckets as one `track` each, visitors and accounts as
    /// identify rows, Fivetran's visitor–account links; API (camelCase) and Fivetran (snake_case) alike.
    private func pendo(_ top: VendorObject) -> Outcome {
        let visitor = top["visitorId"] ?? top["visitor_id"]
        let account = top["accountId"] ?? top["account_id"]
        if let anonymous = objects.text(visitor), anonymous.starts(with: "_PENDO_T_".utf8), !settings.keepAnonymous {
            return .skip(.anonymousUser)
        }
        if top.member("numEvents") != nil || top.member("num_events") != nil {
            let object =
                (top["pageId"] ?? top["page_id"]).map { ("Page: ", $0, "page_id" as ByteString) }
                ?? (top["featureId"] ?? top["feature_id"]).map { ("Feature: ", $0, "feature_id" as ByteString) }
            guard let object, let id = objects.text(object.1), !id.equals("allevents") else {
                return .skip(.activityRollup)
            }
            guard let visitor, visitor.isScalarText else { return .skip(.anonymousUser) }
            if let junk = junk(visitor) { return .skip(junk) }
            guard let time = time(top["day"] ?? top["hour"] ?? top["timestamp"]) else { return .skip(.noTime) }
            beginRow(.track, user: visitor, company: account, time: time)
            rows.append(UInt8(ascii: ","))
            let quote = rows.count
            JSONEncoding.appendKey("event_name", to: rows)
            let value = rows.count
            nested.removeAll()
            JSONEncoding.appendLiteral(object.0 == "Page: " ? "Page: " : "Feature: ", to: nested)
            nested.append(contentsOf: id)
            let escaped = appendEscaped(nested.bytes)
            layout.member(key: quote, value: value, in: rows, valueEscaped: escaped)
            if let agent = top["userAgent"] ?? top["user_agent"] { writeField("user_agent", agent) }
            pairs.clear()
            let counts: [(StaticString, [ByteString])] = [
                ("numEvents", ["numEvents", "num_events"]), ("numMinutes", ["numMinutes", "num_minutes"]),
            ]
            for (name, keys) in counts {
                if let value = keys.lazy.compactMap({ top[$0] }).first {
                    pairs.append((Self.constant(name), Self.number(value, objects: objects)))
                }
            }
            pairs.append((object.0 == "Page: " ? Self.constant("page_id") : Self.constant("feature_id"), object.1))
            if let server = top["server"] ?? top["server_name"] { pairs.append((Self.constant("server"), server)) }
            writeMetadata(MetadataSources(), consumed: [], pairs: pairs)
            return .rows(rowEnds.count)
        }
        if top.member("visitor_last_updated_at") != nil {
            // Fivetran's visitor_account_history: the link alone.
            guard let visitor, visitor.isScalarText else { return .skip(.anonymousUser) }
            guard let time = time(top["visitor_last_updated_at"]) else { return .skip(.noTime) }
            beginRow(.identifyUser, user: visitor, company: account, time: time)
            writeMetadata(MetadataSources(), consumed: [])
            return .rows(rowEnds.count)
        }
        let metadata = objects.open(top["metadata"], slot: 1)
        let auto = objects.open(metadata["auto"], slot: 2)
        let isDefinition =
            top.member("root_version_id") != nil || top.member("stable_version_id") != nil
            || (visitor == nil && account == nil && metadata.count == 0 && top["id"] != nil && top["name"] != nil
                && top.member("lastupdated") == nil && top.member("last_updated_at") == nil)
        if isDefinition { return .skip(.definition) }
        let isVisitor =
            visitor != nil || auto["accountid"] != nil || top.member("last_browser_name") != nil
            || top.member("last_user_agent") != nil || (top.member("account_id") != nil && top.member("id") != nil)
        let id = visitor ?? (isVisitor ? top["id"] : nil) ?? account ?? top["id"]
        guard let id, id.isScalarText else { return .skip(.anonymousUser) }
        if isVisitor, let junk = junk(id) { return .skip(junk) }
        let stamp =
            auto["lastupdated"] ?? top["lastupdated"] ?? top["last_updated_at"] ?? auto["lastvisit"] ?? top["lastvisit"]
            ?? top["last_visit"]
        guard let time = time(stamp) ?? settings.profileTime else { return .skip(.noTime) }
        pairs.clear()
        let visits: [(StaticString, VendorValue?)] = [
            ("pendo.firstvisit", auto["firstvisit"]), ("pendo.lastvisit", auto["lastvisit"]),
        ]
        for (name, value) in visits {
            if let value, let iso = isoText(value) { pairs.append((Self.constant(name), iso)) }
        }
        if metadata.count == 0 {
            let flat: [(StaticString, VendorValue?)] = [
                ("firstvisit", top["firstvisit"]), ("lastvisit", top["lastvisit"]),
            ]
            for (name, value) in flat {
                if let value, let iso = isoText(value) { pairs.append((Self.constant(name), iso)) }
            }
        }
        if isVisitor {
            beginRow(.identifyUser, user: id, company: auto["accountid"] ?? account, time: time)
        } else {
            beginCompanyRow(id, time: time)
        }
        if metadata.count > 0 {
            // API shape: agent keys verbatim, `auto` left out (its visit times are above), every
            // integration's keys as group.field.
            let agent = objects.open(metadata["agent"], slot: 3)
            writeMetadata(MetadataSources(agent), consumed: [], pairs: pairs, groups: metadata)
        } else {
            writeMetadata(MetadataSources(top), consumed: [], pairs: pairs, skipInLast: pendoVisitTimes)
        }
        return .rows(rowEnds.count)
    }

    /// A string key that lives as long as the program (the constant text of `name`).
    private static func constant(_ name: StaticString) -> UnsafeRawBufferPointer { name.bytes }

    /// A number given as a number or as digits in a string (Fivetran's CSV), as a number.
    private static func number(_ value: VendorValue, objects: VendorObjects) -> VendorValue {
        guard value.kind == .string, JSONEncoding.isInteger(value.bytes), value.bytes.count <= 15 else { return value }
        return VendorValue(kind: .number, bytes: value.bytes)
    }

    /// An epoch-ms date (Pendo's visit times) as ISO text, in the record's arena; nil when 0 or not one.
    private func isoText(_ value: VendorValue) -> VendorValue? {
        guard let text = objects.text(value), !text.equals("0"), let time = Timestamp.vendorTime(text)
        else {
            return nil
        }
        nested.removeAll()
        time.appendNormalized(to: nested)
        guard let copy = scratch.copy(nested.bytes) else { return nil }
        return VendorValue(kind: .string, bytes: copy)
    }

    /// GA4's `[{key, value: {string_value | int_value | float_value | double_value}}]`: the first
    /// value that is not null; an integer of up to 15 digits as a number, a longer one as text.
    private func keyValues(_ array: VendorValue?, into pairs: inout [(key: UnsafeRawBufferPointer, value: VendorValue)])
    {
        pairs.clear()
        objects.elements(array, into: &elements)
        for element in elements where element.kind == .object {
            guard let entry = objects.open(element.bytes, slot: 10), let key = objects.text(entry["key"]) else {
                continue
            }
            let holder = objects.open(entry["value"], slot: 11)
            guard
                let value = holder["string_value"] ?? holder["int_value"] ?? holder["float_value"]
                    ?? holder["double_value"]
            else { continue }
            if holder.member("string_value") == nil, value.kind == .string, !value.hasEscapes, value.bytes.count <= 15,
                JSONEncoding.isInteger(value.bytes)
            {
                pairs.append((key, VendorValue(kind: .number, bytes: value.bytes)))
            } else {
                pairs.append((key, value))
            }
        }
    }

    private func writeUserAgent(_ properties: VendorObject) {
        if let agent = properties["$raw_user_agent"] { writeField("user_agent", agent) }
    }

    // MARK: Shared rules

    /// Rule 5: an identify row for `entity` just before its event, when the properties the event
    /// carries for it differ from the last ones written (or none were written yet).
    private func derive(
        _ type: EventType, _ entity: VendorValue, company: VendorValue?, time: Timestamp, from sources: MetadataSources
    ) {
        guard settings.derivedIdentify, sources.hasMembers, objects.text(entity) != nil
        else { return }
        let start = rows.count
        let row = rowEnds.count
        let earlier = warnings[row].count  // raised for the event before any row was written
        if type == .identifyCompany {
            beginCompanyRow(entity, time: time)
        } else {
            beginRow(.identifyUser, user: entity, company: company, time: time)
        }
        let metadata = rows.count
        writeMetadata(sources, consumed: [])
        keepIfChanged(type, entity, rowStart: start, row: row, metadataStart: metadata, earlierWarnings: earlier)
    }

    /// Keeps the identify row just written for `entity` only when its metadata differs from the
    /// last one written for it; the warnings raised for the event before it go with the event.
    private func keepIfChanged(
        _ type: EventType, _ entity: VendorValue, rowStart: Int, row: Int, metadataStart: Int, earlierWarnings: Int
    ) {
        guard let id = objects.text(entity) else { return }
        let snapshot = Self.hash(rows.bytes(from: metadataStart))
        let key = Self.hash(id) &+ (type == .identifyCompany ? 0x9E37_79B9_7F4A_7C15 : 0)
        var unwritten = false
        switch derivedRows {
        case .decide:
            unwritten = fingerprints[key] == snapshot
            fingerprints[key] = snapshot
        case .candidates:
            let before = fingerprints.updateValue(snapshot, forKey: key)
            if before == nil {
                var row = 0..<0
                if keepsCandidateRows {
                    let start = candidateRows.count
                    candidateRows.append(
                        contentsOf: UnsafeRawBufferPointer(rebasing: rows.bytes(from: rowStart).dropLast()))
                    row = start..<candidateRows.count
                }
                candidates.append(
                    DerivedRowCandidate(
                        type: type, entity: key, snapshot: snapshot, position: derivedTypes.count, row: row))
            }
            unwritten = before == nil || before == snapshot
        case .all:
            break
        }
        if unwritten {
            rows.truncate(to: rowStart)
            rowEnds.removeLast()
            layout.dropLastRow()
            warnings[row].removeSubrange(earlierWarnings...)
            return
        }
        derivedTypes.append(type)
        warnings[row + 1].append(contentsOf: warnings[row][..<earlierWarnings])
        warnings[row].removeSubrange(..<earlierWarnings)
    }

    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        UInt64(truncatingIfNeeded: ByteSet.hash(bytes))
    }

    /// Rule 2: placeholder ids are skipped; `0` and `-1` are kept with a warning.
    private func junk(_ user: VendorValue) -> SkipReason? {
        guard let text = objects.text(user) else { return nil }
        if junkIDs.containsIgnoringASCIICase(text) { return .junkUserID }
        if text.equals("0") || text.equals("-1") {
            warnings[rowEnds.count].append(Problem(.suspiciousUserID, .known(.userID), .value(text)))
        }
        return nil
    }

    /// Rule 7: the time of the record, shifted by `--shift-seconds`.
    private func time(_ value: VendorValue?) -> Timestamp? {
        guard let text = objects.text(value), let time = Timestamp.vendorTime(text) else { return nil }
        return time.shifted(by: settings.shiftSeconds)
    }

    /// Rule 8: the company from a `{type: key}` or `{type: [keys]}` object: the `--group-type`
    /// one, else the only one, else the first with a warning. Returns the key and the type name.
    private func firstGroup(_ groups: VendorObject, slot: Int?) -> (VendorValue?, UnsafeRawBufferPointer?) {
        guard groups.count > 0 else { return (nil, nil) }
        var chosen = 0
        if let groupType {
            guard let i = (0..<groups.count).first(where: { groupType.matches(groups.key($0)) }) else {
                return (nil, nil)
            }
            chosen = i
        } else if groups.count > 1 {
            warnings[rowEnds.count].append(Problem(.severalGroups, .known(.companyID), .value(groups.key(0))))
        }
        var value = groups.value(chosen)
        if value.kind == .array {
            // The first key of the list: read it as the only member of a one-key object.
            guard let first = firstElement(of: value) else { return (nil, groups.key(chosen)) }
            value = first
        }
        return value.isScalarText ? (value, groups.key(chosen)) : (nil, groups.key(chosen))
    }

    /// The first element of a JSON array value, when it is a string or a number.
    private func firstElement(of array: VendorValue) -> VendorValue? {
        let bytes = array.bytes
        var i = 1
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
        guard i < bytes.count else { return nil }
        if bytes[i] == UInt8(ascii: "\"") {
            var end = i + 1
            var escapes = false
            while end < bytes.count && bytes[end] != UInt8(ascii: "\"") {
                if bytes[end] == UInt8(ascii: "\\") {
                    escapes = true
                    end += 1
                }
                end += 1
            }
            return VendorValue(
                kind: .string, bytes: UnsafeRawBufferPointer(rebasing: bytes[(i + 1)..<end]), hasEscapes: escapes)
        }
        var end = i
        while end < bytes.count,
            bytes[end] == UInt8(ascii: "-") || bytes[end] == UInt8(ascii: ".")
                || bytes[end] &- UInt8(ascii: "0") < 10 || bytes[end] | 0x20 == UInt8(ascii: "e")
                || bytes[end] == UInt8(ascii: "+")
        {
            end += 1
        }
        return end > i ? VendorValue(kind: .number, bytes: UnsafeRawBufferPointer(rebasing: bytes[i..<end])) : nil
    }

    /// Where a page event happened: a URL, or a host and a path.
    enum PageLocation {
        case url(UnsafeRawBufferPointer, percentEncoded: Bool)
        case parts(host: VendorValue, path: VendorValue)
    }

    /// Rule 1 and the URL detail: a URL with white space gets it percent-encoded; one that still is
    /// no http(s) URL with a host counts as none; then host and path; else nil (track fallback).
    private func pageLocation(url: VendorValue?, host: VendorValue?, path: VendorValue?) -> PageLocation? {
        if let text = objects.text(url), !text.isEmpty {
            var encoded = false
            var candidate = text
            if WhiteSpace.occurs(in: text) {
                let mark = scratch.count
                var bytes: [UInt8] = []
                var i = 0
                while i < text.count {
                    let n = WhiteSpace.length(text, at: i)
                    if n > 0 {
                        for k in i..<(i + n) {
                            bytes += [UInt8(ascii: "%"), Self.hex[Int(text[k] >> 4)], Self.hex[Int(text[k] & 15)]]
                        }
                        i += n
                    } else {
                        bytes.append(text[i])
                        i += 1
                    }
                }
                candidate = bytes.withUnsafeBytes { scratch.copy($0) } ?? text
                encoded = true
                if EventURL.parse(candidate) == nil { scratch.truncate(to: mark) }
            }
            if EventURL.parse(candidate) != nil, !candidate.contains(UInt8(ascii: "\\")) {
                return .url(candidate, percentEncoded: encoded)
            }
        }
        if let host, let path, let h = objects.text(host), let p = objects.text(path), !h.isEmpty, !p.isEmpty {
            return .parts(host: host, path: path)
        }
        return nil
    }

    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

    // MARK: Writing rows

    /// `{"event_type":…` up to `inserted_at`, with the event's name (a value, else a literal) where
    /// a normalized line has it, before `source`.
    private func beginRow(
        _ type: EventType, user: VendorValue?, company: VendorValue?, name: VendorValue? = nil,
        literalName: StaticString? = nil, time: Timestamp?
    ) {
        beginObject(type)
        if let user { writeField("user_id", user) }
        if let company { writeField("company_id", company) }
        if let name {
            writeField("event_name", name)
        } else if let literalName {
            writeField("event_name", literal: literalName)
        }
        writeCommon(time)
    }

    private func beginCompanyRow(_ company: VendorValue?, time: Timestamp) {
        beginObject(.identifyCompany)
        if let company { writeField("company_id", company) }
        writeCommon(time)
    }

    /// `{"event_type":"…"`: a row begins (the key's quote at `start + 1`, the value's at `start + 14`).
    @inline(__always)
    private func beginObject(_ type: EventType) {
        let start = rows.count
        layout.beginRow(at: start)
        JSONEncoding.appendLiteral("{\"event_type\":\"", to: rows)
        JSONEncoding.appendLiteral(type.staticName, to: rows)
        rows.append(UInt8(ascii: "\""))
        layout.member(key: start + 1, value: start + 14, in: rows)
    }

    private func writeCommon(_ time: Timestamp?) {
        writtenColumns = 0
        clientKeysWritten.clear()
        knownRoles.clear()
        knownRoleObjects.clear()
        // One literal each; the key's quote is one byte in, the value starts after `"key":`.
        let source = rows.count + 1
        JSONEncoding.appendLiteral(",\"source\":\"backend-http-import\"", to: rows)
        layout.member(key: source, value: source + 9, in: rows)
        if let time {
            let quote = rows.count + 1
            JSONEncoding.appendLiteral(",\"inserted_at\":\"", to: rows)
            time.appendNormalized(to: rows)
            rows.append(UInt8(ascii: "\""))
            layout.member(key: quote, value: quote + 14, in: rows)
        }
    }

    /// `,"name":value` for a string (kept as it is) or a number (quoted digit for digit: ids).
    private func writeField(_ name: StaticString, _ value: VendorValue) {
        guard value.isScalarText else { return }
        rows.append(UInt8(ascii: ","))
        let quote = rows.count
        JSONEncoding.appendKey(name, to: rows)
        let start = rows.count
        var escaped = false
        if value.kind == .string {
            escaped = appendVendorString(value)
        } else {
            rows.append(UInt8(ascii: "\""))
            rows.append(contentsOf: value.bytes)
            rows.append(UInt8(ascii: "\""))
        }
        layout.member(key: quote, value: start, in: rows, valueEscaped: escaped)
    }

    /// A vendor string (escapes still encoded) as a JSON string in canonical form; whether what
    /// was written holds an escape.
    @inline(__always)
    private func appendVendorString(_ value: VendorValue) -> Bool {
        let start = rows.count
        JSONEncoding.appendStringBody(value.bytes, hasEscapes: value.hasEscapes, scratch: scratch, to: rows)
        return value.hasEscapes && RowLayout.hasEscape(in: rows, from: start + 1, to: rows.count - 1)
    }

    /// Decoded text as a JSON string; whether it needed an escape (what was written is longer
    /// than the text and its quotes).
    @inline(__always)
    private func appendEscaped(_ text: UnsafeRawBufferPointer) -> Bool {
        let start = rows.count
        JSONEncoding.appendString(text, to: rows)
        return rows.count - start - 2 != text.count
    }

    private func writeField(_ name: StaticString, literal: StaticString) {
        rows.append(UInt8(ascii: ","))
        let quote = rows.count
        JSONEncoding.appendKey(name, to: rows)
        let start = rows.count
        JSONEncoding.appendLiteral(literal, quoted: true, to: rows)
        layout.member(key: quote, value: start, in: rows)
    }

    private func writeLocation(_ location: PageLocation) {
        switch location {
        case .url(let url, let encoded):
            rows.append(UInt8(ascii: ","))
            let quote = rows.count
            JSONEncoding.appendKey("url", to: rows)
            let start = rows.count
            let escaped = appendEscaped(url)
            layout.member(key: quote, value: start, in: rows, valueEscaped: escaped)
            if encoded { warnings[rowEnds.count].append(Problem(.urlPercentEncoded, .known(.url))) }
        case .parts(let host, let path):
            writeField("hostname", host)
            writeField("pathname", path)
        }
    }

    /// A page event without a usable location: a `track` of the same name, with a warning.
    private func fallBackToTrack(name: VendorValue?) {
        if let name { writeField("event_name", name) }
        warnings[rowEnds.count].append(Problem(.pageWithoutURL, .known(.url)))
    }

    /// Device and geo properties as client columns (`country_code` only when a 2-letter code).
    private func writeClientColumns(_ properties: VendorObject) {
        guard hasClientColumns else { return }
        let firstRole = knownRoles.count
        knownRoleObjects.append((properties.members.baseAddress, firstRole))
        let signature = KeyShapes.signature(of: properties)
        if signature == nil || !keyShapes.appendRoles(of: properties, signature: signature!, to: &knownRoles) {
            for i in 0..<properties.count {
                let key = properties.key(i)
                knownRoles.append(Int32(truncatingIfNeeded: keyRoles.index(of: key, hash: ByteSet.hash(key))))
            }
            if let signature { keyShapes.remember(properties, signature: signature, roles: knownRoles[firstRole...]) }
        }
        for i in 0..<properties.count {
            let column = keyRoles[Int(knownRoles[firstRole + i])].clientColumn
            guard column >= 0 else { continue }
            let key = properties.key(i)
            let value = properties.value(i)
            let bit: UInt64 = 1 << UInt64(clientColumnIDs[column])
            guard value.isScalarText, writtenColumns & bit == 0 else { continue }
            if clientColumnIDs[column] == countryColumnID {
                guard value.kind == .string, value.bytes.count == 2,
                    value.bytes.allSatisfy({ $0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A })
                else { continue }
            }
            writtenColumns |= bit
            clientKeysWritten.append(key)
            rows.append(UInt8(ascii: ","))
            let quote = rows.count
            clientColumnKeys[column].withUnsafeBytes { rows.append(contentsOf: $0) }
            let start = rows.count
            var escaped = false
            if value.kind == .string {
                escaped = appendVendorString(value)
            } else {
                rows.append(contentsOf: value.bytes)
            }
            layout.member(key: quote, value: start, in: rows, valueEscaped: escaped)
        }
    }

    /// Rule 6: `,"metadata":{…}}` and the line feed that ends the row. Later sources' keys follow
    /// earlier ones (`$set_once` then `$set`); a key both name is written once, the later value.
    private func writeMetadata(
        _ sources: MetadataSources, consumed: [ByteString], extra: [(ByteString, VendorValue)] = [],
        pairs: [(key: UnsafeRawBufferPointer, value: VendorValue)] = [], skipInLast: ByteSet? = nil,
        skipPrefixesInLast: ByteSet? = nil, groups: VendorObject? = nil
    ) {
        let metadataKey = rows.count + 1
        JSONEncoding.appendLiteral(",\"metadata\":{", to: rows)
        layout.beginMetadata(key: metadataKey, value: rows.count - 1)
        var first = true
        for index in 0..<sources.count {
            let source = sources[index]
            let isLast = index == sources.count - 1
            let known = knownRoleObjects.first { $0.members == source.members.baseAddress }?.start ?? -1
            // The lengths of the next source's keys, a bit each (mod 64): most keys are in it by no test.
            var laterLengths: UInt64 = 0
            if !isLast {
                let later = sources[index + 1]
                for k in 0..<later.count { laterLengths |= 1 &<< UInt64(later.key(k).count & 63) }
            }
            for i in 0..<source.count {
                let key = source.key(i)
                if laterLengths & (1 &<< UInt64(key.count & 63)) != 0, sources[index + 1].member(named: key) != nil {
                    continue
                }
                var hash = 0
                if known < 0 || (isLast && skipInLast != nil) { hash = ByteSet.hash(key) }
                if isLast, let skipInLast, skipInLast.contains(key, hash: hash) { continue }
                if isLast, let skipPrefixesInLast, skipPrefixesInLast.hasPrefix(of: key) { continue }
                let role = keyRoles[known >= 0 ? Int(knownRoles[known + i]) : keyRoles.index(of: key, hash: hash)]
                if role.dropped || consumed.contains(where: { $0.matches(key) }) || droppedPrefixes.hasPrefix(of: key)
                    || (role.clientColumn >= 0
                        && clientKeysWritten.contains(where: { DuplicateKeyFinder.same($0, key) }))
                {
                    continue
                }
                var name = key
                // A key read without escapes needs none when written (the scan refused quotes,
                // backslashes and control bytes in it): no escape scan.
                var plainKey = !source.members[i].keyHasEscapes
                if role.rename >= 0 {
                    let rename = role.rename
                    let target = renameTo[rename]
                    if (0..<source.count).contains(where: { target.matches(source.key($0)) }) {
                        warnings[rowEnds.count].append(Problem(.metadataKeyCollision, .metadataKey(key)))
                    } else {
                        name = target.bytes.withUnsafeBytes { scratch.copy($0) } ?? key
                        plainKey = false
                    }
                }
                keyPath.removeAll()
                keyPath.append(contentsOf: name)
                writeMember(source.value(i), first: &first, depth: 0, plainKey: plainKey)
            }
        }
        for (key, value) in extra {
            keyPath.removeAll()
            key.withBytes { keyPath.append(contentsOf: $0) }
            writeMember(value, first: &first, depth: 0)
        }
        for (key, value) in pairs {
            if consumed.contains(where: { $0.matches(key) }) || droppedKeys.contains(key) { continue }
            keyPath.removeAll()
            keyPath.append(contentsOf: key)
            writeMember(value, first: &first, depth: 0)
        }
        if let groups {
            for i in 0..<groups.count {
                let name = groups.key(i)
                if name.equals("agent") || name.starts(with: "auto".utf8) { continue }
                keyPath.removeAll()
                keyPath.append(contentsOf: name)
                writeMember(groups.value(i), first: &first, depth: 0)
            }
        }
        layout.endMetadata(at: rows.count + 1)
        JSONEncoding.appendLiteral("}}\n", to: rows)
        rowEnds.append(rows.count)
        layout.endRow()
    }

    /// One metadata value under the key in `keyPath`: nulls dropped, objects flattened to dotted
    /// keys, arrays (and objects nested too deep) as compact JSON text, the rest as it is.
    /// `plainKey`: every part of `keyPath` was read from a key without escapes.
    private func writeMember(_ value: VendorValue, first: inout Bool, depth: Int, plainKey: Bool = false) {
        switch value.kind {
        case .null: return
        case .object where depth < 8:
            guard let object = objects.open(value.bytes, slot: 16 + depth) else { return }
            let mark = keyPath.count
            for i in 0..<object.count {
                keyPath.truncate(to: mark)
                keyPath.append(UInt8(ascii: "."))
                keyPath.append(contentsOf: object.key(i))
                writeMember(
                    object.value(i), first: &first, depth: depth + 1,
                    plainKey: plainKey && !object.members[i].keyHasEscapes)
            }
            keyPath.truncate(to: mark)
            return
        default: break
        }
        let quote: Int
        let keyEscaped: Bool
        if let metadataFilter {
            guard let name = metadataFilter.name(for: keyPath.bytes) else { return }
            if !first { rows.append(UInt8(ascii: ",")) }
            first = false
            quote = rows.count
            Self.appendText(name, to: rows)
            keyEscaped = RowLayout.hasEscape(in: rows, from: quote + 1, to: rows.count - 1)
        } else {
            if !first { rows.append(UInt8(ascii: ",")) }
            first = false
            quote = rows.count
            if plainKey {
                JSONEncoding.appendQuoted(keyPath.bytes, to: rows)
                keyEscaped = false
            } else {
                keyEscaped = appendEscaped(keyPath.bytes)
            }
        }
        rows.append(UInt8(ascii: ":"))
        let start = rows.count
        let valueEscaped: Bool
        switch value.kind {
        case .string:
            valueEscaped = appendVendorString(value)
        case .object, .array:
            nested.removeAll()
            JSONEncoding.appendCanonical(value.bytes, scratch: scratch, to: nested)
            valueEscaped = appendEscaped(nested.bytes)
        default:
            rows.append(contentsOf: value.bytes)
            valueEscaped = false
        }
        layout.metadataMember(key: quote, value: start, in: rows, keyEscaped: keyEscaped, valueEscaped: valueEscaped)
    }
}

/// A derived identify row (rule 5) a block cannot decide: its entity's first in the block. The
/// row is written when `snapshot` differs from the entity's last one before the block.
public struct DerivedRowCandidate: Sendable {
    public var type: EventType
    /// A hash of the entity's id (and kind).
    public var entity: UInt64
    /// A hash of the row's metadata.
    public var snapshot: UInt64
    /// How many of the record's rows come before it.
    public var position: Int
    /// Where its row is in `VendorMapper.candidateRow` (when the mapper keeps candidate rows).
    var row: Range<Int> = 0..<0
}

/// The objects whose members become a row's metadata (at most two; a key of the second wins),
/// held without an array so that passing them allocates nothing.
struct MetadataSources {
    private let first: VendorObject?
    private let second: VendorObject?

    init(_ first: VendorObject? = nil, _ second: VendorObject? = nil) {
        self.first = first ?? second
        self.second = first == nil ? nil : second
    }

    var count: Int { first == nil ? 0 : second == nil ? 1 : 2 }
    subscript(_ index: Int) -> VendorObject { index == 0 ? first! : second! }
    /// Whether any of them has a member.
    var hasMembers: Bool { (first?.count ?? 0) + (second?.count ?? 0) > 0 }
}
