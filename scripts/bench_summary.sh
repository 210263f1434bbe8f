#!/usr/bin/env bash
# What a change costs a TVIEW that aggregates one table (a summary), against the same
# change bare, against pg_ivm on the same definitions, and against recomputing the group:
#
#   scripts/bench_summary.sh [--transactions N] [--rows R]
#
# R sales (default 1,000,000) over 10 kinds and 7 regions, and three definitions over them:
# `kinds` (GROUP BY kind: count, sum, avg), `regions` (GROUP BY kind, region: the same) and
# `totals` (no GROUP BY: one row). Three copies of the table: one read by the three TVIEWs,
# one by three pg_ivm IMMVs of the same definitions (when pg_ivm's
# library is installed in the PostgreSQL used, as for scripts/bench.sh), one read by nothing
# ("bare"). One pgbench client runs N one-statement transactions (default 2000) of each
# change (a sale inserted, a sale's quantity changed, a sale moved to another kind) on each
# copy: the TVIEWs in immediate mode (the rows computed from the state tables), then in
# deferred mode (no state: each commit recomputes the changed groups and the one row from the
# table, what every change cost before summaries; N/20 transactions there, at least 20).
# Prints the average latency in ms and checks the TVIEWs (text forms) and the IMMVs (values)
# against their definitions. Release build, throwaway cluster.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

N=2000
R=1000000
while [ $# -gt 0 ]; do
    case "$1" in
        --transactions) N=${2:?}; shift 2 ;;
        --rows) R=${2:?}; shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done
[[ "$N" =~ ^[0-9]+$ ]] || die "--transactions takes a number"
[[ "$R" =~ ^[0-9]+$ ]] || die "--rows takes a number"

prepare_flavor release
WORK=$(mktemp -d /tmp/pg_tviews-summary.XXXXXX)
chmod 755 "$WORK"
trap 'cluster_stop; rm -rf "$WORK"' EXIT
SIDES="bare tb"
if [ -f "$("$PG_CONFIG" --pkglibdir)/pg_ivm.so" ]; then
    CLUSTER_OPTIONS="-c shared_preload_libraries=pg_ivm"
    SIDES="bare tb ivm"
fi
cluster_start "$WORK/cluster"
pg -d postgres -q -v rows="$R" <<'SQL'
CREATE EXTENSION pg_tviews CASCADE;
CREATE TABLE tb_sale (id bigint PRIMARY KEY, kind text NOT NULL, qty int, price numeric(10,2),
                      region int NOT NULL);
INSERT INTO tb_sale SELECT g, 'kind ' || g % 10, g % 17, (g % 1000) / 10.0, g % 7
  FROM generate_series(1, :rows) g;
CREATE INDEX ON tb_sale (kind);
CREATE TABLE bare_sale (LIKE tb_sale INCLUDING ALL);
INSERT INTO bare_sale SELECT * FROM tb_sale;
CREATE TABLE ivm_sale (LIKE tb_sale INCLUDING ALL);
INSERT INTO ivm_sale SELECT * FROM tb_sale;
CREATE SEQUENCE sale_id START 100000000;
ANALYZE;
SELECT pg_tviews_create('kinds', $$SELECT kind, count(*) AS sales, sum(qty) AS qty, avg(price) AS avg_price
  FROM tb_sale GROUP BY kind$$);
SELECT pg_tviews_create('totals', $$SELECT count(*) AS sales, sum(qty) AS qty, avg(price) AS avg_price
  FROM tb_sale$$);
SELECT pg_tviews_create('regions', $$SELECT kind, region, count(*) AS sales, sum(qty) AS qty,
  avg(price) AS avg_price FROM tb_sale GROUP BY kind, region$$);
SQL
if [[ "$SIDES" == *ivm* ]]; then
    pg -d postgres -q <<'SQL'
CREATE EXTENSION pg_ivm;
SELECT pgivm.create_immv('ivm_kinds', $$SELECT kind, count(*) AS sales, sum(qty) AS qty, avg(price) AS avg_price
  FROM ivm_sale GROUP BY kind$$);
SELECT pgivm.create_immv('ivm_totals', $$SELECT count(*) AS sales, sum(qty) AS qty, avg(price) AS avg_price
  FROM ivm_sale$$);
SELECT pgivm.create_immv('ivm_regions', $$SELECT kind, region, count(*) AS sales, sum(qty) AS qty,
  avg(price) AS avg_price FROM ivm_sale GROUP BY kind, region$$);
SQL
    say "pg_ivm $(pg -d postgres -Atc "SELECT extversion FROM pg_extension WHERE extname = 'pg_ivm'") compared"
else
    say "pg_ivm is not installed in this PostgreSQL: not compared"
fi
for side in $SIDES; do
    printf '\\set k random(0, 9)\n\\set g random(0, 6)\nINSERT INTO %s_sale VALUES (nextval(%s), %s, 3, 12.50, :g);\n' \
        "$side" "'sale_id'" "'kind ' || :k" >"$WORK/insert_$side.sql"
    printf '\\set r random(1, %s)\nUPDATE %s_sale SET qty = qty + 1 WHERE id = :r;\n' \
        "$R" "$side" >"$WORK/quantity_$side.sql"
    printf '\\set r random(1, %s)\n\\set k random(0, 9)\nUPDATE %s_sale SET kind = %s WHERE id = :r;\n' \
        "$R" "$side" "'kind ' || :k" >"$WORK/move_$side.sql"
done
latency() {
    "$PG_BIN/pgbench" -n -t "$1" -f "$2" postgres 2>&1 | sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p'
}
say "average latency in ms, 1 client, $N transactions each (bare / TVIEWs immediate${SIDES:+$([[ "$SIDES" == *ivm* ]] && echo ' / pg_ivm')})"
for change in insert quantity move; do
    line="$change:"
    for side in $SIDES; do
        line="$line $(latency "$N" "$WORK/${change}_$side.sql")"
    done
    echo "$line"
done
for v in kinds totals regions; do
    pg -d postgres -q -c "SELECT pg_tviews_set_mode('$v', 'deferred')" >/dev/null
done
n=$((N / 20 > 20 ? N / 20 : 20))
say "deferred mode (recomputed from the table at commit): average latency in ms, 1 client, $n transactions each"
for change in insert quantity move; do
    echo "$change: $(latency "$n" "$WORK/${change}_tb.sql")"
done
for v in kinds totals regions; do
    [ "$(pg -d postgres -Atc "SELECT count(*) FROM pg_tviews_check('$v')")" = 0 ] || die "tv_$v differs from its definition"
done
if [[ "$SIDES" == *ivm* ]]; then
    pg -d postgres -Atc "SELECT (SELECT count(*) FROM ((SELECT kind, sales, qty, avg_price FROM ivm_kinds EXCEPT ALL SELECT kind, count(*), sum(qty), avg(price) FROM ivm_sale GROUP BY kind)
                           UNION ALL (SELECT kind, count(*), sum(qty), avg(price) FROM ivm_sale GROUP BY kind EXCEPT ALL SELECT kind, sales, qty, avg_price FROM ivm_kinds)) d)
                         + (SELECT count(*) FROM ((SELECT sales, qty, avg_price FROM ivm_totals EXCEPT ALL SELECT count(*), sum(qty), avg(price) FROM ivm_sale)
                           UNION ALL (SELECT count(*), sum(qty), avg(price) FROM ivm_sale EXCEPT ALL SELECT sales, qty, avg_price FROM ivm_totals)) d)
                         + (SELECT count(*) FROM ((SELECT kind, region, sales, qty, avg_price FROM ivm_regions EXCEPT ALL SELECT kind, region, count(*), sum(qty), avg(price) FROM ivm_sale GROUP BY kind, region)
                           UNION ALL (SELECT kind, region, count(*), sum(qty), avg(price) FROM ivm_sale GROUP BY kind, region EXCEPT ALL SELECT kind, region, sales, qty, avg_price FROM ivm_regions)) d)" |
        grep -qx 0 || die "an IMMV differs from its definition"
fi
say "the TVIEWs${SIDES:+$([[ "$SIDES" == *ivm* ]] && echo ' and IMMVs')} equal their definitions"
