#!/usr/bin/env bash
# The definition fuzzer (tests/fuzz_definitions/fuzz.py) against a throwaway PostgreSQL 17
# cluster: random TVIEW definitions over a family of tables, random writes under random
# session settings, pg_tviews_check after every batch. Failing cases are shrunk and written
# to target/fuzz-definitions/ as SQL scripts.
#
#   scripts/fuzz_definitions.sh [--cases N | --seconds S] [--seed X] [--flavor debug|release]
#
# The test command runs 150 cases on the debug build; the long run is
# scripts/fuzz_definitions.sh --seconds 3600 --seed <any>.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

CASES=150
SECONDS_TOTAL=0
SEED=1
FLAVOR=debug
while [ $# -gt 0 ]; do
    case "$1" in
        --cases) CASES=${2:?}; shift 2 ;;
        --seconds) SECONDS_TOTAL=${2:?}; shift 2 ;;
        --seed) SEED=${2:?}; shift 2 ;;
        --flavor) FLAVOR=${2:?}; shift 2 ;;
        *) die "unknown argument '$1' (usage: scripts/fuzz_definitions.sh [--cases N | --seconds S] [--seed X] [--flavor debug|release])" ;;
    esac
done
for v in "$CASES" "$SECONDS_TOTAL" "$SEED"; do [[ "$v" =~ ^[0-9]+$ ]] || die "numbers only: '$v'"; done
case "$FLAVOR" in release|debug) ;; *) die "--flavor must be release or debug" ;; esac

prepare_flavor "$FLAVOR"
WORK=$(mktemp -d /tmp/pg_tviews-fuzzdefs.XXXXXX)
chmod 755 "$WORK"
trap 'cluster_stop; rm -rf "$WORK"' EXIT
cluster_start "$WORK/cluster"
say "definition fuzzer: $([ "$SECONDS_TOTAL" -gt 0 ] && echo "$SECONDS_TOTAL s" || echo "$CASES cases"), seed $SEED"
python3 "$ROOT/tests/fuzz_definitions/fuzz.py" --psql "$PG_BIN/psql" --host "$PGHOST" --port "$PGPORT" \
    --cases "$CASES" --seconds "$SECONDS_TOTAL" --seed "$SEED" --out "$ROOT/target/fuzz-definitions"
