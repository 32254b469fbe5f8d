# The same mapping as vendor_map.py amplitude, in jq (jq -c -f amplitude.jq IN > OUT).
def flat: [paths(scalars) as $p | {key: ($p | map(tostring) | join(".")), value: getpath($p)}] | from_entries;
select((.event_type == "session_start" or .event_type == "session_end" or .user_id == null) | not)
| {user_id: .user_id, source: "backend-http-import",
   inserted_at: ((.event_time // .client_event_time) | sub(" "; "T") + "Z")}
  + (if (.groups // {}) != {} then {company_id: (.groups | to_entries[0].value | tostring)} else {} end)
  + (if .event_type == "$identify" then {event_type: "identify_user", metadata: ((.user_properties["$set"] // {}) | flat)}
     elif (.event_type == "[Amplitude] Page Viewed" and .event_properties["[Amplitude] Page Location"]) then
       {event_type: "page_view", url: .event_properties["[Amplitude] Page Location"],
        metadata: (.event_properties | with_entries(select(.key | startswith("[Amplitude]") | not)) | flat)}
     else {event_type: "track", event_name: .event_type, metadata: ((.event_properties // {}) | flat)} end)
