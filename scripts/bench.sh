#!/usr/bin/env bash
# The benchmark: every approach to keeping the product documents up to date, on the same data
# in the same run, in a throwaway PostgreSQL cluster built without assertions (17 unless
# --pg says 16 or 18: the pinned release binaries of that major).
#
#   scripts/bench.sh [--scale tiny|small|medium|large] [--iterations N] [--seconds S]
#                    [--clients N] [--approaches a,b,...] [--scenarios x,y,...]
#                    [--flavor release|debug] [--pg 16|17|18]
#
# Defaults: --scale small, 20 timed iterations per scenario (10 at medium, 5 at large), 10 s
# per concurrent run with 4 clients, PostgreSQL without assertions (--flavor debug uses the
# test build: for checking the suite, not for numbers). Writes results/<timestamp>/ with bench.log,
# results.csv, concurrent.csv, report.md and chart.svg, and prints the report.
# pg_ivm is compared when its library is installed in the PostgreSQL being used (it must be
# preloaded, which this script does); otherwise the report says it was skipped.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

SCALE=small
ITERATIONS=""
SECONDS_RUN=10
CLIENTS=4
APPROACHES=""
SCENARIOS=""
FLAVOR=release
PG_MAJOR=17
while [ $# -gt 0 ]; do
    case "$1" in
        --scale) SCALE=${2:?}; shift 2 ;;
        --iterations) ITERATIONS=${2:?}; shift 2 ;;
        --seconds) SECONDS_RUN=${2:?}; shift 2 ;;
        --clients) CLIENTS=${2:?}; shift 2 ;;
        --approaches) APPROACHES=${2:?}; shift 2 ;;
        --scenarios) SCENARIOS=${2:?}; shift 2 ;;
        --flavor) FLAVOR=${2:?}; shift 2 ;;
        --pg) PG_MAJOR=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done
case "$SCALE" in tiny|small|medium|large) ;; *) die "--scale must be tiny, small, medium or large" ;; esac
[ -n "$ITERATIONS" ] || ITERATIONS=$(case "$SCALE" in medium) echo 10 ;; large) echo 5 ;; *) echo 20 ;; esac)
for n in "$ITERATIONS" "$SECONDS_RUN" "$CLIENTS"; do [[ "$n" =~ ^[0-9]+$ ]] || die "numbers only: '$n'"; done
for list in "$APPROACHES" "$SCENARIOS"; do [[ "$list" =~ ^[a-z0-9_,]*$ ]] || die "bad list '$list'"; done
sql_array() { if [ -z "$1" ]; then echo "NULL"; else echo "'{$1}'"; fi; }

case "$FLAVOR" in release|debug) ;; *) die "--flavor must be release or debug" ;; esac
# The debug flavor (the test build) checks that the suite works; its numbers mean nothing.
prepare_flavor "$FLAVOR" "$PG_MAJOR"

OUT="$ROOT/results/$(date -u +%Y%m%dT%H%M%SZ)-$SCALE"
mkdir -p "$OUT"
LOG="$OUT/bench.log"
exec > >(tee -a "$LOG") 2>&1

WORK=$(mktemp -d /tmp/pg_tviews-bench.XXXXXX)
chmod 755 "$WORK"
trap 'cluster_stop; rm -rf "$WORK"' EXIT
PG_IVM="not installed"
CLUSTER_OPTIONS="-c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=30min -c work_mem=64MB"
if [ -f "$("$PG_CONFIG" --pkglibdir)/pg_ivm.so" ]; then
    CLUSTER_OPTIONS="$CLUSTER_OPTIONS -c shared_preload_libraries=pg_ivm"
    PG_IVM="installed in this PostgreSQL, preloaded"
fi
cluster_start "$WORK/cluster"
pg -d postgres -qc "CREATE DATABASE bench"
export PATH="$PG_BIN:$PATH"
HEADER_FILE="$WORK/header.md"
{
    echo "# pg_tviews benchmark, scale $SCALE"
    echo
    echo "- command: \`scripts/bench.sh --scale $SCALE --iterations $ITERATIONS --seconds $SECONDS_RUN --clients $CLIENTS${APPROACHES:+ --approaches $APPROACHES}${SCENARIOS:+ --scenarios $SCENARIOS}\`"
    echo "- PostgreSQL: $("$PG_BIN/postgres" --version | sed 's/postgres (PostgreSQL) //'), build flavor $FLAVOR ($("$PG_CONFIG" --configure | grep -o -- '--enable-cassert' || echo 'no assertions')), settings: $CLUSTER_OPTIONS"
    echo "- machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, $(uname -sr)"
    echo "- pg_ivm: $PG_IVM"
    echo "- timings: each iteration is one statement and its COMMIT (procedures committing per iteration); warm-up iterations are not counted"
} > "$HEADER_FILE"
"$ROOT/scripts/lib/bench_run.sh" --sql-dir "$ROOT/sql/bench" --out "$OUT" --db bench \
    --scale "$SCALE" --iterations "$ITERATIONS" --seconds "$SECONDS_RUN" --clients "$CLIENTS" \
    --approaches "$APPROACHES" --scenarios "$SCENARIOS" --header-file "$HEADER_FILE"
