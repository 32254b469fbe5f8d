# Shared by the scripts: find the project root and install what the build needs.
# Sourced, not run.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Installs the C libraries the build links (libcsv, zlib, OpenSSL's libcrypto) when their headers
# are missing.
ensure_libcsv() {
    local missing=()
    [ -f /usr/include/csv.h ] || missing+=(libcsv-dev)
    [ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
    [ -f /usr/include/openssl/evp.h ] || missing+=(libssl-dev)
    if [ ${#missing[@]} -eq 0 ]; then return 0; fi
    echo "import-prep: installing ${missing[*]} with apt-get" >&2
    local sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq >&2 || true
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

# Compares "name count" lines ($1) with the limits file $2 ("name limit" lines, # comments) and
# says which exceed their limit or have no count; returns 1 if any does. $3 names the unit.
check_limits() {
    local results=$1 limits=$2 unit=$3 status=0 name limit got
    while read -r name limit; do
        [ -z "$name" ] && continue
        case "$name" in \#*) continue ;; esac
        got=$(echo "$results" | awk -v n="$name" '$1 == n { print $2 }')
        if [ -z "$got" ]; then echo "$(basename "$0"): no count for $name" >&2; status=1; continue; fi
        if ! python3 -c "import sys; sys.exit(0 if $got <= $limit else 1)"; then
            echo "$(basename "$0"): $name takes $got $unit per record, above its limit of $limit" >&2
            status=1
        fi
    done < "$limits"
    # A measured row without a limit guards nothing: name it.
    for name in $(echo "$results" | awk '{ print $1 }'); do
        if ! awk -v n="$name" '$1 == n { found = 1 } END { exit !found }' "$limits"; then
            echo "$(basename "$0"): $name has no limit in $limits" >&2
            status=1
        fi
    done
    return $status
}
