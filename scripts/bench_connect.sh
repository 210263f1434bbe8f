#!/usr/bin/env bash
# What the first write of a new connection costs (the benchmark's product documents):
#
#   scripts/bench_connect.sh [--transactions N] [--scale tiny|small|medium]
#
# The benchmark catalogue (sql/bench/catalogue.sql) at the given scale (default small), once
# bare and once with the TVIEW tv_product installed. pgbench opens a new connection for every
# transaction (-C) and runs N of them (default 200) per scenario: one product's price, one
# review inserted, and after that the same writes in one long-lived connection. pgbench's
# per-statement latency is the write alone, without connecting: in a new backend, maintenance
# first reads its catalog, analyzes the definition and prepares its statements; in a
# long-lived one, all of that is done. Behind short-lived connections (or a pooler that closes
# server connections often) every connection pays the first. Release build, throwaway
# cluster, like scripts/bench.sh; the numbers are in docs/benchmarks.md.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

N=200
SCALE=small
while [ $# -gt 0 ]; do
    case "$1" in
        --transactions) N=${2:?}; shift 2 ;;
        --scale) SCALE=${2:?}; shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done
[[ "$N" =~ ^[0-9]+$ ]] || die "--transactions takes a number"
case "$SCALE" in tiny|small|medium) ;; *) die "--scale must be tiny, small or medium" ;; esac

prepare_flavor release
WORK=$(mktemp -d /tmp/pg_tviews-connect.XXXXXX)
chmod 755 "$WORK"
trap 'cluster_stop; rm -rf "$WORK"' EXIT
cluster_start "$WORK/cluster"
pg -d postgres -qc "CREATE EXTENSION pg_tviews; CREATE EXTENSION jsonb_ivm"
pg -d postgres -q -f "$ROOT/sql/bench/catalogue.sql"
pg -d postgres -qc "CALL tviews_bench.setup('$SCALE')" 2>/dev/null
PRODUCTS=$(pg -d postgres -Atc "SELECT value FROM tviews_bench.settings WHERE name = 'products'")
pg -d postgres -qc "VACUUM (ANALYZE) tviews_bench.tb_product, tviews_bench.tb_review"

cat >"$WORK/price.sql" <<SQL
\set p random(1, $PRODUCTS)
UPDATE tviews_bench.tb_product SET price = price + 0.01 WHERE pk_product = :p;
SQL
cat >"$WORK/review.sql" <<SQL
\set p random(1, $PRODUCTS)
INSERT INTO tviews_bench.tb_review (pk_review, fk_product, rating, body, created_at)
     VALUES (nextval('tviews_bench.review_seq'), :p, 4, 'new', now());
SQL

# latency FILE [-C]: pgbench's average latency of the file's write statement, in ms.
latency() {
    "$PG_BIN/pgbench" -n -r -t "$N" "${@:2}" -f "$1" postgres 2>&1 \
        | awk '/statement latencies/ { on = 1; next } on && /UPDATE|INSERT/ { print $1; exit }'
}

printf '\n| approach | price, new connection | price, same connection | review, new connection | review, same connection |\n|---|---:|---:|---:|---:|\n'
for approach in bare pg_tviews; do
    pg -d postgres -qc "CALL tviews_bench.install('$approach')"
    row="| $approach"
    for f in price review; do
        row="$row | $(latency "$WORK/$f.sql" -C) | $(latency "$WORK/$f.sql")"
    done
    echo "$row |"
done
echo "(average ms per write statement, $N transactions each, scale $SCALE, pgbench -r; connecting is not counted)"
[ "$(pg -d postgres -Atc "SELECT tviews_bench.differing_rows('pg_tviews')")" = 0 ] || die "tv_product differs from its definition"
