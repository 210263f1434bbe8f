#!/usr/bin/env bash
# Bootstrap everything the build and the tests need, idempotently.
#
#   scripts/bootstrap.sh [--flavor debug|release]
#
# 1. system packages (build dependencies, sudo, clang for pgrx's bindgen);
# 2. cargo-pgrx, pinned to the workspace's pgrx version;
# 3. PostgreSQL 17: $PG_CONFIG if given, else a build this script made before, else one
#    already registered with pgrx; otherwise it is built from the upstream tarball that
#    Debian's trixie source archive carries (the only PostgreSQL 17 source reachable here);
# 4. `cargo pgrx init --pg17=<pg_config>` so cargo-pgrx uses it.
#
# Flavors: `debug` (the default, used by the tests) is configured with --enable-debug
# --enable-cassert; `release` has no assertions and is the build benchmarks run on.
# Every step prints what it does and skips itself when its result is already there.
# On a machine with normal internet access `cargo pgrx init --pg17 download` is the
# simpler route; this script is the fallback that works offline from the registries.
set -euo pipefail

PGRX_VERSION=0.18.1
PG_MAJOR=17
PREFIX_ROOT=${PG_TVIEWS_PREFIX_ROOT:-/opt/pg_tviews}
FLAVOR=debug

while [ $# -gt 0 ]; do
    case "$1" in
        --flavor) FLAVOR=${2:?--flavor needs debug or release}; shift 2 ;;
        --flavor=*) FLAVOR=${1#--flavor=}; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "bootstrap: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
case "$FLAVOR" in
    debug|release) ;;
    *) echo "bootstrap: --flavor must be debug or release, not '$FLAVOR'" >&2; exit 2 ;;
esac

log() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

# --- 1. system packages ---------------------------------------------------------------
APT_UPDATED=0
apt_install() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then return 0; fi
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        $SUDO apt-get update -qq
        APT_UPDATED=1
    fi
    log "installing Debian packages: ${missing[*]}"
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

apt_install sudo build-essential bison flex libreadline-dev zlib1g-dev libicu-dev \
    pkg-config libssl-dev uuid-dev libclang-dev clang ca-certificates dpkg-dev bzip2
log "system packages present"

# The test server runs as the `postgres` OS user (initdb refuses root).
if ! getent passwd postgres >/dev/null; then
    log "creating the postgres OS user"
    $SUDO useradd --system --create-home --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

# --- 2. cargo-pgrx ----------------------------------------------------------------------
have_pgrx=$(cargo pgrx --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_pgrx" = "$PGRX_VERSION" ]; then
    log "cargo-pgrx $PGRX_VERSION present"
else
    log "installing cargo-pgrx $PGRX_VERSION (found '${have_pgrx:-none}'; takes about 7 minutes)"
    cargo install cargo-pgrx --version "$PGRX_VERSION" --locked --quiet
fi

# --- 3. PostgreSQL 17 ---------------------------------------------------------------------
pg_major_of() { "$1" --version 2>/dev/null | sed -E 's/^PostgreSQL ([0-9]+).*/\1/'; }
is_cassert() { "$1" --configure 2>/dev/null | grep -q -- '--enable-cassert'; }
flavor_ok() {
    # A debug request needs assertions; a release request must not have them.
    if [ "$FLAVOR" = debug ]; then is_cassert "$1"; else ! is_cassert "$1"; fi
}

PREFIX="$PREFIX_ROOT/pg$PG_MAJOR-$FLAVOR"
PGC=""
if [ -n "${PG_CONFIG:-}" ]; then
    [ -x "$PG_CONFIG" ] || die "PG_CONFIG=$PG_CONFIG is not executable"
    [ "$(pg_major_of "$PG_CONFIG")" = "$PG_MAJOR" ] || die "PG_CONFIG=$PG_CONFIG is not PostgreSQL $PG_MAJOR"
    PGC=$PG_CONFIG
    log "using PostgreSQL from PG_CONFIG=$PGC"
elif [ -x "$PREFIX/bin/pg_config" ] && [ "$(pg_major_of "$PREFIX/bin/pg_config")" = "$PG_MAJOR" ]; then
    PGC="$PREFIX/bin/pg_config"
    log "using the PostgreSQL $PG_MAJOR ($FLAVOR) built earlier in $PREFIX"
elif [ "$FLAVOR" = debug ] && [ -f "$HOME/.pgrx/config.toml" ]; then
    reg=$(sed -nE "s/^pg$PG_MAJOR *= *\"(.*)\"/\1/p" "$HOME/.pgrx/config.toml" | head -n1)
    if [ -n "$reg" ] && [ -x "$reg" ] && flavor_ok "$reg"; then
        PGC=$reg
        log "using the PostgreSQL $PG_MAJOR already registered with pgrx: $PGC"
    fi
fi

build_postgres() {
    local work src tarball
    work=$(mktemp -d /tmp/pg_tviews-pgbuild.XXXXXX)
    chown _apt "$work" 2>/dev/null || true  # apt-get source downloads as the _apt user
    # deb-src for trixie: source packages only, pinned low so no binary comes from it.
    if [ ! -f /etc/apt/sources.list.d/pg_tviews-trixie-src.sources ]; then
        log "adding Debian trixie deb-src (source packages only) to fetch the PostgreSQL $PG_MAJOR tarball"
        $SUDO tee /etc/apt/sources.list.d/pg_tviews-trixie-src.sources >/dev/null <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
        $SUDO tee /etc/apt/preferences.d/pg_tviews-trixie-low >/dev/null <<'EOF'
Package: *
Pin: release n=trixie
Pin-Priority: 100
EOF
        APT_UPDATED=0
    fi
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        $SUDO apt-get update -qq
        APT_UPDATED=1
    fi
    log "downloading the postgresql-$PG_MAJOR source package"
    (cd "$work" && apt-get source --download-only -qq "postgresql-$PG_MAJOR" >/dev/null)
    tarball=$(ls "$work"/postgresql-"$PG_MAJOR"_*.orig.tar.* | head -n1)
    [ -f "$tarball" ] || die "no upstream tarball in the postgresql-$PG_MAJOR source package"
    log "unpacking $(basename "$tarball")"
    tar -C "$work" -xf "$tarball"
    src=$(find "$work" -maxdepth 1 -type d -name "postgresql-$PG_MAJOR*" | head -n1)
    local flags=(--prefix="$PREFIX" --with-uuid=e2fs --with-openssl --with-icu)
    if [ "$FLAVOR" = debug ]; then flags+=(--enable-debug --enable-cassert); fi
    log "configuring: ${flags[*]}"
    (cd "$src" && ./configure "${flags[@]}" >"$work/configure.log" 2>&1) \
        || { tail -n 30 "$work/configure.log" >&2; die "configure failed (log: $work/configure.log)"; }
    log "compiling PostgreSQL $PG_MAJOR ($FLAVOR; about 3 to 6 minutes on 2 cores)"
    (cd "$src" && make -j"$(nproc)" world-bin >"$work/make.log" 2>&1) \
        || { tail -n 30 "$work/make.log" >&2; die "make failed (log: $work/make.log)"; }
    log "installing into $PREFIX"
    $SUDO mkdir -p "$PREFIX"
    (cd "$src" && $SUDO make install-world-bin >"$work/install.log" 2>&1) \
        || { tail -n 30 "$work/install.log" >&2; die "make install failed (log: $work/install.log)"; }
    rm -rf "$work"
}

if [ -z "$PGC" ]; then
    build_postgres
    PGC="$PREFIX/bin/pg_config"
fi
log "PostgreSQL: $("$PGC" --version) at $("$PGC" --bindir)"

# --- 4. register with pgrx ---------------------------------------------------------------
# The tests use the debug flavor through pgrx; the release flavor is only used by the
# benchmark driver, which points at it directly, so it is not registered.
if [ "$FLAVOR" = debug ]; then
    current=""
    [ -f "$HOME/.pgrx/config.toml" ] && current=$(sed -nE "s/^pg$PG_MAJOR *= *\"(.*)\"/\1/p" "$HOME/.pgrx/config.toml" | head -n1)
    if [ "$current" = "$PGC" ]; then
        log "pgrx already knows pg$PG_MAJOR = $PGC"
    else
        log "cargo pgrx init --pg$PG_MAJOR=$PGC"
        cargo pgrx init --pg"$PG_MAJOR"="$PGC" >/dev/null
    fi
fi

# The tests' server runs as postgres and must be able to write the extension's files only
# through cargo-pgrx (as root), but it must read the whole install tree.
$SUDO chmod -R a+rX "$PREFIX_ROOT" 2>/dev/null || true

# The last line is machine-readable for the other scripts.
echo "$PGC"
