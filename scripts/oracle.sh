#!/usr/bin/env bash
# The randomized oracle, long form: N seeded random statements over every TVIEW shape in a
# throwaway PostgreSQL 17 cluster, pg_tviews_check on every TVIEW after every statement.
#
#   scripts/oracle.sh [--statements N] [--seed S]     (defaults: 100000, 0.5)
#
# The test command runs the same workload for 10,000 statements (tview_90_random_oracle).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

N=100000
SEED=0.5
while [ $# -gt 0 ]; do
    case "$1" in
        --statements) N=${2:?}; shift 2 ;;
        --seed) SEED=${2:?}; shift 2 ;;
        *) die "unknown argument '$1' (usage: scripts/oracle.sh [--statements N] [--seed S])" ;;
    esac
done
[[ "$N" =~ ^[0-9]+$ ]] || die "--statements must be a number"
[[ "$SEED" =~ ^-?[0-9]*\.?[0-9]+$ ]] || die "--seed must be a number between -1 and 1"

bootstrap debug
install_extensions
WORK=$(mktemp -d /tmp/pg_tviews-oracle.XXXXXX)
chmod 755 "$WORK"
trap 'cluster_stop; rm -rf "$WORK"' EXIT
cluster_start "$WORK/cluster"
pg -d postgres -qc "CREATE DATABASE oracle"
pg -d oracle -qc "CREATE EXTENSION pg_tviews"
pg -d oracle -q -f "$ROOT/tests/oracle/random_workload.sql" >/dev/null
say "running $N random statements (seed $SEED)"
START=$(date +%s)
pg -d oracle -v n="$N" -v seed="$SEED" <<'SQL'
\pset footer off
SELECT sum(statements) AS statements, sum(rolled_back) AS rolled_back, sum(mismatches) AS mismatches
  FROM rnd.random_workload(:seed, :n);
SQL
say "done in $(( $(date +%s) - START )) s"
