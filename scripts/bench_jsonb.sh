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
CARGO_TARGET_DIR=$(release_target_dir 17)
export CARGO_TARGET_DIR
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
    pg -d bench -v scale="$SCALE" -At <<'SQL'
CREATE TEMP TABLE r AS SELECT * FROM jsonb_ivm_bench.run(:scale);
SELECT '| operation | size | bytes | jsonb_ivm | native SQL | PL/pgSQL stub | speed-up vs native | same results |';
SELECT '|---|---|---:|---:|---:|---:|---:|---|';
SELECT format('| %s | %s | %s | %s | %s | %s | %s | %s |', operation, size, bytes,
              coalesce(ours::text, '-'), coalesce(native::text, '-'), coalesce(stub::text, '-'),
              coalesce(round(native / nullif(ours, 0), 1)::text || 'x', '-'),
              CASE WHEN same THEN 'yes' ELSE 'NO' END)
  FROM (SELECT operation, size, max(doc_bytes) AS bytes,
               max(us_per_call) FILTER (WHERE approach = 'jsonb_ivm') AS ours,
               max(us_per_call) FILTER (WHERE approach = 'native SQL') AS native,
               max(us_per_call) FILTER (WHERE approach = 'PL/pgSQL stub') AS stub,
               bool_and(same_result) AS same
          FROM r GROUP BY 1, 2) t
 ORDER BY operation, bytes;
SQL
} | tee "$OUT"
say "written to ${OUT#$ROOT/}"
