#!/usr/bin/env bash
# jsonb_ivm micro-benchmark: per-call time of each function against the native SQL with the
# same result and against the PL/pgSQL stubs, at about 1 KB, 10 KB and 100 KB.
#
#   scripts/bench_jsonb.sh [--scale F]     F scales the iteration counts (default 1)
#
# Runs on a PostgreSQL 17 build without assertions (bootstrapped as the "release" flavor)
# with the extension built in release mode, in a throwaway cluster. Prints a markdown table
# and writes it to results/jsonb_ivm-<timestamp>.md.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

SCALE=1
while [ $# -gt 0 ]; do
    case "$1" in
        --scale) SCALE=${2:?}; shift 2 ;;
        *) die "unknown argument '$1' (usage: scripts/bench_jsonb.sh [--scale F])" ;;
    esac
done
[[ "$SCALE" =~ ^[0-9]*\.?[0-9]+$ ]] || die "--scale must be a positive number"

bootstrap release
# A separate target dir: pgrx generates its bindings for the pg_config it builds against.
export CARGO_TARGET_DIR="$ROOT/target/release-pg"
say "cargo pgrx install --release -p jsonb_ivm (PostgreSQL without assertions)"
(cd "$ROOT" && cargo pgrx install --release -p jsonb_ivm --pg-config "$PG_CONFIG") >&2
WORK=$(mktemp -d /tmp/pg_tviews-bench.XXXXXX)
chmod 755 "$WORK"
trap 'cluster_stop; rm -rf "$WORK"' EXIT
cluster_start "$WORK/cluster"
pg -d postgres -qc "CREATE DATABASE bench"
pg -d bench -qc "CREATE EXTENSION jsonb_ivm"
pg -d bench -q -f "$ROOT/sql/jsonb_ivm_stubs.sql" >/dev/null
pg -d bench -q -f "$ROOT/sql/bench/jsonb_ivm_bench.sql" >/dev/null
say "running (scale $SCALE)"
mkdir -p "$ROOT/results"
OUT="$ROOT/results/jsonb_ivm-$(date -u +%Y%m%dT%H%M%SZ).md"
{
    echo "jsonb_ivm per-call time, µs (lower is better); $("$PG_BIN/postgres" --version), $(nproc) cores; scripts/bench_jsonb.sh --scale $SCALE"
    echo
    pg -d bench -v scale="$SCALE" -AF '|' -P footer=off <<'SQL'
\pset format markdown
WITH r AS (SELECT * FROM jsonb_ivm_bench.run(:scale))
SELECT r.operation, r.size, r.doc_bytes AS bytes,
       max(r.us_per_call) FILTER (WHERE r.approach = 'jsonb_ivm') AS jsonb_ivm,
       max(r.us_per_call) FILTER (WHERE r.approach = 'native SQL') AS native_sql,
       max(r.us_per_call) FILTER (WHERE r.approach = 'PL/pgSQL stub') AS plpgsql_stub,
       round(max(r.us_per_call) FILTER (WHERE r.approach = 'native SQL')
             / nullif(max(r.us_per_call) FILTER (WHERE r.approach = 'jsonb_ivm'), 0), 1) AS speedup_vs_native,
       bool_and(r.same_result) AS same_results
  FROM r GROUP BY 1, 2, 3 ORDER BY 1, 3;
SQL
} | tee "$OUT"
say "written to ${OUT#$ROOT/}"
