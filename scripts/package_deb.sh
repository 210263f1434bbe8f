#!/usr/bin/env bash
# Debian packages of pg_tviews and jsonb_ivm, laid out like Debian's own PostgreSQL extension
# packages, from the release artifacts docker/build-artifacts.sh stages:
#
#   scripts/package_deb.sh --artifacts DIR --out DIR [--revision N]
#
# Writes, for the PostgreSQL major the artifacts were built for (their MANIFEST says which):
#   postgresql-<major>-pg-tviews_<version>-<revision>_<arch>.deb
#   postgresql-<major>-jsonb-ivm_<version>-<revision>_<arch>.deb
# each holding its library in /usr/lib/postgresql/<major>/lib/ and its control and SQL files in
# /usr/share/postgresql/<major>/extension/, and depending on postgresql-<major> (Debian's server
# package, or the PGDG one of the same name). Install with `apt-get install ./*.deb`; then
# CREATE EXTENSION in each database (see README, "Install into your PostgreSQL").
#
# A build for PostgreSQL N.x runs on every N.y: the extension ABI is stable within a major.
# The C library dependency is the newest GLIBC symbol version the libraries use (objdump).
# Exit codes: 0 built, 1 failed, 2 usage error.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-0}"; }

ART=""
OUT=""
REVISION=1
while [ $# -gt 0 ]; do
    case "$1" in -h|--help) usage 0 ;; esac
    [ $# -ge 2 ] || { printf 'ERROR: %s needs a value\n' "$1" >&2; usage 2 >&2; }
    case "$1" in
        --artifacts) ART=$2 ;;
        --out) OUT=$2 ;;
        --revision) REVISION=$2 ;;
        *) printf 'ERROR: unknown argument %s\n' "$1" >&2; usage 2 >&2 ;;
    esac
    shift 2
done
if [ -z "$ART" ] || [ -z "$OUT" ]; then printf 'ERROR: --artifacts and --out are required\n' >&2; usage 2 >&2; fi
[[ "$REVISION" =~ ^[0-9]+$ ]] || { printf 'ERROR: --revision must be a number\n' >&2; exit 2; }
command -v dpkg-deb >/dev/null || die "dpkg-deb is needed (Debian's dpkg package)"
[ -f "$ART/MANIFEST" ] || die "$ART/MANIFEST missing: stage the artifacts with docker/build-artifacts.sh first"

# "pg 17.11" in the MANIFEST: the major the libraries were built for.
major=$(sed -nE 's/^pg ([0-9]+)\..*/\1/p' "$ART/MANIFEST")
[ -n "$major" ] || die "$ART/MANIFEST names no PostgreSQL version"
arch=$(dpkg --print-architecture)
command -v objdump >/dev/null || die "objdump (binutils) is needed to find the C library the libraries need"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# package EXT DESCRIPTION: one .deb for extension EXT.
package() {
    local ext=$1 summary=$2
    local version name root deb
    version=$(awk -v e="$ext" '$1 == e { print $2 }' "$ART/MANIFEST")
    [ -n "$version" ] || die "$ext is not in $ART/MANIFEST"
    name="postgresql-$major-${ext//_/-}"
    root=$(mktemp -d)
    chmod 0755 "$root"
    install -d "$root/DEBIAN" "$root/usr/lib/postgresql/$major/lib" \
        "$root/usr/share/postgresql/$major/extension" "$root/usr/share/doc/$name"
    install -m 0644 "$ART/lib/$ext.so" "$root/usr/lib/postgresql/$major/lib/"
    install -m 0644 "$ART/extension/$ext.control" "$ART/extension/$ext"--*.sql \
        "$root/usr/share/postgresql/$major/extension/"
    # The newest C library symbol version the library needs: a package built on a newer
    # system must not install where it cannot load.
    local glibc
    glibc=$(objdump -T "$ART/lib/$ext.so" | grep -Eo 'GLIBC_[0-9]+(\.[0-9]+)+' | sed 's/^GLIBC_//' | sort -uV | tail -n1)
    [ -n "$glibc" ] || die "$ext.so names no GLIBC symbol version (objdump -T)"
    install -m 0644 "$ROOT/LICENSE" "$root/usr/share/doc/$name/copyright" 2>/dev/null \
        || printf 'License: PostgreSQL\n' >"$root/usr/share/doc/$name/copyright"
    cat >"$root/DEBIAN/control" <<EOF
Package: $name
Version: $version-$REVISION
Architecture: $arch
Maintainer: pg_tviews developers <pg-tviews@users.noreply.github.com>
Depends: postgresql-$major, libc6 (>= $glibc)
Section: database
Priority: optional
Installed-Size: $(du -k -s "$root/usr" | cut -f1)
Homepage: https://github.com/pg-tviews/pg_tviews
Description: $summary
 Built from the pg_tviews repository for PostgreSQL $major. After installing, run
 CREATE EXTENSION $ext; in each database that uses it.
EOF
    deb="$OUT/${name}_$version-${REVISION}_$arch.deb"
    dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null || die "dpkg-deb failed for $name"
    rm -rf "$root"
    say "built $deb ($(du -h "$deb" | cut -f1))"
}

package pg_tviews "transactional views for PostgreSQL (pg_tviews)"
package jsonb_ivm "surgical JSONB patch functions for PostgreSQL (jsonb_ivm)"
