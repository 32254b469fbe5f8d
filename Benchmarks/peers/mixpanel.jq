# The same mapping as vendor_map.py mixpanel, in jq (jq -c -f mixpanel.jq IN > OUT).
def flat: [paths(scalars) as $p | {key: ($p | map(tostring) | join(".")), value: getpath($p)}] | from_entries;
select(.event as $e | ["$identify", "$merge", "$create_alias"] | index($e) | not)
| .properties as $p
| ($p["$user_id"] // $p.distinct_id) as $u
| select($u != null and ($u | tostring | startswith("$device:") | not))
| {user_id: ($u | tostring), source: "backend-http-import",
   inserted_at: ($p.time | todate)}
  + (if .event == "$mp_web_page_view" and $p["$current_url"] then {event_type: "page_view", url: $p["$current_url"]}
     else {event_type: "track", event_name: .event} end)
  + {browser: $p["$browser"], operating_system: $p["$os"], country_code: $p.mp_country_code}
  + {metadata: ($p | del(.time, .distinct_id, .["$user_id"], .["$device_id"], .["$insert_id"], .mp_processing_time_ms,
                         .["$lib_version"], .mp_lib, .["$current_url"], .current_url_path, .["$browser"], .["$os"],
                         .mp_country_code, .["$screen_width"], .["$screen_height"], .["$anon_distinct_id"]) | flat)}
