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
