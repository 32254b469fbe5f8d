import Foundation

/// A vendor's export that `--from` reads and maps onto the four event types (SPEC §8). Each
/// preset is a table of exact names (page events, identity merges, internal events, bookkeeping
/// keys, client columns); the rules that use them are the same for every vendor (`VendorMapper`).
public enum Preset: String, CaseIterable, Sendable {
    case mixpanel
    case mixpanelProfiles = "mixpanel-profiles"
    case mixpanelGroups = "mixpanel-groups"
    case amplitude, segment, posthog, ga4, pendo, heap
    /// Not a vendor: a mapping file (`--map FILE`).
    case mapped = "map"

    /// The vendors `--from` takes.
    public static var vendors: [Preset] { allCases.filter { $0 != .mapped } }

    /// Exports read as streamed JSON documents (pretty-printed objects, pages of `results`) rather
    /// than lines: the profile exports, and GA4's BigQuery rows.
    var readsDocuments: Bool { self == .mixpanelProfiles || self == .mixpanelGroups || self == .ga4 || self == .pendo }

    public var title: String {
        switch self {
        case .mixpanel: "Mixpanel"
        case .mixpanelProfiles: "Mixpanel profiles"
        case .mixpanelGroups: "Mixpanel group profiles"
        case .amplitude: "Amplitude"
        case .segment: "Segment"
        case .posthog: "PostHog"
        case .ga4: "GA4"
        case .pendo: "Pendo"
        case .heap: "Heap"
        case .mapped: "mapped"
        }
    }

    /// What the preset reads, in one line.
    public var reads: String {
        switch self {
        case .mixpanel: "raw event export (NDJSON of {\"event\", \"properties\": {\"time\", \"distinct_id\", …}})"
        case .mixpanelProfiles:
            "Engage export of user profiles ({\"results\": [{\"$distinct_id\", \"$properties\"}]} pages, or NDJSON of those)"
        case .mixpanelGroups: "Engage export of group profiles (data_group_id), in the same shapes"
        case .amplitude: "Export API rows (NDJSON: event_type, user_id, event_time, event_properties, groups)"
        case .segment: "raw messages (NDJSON: type track/identify/page/screen/group/alias, userId, timestamp)"
        case .posthog: "events export (JSONL: event, distinct_id, timestamp, properties)"
        case .ga4:
            "BigQuery export rows (NDJSON or JSON: event_name, event_timestamp µs, event_params, user_properties)"
        case .pendo:
            "Aggregation API results (visitors, accounts, page/feature events per day or hour) or Fivetran tables (CSV)"
        case .mapped: "any CSV or NDJSON export, through a mapping file (--map FILE)"
        case .heap: "Heap Connect tables as NDJSON or CSV: users, pageviews, event tables, user_migrations"
        }
    }

    /// Whether this vendor's records carry an event key (rule 13; `VendorMapper.eventKey`).
    var hasEventKeys: Bool {
        switch self {
        case .mixpanel, .amplitude, .segment, .posthog, .ga4: true
        default: false
        }
    }

    /// Vendor event names that become `page_view` (besides `--page-event`).
    var pageEvents: [String] {
        switch self {
        case .mixpanel: ["$mp_web_page_view", "mp_page_view", "Page View", "Loaded a Page", "Viewed Page", "$pageview"]
        case .amplitude: ["[Amplitude] Page Viewed", "Page Viewed"]
        case .segment: []  // by message type: page
        case .posthog: ["$pageview"]
        case .ga4: ["page_view"]
        case .mixpanelProfiles, .mixpanelGroups, .pendo, .mapped, .heap: []
        }
    }

    /// Identity merges, skipped as `identity_merge` (rule 3).
    var identityMerges: [String] {
        switch self {
        case .mixpanel: ["$identify", "$create_alias", "$merge"]
        case .amplitude: []
        case .segment: []  // by message type: alias
        case .posthog: ["$create_alias", "$merge_dangerously"]
        case .mixpanelProfiles, .mixpanelGroups, .ga4, .pendo, .mapped, .heap: []
        }
    }

    /// Vendor-internal events, skipped as `vendor_internal_event` unless `--keep-event` (rule 9).
    var internalEvents: [String] {
        switch self {
        case .mixpanel, .segment, .mixpanelProfiles, .mixpanelGroups, .pendo, .mapped, .heap: []
        case .amplitude: ["session_start", "session_end"]
        case .ga4: ["session_start", "first_visit", "first_open", "user_engagement"]
        case .posthog:
            [
                "$autocapture", "$pageleave", "$rageclick", "$dead_click", "$web_vitals", "$feature_flag_called",
                "$exception", "$snapshot", "$feature_interaction", "$feature_enrollment_update", "$capture_pageview",
                "$webvitals", "$opt_in",
            ]
        }
    }

    /// Bookkeeping keys of the event's properties, dropped (rule 6).
    var droppedKeys: [String] {
        switch self {
        case .mixpanel:
            [
                "$insert_id", "mp_processing_time_ms", "$mp_api_endpoint", "$mp_api_timestamp_ms", "$lib_version",
                "mp_sent_by_lib_version", "token", "$import", "$geo_source", "$device_id",
                "$distinct_id_before_identity", "distinct_id", "$user_id", "time", "$ip", "ip",
            ]
        case .amplitude: ["[Amplitude] Session Replay ID"]
        case .segment, .mapped: []
        case .heap:
            [
                "user_id", "identity", "event_id", "session_id", "pageview_id", "time", "last_modified", "library",
                "platform", "domain", "path", "query", "hash", "event_name", "event_table_name", "type",
                "_fivetran_synced", "_fivetran_deleted",
            ]
        case .mixpanelProfiles, .mixpanelGroups: ["$distinct_id", "$last_seen", "$mp_first_event_time"]
        case .pendo:
            [
                "remoteIp", "remote_ip", "ipaddress", "appId", "app_id", "_fivetran_synced", "_fivetran_id", "idhash",
                "id_hash", "nid", "n_id", "param_parameter", "visitorId", "visitor_id", "accountId", "account_id", "id",
                "lastupdated", "last_updated_at", "visitor_last_updated_at", "accountids", "accountid",
            ]
        case .ga4:
            [
                "ga_session_id", "ga_session_number", "engagement_time_msec", "session_engaged",
                "engaged_session_event", "debug_mode", "entrances", "ignore_referrer",
            ]
        case .posthog:
            [
                "$session_id", "$window_id", "$insert_id", "$lib_version", "$lib", "token", "$set", "$set_once",
                "$groups", "$process_person_profile", "$sdk_debug_replay_internal_buffer_length", "$ip",
                "$raw_user_agent", "$anon_distinct_id", "$group_type", "$group_key", "$group_set",
            ]
        }
    }

    /// Key prefixes of bookkeeping properties, dropped (PostHog's feature-flag and replay keys).
    var droppedPrefixes: [String] {
        switch self {
        case .posthog: ["$feature/", "$feature_flag_", "$replay_", "$sdk_debug", "$session_recording"]
        default: []
        }
    }

    /// Device and geo properties written as Userpilot's client columns (rule 6).
    var clientColumns: [(vendor: String, column: String)] {
        switch self {
        case .mixpanel:
            [
                ("$browser", "browser"), ("$os", "operating_system"), ("mp_country_code", "country_code"),
                ("$screen_width", "screen_width"), ("$screen_height", "screen_height"),
                // The warehouse copy's columns for the same properties.
                ("browser", "browser"), ("os", "operating_system"), ("screen_width", "screen_width"),
                ("screen_height", "screen_height"),
            ]
        case .posthog:
            [
                ("$browser", "browser"), ("$os", "operating_system"), ("$device_type", "device_type"),
                ("$geoip_country_code", "country_code"), ("$screen_width", "screen_width"),
                ("$screen_height", "screen_height"), ("$browser_language", "browser_language"),
            ]
        case .amplitude, .segment, .mixpanelProfiles, .mixpanelGroups, .ga4, .pendo, .mapped: []
        case .heap: [("browser", "browser"), ("device_type", "device_type")]
        }
    }

    /// Identity traits renamed in metadata (PRESETS.md §9 item 5); every other key stays verbatim.
    static let traitRenames: [(from: String, to: String)] = [
        ("$email", "email"), ("$name", "name"), ("$first_name", "first_name"), ("$last_name", "last_name"),
        ("$phone", "phone"), ("$avatar", "avatar"), ("$created", "created_at"), ("createdAt", "created_at"),
        ("firstName", "first_name"), ("lastName", "last_name"), ("joindate", "created_at"),
        ("join_date", "created_at"),
    ]

    /// Placeholder user ids, skipped as `junk_user_id` (compared without ASCII case).
    static let junkIDs: [String] = [
        "anon", "anonymous", "nil", "none", "null", "n/a", "na", "undefined", "unknown", "<nil>", "true", "false",
        "[]", "{}", "00000000-0000-0000-0000-000000000000",
    ]

    /// What `import-prep presets show NAME` prints: what is read, mapped and skipped.
    public var rules: String {
        func list(_ names: [String]) -> String { names.isEmpty ? "none" : names.joined(separator: ", ") }
        var text = "\(title) (--from \(rawValue)): \(reads)\n\n"
        switch self {
        case .mixpanel:
            text += """
                user_id      properties.$user_id, else properties.distinct_id (--user-prop NAME: another property);
                             $device:… ids are anonymous
                inserted_at  properties.time (epoch; unit by magnitude), --shift-seconds for local-time projects
                event_name   event
                page_view    url from $current_url (else url), else hostname/pathname from current_domain/current_url_path
                company_id   only with --company-prop NAME

                """
        case .amplitude:
            text += """
                user_id      user_id (--keep-anonymous: device_id when there is none)
                inserted_at  event_time, else client_event_time, else server_received_time (UTC)
                event_name   event_type
                page_view    url from event_properties["[Amplitude] Page Location"], else ["[Amplitude] Page URL"], else url
                company_id   groups[TYPE][0] (--group-type TYPE; without it the only type, the first with a warning)
                metadata     event_properties; $identify rows: user_properties ($setOnce then $set)
                $identify → identify_user, $groupidentify → identify_company

                """
        case .segment:
            text += """
                user_id      userId (--keep-anonymous: anonymousId when there is none)
                inserted_at  timestamp, else originalTimestamp, else receivedAt (offsets to UTC)
                track        event_name from event, metadata = properties
                identify     identify_user, metadata = traits
                page         page_view, url from properties.url, else context.page.url; name kept in metadata
                screen       track "Screen Viewed", metadata.name = name
                group        identify_company (company_id = groupId, metadata = traits)
                             plus identify_user with that company_id (a derived row)
                company_id   context.groupId on other calls
                alias        skipped (identity_merge)

                """
        case .ga4:
            text += """
                user_id      user_id (--keep-anonymous: user_pseudo_id when there is none)
                inserted_at  event_timestamp (microseconds, UTC)
                event_name   event_name; page_view → page_view with url from the page_location parameter
                screen_view  track "Screen Viewed", metadata.name = firebase_screen
                metadata     event_params: the first non-null of string/int/float/double value
                             (integers up to 15 digits as numbers, longer ones as text)
                identify     user_properties, derived before the event when they change
                clients      device.web_info.browser, device.operating_system, device.category,
                             device.language (geo.country is a name, not a code: not country_code)

                """
        case .pendo:
            text += """
                events       one track per aggregate bucket (never expanded into fake events), at the bucket's
                             start (day or hour, epoch ms, or Fivetran's timestamp): "Page: <page id>" or
                             "Feature: <feature id>", metadata numEvents, numMinutes, page_id/feature_id, server;
                             the all-events rollup (no object, or page id allevents) skipped (activity_rollup)
                user_id      visitorId / visitor_id (_PENDO_T_… visitors are anonymous)
                company_id   accountId / account_id
                visitors     identify_user at auto.lastupdated, else lastvisit (last_updated_at in Fivetran);
                             company from auto.accountid; agent and integration keys as metadata
                             (integrations as group.field), first/last visit as pendo.firstvisit/lastvisit
                accounts     identify_company at lastupdated, else lastvisit
                links        Fivetran visitor_account_history: identify_user with its company_id
                definitions  page and feature definitions ({id, name}, page_history) skipped (definition)
                Pendo's history is hourly or daily: for event-level data use Pendo Data Sync.

                """
        case .heap:
            text += """
                user_id      users.identity: an event's user_id (Heap's own) is followed through
                             user_migrations to the user whose identity it is; none: skipped (anonymous_user)
                users        identify_user at last_modified, else join_date (joindate → created_at)
                pageviews    page_view, url = https:// + domain + path + query + hash
                events       track, event_name from event_name (or event_table_name), else --event-name
                migrations   used to resolve ids only; skipped (identity_merge)
                The users and user_migrations tables must be among the inputs.

                """
        case .mapped:
            text += "the targets and fields the mapping file names (SPEC §8 \"Mapping files\")\n\n"
        case .mixpanelProfiles, .mixpanelGroups:
            let row = self == .mixpanelGroups ? "identify_company, company_id" : "identify_user, user_id"
            text += """
                \(row) = $distinct_id; metadata = $properties
                inserted_at  $properties.$last_seen, else $created, else --profile-time; else skipped (no_time)
                             (never the time of the run)

                """
        case .posthog:
            text += """
                user_id      distinct_id; $process_person_profile: false is anonymous
                inserted_at  timestamp (offsets to UTC)
                event_name   event
                page_view    $pageview: url from $current_url, else $host + $pathname
                identify     $identify, $set → identify_user (metadata = $set_once then $set)
                company      $groupidentify → identify_company ($group_key, metadata = $group_set);
                             company_id on events from $groups (--group-type TYPE)
                $screen      track "Screen Viewed", metadata.name = $screen_name

                """
        }
        text += "page events        \(list(pageEvents))\n"
        text += "identity merges    \(list(identityMerges + (self == .segment ? ["alias (message type)"] : [])))\n"
        text += "internal events    \(list(internalEvents)) (--keep-event NAME keeps one)\n"
        text += "dropped keys       \(list(droppedKeys + droppedPrefixes.map { $0 + "…" }))\n"
        text += "client columns     \(list(clientColumns.map { "\($0.vendor) → \($0.column)" }))\n"
        text += "trait renames      \(list(Self.traitRenames.map { "\($0.from) → \($0.to)" }))\n"
        text += """
            every preset       source = backend-http-import; nulls dropped; nested objects flattened to dotted keys;
                               arrays as JSON text; no user id: skipped (anonymous_user) unless --keep-anonymous;
                               placeholder ids skipped (junk_user_id), 0 and -1 kept with a warning;
                               no time: skipped (no_time); zone-less times are UTC

            """
        return text
    }
}

/// The choices of one `--from` run.
public struct PresetSettings: Sendable {
    public var preset: Preset
    /// `--page-event`: more vendor event names that become `page_view`.
    public var pageEvents: [String] = []
    /// `--user-prop`: the property holding the user id instead of the vendor's own.
    public var userProperty: String?
    /// `--keep-anonymous`: a device or anonymous id stands in for a missing user id.
    public var keepAnonymous = false
    /// `--keep-event`: vendor-internal events to keep.
    public var keepEvents: [String] = []
    /// `--shift-seconds`: added to every time.
    public var shiftSeconds = 0
    /// `--company-prop`: the event property holding the company id (Mixpanel).
    public var companyProperty: String?
    /// `--group-type`: which group type is the company (Amplitude, PostHog).
    public var groupType: String?
    /// Rule 5: identify rows derived from properties carried on events (`--no-derived-identify`).
    public var derivedIdentify = true
    /// Rule 4: the time of a profile that has neither a last-seen nor a creation time.
    public var profileTime: Timestamp?
    /// `--map FILE`: the mapping (with `preset` `.mapped`).
    public var mapping: MappingFile?
    /// Rule 13: drop every record whose vendor event key an earlier record had (`--dedupe`);
    /// without it they are counted and written.
    public var dedupe = false
    /// Heap: the event name of a table without an event_name column (`--event-name`).
    public var eventName: String?
    /// Heap: who each of Heap's own user ids is, read from the users and user_migrations tables
    /// among the inputs before any event (`HeapIdentities.load`).
    public var heapIdentities: HeapIdentities?
    /// Where the duplicate finder keeps its partitions (`--tmp`).
    public var temporaryFolder = NSTemporaryDirectory()

    public init(preset: Preset) { self.preset = preset }
}

/// Why a vendor record was read but not written (SPEC §8 "Counting").
public enum SkipReason: Int, CaseIterable, Sendable {
    case anonymousUser, junkUserID, identityMerge, vendorInternalEvent, noTime, activityRollup, definition, skipWhen
    case duplicateEvent

    public var code: String {
        switch self {
        case .anonymousUser: "anonymous_user"
        case .junkUserID: "junk_user_id"
        case .identityMerge: "identity_merge"
        case .vendorInternalEvent: "vendor_internal_event"
        case .noTime: "no_time"
        case .activityRollup: "activity_rollup"
        case .definition: "definition"
        case .skipWhen: "skip_when"
        case .duplicateEvent: "duplicate_event"
        }
    }
}

/// What a preset did beyond the rows it wrote: vendor records skipped per reason, and second
/// rows derived from one vendor record. `vendorRecords + derivedRows = rows + skipped`, where
/// rows are the records checked (valid + invalid; written + rejected).
public struct PresetCounts: Equatable, Sendable {
    public var preset: Preset
    /// Indexed by `SkipReason.rawValue`.
    public var skipped = [Int](repeating: 0, count: SkipReason.allCases.count)
    public var derivedRows = 0
    /// Records whose vendor event key an earlier record had (dropped only with `--dedupe`).
    public var duplicateEvents = 0
    /// The duplicate check could not run (standard input), or failed (its temporary files).
    public var duplicatesNotChecked: String?

    public init(preset: Preset) { self.preset = preset }

    public var skippedTotal: Int { skipped.reduce(0, +) }

    /// Vendor records read, given the rows checked.
    public func vendorRecords(rows: Int) -> Int { rows - derivedRows + skippedTotal }

    mutating func add(_ other: PresetCounts) {
        for k in skipped.indices { skipped[k] += other.skipped[k] }
        derivedRows += other.derivedRows
        duplicateEvents += other.duplicateEvents
        duplicatesNotChecked = duplicatesNotChecked ?? other.duplicatesNotChecked
    }

    /// `"skipped":N,"skipped_by_reason":{…},"derived_rows":N` and the preset's name, for JSON reports.
    func json(rows: Int) -> String {
        "\"from\":\(JSONText.quoted(preset.rawValue)),\"vendor_records\":\(vendorRecords(rows: rows)),"
            + "\"skipped\":\(skippedTotal),\"skipped_by_reason\":{"
            + SkipReason.allCases.map { "\(JSONText.quoted($0.code)):\(skipped[$0.rawValue])" }.joined(separator: ",")
            + "},\"derived_rows\":\(derivedRows),\"duplicate_events\":\(duplicateEvents)"
    }

    /// `, S skipped (reason N, …)` and the derived rows, for text reports.
    var text: String {
        var out = "\(skippedTotal) skipped"
        let reasons = SkipReason.allCases.filter { skipped[$0.rawValue] > 0 }.map {
            "\($0.code) \(skipped[$0.rawValue])"
        }
        if !reasons.isEmpty { out += " (" + reasons.joined(separator: ", ") + ")" }
        if derivedRows > 0 { out += "; \(derivedRows) derived row\(derivedRows == 1 ? "" : "s") checked too" }
        if duplicateEvents > 0 && skipped[SkipReason.duplicateEvent.rawValue] == 0 {
            out +=
                "; \(duplicateEvents) duplicate vendor event key\(duplicateEvents == 1 ? "" : "s") (--dedupe drops them)"
        }
        if let duplicatesNotChecked { out += "; duplicates not checked (\(duplicatesNotChecked))" }
        return out
    }
}
