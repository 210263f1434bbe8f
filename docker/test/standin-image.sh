#!/usr/bin/env bash
# Make the offline stand-in for the official postgres:17 image, for the Docker test only:
#
#   docker/test/standin-image.sh [--tag TAG] [--force]
#
# No image registry is reachable on the test machines, so postgres:17 cannot be pulled. Debian
# trixie's postgresql-17 (from the Debian mirror, which is reachable) has the same layout as
# the official image (/usr/lib/postgresql/17/lib, /usr/share/postgresql/17/extension), so a
# debootstrapped trixie with postgresql-17 stands in for it as the Dockerfile's BASE_IMAGE.
# It lacks the official entrypoint: the test's compose override starts it with
# docker/test/standin-entrypoint.sh instead.
#
# The image is cached: nothing is done when TAG (default pg_tviews-standin/postgres:17) exists
# with the current recipe label, unless --force. Needs root, debootstrap and a running Docker
# engine. Prints the tag on its last line. Exit codes: 0 ready, 1 failed, 2 usage error.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/common.sh"

TAG=pg_tviews-standin/postgres:17
FORCE=0
# Bump when the recipe below changes, so that cached stand-ins are rebuilt.
RECIPE=1
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DOCKER=${DOCKER:-docker}
while [ $# -gt 0 ]; do
    case "$1" in
        --tag) TAG=${2:-}; [ -n "$TAG" ] || { echo "ERROR: --tag needs a value" >&2; exit 2; }; shift 2 ;;
        --force) FORCE=1; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "ERROR: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"

have=$("$DOCKER" image inspect -f '{{ index .Config.Labels "org.pg_tviews.standin-recipe" }}' "$TAG" 2>/dev/null || true)
if [ "$FORCE" = 0 ] && [ "$have" = "$RECIPE" ]; then
    say "stand-in base image $TAG present (recipe $RECIPE)"
    echo "$TAG"
    exit 0
fi

old_id=$("$DOCKER" image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)
ROOTFS=$(mktemp -d /tmp/pg_tviews-standin.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT
say "debootstrap trixie + postgresql-17 into $ROOTFS (about a minute)"
debootstrap --variant=minbase --include=postgresql-17,ca-certificates trixie "$ROOTFS" "$MIRROR" \
    >"$ROOTFS.log" 2>&1 || { tail -n 30 "$ROOTFS.log" >&2; die "debootstrap failed (log: $ROOTFS.log)"; }
rm -f "$ROOTFS.log"
[ -x "$ROOTFS/usr/lib/postgresql/17/bin/postgres" ] || die "no PostgreSQL 17 server in the debootstrapped tree"

# The package's post-install made a cluster and a Debian-style configuration under /etc; the
# official image has neither (its entrypoint runs initdb into PGDATA), so drop them, with the
# downloaded packages and the apt lists.
rm -rf "$ROOTFS"/var/lib/postgresql/17 "$ROOTFS"/etc/postgresql/17 \
    "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*

# The official image's environment, so that tools find the server binaries and PGDATA is the
# same; the entrypoint is the one thing left to the test.
say "docker import as $TAG"
tar -C "$ROOTFS" -c . | "$DOCKER" import \
    --change 'ENV PATH=/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV PG_MAJOR=17' \
    --change 'ENV PGDATA=/var/lib/postgresql/data' \
    --change 'ENV LANG=C.UTF-8' \
    --change "LABEL org.pg_tviews.standin-recipe=$RECIPE" \
    --change 'CMD ["postgres"]' \
    - "$TAG" >/dev/null
# The stand-in it replaces would stay behind untagged (half a gigabyte).
if [ -n "$old_id" ] && [ "$old_id" != "$("$DOCKER" image inspect -f '{{.Id}}' "$TAG")" ]; then
    "$DOCKER" image rm "$old_id" >/dev/null 2>&1 || say "the previous stand-in $old_id is still in use; remove it later"
fi
say "stand-in base image $TAG: $("$DOCKER" image inspect -f '{{.Size}}' "$TAG") bytes"
echo "$TAG"
