#!/usr/bin/env bash
# What a change costs a TVIEW that aggregates one table (a summary), against the same
# change bare and against the recompute of its group:
#
#   scripts/bench_summary.sh [--transactions N] [--rows R]
#
# R sales (default 1,000,000) over 10 kinds, and two TVIEWs over them: `kinds` (GROUP BY
# kind: count, sum, avg, bool_or) and `totals` (no GROUP
# BY: one row). One pgbench client runs N one-statement transactions (default 2000) of each
# change (a sale inserted, a sale's quantity changed, a sale moved to another kind) on the
# TVIEWs' table and on a copy no TVIEW reads; in immediate mode (the rows computed from the
# state tables) and in deferred mode (no state: each commit recomputes the changed kinds
# and the one row from the table, which is what every change cost before summaries; N/20
# transactions there, at least 20).
# Prints the average latency in ms and checks both TVIEWs against their definitions.
# Release build, throwaway cluster.
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
cluster_start "$WORK/cluster"
pg -d postgres -q -v rows="$R" <<'SQL'
CREATE EXTENSION pg_tviews CASCADE;
CREATE TABLE tb_sale (id bigint PRIMARY KEY, kind text NOT NULL, qty int, price numeric(10,2), rush bool);
INSERT INTO tb_sale SELECT g, 'kind ' || g % 10, g % 17, (g % 1000) / 10.0, g % 9 = 0
  FROM generate_series(1, :rows) g;
CREATE INDEX ON tb_sale (kind);
CREATE TABLE bare_sale (LIKE tb_sale INCLUDING ALL);
INSERT INTO bare_sale SELECT * FROM tb_sale;
CREATE SEQUENCE sale_id START 100000000;
ANALYZE;
SELECT pg_tviews_create('kinds', $$SELECT kind, count(*) AS sales, sum(qty) AS qty,
    round(avg(price), 2) AS avg_price, bool_or(rush) AS any_rush
  FROM tb_sale GROUP BY kind$$);
SELECT pg_tviews_create('totals', $$SELECT count(*) AS sales, sum(qty) AS qty, avg(price) AS avg_price
  FROM tb_sale$$);
SQL
for side in tb bare; do
    printf '\\set k random(0, 9)\nINSERT INTO %s_sale VALUES (nextval(%s), %s, 3, 12.50, false);\n' \
        "$side" "'sale_id'" "'kind ' || :k" >"$WORK/insert_$side.sql"
    printf '\\set r random(1, %s)\nUPDATE %s_sale SET qty = qty + 1 WHERE id = :r;\n' \
        "$R" "$side" >"$WORK/quantity_$side.sql"
    printf '\\set r random(1, %s)\n\\set k random(0, 9)\nUPDATE %s_sale SET kind = %s WHERE id = :r;\n' \
        "$R" "$side" "'kind ' || :k" >"$WORK/move_$side.sql"
done
for mode in immediate deferred; do
    for v in kinds totals; do
        pg -d postgres -q -c "SELECT pg_tviews_set_mode('$v', '$mode')" >/dev/null
    done
    n=$N
    [ "$mode" = deferred ] && n=$((N / 20 > 20 ? N / 20 : 20))
    say "$mode mode: average latency in ms, 1 client, $n transactions each (bare / TVIEWs)"
    for change in insert quantity move; do
        line="$change:"
        for side in bare tb; do
            line="$line $("$PG_BIN/pgbench" -n -t "$n" -f "$WORK/${change}_$side.sql" postgres 2>&1 |
                sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p')"
        done
        echo "$line"
    done
done
for v in kinds totals; do
    [ "$(pg -d postgres -Atc "SELECT count(*) FROM pg_tviews_check('$v')")" = 0 ] || die "tv_$v differs from its definition"
done
say "tv_kinds and tv_totals equal their definitions"
