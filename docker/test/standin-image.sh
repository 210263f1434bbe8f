#!/usr/bin/env bash
# Make the offline stand-in for the official postgres:17 (or postgres:18) image, for the Docker
# test only:
#
#   docker/test/standin-image.sh [--pg 17|18] [--tag TAG] [--force]
#
# No image registry is reachable on the test machines, so postgres:17 cannot be pulled. Debian's
# own server package (from the Debian mirror, which is reachable) has the same layout as the
# official image (/usr/lib/postgresql/<major>/lib, /usr/share/postgresql/<major>/extension), so a
# debootstrapped Debian with it stands in for the Dockerfile's BASE_IMAGE: trixie (stable) has
# postgresql-17, forky (testing) postgresql-18; no reachable suite has postgresql-16. Any minor
# of the major will do (the extension ABI is stable within a major); the script checks the major.
# It lacks the official entrypoint: the test's compose override starts it with
# docker/test/standin-entrypoint.sh instead.
#
# The image is cached: nothing is done when TAG (default pg_tviews-standin/postgres:<major>)
# exists with the current recipe label, unless --force. Needs root, debootstrap and a running
# Docker engine. Prints the tag on its last line. Exit codes: 0 ready, 1 failed, 2 usage error.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/common.sh"

MAJOR=17
TAG=""
FORCE=0
# Bump when the recipe below changes, so that cached stand-ins are rebuilt.
RECIPE=1
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DOCKER=${DOCKER:-docker}
while [ $# -gt 0 ]; do
    case "$1" in
        --pg) MAJOR=${2:-}; [ -n "$MAJOR" ] || { echo "ERROR: --pg needs a value" >&2; exit 2; }; shift 2 ;;
        --tag) TAG=${2:-}; [ -n "$TAG" ] || { echo "ERROR: --tag needs a value" >&2; exit 2; }; shift 2 ;;
        --force) FORCE=1; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "ERROR: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
case "$MAJOR" in
    17) SUITE=trixie ;;
    18) SUITE=forky ;;
    *) echo "ERROR: --pg must be 17 or 18 (the majors a reachable Debian suite packages), not '$MAJOR'" >&2; exit 2 ;;
esac
TAG=${TAG:-pg_tviews-standin/postgres:$MAJOR}
[ "$(id -u)" -eq 0 ] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"

# has_server IMAGE: IMAGE holds the server of this major (an import cut short would not).
has_server() {
    "$DOCKER" run --rm --entrypoint /usr/bin/test "$1" -x "/usr/lib/postgresql/$MAJOR/bin/postgres" 2>/dev/null
}

have=$("$DOCKER" image inspect -f '{{ index .Config.Labels "org.pg_tviews.standin-recipe" }}' "$TAG" 2>/dev/null || true)
if [ "$FORCE" = 0 ] && [ "$have" = "$RECIPE" ] && has_server "$TAG"; then
    say "stand-in base image $TAG present (recipe $RECIPE)"
    echo "$TAG"
    exit 0
fi

old_id=$("$DOCKER" image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)
ROOTFS=$(mktemp -d /tmp/pg_tviews-standin.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT
say "debootstrap $SUITE + postgresql-$MAJOR from $MIRROR into $ROOTFS (about a minute)"
# An older debootstrap (Debian 12's) has no script for forky: Debian's suites share sid's.
SCRIPT=/usr/share/debootstrap/scripts/$SUITE
[ -e "$SCRIPT" ] || SCRIPT=/usr/share/debootstrap/scripts/sid
debootstrap --variant=minbase --include="postgresql-$MAJOR,ca-certificates" "$SUITE" "$ROOTFS" "$MIRROR" "$SCRIPT" \
    >"$ROOTFS.log" 2>&1 || { tail -n 30 "$ROOTFS.log" >&2; die "debootstrap of Debian $SUITE with postgresql-$MAJOR from $MIRROR failed (log: $ROOTFS.log); DEBIAN_MIRROR names another mirror"; }
rm -f "$ROOTFS.log"
[ -x "$ROOTFS/usr/lib/postgresql/$MAJOR/bin/postgres" ] || die "no PostgreSQL $MAJOR server in the debootstrapped $SUITE tree"

# The package's post-install made a cluster and a Debian-style configuration under /etc; the
# official image has neither (its entrypoint runs initdb into PGDATA), so drop them, with the
# downloaded packages and the apt lists.
rm -rf "$ROOTFS/var/lib/postgresql/$MAJOR" "$ROOTFS/etc/postgresql/$MAJOR" \
    "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*

# The official image's environment, so that tools find the server binaries and PGDATA is the
# same; the entrypoint is the one thing left to the test.
# Imported under a temporary tag and checked before it takes TAG: an import interrupted
# half-way must not become the cached stand-in.
say "docker import as $TAG"
tar -C "$ROOTFS" -c . | "$DOCKER" import \
    --change "ENV PATH=/usr/lib/postgresql/$MAJOR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV PG_MAJOR=$MAJOR" \
    --change 'ENV PGDATA=/var/lib/postgresql/data' \
    --change 'ENV LANG=C.UTF-8' \
    --change "LABEL org.pg_tviews.standin-recipe=$RECIPE" \
    --change 'CMD ["postgres"]' \
    - "$TAG-importing" >/dev/null
has_server "$TAG-importing" || die "the imported stand-in has no PostgreSQL $MAJOR server"
"$DOCKER" tag "$TAG-importing" "$TAG"
"$DOCKER" image rm "$TAG-importing" >/dev/null
# The stand-in it replaces would stay behind untagged (half a gigabyte).
if [ -n "$old_id" ] && [ "$old_id" != "$("$DOCKER" image inspect -f '{{.Id}}' "$TAG")" ]; then
    "$DOCKER" image rm "$old_id" >/dev/null 2>&1 || say "the previous stand-in $old_id is still in use; remove it later"
fi
say "stand-in base image $TAG: $("$DOCKER" image inspect -f '{{.Size}}' "$TAG") bytes"
echo "$TAG"
