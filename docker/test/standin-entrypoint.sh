#!/usr/bin/env bash
# Test-only start-up for the stand-in base image (docker/test/standin-image.sh), which lacks
# the official postgres image's entrypoint. It does the part of that entrypoint the test
# relies on, no more: on first start, initdb into $PGDATA as the postgres user with the
# superuser password from $POSTGRES_PASSWORD (socket connections trusted, TCP ones by
# password); then it runs the given command (`postgres ...`) as postgres, listening on all
# addresses. initdb reads the image's postgresql.conf.sample, so the Dockerfile's preload
# setting is exercised the way the official entrypoint would exercise it.
set -euo pipefail

die() { printf 'standin-entrypoint: ERROR: %s\n' "$*" >&2; exit 1; }

PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA
[ "${1:-}" = postgres ] || exec "$@"
shift

if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    [ -n "${POSTGRES_PASSWORD:-}" ] || die "POSTGRES_PASSWORD is not set"
    initdb -D "$PGDATA" --username=postgres --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-instructions
    printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
fi
exec postgres -c listen_addresses='*' "$@"
