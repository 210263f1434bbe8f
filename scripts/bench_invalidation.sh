#!/usr/bin/env bash
# What a relation's invalidation costs the next write of a TVIEW that does not read it:
#
#   scripts/bench_invalidation.sh [--transactions N]
#
# Two TVIEWs, tv_a (1,000 documents over tb_a and its 5,000 children) and tv_b (over tb_b). One
# pgbench client runs N transactions (default 300) of `GRANT SELECT ON tb_b` (a relcache
# invalidation of tv_b's source, as ALTER TABLE, an index or ANALYZE send) followed by an
# UPDATE of one child under tv_a, then N of the UPDATE alone; prints pgbench's per-statement
# latencies. A backend that rebuilt every compiled TVIEW on any invalidation paid the
# analysis and planning of tv_a after every GRANT (docs/benchmarks.md has the numbers).
# Release build, throwaway cluster, like scripts/bench.sh.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

N=300
while [ $# -gt 0 ]; do
    case "$1" in
        --transactions) N=${2:?}; shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done
[[ "$N" =~ ^[0-9]+$ ]] || die "--transactions takes a number"

prepare_flavor release
WORK=$(mktemp -d /tmp/pg_tviews-inval.XXXXXX)
chmod 755 "$WORK"
trap 'cluster_stop; rm -rf "$WORK"' EXIT
cluster_start "$WORK/cluster"
pg -d postgres -q <<'SQL'
CREATE EXTENSION pg_tviews;
CREATE TABLE tb_a (pk_a int PRIMARY KEY, v int);
CREATE TABLE tb_a_child (pk int PRIMARY KEY, fk_a int REFERENCES tb_a, w int);
CREATE TABLE tb_b (pk_b int PRIMARY KEY, v int);
INSERT INTO tb_a SELECT g, g FROM generate_series(1, 1000) g;
INSERT INTO tb_a_child SELECT g, g % 1000 + 1, g FROM generate_series(1, 5000) g;
INSERT INTO tb_b SELECT g, g FROM generate_series(1, 1000) g;
SELECT pg_tviews_create('a', $$SELECT a.pk_a, jsonb_build_object('v', a.v, 'children',
  (SELECT jsonb_agg(jsonb_build_object('w', c.w) ORDER BY c.pk) FROM tb_a_child c WHERE c.fk_a = a.pk_a)) AS data
  FROM tb_a a$$);
SELECT pg_tviews_create('b', $$SELECT b.pk_b, jsonb_build_object('v', b.v) AS data FROM tb_b b$$);
SQL
cat >"$WORK/inval.sql" <<'SQL'
\set r random(1, 5000)
GRANT SELECT ON tb_b TO PUBLIC;
UPDATE tb_a_child SET w = w + 1 WHERE pk = :r;
SQL
cat >"$WORK/plain.sql" <<'SQL'
\set r random(1, 5000)
UPDATE tb_a_child SET w = w + 1 WHERE pk = :r;
SQL
for f in inval plain; do
    say "$f: per-statement average latency in ms, 1 client, $N transactions"
    "$PG_BIN/pgbench" -n -r -t "$N" -f "$WORK/$f.sql" postgres 2>&1 | sed -n '/statement latencies/,$p'
done
[ "$(pg -d postgres -Atc "SELECT count(*) FROM pg_tviews_check('a')")" = 0 ] || die "tv_a differs from its definition"
