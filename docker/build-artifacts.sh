#!/usr/bin/env bash
# Package pg_tviews and jsonb_ivm in release mode for one PostgreSQL (16, 17 or 18) and stage
# the files an installation needs, stripped, in a flat layout the Docker image copies from:
#
#   docker/build-artifacts.sh --pg-config PATH --out DIR [--pg-ivm auto|require|skip]
#
#   DIR/lib/*.so                        shared libraries (strip --strip-unneeded, no bitcode)
#   DIR/extension/*.control, *.sql      control and SQL files
#   DIR/MANIFEST                        what was staged, from which PostgreSQL
#
# The same script runs in two places, so both exercise the same steps: the Dockerfile's build
# stage (the image's own pg_config from postgresql-server-dev-<major>) and scripts/docker_test.sh on
# the host (the release PostgreSQL from scripts/bootstrap.sh), whose output becomes the image's
# "prebuilt" artifacts.
#
# pg_ivm is never built here. --pg-ivm stages a pg_ivm that is already installed in that
# PostgreSQL (the Dockerfile installs it from upstream first): `auto` (the default) takes it when
# its library is there and says so when it is not, `require` fails without it, `skip` ignores it.
#
# Uses $CARGO_TARGET_DIR when set (the host shares target/release-pg with the benchmark, so an
# unchanged tree is not compiled again). Exit codes: 0 staged, 1 build or staging failed,
# 2 usage error.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib/common.sh"
source "$(dirname "$0")/../scripts/lib/fetch.sh"

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-0}"; }

PGC=""
OUT=""
PG_IVM=auto
while [ $# -gt 0 ]; do
    case "$1" in -h|--help) usage 0 ;; esac
    [ $# -ge 2 ] || { printf 'ERROR: %s needs a value\n' "$1" >&2; usage 2 >&2; }
    case "$1" in
        --pg-config) PGC=$2 ;;
        --out) OUT=$2 ;;
        --pg-ivm) PG_IVM=$2 ;;
        *) printf 'ERROR: unknown argument %s\n' "$1" >&2; usage 2 >&2 ;;
    esac
    shift 2
done
if [ -z "$PGC" ] || [ -z "$OUT" ]; then printf 'ERROR: --pg-config and --out are required\n' >&2; usage 2 >&2; fi
case "$PG_IVM" in auto|require|skip) ;; *) printf 'ERROR: --pg-ivm must be auto, require or skip\n' >&2; exit 2 ;; esac
# The majors come from scripts/pins.tsv (the build context must hold it: .dockerignore).
mapfile -t majors < <(supported_majors)
[ ${#majors[@]} -gt 0 ] || die "no supported PostgreSQL majors: is $PINS_FILE missing?"
[ -x "$PGC" ] || die "pg_config '$PGC' is not executable"
major=$("$PGC" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
case " ${majors[*]} " in
    *" $major "*) ;;
    *) die "$PGC is PostgreSQL '$major'; the extensions are built for ${majors[*]}" ;;
esac
command -v strip >/dev/null || die "strip (binutils) is needed to strip the libraries"

PKGLIBDIR=$("$PGC" --pkglibdir)
EXTDIR="$("$PGC" --sharedir)/extension"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "${OUT:?}/lib" "${OUT:?}/extension" "${OUT:?}/MANIFEST"
mkdir -p "$OUT/lib" "$OUT/extension"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

# stage_from LIBDIR SHAREDIR NAME: copy NAME.so, NAME.control and NAME--*.sql into $OUT.
stage_from() {
    local libdir=$1 extdir=$2 name=$3
    [ -f "$libdir/$name.so" ] || die "$name: no $libdir/$name.so"
    [ -f "$extdir/$name.control" ] || die "$name: no $extdir/$name.control"
    compgen -G "$extdir/$name--*.sql" >/dev/null || die "$name: no $extdir/$name--*.sql"
    install -m 0755 "$libdir/$name.so" "$OUT/lib/"
    install -m 0644 "$extdir/$name.control" "$extdir/$name"--*.sql "$OUT/extension/"
    strip --strip-unneeded "$OUT/lib/$name.so"
    printf '%s %s\n' "$name" "$(sed -nE "s/^default_version *= *'(.*)'/\1/p" "$extdir/$name.control")" >>"$OUT/MANIFEST"
}

for ext in "${EXTENSIONS[@]}"; do
    pkg="$TARGET_DIR/release/$ext-pg$major"
    say "cargo pgrx package -p $ext (release) for $("$PGC" --version)"
    rm -rf "$pkg"
    (cd "$ROOT" && cargo pgrx package -p "$ext" --pg-config "$PGC" --out-dir "$pkg") >&2 \
        || die "cargo pgrx package -p $ext failed"
    # The package mirrors the install tree: <out-dir><pkglibdir>/ and <out-dir><sharedir>/extension/.
    stage_from "$pkg$PKGLIBDIR" "$pkg$EXTDIR" "$ext"
done

if [ "$PG_IVM" != skip ]; then
    if [ -f "$PKGLIBDIR/pg_ivm.so" ]; then
        say "staging the pg_ivm installed in $PKGLIBDIR"
        stage_from "$PKGLIBDIR" "$EXTDIR" pg_ivm
    elif [ "$PG_IVM" = require ]; then
        die "pg_ivm is required but $PKGLIBDIR/pg_ivm.so is not installed"
    else
        say "pg_ivm is not installed in this PostgreSQL: staged without it"
    fi
fi

# No debug information and no LLVM bitcode may leave this directory. (Output captured, not
# piped into grep -q: under pipefail, grep exiting at the first match fails the pipeline.)
for so in "$OUT"/lib/*.so; do
    sections=$(readelf -S "$so") || die "readelf cannot read $so"
    if grep -q '\.debug_' <<<"$sections"; then die "$so still has debug sections"; fi
done
[ -z "$(find "$OUT" -name '*.bc')" ] || die "bitcode found under $OUT"
echo "pg $("$PGC" --version | sed 's/^PostgreSQL //')" >>"$OUT/MANIFEST"
say "staged in $OUT"
(cd "$OUT" && find lib extension -type f -printf '%s\t%p\n' | sort -k2) >&2
