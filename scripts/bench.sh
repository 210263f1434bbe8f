#!/usr/bin/env bash
# The benchmark: every approach to keeping the product documents up to date, on the same data
# in the same run, in a throwaway PostgreSQL 17 cluster built without assertions.
#
#   scripts/bench.sh [--scale tiny|small|medium|large] [--iterations N] [--seconds S]
#                    [--clients N] [--approaches a,b,...] [--scenarios x,y,...]
#                    [--flavor release|debug]
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
while [ $# -gt 0 ]; do
    case "$1" in
        --scale) SCALE=${2:?}; shift 2 ;;
        --iterations) ITERATIONS=${2:?}; shift 2 ;;
        --seconds) SECONDS_RUN=${2:?}; shift 2 ;;
        --clients) CLIENTS=${2:?}; shift 2 ;;
        --approaches) APPROACHES=${2:?}; shift 2 ;;
        --scenarios) SCENARIOS=${2:?}; shift 2 ;;
        --flavor) FLAVOR=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done
case "$SCALE" in tiny|small|medium|large) ;; *) die "--scale must be tiny, small, medium or large" ;; esac
[ -n "$ITERATIONS" ] || ITERATIONS=$(case "$SCALE" in medium) echo 10 ;; large) echo 5 ;; *) echo 20 ;; esac)
for n in "$ITERATIONS" "$SECONDS_RUN" "$CLIENTS"; do [[ "$n" =~ ^[0-9]+$ ]] || die "numbers only: '$n'"; done
for list in "$APPROACHES" "$SCENARIOS"; do [[ "$list" =~ ^[a-z0-9_,]*$ ]] || die "bad list '$list'"; done
sql_array() { if [ -z "$1" ]; then echo "NULL"; else echo "'{$1}'"; fi; }

case "$FLAVOR" in release|debug) ;; *) die "--flavor must be release or debug" ;; esac
bootstrap "$FLAVOR"
if [ "$FLAVOR" = release ]; then
    # pgrx generates bindings for the pg_config it builds against: one target dir per build.
    export CARGO_TARGET_DIR="$ROOT/target/release-pg"
    install_extensions release
else
    # The test build: checks that the suite works, its numbers mean nothing.
    install_extensions
fi

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
    PG_IVM="installed"
fi
cluster_start "$WORK/cluster"
pg -d postgres -qc "CREATE DATABASE bench"
pg -d bench -qc "CREATE EXTENSION pg_tviews; CREATE EXTENSION jsonb_ivm"
if [ "$PG_IVM" = installed ]; then
    pg -d bench -qc "CREATE EXTENSION pg_ivm"
    PG_IVM="pg_ivm $(pg -d bench -Atc "SELECT extversion FROM pg_extension WHERE extname = 'pg_ivm'")"
fi
pg -d bench -q -f "$ROOT/sql/bench/catalogue.sql"

say "setup: scale $SCALE"
pg -d bench -c "CALL tviews_bench.setup('$SCALE')"
say "sequential scenarios: $ITERATIONS timed iterations each (each one a statement and its COMMIT)"
# One CALL per approach and scenario, so that an approach failing a scenario (an error raised
# by its maintenance) is reported as such and the run goes on.
PRODUCTS=$(pg -d bench -Atc "SELECT value FROM tviews_bench.settings WHERE name = 'products'")
for approach in $(pg -d bench -Atc "SELECT approach FROM tviews_bench.approaches WHERE $(sql_array "$APPROACHES") IS NULL OR approach = ANY ($(sql_array "$APPROACHES")) ORDER BY position"); do
    if [ "$(pg -d bench -Atc "SELECT tviews_bench.approach_available('$approach')")" != t ]; then
        say "approach $approach: skipped (extension not installed)"
        continue
    fi
    say "approach $approach: installing"
    pg -d bench -qc "CALL tviews_bench.install('$approach')"
    for scenario in $(pg -d bench -Atc "SELECT scenario FROM tviews_bench.scenarios WHERE $(sql_array "$SCENARIOS") IS NULL OR scenario = ANY ($(sql_array "$SCENARIOS")) ORDER BY position"); do
        n=$ITERATIONS; warm=2
        if [[ "$approach" == matview* ]] && [ "$PRODUCTS" -gt 10000 ]; then n=$(( ITERATIONS < 3 ? ITERATIONS : 3 )); warm=1; fi
        echo "  $approach / $scenario: $n iterations"
        if ! err=$(pg -d bench -qc "CALL tviews_bench.run_one('$approach', '$scenario', $n, $warm)" 2>&1); then
            msg=$(echo "$err" | sed -nE 's/^.*ERROR: +//p' | head -n1)
            echo "  $approach / $scenario failed: $msg"
            # psql variables (not string pasting) carry the message into SQL.
            pg -d bench -q -v a="$approach" -v s="$scenario" -v m="$msg" <<'SQL'
INSERT INTO tviews_bench.checks VALUES (:'a', :'s', NULL, :'m')
    ON CONFLICT ON CONSTRAINT checks_pkey DO UPDATE SET error = excluded.error;
SQL
        fi
    done
    pg -d bench -qc "CALL tviews_bench.uninstall('$approach')"
done

for approach in bare pg_tviews pg_ivm manual; do
    if [ -n "$APPROACHES" ] && [[ ",$APPROACHES," != *",$approach,"* ]]; then continue; fi
    avail=$(pg -d bench -Atc "SELECT tviews_bench.approach_available('$approach')")
    [ "$avail" = t ] || { say "concurrent: $approach skipped (not installed)"; continue; }
    pg -d bench -qc "CALL tviews_bench.install('$approach')"
    for script in random hot; do
        say "concurrent: $approach, $script writers, $CLIENTS clients, ${SECONDS_RUN}s"
        out=$("$PG_BIN/pgbench" -n -c "$CLIENTS" -j 2 -T "$SECONDS_RUN" -D products="$PRODUCTS" \
              -f "$ROOT/sql/bench/pgbench_$script.sql" bench 2>&1) || { echo "$out"; die "pgbench failed"; }
        tps=$(echo "$out" | sed -nE 's/^tps = ([0-9.]+).*/\1/p' | head -n1)
        lat=$(echo "$out" | sed -nE 's/^latency average = ([0-9.]+) ms/\1/p' | head -n1)
        diff=$(pg -d bench -Atc "SELECT coalesce(tviews_bench.differing_rows('$approach')::text, 'NULL')")
        echo "  tps $tps, latency ${lat} ms, rows differing from the definition: $diff"
        pg -d bench -qc "INSERT INTO tviews_bench.concurrent_results VALUES ('$approach', '$script', $CLIENTS, $tps, $lat, $diff)"
    done
    pg -d bench -qc "CALL tviews_bench.uninstall('$approach')"
done

say "exporting results"
pg -d bench -qc "\\copy (SELECT scenario, approach, iterations, median_ms, p95_ms, verdict FROM tviews_bench.report ORDER BY scenario_position, approach_position) TO '$WORK/results.csv' CSV HEADER"
pg -d bench -qc "\\copy (SELECT approach, scenario, clients, round(tps::numeric, 1) AS tps, round(latency_ms::numeric, 3) AS latency_ms, CASE WHEN differing IS NULL THEN 'n/a (no read model)' WHEN differing = 0 THEN 'exact' ELSE 'WRONG: ' || differing || ' rows differ' END AS verdict FROM tviews_bench.concurrent_results ORDER BY scenario, approach) TO '$WORK/concurrent.csv' CSV HEADER"
cp "$WORK/results.csv" "$WORK/concurrent.csv" "$OUT/"
python3 "$ROOT/scripts/lib/chart.py" "$OUT/results.csv" "$OUT/chart.svg"

{
    echo "# pg_tviews benchmark, scale $SCALE"
    echo
    echo "- command: \`scripts/bench.sh --scale $SCALE --iterations $ITERATIONS --seconds $SECONDS_RUN --clients $CLIENTS${APPROACHES:+ --approaches $APPROACHES}${SCENARIOS:+ --scenarios $SCENARIOS}\`"
    echo "- data: $(pg -d bench -Atc "SELECT string_agg(name || ' ' || value, ', ' ORDER BY name) FROM tviews_bench.settings")"
    echo "- PostgreSQL: $("$PG_BIN/postgres" --version | sed 's/postgres (PostgreSQL) //'), build flavor $FLAVOR ($("$PG_CONFIG" --configure | grep -o -- '--enable-cassert' || echo 'no assertions')), settings: $CLUSTER_OPTIONS"
    echo "- machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, $(uname -sr)"
    echo "- pg_ivm: $PG_IVM"
    echo "- timings: each iteration is one statement and its COMMIT (procedures committing per iteration); warm-up iterations are not counted"
    echo
    echo "## One change at a time: median / p95 latency in ms, and whether the read model was exact afterwards"
    echo
    pg -d bench -At <<'SQL'
SELECT '| scenario | ' || string_agg(approach, ' | ' ORDER BY position) || ' |' FROM tviews_bench.approaches
 WHERE approach IN (SELECT approach FROM tviews_bench.report);
SELECT '|---|' || string_agg('---:', '|') || '|' FROM tviews_bench.approaches WHERE approach IN (SELECT approach FROM tviews_bench.report);
SELECT '| ' || s.description || ' | ' ||
       string_agg(CASE WHEN r.verdict LIKE 'ERROR%' THEN '**' || r.verdict || '**'
                       ELSE coalesce(r.median_ms || ' / ' || r.p95_ms ||
                            CASE WHEN r.verdict LIKE 'WRONG%' THEN ' **' || r.verdict || '**'
                                 WHEN r.verdict = 'exact' THEN ' ✓' ELSE '' END, '-') END,
                  ' | ' ORDER BY a.position) || ' |'
  FROM tviews_bench.scenarios s
 CROSS JOIN tviews_bench.approaches a
  LEFT JOIN tviews_bench.report r ON r.scenario = s.scenario AND r.approach = a.approach
 WHERE a.approach IN (SELECT approach FROM tviews_bench.report)
   AND s.scenario IN (SELECT scenario FROM tviews_bench.report)
 GROUP BY s.position, s.description ORDER BY s.position;
SQL
    echo
    echo "✓: the read model equalled its definition (EXCEPT ALL both ways) after the scenario."
    echo
    echo "## Concurrent writers (pgbench, $CLIENTS clients, ${SECONDS_RUN} s)"
    echo
    echo "| writers | approach | tps | latency ms | result |"
    echo "|---|---|---:|---:|---|"
    pg -d bench -At -F ' | ' -c "SELECT '| ' || CASE scenario WHEN 'random' THEN 'random products (price)' ELSE '3 hot products (review insert)' END, approach, round(tps::numeric, 1), round(latency_ms::numeric, 3), CASE WHEN differing IS NULL THEN 'n/a' WHEN differing = 0 THEN 'exact' ELSE '**WRONG: ' || differing || ' rows differ**' END || ' |' FROM tviews_bench.concurrent_results ORDER BY scenario DESC, approach"
    echo
    echo "Approaches: $(pg -d bench -Atc "SELECT string_agg(approach || ' = ' || description, '; ' ORDER BY position) FROM tviews_bench.approaches")."
    [ "$PG_IVM" = "not installed" ] && echo "pg_ivm was skipped: it is not installed in this PostgreSQL (see docs/benchmarks.md)."
    echo
    echo "Chart: chart.svg (median latency per scenario and approach, log scale)."
} > "$OUT/report.md"

say "report (${OUT#$ROOT/}/report.md)"
cat "$OUT/report.md"
