"""The mapping a team would write before import-prep: a vendor's NDJSON export in, Userpilot's
NDJSON out, with orjson. The peer of `import-prep convert --from VENDOR` in scripts/bench.

    python3 vendor_map.py mixpanel|amplitude IN.ndjson OUT.ndjson

It does the main rules only (users, anonymous and merges skipped, page events, internal events,
metadata flattened without bookkeeping keys, time to ISO 8601); no checks of the output, no
derived identifies, no duplicate count: it is the lower bound of such a script's work.
"""
import datetime
import sys

import orjson

MIXPANEL_DROP = {"time", "distinct_id", "$user_id", "$device_id", "$insert_id", "mp_processing_time_ms",
                 "$lib_version", "mp_lib", "$current_url", "current_url_path", "$browser", "$os",
                 "mp_country_code", "$screen_width", "$screen_height", "$anon_distinct_id"}
AMPLITUDE_INTERNAL = {"session_start", "session_end"}
AMPLITUDE_PAGE = {"[Amplitude] Page Viewed", "Page Viewed"}
UTC = datetime.timezone.utc


def flatten(properties, prefix, out):
    for key, value in properties.items():
        if value is None:
            continue
        if isinstance(value, dict):
            flatten(value, prefix + key + ".", out)
        elif isinstance(value, list):
            out[prefix + key] = orjson.dumps(value).decode()
        else:
            out[prefix + key] = value


def mixpanel(record):
    props = record.get("properties") or {}
    event = record.get("event")
    if event in ("$identify", "$merge", "$create_alias"):
        return None
    user = props.get("$user_id") or props.get("distinct_id")
    if not user or str(user).startswith("$device:"):
        return None
    row = {"user_id": str(user), "source": "backend-http-import",
           "inserted_at": datetime.datetime.fromtimestamp(props["time"], UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    if event == "$mp_web_page_view" and props.get("$current_url"):
        row["event_type"] = "page_view"
        row["url"] = props["$current_url"]
    else:
        row["event_type"] = "track"
        row["event_name"] = event
    for column, key in (("browser", "$browser"), ("operating_system", "$os"), ("country_code", "mp_country_code")):
        if key in props:
            row[column] = props[key]
    meta = {}
    flatten({k: v for k, v in props.items() if k not in MIXPANEL_DROP}, "", meta)
    row["metadata"] = meta
    return row


def amplitude(record):
    event = record.get("event_type")
    if event in AMPLITUDE_INTERNAL or not record.get("user_id"):
        return None
    stamp = record.get("event_time") or record.get("client_event_time")
    row = {"user_id": record["user_id"], "source": "backend-http-import",
           "inserted_at": stamp.replace(" ", "T") + "Z"}
    groups = record.get("groups") or {}
    if groups:
        row["company_id"] = str(next(iter(groups.values())))
    props = record.get("event_properties") or {}
    if event == "$identify":
        row["event_type"] = "identify_user"
        props = (record.get("user_properties") or {}).get("$set", {})
    elif event in AMPLITUDE_PAGE and props.get("[Amplitude] Page Location"):
        row["event_type"] = "page_view"
        row["url"] = props["[Amplitude] Page Location"]
        props = {k: v for k, v in props.items() if not k.startswith("[Amplitude]")}
    else:
        row["event_type"] = "track"
        row["event_name"] = event
    meta = {}
    flatten(props, "", meta)
    row["metadata"] = meta
    return row


def main():
    mapping = mixpanel if sys.argv[1] == "mixpanel" else amplitude
    with open(sys.argv[2], "rb") as source, open(sys.argv[3], "wb") as out:
        for line in source:
            if not line.strip():
                continue
            row = mapping(orjson.loads(line))
            if row is not None:
                out.write(orjson.dumps(row) + b"\n")


if __name__ == "__main__":
    main()
