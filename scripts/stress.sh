#!/usr/bin/env bash
# Concurrent writers on hot documents, then the oracle: every TVIEW must equal its definition.
#
#   scripts/stress.sh [--clients 8] [--seconds 60] [--flavor release|debug]
#                     [--mode immediate|deferred]
#
# In a throwaway cluster: the schema of sql/stress/schema.sql (three TVIEWs, one built on
# another, all in the given maintenance mode), then pgbench with that many clients for that
# long, mixing reviews added, moved and deleted on three hot products, hot products moved
# between categories, categories renamed, prices changed, and two-statement transactions.
# In immediate mode, deadlocks between transactions whose statements lock documents in
# opposite orders are PostgreSQL's to detect (pgbench retries them); deferred mode takes
# its locks at commit in one order and must not deadlock at all. Anything else failing
# fails the run. Exits non-zero unless every TVIEW is exact at the end.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

CLIENTS=8
SECONDS_RUN=60
FLAVOR=release
MODE=immediate
while [ $# -gt 0 ]; do
    case "$1" in
        --clients) CLIENTS=${2:?}; shift 2 ;;
        --seconds) SECONDS_RUN=${2:?}; shift 2 ;;
        --flavor) FLAVOR=${2:?}; shift 2 ;;
        --mode) MODE=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done
for n in "$CLIENTS" "$SECONDS_RUN"; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "positive numbers only: '$n'"; done
case "$FLAVOR" in release|debug) ;; *) die "--flavor must be release or debug" ;; esac
case "$MODE" in immediate|deferred) ;; *) die "--mode must be immediate or deferred" ;; esac

prepare_flavor "$FLAVOR"

WORK=$(mktemp -d /tmp/pg_tviews-stress.XXXXXX)
chmod 755 "$WORK"
trap 'cluster_stop; rm -rf "$WORK"' EXIT
CLUSTER_OPTIONS="-c max_connections=$((CLIENTS + 20)) -c deadlock_timeout=100ms" cluster_start "$WORK/cluster"
pg -d postgres -qc "CREATE DATABASE stress"
SQL="$ROOT/sql/stress"
say "schema: sql/stress/schema.sql"
pg -d stress -q -f "$SQL/schema.sql"
pg -d stress -qc "SELECT pg_tviews_set_mode(tview_name, '$MODE') FROM pg_tview_meta"

say "pgbench: $CLIENTS clients, $SECONDS_RUN s, $MODE mode, hot spots on 3 products and 3 categories"
set +e
"$PG_BIN/pgbench" -n -c "$CLIENTS" -j 2 -T "$SECONDS_RUN" --max-tries=100 --failures-detailed \
    -f "$SQL/hot_review.sql@10" -f "$SQL/move_review.sql@5" -f "$SQL/delete_review.sql@3" \
    -f "$SQL/move_product.sql@2" -f "$SQL/rename_category.sql@1" -f "$SQL/price.sql@10" \
    -f "$SQL/transfer.sql@3" stress 2>&1 | tee "$WORK/pgbench.log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || die "pgbench failed (exit $rc): a client hit an error that is not a retried deadlock"
grep -E "^number of failed transactions: 0 " "$WORK/pgbench.log" >/dev/null \
    || die "some transactions failed even after retries (see the pgbench output above)"
retried=$(sed -nE 's/^number of transactions retried: ([0-9]+).*/\1/p' "$WORK/pgbench.log")
if [ "$MODE" = deferred ] && [ "${retried:-0}" -ne 0 ]; then
    grep -h "deadlock detected" -A4 "$CLUSTER_DIR/server.log" | head -n 40 >&2 || true
    die "deferred mode: $retried transactions were retried after a deadlock (server log above)"
fi

say "oracle: every TVIEW against its definition"
pg -d stress -f "$SQL/check.sql" | tee "$WORK/check.log"
if grep -qE '\| f$' "$WORK/check.log"; then die "a TVIEW differs from its definition"; fi
say "stress: every TVIEW exact after $SECONDS_RUN s of $CLIENTS concurrent writers ($MODE mode, ${retried:-0} transactions retried)"
