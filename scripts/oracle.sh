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
pg -d oracle -q -f "$ROOT/tests/oracle/several_column_keys.sql" >/dev/null
say "running $N random statements (seed $SEED), in transactions of 1,000"
START=$(date +%s)
# One transaction per 1,000 statements: a single transaction would keep every dead row
# version alive (nothing can be vacuumed) and slow down as it goes. Each chunk reseeds
# deterministically from the seed and the chunk number.
TOTAL=0; ROLLED=0; BAD=0; CHUNK=0
while [ "$TOTAL" -lt "$N" ]; do
    n=$(( N - TOTAL < 1000 ? N - TOTAL : 1000 ))
    read -r s r m < <(pg -d oracle -At -F ' ' -v seed="$SEED" -v chunk="$CHUNK" -v n="$n" <<'SQL'
SELECT statements, rolled_back, mismatches
  FROM rnd.random_workload(((:seed + :chunk * 0.000001) % 1)::float8, :n);
SQL
)
    TOTAL=$((TOTAL + s)); ROLLED=$((ROLLED + r)); BAD=$((BAD + m)); CHUNK=$((CHUNK + 1))
    if [ $((CHUNK % 10)) -eq 0 ] || [ "$TOTAL" -ge "$N" ]; then
        echo "  $TOTAL statements, $ROLLED rolled back, $BAD mismatches ($(( $(date +%s) - START )) s)"
    fi
done
echo "statements: $TOTAL, rolled back: $ROLLED, mismatches: $BAD"
[ "$BAD" -eq 0 ] || die "the oracle found $BAD mismatches"
say "done in $(( $(date +%s) - START )) s"
