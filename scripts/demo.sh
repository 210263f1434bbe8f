#!/usr/bin/env bash
# The project's main job, for now: build and install both extensions into a throwaway
# PostgreSQL 17 cluster in a temporary directory, run sql/demo.sql, print its output and
# stop the cluster. The first run bootstraps cargo-pgrx and PostgreSQL 17.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

bootstrap debug
install_extensions
WORK=$(mktemp -d /tmp/pg_tviews-demo.XXXXXX)
chmod 755 "$WORK"
trap 'cluster_stop; rm -rf "$WORK"' EXIT
cluster_start "$WORK/cluster"
pg -d postgres -c "CREATE DATABASE demo" >/dev/null
say "running sql/demo.sql"
pg -d demo -f "$ROOT/sql/demo.sql"
say "demo done; the cluster is being stopped and removed"
