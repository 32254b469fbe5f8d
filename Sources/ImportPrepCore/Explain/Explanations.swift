// The entries of `import-prep explain`. Examples are kept short: one record where one record
// shows the code, the fewest records that show it where it takes several.

private let time = "\"inserted_at\":\"2024-07-01T09:00:00Z\""
private let src = "\"source\":\"backend-http-import\""

/// A `track` record of `user`, with the given extra fields (each `"key":value`).
private func track(_ fields: String = "", user: String = "u-1", at: String = "2024-07-01T09:00:00Z") -> String {
    "{\"event_type\":\"track\",\"user_id\":\"\(user)\",\"event_name\":\"Signed up\",\(src),\"inserted_at\":\"\(at)\""
        + (fields.isEmpty ? "" : ",\(fields)") + "}"
}

private func identify(_ metadata: String, user: String = "u-1", at: String = "2024-07-01T08:00:00Z") -> String {
    "{\"event_type\":\"identify_user\",\"user_id\":\"\(user)\",\(src),\"inserted_at\":\"\(at)\",\"metadata\":\(metadata)}"
}

private func mixpanel(_ event: String, _ properties: String) -> String {
    "{\"event\":\"\(event)\",\"properties\":{\(properties)}}"
}

private let csvHeader = "event_type,user_id,event_name,source,inserted_at"

extension Explanation {
    init(
        _ code: ProblemCode, _ meaning: String, rule: String, command: [String] = ["validate"],
        fileExtension: String = "ndjson", bad: [String], fixed: [String], convert: String
    ) {
        self.init(
            code: code.rawValue, kind: code.isWarning ? .warning : .error, meaning: meaning, rule: rule,
            command: command, fileExtension: fileExtension, bad: bad, fixed: fixed, convert: convert)
    }

    static let errors: [Explanation] = [
        .init(
            .malformedJSON, "The NDJSON line is not strict JSON, so the record cannot be read at all.",
            rule:
                "SPEC §4 NDJSON: strict RFC 8259 JSON per line (no trailing commas, comments, single quotes, NaN, raw control characters, bad escapes).",
            bad: [track("\"metadata\":{\"plan\":\"pro\",}")], fixed: [track("\"metadata\":{\"plan\":\"pro\"}")],
            convert: "rejects the record; --rejects keeps the line as it was, with the byte where reading stopped."),
        .init(
            .malformedCSV,
            "libcsv cannot read the CSV record: a quote inside an unquoted cell, text after a closing quote, or a quote left open.",
            rule:
                "SPEC §4 CSV: RFC 4180 quoting, read by libcsv in strict mode; reading resumes at the line after the broken record's first line.",
            fileExtension: "csv",
            bad: [csvHeader, "track,u-1,Clicked \"Save\",backend-http-import,2024-07-01T09:00:00Z"],
            fixed: [csvHeader, "track,u-1,\"Clicked \"\"Save\"\"\",backend-http-import,2024-07-01T09:00:00Z"],
            convert: "rejects the record; the lines a stray quote swallowed are read again as records."),
        .init(
            .invalidUTF8,
            "Bytes that are not UTF-8, usually an export in Latin-1 or Windows-1252 (the example holds ø as the Latin-1 byte F8, written \\xF8).",
            rule: "SPEC §4: valid UTF-8 only, in NDJSON records and CSV cells.",
            bad: [track("\"metadata\":{\"city\":\"Troms\\xF8\"}")],
            fixed: [track("\"metadata\":{\"city\":\"Tromsø\"}")],
            convert:
                "rejects the record: re-export as UTF-8 (or convert the file with iconv) rather than guess the encoding."
        ),
        .init(
            .notAnObject, "The line is JSON, but not an object: an array, a string or a number.",
            rule: "SPEC §4 NDJSON: one JSON object per line.",
            bad: ["[\"track\",\"u-1\",\"Signed up\",\"2024-07-01T09:00:00Z\"]"], fixed: [track()],
            convert: "rejects the record."),
        .init(
            .recordTooLarge,
            "The record is longer than --max-record-bytes (1 MiB by default); here the cap is 200 bytes.",
            rule: "SPEC §4: a record larger than --max-record-bytes is an error for that record; the run goes on.",
            command: ["validate", "--max-record-bytes", "200"],
            bad: [track("\"metadata\":{\"notes\":\"\(String(repeating: "x", count: 120))\"}")],
            fixed: [track("\"metadata\":{\"notes\":\"short\"}")],
            convert: "rejects the record (also one whose normalized line would pass the cap or --max-bytes)."),
        .init(
            .tooDeep, "Objects or arrays are nested more than 64 levels deep.",
            rule: "SPEC §4 NDJSON: nesting depth at most 64.",
            bad: [
                track(
                    "\"metadata\":{\"tree\":\(String(repeating: "[", count: 70))\(String(repeating: "]", count: 70))}")
            ],
            fixed: [track("\"metadata\":{\"tree\":\"[]\"}")],
            convert: "rejects the record."),
        .init(
            .duplicateKey,
            "A key appears twice at the top level of the record, or twice in its metadata: which copy the API keeps is not documented.",
            rule:
                "SPEC §3: a key twice at the top level, or at the top level of metadata, is an error (field metadata.<key> for the latter).",
            bad: [track("\"metadata\":{\"plan\":\"pro\",\"plan\":\"free\"}")],
            fixed: [track("\"metadata\":{\"plan\":\"pro\"}")],
            convert: "rejects the record: keep the copy you mean."),
        .init(
            .columnCount, "A CSV row has more or fewer cells than the header, often an unquoted comma.",
            rule: "SPEC §4 CSV: a row with more or fewer cells than the header is an error.",
            fileExtension: "csv",
            bad: [csvHeader, "track,u-1,Signed up, then left,backend-http-import,2024-07-01T09:00:00Z"],
            fixed: [csvHeader, "track,u-1,\"Signed up, then left\",backend-http-import,2024-07-01T09:00:00Z"],
            convert: "rejects the record."),
        .init(
            .missingField, "A field the event type requires is absent (or null).",
            rule:
                "SPEC §3: identify_user needs user_id, identify_company company_id, page_view user_id, hostname and pathname (or url), track user_id and event_name; all need source and inserted_at.",
            bad: ["{\"event_type\":\"track\",\"event_name\":\"Signed up\",\(src),\(time)}"], fixed: [track()],
            convert: "rejects the record: nothing can stand in for a missing id or name."),
        .init(
            .emptyField, "A text field is empty or only white space (any Unicode White_Space, raw or escaped).",
            rule:
                "SPEC §3: ids, event_name, hostname, pathname, user_agent and url are strings, not empty, not only white space.",
            bad: [track(user: "  ")], fixed: [track()],
            convert: "rejects the record."),
        .init(
            .wrongType, "A text field holds a number, boolean, object or array.",
            rule: "SPEC §3: ids and names are JSON strings; convert quotes an integer id digit for digit.",
            bad: ["{\"event_type\":\"track\",\"user_id\":1001,\"event_name\":\"Signed up\",\(src),\(time)}"],
            fixed: [track(user: "1001")],
            convert:
                "writes an integer id as a string, digit for digit (id_quoted); rejects 0.5, 1e3, true and the rest."),
        .init(
            .unknownEventType,
            "event_type is not one of identify_user, identify_company, page_view and track (case-sensitive).",
            rule: "SPEC §3: event_type is one of exactly four values.",
            bad: ["{\"event_type\":\"Track\",\"user_id\":\"u-1\",\"event_name\":\"Signed up\",\(src),\(time)}"],
            fixed: [track()],
            convert: "rejects the record; for a vendor's own event types use --from or --map."),
        .init(
            .invalidSource, "source is present but empty or not one of the six documented values.",
            rule:
                "SPEC §3: source is web-client, backend-http, backend-hubspot, backend-salesforce, backend-segment or backend-http-import.",
            bad: [
                "{\"event_type\":\"track\",\"user_id\":\"u-1\",\"event_name\":\"Signed up\",\"source\":\"api\",\(time)}"
            ],
            fixed: [track()],
            convert: "rejects the record (a missing source is filled in; a wrong one is not guessed)."),
        .init(
            .invalidTimestamp,
            "inserted_at is not an ISO-8601 date and time with a real date: a date alone, an epoch number, 28/07/2024.",
            rule: "SPEC §3: YYYY-MM-DD(T| )HH:MM:SS[.fraction][Z|±HH:MM], years 0001–9999, also after the offset.",
            bad: [track(at: "28/07/2024")], fixed: [track(at: "2024-07-28T00:00:00Z")],
            convert: "rejects the record; with --epoch auto|s|ms|us it turns epoch numbers into timestamps."),
        .init(
            .invalidURL,
            "url is not an absolute http or https URL with a host, or holds white space, a control character or a backslash.",
            rule: "SPEC §3: url must be absolute http(s) with a host; the API derives hostname and pathname from it.",
            bad: ["{\"event_type\":\"page_view\",\"user_id\":\"u-1\",\"url\":\"app.example.com/home\",\(src),\(time)}"],
            fixed: [
                "{\"event_type\":\"page_view\",\"user_id\":\"u-1\",\"url\":\"https://app.example.com/home\",\(src),\(time)}"
            ],
            convert: "rejects the record."),
        .init(
            .invalidMetadata, "metadata is not a JSON object, or a CSV metadata cell is not valid JSON.",
            rule: "SPEC §3: metadata, when present, is a JSON object.",
            bad: [track("\"metadata\":\"plan=pro\"")], fixed: [track("\"metadata\":{\"plan\":\"pro\"}")],
            convert: "rejects the record."),
        .init(
            .truncatedExport,
            "The vendor's export is incomplete: Mixpanel's `terminated early` line, or a JSON document cut off.",
            rule:
                "SPEC §8: a cut export is a file-level error on the line where it ends; every complete record before it is kept; exit status 1.",
            command: ["validate", "--from", "mixpanel"],
            bad: [mixpanel("Signed up", "\"time\":1718000000,\"distinct_id\":\"u-100\""), "terminated early"],
            fixed: [mixpanel("Signed up", "\"time\":1718000000,\"distinct_id\":\"u-100\"")],
            convert: "writes the records before the cut and exits 1: export the missing range again."),
    ]

    static let warnings: [Explanation] = [
        .init(
            .sourceDefaulted, "The record has no source key; the API's own examples leave it out.",
            rule: "SPEC §3: a record with no source key is accepted with a warning.",
            bad: [
                "{\"event_type\":\"track\",\"user_id\":\"u-1\",\"event_name\":\"Signed up\",\(time),\"metadata\":{}}"
            ],
            fixed: [track("\"metadata\":{}")],
            convert: "fills in source backend-http-import (source_filled)."),
        .init(
            .metadataDefaulted, "The record has no metadata; it is read as {}.",
            rule: "SPEC §3: metadata is optional ({} when absent).",
            bad: [track()], fixed: [track("\"metadata\":{}")],
            convert: "writes metadata {} (metadata_filled)."),
        .init(
            .ignoredField,
            "An identify_company record carries a key the API ignores (only event_type, company_id, source, inserted_at and metadata are processed).",
            rule: "SPEC §3, identify_company.",
            bad: [
                "{\"event_type\":\"identify_company\",\"company_id\":\"acme\",\"name\":\"Acme\",\(src),\(time),\"metadata\":{}}"
            ],
            fixed: [
                "{\"event_type\":\"identify_company\",\"company_id\":\"acme\",\(src),\(time),\"metadata\":{\"name\":\"Acme\"}}"
            ],
            convert: "drops the ignored keys (company_fields_dropped); move what you need into metadata."),
        .init(
            .urlOverrides, "hostname or pathname disagree with url; the API keeps the url's.",
            rule: "SPEC §3: the API derives hostname and pathname from url and overrides given values.",
            bad: [
                "{\"event_type\":\"page_view\",\"user_id\":\"u-1\",\"url\":\"https://app.example.com/home\",\"hostname\":\"example.com\",\"pathname\":\"/home\",\(src),\(time),\"metadata\":{}}"
            ],
            fixed: [
                "{\"event_type\":\"page_view\",\"user_id\":\"u-1\",\"url\":\"https://app.example.com/home\",\(src),\(time),\"metadata\":{}}"
            ],
            convert: "writes hostname and pathname from the url (url_parts_derived)."),
        .init(
            .timestampOffset, "inserted_at carries a zone offset, which the API may drop, shifting the event.",
            rule: "SPEC §3: a zone offset is valid but gets a warning; convert writes UTC.",
            bad: [track("\"metadata\":{}", at: "2024-07-01T11:00:00+02:00")],
            fixed: [track("\"metadata\":{}", at: "2024-07-01T09:00:00Z")],
            convert: "rewrites the time in UTC as YYYY-MM-DDTHH:MM:SS.ffffff (timestamp_normalized)."),
        .init(
            .nestedMetadata,
            "A metadata value is an object or an array; Userpilot types properties as String, Numeric or Date.",
            rule: "SPEC §3: nested objects or arrays in metadata are a warning, not an error.",
            bad: [track("\"metadata\":{\"address\":{\"city\":\"Oslo\"}}")],
            fixed: [track("\"metadata\":{\"address.city\":\"Oslo\"}")],
            convert: "writes the nested value as its JSON text, a string (nested_metadata_encoded)."),
        .init(
            .pageWithoutURL, "A vendor page event has no usable URL, so it cannot be a page_view.",
            rule: "SPEC §8: a page event without a location becomes a track of the same name, with a warning.",
            command: ["validate", "--from", "mixpanel"],
            bad: [mixpanel("$mp_web_page_view", "\"time\":1718000060,\"distinct_id\":\"u-100\"")],
            fixed: [
                mixpanel(
                    "$mp_web_page_view",
                    "\"time\":1718000060,\"distinct_id\":\"u-100\",\"$current_url\":\"https://app.example.com/reports\""
                )
            ],
            convert: "writes a track named after the vendor event."),
        .init(
            .suspiciousUserID, "The user id is 0 or -1: kept, but it is likely a placeholder that merges people.",
            rule: "SPEC §8 rule 2: placeholder ids are skipped; 0 and -1 are kept with a warning.",
            command: ["validate", "--from", "mixpanel"],
            bad: [mixpanel("Signed up", "\"time\":1718000000,\"distinct_id\":\"0\"")],
            fixed: [mixpanel("Signed up", "\"time\":1718000000,\"distinct_id\":\"u-100\"")],
            convert: "writes the record with that id; skip such users with --map's skip_when if they are not real."),
        .init(
            .severalGroups, "The vendor record belongs to groups of several types; the first is taken as the company.",
            rule: "SPEC §8 rule 8: the --group-type one, else the only one, else the first with a warning.",
            command: ["validate", "--from", "amplitude"],
            bad: [
                "{\"event_type\":\"Opened\",\"user_id\":\"u-1\",\"event_time\":\"2025-02-05 23:01:10\",\"groups\":{\"team\":[\"t-1\"],\"company\":[\"acme\"]}}"
            ],
            fixed: [
                "{\"event_type\":\"Opened\",\"user_id\":\"u-1\",\"event_time\":\"2025-02-05 23:01:10\",\"groups\":{\"company\":[\"acme\"]}}"
            ],
            convert: "writes the first group as company_id: name the right one with --group-type company."),
        .init(
            .metadataKeyCollision,
            "A preset's rename would give a property the name of another property of the record; the original name is kept.",
            rule: "SPEC §8: trait renames ($email → email) never overwrite a property.",
            command: ["validate", "--from", "mixpanel"],
            bad: [
                mixpanel(
                    "Signed up",
                    "\"time\":1718000000,\"distinct_id\":\"u-100\",\"$email\":\"ann@example.com\",\"email\":\"ann@work.example\""
                )
            ],
            fixed: [
                mixpanel("Signed up", "\"time\":1718000000,\"distinct_id\":\"u-100\",\"$email\":\"ann@example.com\"")
            ],
            convert: "writes both properties, the renamed one under its vendor name."),
        .init(
            .urlPercentEncoded,
            "The vendor's URL held characters a URL may not hold raw (white space, non-ASCII); they were percent-encoded.",
            rule: "SPEC §8: page URLs are written as valid absolute URLs.",
            command: ["validate", "--from", "mixpanel"],
            bad: [
                mixpanel(
                    "$mp_web_page_view",
                    "\"time\":1718000060,\"distinct_id\":\"u-100\",\"$current_url\":\"https://app.example.com/my reports\""
                )
            ],
            fixed: [
                mixpanel(
                    "$mp_web_page_view",
                    "\"time\":1718000060,\"distinct_id\":\"u-100\",\"$current_url\":\"https://app.example.com/my%20reports\""
                )
            ],
            convert: "writes the encoded URL."),
    ]

    private static func skip(
        _ reason: SkipReason, _ meaning: String, rule: String, command: [String], fileExtension: String = "ndjson",
        bad: [String], fixed: [String], convert: String
    ) -> Explanation {
        Explanation(
            code: reason.code, kind: .skipReason, meaning: meaning, rule: rule, command: command,
            fileExtension: fileExtension, bad: bad, fixed: fixed, convert: convert)
    }

    static let skipReasons: [Explanation] = [
        skip(
            .anonymousUser, "The vendor record has no user id (only a device or anonymous id).",
            rule: "SPEC §8 rule 2: records without a user id are skipped and counted, unless --keep-anonymous.",
            command: ["validate", "--from", "mixpanel"],
            bad: [mixpanel("Signed up", "\"time\":1718000000,\"distinct_id\":\"$device:18f2a\"")],
            fixed: [mixpanel("Signed up", "\"time\":1718000000,\"distinct_id\":\"u-100\"")],
            convert: "skips it (counted); --keep-anonymous writes it under the device id."),
        skip(
            .junkUserID, "The user id is a placeholder (anonymous, null, undefined, unknown, a zero UUID…).",
            rule: "SPEC §8 rule 2: placeholder ids are skipped and counted, matched without letter case.",
            command: ["validate", "--from", "mixpanel"],
            bad: [mixpanel("Signed up", "\"time\":1718000000,\"distinct_id\":\"undefined\"")],
            fixed: [mixpanel("Signed up", "\"time\":1718000000,\"distinct_id\":\"u-100\"")],
            convert: "skips it (counted)."),
        skip(
            .identityMerge,
            "The vendor record links two ids ($identify, $create_alias, $merge); Userpilot has no such event.",
            rule: "SPEC §8: identity merges are skipped and counted.",
            command: ["validate", "--from", "mixpanel"],
            bad: [mixpanel("$identify", "\"time\":1718000000,\"distinct_id\":\"u-100\"")],
            fixed: [mixpanel("Signed up", "\"time\":1718000000,\"distinct_id\":\"u-100\"")],
            convert: "skips it (counted)."),
        skip(
            .vendorInternalEvent, "An event the vendor records for itself (Amplitude's session_start and session_end).",
            rule: "SPEC §8: vendor-internal events are skipped unless --keep-event NAME.",
            command: ["validate", "--from", "amplitude"],
            bad: ["{\"event_type\":\"session_start\",\"user_id\":\"u-1\",\"event_time\":\"2025-02-05 23:01:12\"}"],
            fixed: ["{\"event_type\":\"Opened\",\"user_id\":\"u-1\",\"event_time\":\"2025-02-05 23:01:12\"}"],
            convert: "skips it (counted); --keep-event session_start writes it as a track."),
        skip(
            .noTime, "The vendor record has no time the preset can read.",
            rule: "SPEC §8: records without a time are skipped and counted (never stamped with the run's clock).",
            command: ["validate", "--from", "mixpanel"],
            bad: [mixpanel("Signed up", "\"distinct_id\":\"u-100\"")],
            fixed: [mixpanel("Signed up", "\"time\":1718000000,\"distinct_id\":\"u-100\"")],
            convert: "skips it (counted)."),
        skip(
            .activityRollup,
            "A Pendo bucket that sums all of a visitor's activity (no page or feature, or page id allevents): the page and feature buckets already hold it.",
            rule:
                "SPEC §8 rule 10: Pendo aggregates become one track per page or feature bucket; the all-events rollup is skipped.",
            command: ["validate", "--from", "pendo"], fileExtension: "json",
            bad: [
                "{\"results\":[{\"accountId\":\"acme\",\"day\":1543726800000,\"numEvents\":22,\"numMinutes\":5,\"pageId\":\"allevents\",\"visitorId\":\"v-100\"}]}"
            ],
            fixed: [
                "{\"results\":[{\"accountId\":\"acme\",\"day\":1543726800000,\"numEvents\":17,\"numMinutes\":4,\"pageId\":\"pg-1\",\"visitorId\":\"v-100\"}]}"
            ],
            convert: "skips it (counted)."),
        skip(
            .definition,
            "A Pendo page or feature definition ({id, name}): a catalogue entry, not something a user did.",
            rule: "SPEC §8: Pendo definitions are skipped and counted.",
            command: ["validate", "--from", "pendo"], fileExtension: "json",
            bad: ["{\"results\":[{\"id\":\"pg-1\",\"name\":\"Home\"}]}"],
            fixed: [
                "{\"results\":[{\"accountId\":\"acme\",\"day\":1543726800000,\"numEvents\":17,\"numMinutes\":4,\"pageId\":\"pg-1\",\"visitorId\":\"v-100\"}]}"
            ],
            convert: "skips it (counted)."),
        skip(
            .skipWhen, "The mapping file's skip_when matched the record.",
            rule: "SPEC §8 mapping files: skip_when {field, in: [values]} skips and counts matching records.",
            command: ["validate", "--map", "samples/vendor/warehouse-map.yaml"], fileExtension: "csv",
            bad: ["account,person,action,ts,page,props", "acme,test-user,Clicked,28/07/2024 10:05:00,,{}"],
            fixed: ["account,person,action,ts,page,props", "acme,ann,Clicked,28/07/2024 10:05:00,,{}"],
            convert: "skips it (counted)."),
        skip(
            .duplicateEvent,
            "With --dedupe: the vendor record has the event key ($insert_id, insert_id, messageId, uuid) of an earlier one.",
            rule:
                "SPEC §8: duplicate vendor event keys are counted, and dropped with --dedupe (the first copy is kept).",
            command: ["validate", "--from", "mixpanel", "--dedupe"],
            bad: [
                mixpanel("Signed up", "\"time\":1718000000,\"distinct_id\":\"u-100\",\"$insert_id\":\"i1\""),
                mixpanel("Signed up", "\"time\":1718000000,\"distinct_id\":\"u-100\",\"$insert_id\":\"i1\""),
            ],
            fixed: [mixpanel("Signed up", "\"time\":1718000000,\"distinct_id\":\"u-100\",\"$insert_id\":\"i1\"")],
            convert: "without --dedupe counts them and writes every copy; with it writes the first."),
    ]

    private static func finding(
        _ code: FindingCode, _ meaning: String, rule: String, bad: [String], fixed: [String],
        convert: String = "does not look across records: it writes them as they are."
    ) -> Explanation {
        Explanation(
            code: code.rawValue, kind: .finding, meaning: meaning,
            rule: rule, command: ["profile"], fileExtension: "ndjson", bad: bad, fixed: fixed, convert: convert)
    }

    /// 15 records on 1 July and 15 on 3 July: 10 a day over three days, none on 2 July.
    private static let gapDays: [String] =
        (0..<15).map { track(at: "2024-07-01T09:\($0 < 10 ? "0" : "")\($0):00Z") }
        + (0..<15).map { track(at: "2024-07-03T09:\($0 < 10 ? "0" : "")\($0):00Z") }

    static let findings: [Explanation] = [
        finding(
            .historyGap, "UTC days inside the history with no record at all: a missing export range.",
            rule: "SPEC §9: counted when the file averages at least 10 records a day over its span.",
            bad: gapDays, fixed: gapDays.prefix(15) + [track(at: "2024-07-02T09:00:00Z")] + gapDays.suffix(15)),
        finding(
            .futureTimestamp, "Records dated more than a day after the run: a unit or zone mistake.",
            rule: "SPEC §9: records later than the run's start plus one day.",
            bad: [track(at: "2099-07-01T09:00:00Z")], fixed: [track()]),
        finding(
            .ancientTimestamp, "Records dated before 2000; a zero epoch (1970-01-01) is named.",
            rule: "SPEC §9: records before 2000-01-01.",
            bad: [track(at: "1970-01-01T00:00:00Z")], fixed: [track()]),
        finding(
            .dateOnlyTimestamps, "More than half of the records sit at exactly midnight: dates exported without times.",
            rule: "SPEC §9: 00:00:00 as written, with no fraction or an all-zero one, whatever the zone.",
            bad: [track(at: "2024-07-01T00:00:00Z"), track(at: "2024-07-02T00:00:00Z")],
            fixed: [track(at: "2024-07-01T09:12:31Z"), track(at: "2024-07-02T14:03:07Z")]),
        finding(
            .typeDrift,
            "A property whose values change kind (string, number, boolean, date, nested); Userpilot types each property once.",
            rule: "SPEC §9: a (scope, key) whose non-null values have more than one kind.",
            bad: [track("\"metadata\":{\"seats\":5}"), track("\"metadata\":{\"seats\":\"5\"}")],
            fixed: [track("\"metadata\":{\"seats\":5}"), track("\"metadata\":{\"seats\":6}")]),
        finding(
            .keyCaseCollision,
            "Property keys of one scope that differ only in case or separators become different properties.",
            rule: "SPEC §9: keys equal after lower-casing and removing space, _, - and .",
            bad: [track("\"metadata\":{\"Plan\":\"pro\"}"), track("\"metadata\":{\"plan\":\"pro\"}")],
            fixed: [track("\"metadata\":{\"plan\":\"pro\"}"), track("\"metadata\":{\"plan\":\"pro\"}")]),
        finding(
            .junkID, "Records whose id is a placeholder (anonymous, null, 0, -1, test…): they merge unrelated people.",
            rule: "SPEC §9: SPEC §8 rule 2's list plus 0, -1 and test, matched without letter case.",
            bad: [track(user: "anonymous")], fixed: [track()],
            convert: "writes them; with --from a preset skips them (junk_user_id)."),
        finding(
            .idWhitespace, "Records whose id starts or ends with white space: it becomes a different user.",
            rule: "SPEC §9: ids with leading or trailing white space.",
            bad: [track(user: "u-1 ")], fixed: [track()]),
        finding(
            .idIsEmail, "Records whose id is an e-mail address: personal data Userpilot shows everywhere.",
            rule: "SPEC §9: a user_id or company_id that is an e-mail address.",
            bad: [track(user: "ann@example.com")], fixed: [track(user: "u-1")]),
        finding(
            .userNeverIdentified, "Users with events but no identify_user record: they arrive without properties.",
            rule: "SPEC §9: distinct user_ids of track and page_view records with no identify_user.",
            bad: [track()], fixed: [identify("{\"plan\":\"pro\"}"), track()]),
        finding(
            .companyNeverIdentified,
            "Companies referenced by records but never identified: they arrive without properties.",
            rule: "SPEC §9: distinct company_ids of other records with no identify_company.",
            bad: [track("\"company_id\":\"acme\"")],
            fixed: [
                "{\"event_type\":\"identify_company\",\"company_id\":\"acme\",\(src),\(time),\"metadata\":{}}",
                track("\"company_id\":\"acme\""),
            ]),
        finding(
            .identifyAfterFirstEvent, "Users whose first identify is later than their first event.",
            rule: "SPEC §9: the earliest identify_user is later than the earliest track or page_view.",
            bad: [track(), identify("{\"plan\":\"pro\"}", at: "2024-07-01T10:00:00Z")],
            fixed: [identify("{\"plan\":\"pro\"}", at: "2024-07-01T08:00:00Z"), track()]),
        finding(
            .identifyPropertyDropped,
            "Identify records that leave out a property an earlier identify of the entity set; Userpilot keeps the latest identify's properties.",
            rule: "SPEC §9, accumulative properties: send full property sets.",
            bad: [
                identify("{\"plan\":\"pro\",\"seats\":5}"), identify("{\"plan\":\"team\"}", at: "2024-07-02T08:00:00Z"),
            ],
            fixed: [
                identify("{\"plan\":\"pro\",\"seats\":5}"),
                identify("{\"plan\":\"team\",\"seats\":5}", at: "2024-07-02T08:00:00Z"),
            ]),
        finding(
            .identifyNullOverwrite,
            "Identify records that set a property an earlier identify set to null or \"\": it is erased.",
            rule: "SPEC §9, accumulative properties.",
            bad: [identify("{\"plan\":\"pro\"}"), identify("{\"plan\":null}", at: "2024-07-02T08:00:00Z")],
            fixed: [identify("{\"plan\":\"pro\"}"), identify("{\"plan\":\"pro\"}", at: "2024-07-02T08:00:00Z")],
            convert: "drops null values (nulls_dropped) but writes \"\" as it is."),
        finding(
            .identifyOutOfOrder,
            "Identify records older than an earlier identify of the same entity in the file: the older values may win.",
            rule: "SPEC §9: inserted_at earlier than an earlier identify record of the entity.",
            bad: [identify("{\"plan\":\"team\"}", at: "2024-07-02T08:00:00Z"), identify("{\"plan\":\"pro\"}")],
            fixed: [identify("{\"plan\":\"pro\"}"), identify("{\"plan\":\"team\"}", at: "2024-07-02T08:00:00Z")]),
        finding(
            .duplicateRecord, "Records that repeat an earlier record exactly (after normalizing): overlapping exports.",
            rule: "SPEC §9: the normalized form (what convert writes) equals an earlier record's.",
            bad: [track(), track()], fixed: [track()],
            convert: "writes every copy; drop them at the source, or with --from … --dedupe for vendor exports."),
        finding(
            .duplicateEvent,
            "Events that repeat an earlier one (type, user, name or page, time) with other properties.",
            rule: "SPEC §9: same event type, user_id, event_name or page and normalized inserted_at, other metadata.",
            bad: [track("\"metadata\":{\"plan\":\"pro\"}"), track("\"metadata\":{\"plan\":\"team\"}")],
            fixed: [
                track("\"metadata\":{\"plan\":\"pro\"}"),
                track("\"metadata\":{\"plan\":\"team\"}", at: "2024-07-01T09:05:00Z"),
            ]),
        finding(
            .piiInEventMetadata,
            "Event property values that hold personal data: an e-mail address, a phone number, an IPv4 address or a card number.",
            rule: "SPEC §9: top-level string values of track and page_view metadata.",
            bad: [track("\"metadata\":{\"contact\":\"ann@example.com\"}")],
            fixed: [track("\"metadata\":{\"contact_id\":\"c-17\"}")],
            convert: "writes them: drop or mask them at the source (or with --map's metadata exclude)."),
    ]
}
