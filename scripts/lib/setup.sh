# Shared by the scripts: find the project root and install what the build needs.
# Sourced, not run.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

ensure_libcsv() {
    if [ -f /usr/include/csv.h ]; then return 0; fi
    echo "import-prep: libcsv-dev is missing; installing it with apt-get" >&2
    local sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq >&2 || true
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcsv-dev >&2
}
