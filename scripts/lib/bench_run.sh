#!/usr/bin/env bash
# The benchmark run against a live PostgreSQL server: used by scripts/bench.sh (a throwaway
# cluster on the host) and, copied into the Docker image, by pg_tviews_bench in a container.
# Needs psql and pgbench, and the server's libpq settings in PGHOST, PGPORT, PGUSER.
#
#   bench_run.sh --sql-dir DIR --out DIR --db NAME --scale S --iterations N --seconds S
#                --clients N [--approaches a,b] [--scenarios x,y] [--header-file F]
#
# Writes into --out: results.csv, concurrent.csv, report.md, chart.svg.
set -euo pipefail

die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
say() { printf '\n==> %s\n' "$*"; }

SQL_DIR=""; OUT=""; DB=bench; SCALE=small; ITERATIONS=20; SECONDS_RUN=10; CLIENTS=4
APPROACHES=""; SCENARIOS=""; HEADER_FILE=""
while [ $# -gt 0 ]; do
    case "$1" in
        --sql-dir) SQL_DIR=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        --db) DB=${2:?}; shift 2 ;;
        --scale) SCALE=${2:?}; shift 2 ;;
        --iterations) ITERATIONS=${2:?}; shift 2 ;;
        --seconds) SECONDS_RUN=${2:?}; shift 2 ;;
        --clients) CLIENTS=${2:?}; shift 2 ;;
        --approaches) APPROACHES=${2:-}; shift 2 ;;
        --scenarios) SCENARIOS=${2:-}; shift 2 ;;
        --header-file) HEADER_FILE=${2:?}; shift 2 ;;
        *) die "bench_run.sh: unknown argument '$1'" ;;
    esac
done
[ -f "$SQL_DIR/catalogue.sql" ] || die "no catalogue.sql in --sql-dir '$SQL_DIR'"
[ -n "$OUT" ] || die "--out is required"
case "$SCALE" in tiny|small|medium|large) ;; *) die "--scale must be tiny, small, medium or large" ;; esac
for n in "$ITERATIONS" "$SECONDS_RUN" "$CLIENTS"; do [[ "$n" =~ ^[0-9]+$ ]] || die "numbers only: '$n'"; done
for list in "$APPROACHES" "$SCENARIOS"; do [[ "$list" =~ ^[a-z0-9_,]*$ ]] || die "bad list '$list'"; done
mkdir -p "$OUT"

q() { psql -X -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
sql_array() { if [ -z "$1" ]; then echo "NULL"; else echo "'{$1}'"; fi; }

# Fresh schema, extensions that are available.
q -qc "DROP SCHEMA IF EXISTS tviews_bench CASCADE" 2>/dev/null || true
q -qc "CREATE EXTENSION IF NOT EXISTS pg_tviews; CREATE EXTENSION IF NOT EXISTS jsonb_ivm"
if [ "$(q -Atc "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_ivm'")" = 1 ]; then
    q -qc "CREATE EXTENSION IF NOT EXISTS pg_ivm" || echo "pg_ivm is available but could not be created (is it in shared_preload_libraries?)"
fi
q -q -f "$SQL_DIR/catalogue.sql"

say "setup: scale $SCALE"
q -c "CALL tviews_bench.setup('$SCALE')"
# Every approach starts from the same vacuumed tables: without it, autovacuum sets the
# visibility map in the middle of some run (index-only scans of the reviews speed up from
# then on) and the approaches measured before it pay for what those after it do not.
q -qc "VACUUM (ANALYZE) tviews_bench.tb_category, tviews_bench.tb_supplier, tviews_bench.tb_product, tviews_bench.tb_inventory, tviews_bench.tb_review, tviews_bench.tb_order, tviews_bench.tb_order_line"

say "sequential scenarios: $ITERATIONS timed iterations each (each one a statement and its COMMIT)"
# One CALL per approach and scenario, so that an approach failing a scenario (an error raised
# by its maintenance) is reported as such and the run goes on.
PRODUCTS=$(q -Atc "SELECT value FROM tviews_bench.settings WHERE name = 'products'")
for approach in $(q -Atc "SELECT approach FROM tviews_bench.approaches WHERE $(sql_array "$APPROACHES") IS NULL OR approach = ANY ($(sql_array "$APPROACHES")) ORDER BY position"); do
    if [ "$(q -Atc "SELECT tviews_bench.approach_available('$approach')")" != t ]; then
        say "approach $approach: skipped (extension not installed)"
        continue
    fi
    # Each read model the chosen scenarios measure (tviews_bench.scenarios.model), installed
    # for its scenarios only.
    CHOSEN="$(sql_array "$SCENARIOS") IS NULL OR scenario = ANY ($(sql_array "$SCENARIOS"))"
    for model in $(q -Atc "SELECT model FROM tviews_bench.scenarios WHERE $CHOSEN GROUP BY model ORDER BY min(position)"); do
        say "approach $approach: installing ($model)"
        q -qc "CALL tviews_bench.install('$approach', '$model')"
        for scenario in $(q -Atc "SELECT scenario FROM tviews_bench.scenarios WHERE ($CHOSEN) AND model = '$model' ORDER BY position"); do
            IFS='|' read -r n warm < <(q -Atc "SELECT timed, warmup FROM tviews_bench.iterations('$approach', '$scenario', $ITERATIONS)")
            echo "  $approach / $scenario: $n iterations"
            if ! err=$(q -qc "CALL tviews_bench.run_one('$approach', '$scenario', $n, $warm)" 2>&1); then
                msg=$(echo "$err" | sed -nE 's/^.*ERROR: +//p' | head -n1)
                echo "  $approach / $scenario failed: $msg"
                # psql variables (not string pasting) carry the message into SQL.
                q -q -v a="$approach" -v s="$scenario" -v m="$msg" <<'SQL'
INSERT INTO tviews_bench.checks VALUES (:'a', :'s', NULL, :'m')
    ON CONFLICT ON CONSTRAINT checks_pkey DO UPDATE SET error = excluded.error;
SQL
            fi
        done
        q -qc "CALL tviews_bench.uninstall('$approach', '$model')"
    done
done

q -qc "INSERT INTO tviews_bench.concurrent_meta VALUES ($CLIENTS, $SECONDS_RUN)"
for approach in bare pg_tviews pg_tviews_deferred pg_ivm manual; do
    if [ -n "$APPROACHES" ] && [[ ",$APPROACHES," != *",$approach,"* ]]; then continue; fi
    [ "$(q -Atc "SELECT tviews_bench.approach_available('$approach')")" = t ] \
        || { say "concurrent: $approach skipped (not installed)"; continue; }
    q -qc "CALL tviews_bench.install('$approach')"
    for script in random lookups hot; do
        say "concurrent: $approach, $script writers, $CLIENTS clients, ${SECONDS_RUN}s"
        out=$(pgbench -n -c "$CLIENTS" -j 2 -T "$SECONDS_RUN" -D products="$PRODUCTS" \
              -f "$SQL_DIR/pgbench_$script.sql" "$DB" 2>&1) || { echo "$out"; die "pgbench failed"; }
        tps=$(echo "$out" | sed -nE 's/^tps = ([0-9.]+).*/\1/p' | head -n1)
        lat=$(echo "$out" | sed -nE 's/^latency average = ([0-9.]+) ms/\1/p' | head -n1)
        diff=$(q -Atc "SELECT coalesce(tviews_bench.differing_rows('$approach')::text, 'NULL')")
        echo "  tps $tps, latency ${lat} ms, rows differing from the definition: $diff"
        q -qc "INSERT INTO tviews_bench.concurrent_results VALUES ('$approach', '$script', $CLIENTS, $tps, $lat, $diff)"
    done
    q -qc "CALL tviews_bench.uninstall('$approach')"
done

say "exporting results to $OUT"
q -qc "\\copy (SELECT scenario, approach, iterations, median_ms, p95_ms, verdict FROM tviews_bench.report ORDER BY scenario_position, approach_position) TO STDOUT CSV HEADER" > "$OUT/results.csv"
q -qc "\\copy (SELECT approach, scenario, clients, round(tps::numeric, 1) AS tps, round(latency_ms::numeric, 3) AS latency_ms, CASE WHEN differing IS NULL THEN 'n/a (no read model)' WHEN differing = 0 THEN 'exact' ELSE 'WRONG: ' || differing || ' rows differ' END AS verdict FROM tviews_bench.concurrent_results ORDER BY scenario, approach) TO STDOUT CSV HEADER" > "$OUT/concurrent.csv"
q -Atc "SELECT tviews_bench.chart_svg()" > "$OUT/chart.svg"
HEADER="# pg_tviews benchmark, scale $SCALE"
[ -n "$HEADER_FILE" ] && HEADER=$(cat "$HEADER_FILE")
q -At -v header="$HEADER" <<'SQL' > "$OUT/report.md"
SELECT tviews_bench.report_markdown(:'header');
SQL
say "report ($OUT/report.md)"
cat "$OUT/report.md"
