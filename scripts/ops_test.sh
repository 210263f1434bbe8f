#!/usr/bin/env bash
# Production operations, each on real components started here on loopback:
#
#   scripts/ops_test.sh [--flavor debug|release] [--seconds 10] [--soak-seconds 30]
#                       [STEP...]  steps: backup pooling replica subscriber crash upgrade soak
#
# backup   pg_dump/pg_restore of a database with every TVIEW shape, cascades, immediate and
#          deferred TVIEWs, NULLs of NOT NULL domains from outer joins: custom format,
#          schema-only + data-only, and the restore with the TVIEWs' data before and after
#          their sources' data; with 4 parallel jobs; --clean (also --if-exists
#          --single-transaction) over a restored database and over TVIEWs made in place;
#          exact and maintained after
# pooling  PgBouncer (Debian package) in transaction pooling mode, 16 clients on 3 server
#          connections running the concurrent workload while TVIEW modes are switched
# replica  a streaming standby made by pg_basebackup: after the workload its TVIEWs equal the
#          primary's, and reads, the oracle, explain and the health check work on it
# subscriber  a logical replication subscriber (a second cluster) with TVIEWs over the tables a
#          publisher without pg_tviews publishes: initial sync, the concurrent workload, random
#          statements, TRUNCATE, local writes on the subscriber and a kill -9 of it mid-stream;
#          exact after catching up; a two_phase subscription refused at PREPARE; apply time
#          with and without TVIEWs measured
# crash    kill -9 of the postmaster during the concurrent workload; exact after restart
# upgrade  ALTER EXTENSION ... UPDATE from every released version (*/sql/history) with TVIEWs
#          in use; the upgraded schema must equal a fresh install's (sql/ops/fingerprint.sql),
#          which fails when the schema changed without an upgrade script
# soak     the randomized oracle workload in one backend, transaction after transaction; its
#          memory must not grow after warm-up, every TVIEW exact at the end
#
# --seconds is the length of each concurrent workload; --soak-seconds the soak's (the long
# documented run is --soak-seconds 600 soak). Exits non-zero at the first failure.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

FLAVOR=debug
WORKLOAD_SECONDS=10
SOAK_SECONDS=30
ALL_STEPS=(backup pooling replica subscriber crash upgrade soak)
STEPS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --flavor) FLAVOR=${2:?}; shift 2 ;;
        --seconds) WORKLOAD_SECONDS=${2:?}; shift 2 ;;
        --soak-seconds) SOAK_SECONDS=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        -*) die "unknown argument '$1' (try --help)" ;;
        *) case " ${ALL_STEPS[*]} " in *" $1 "*) STEPS+=("$1"); shift ;; *) die "unknown step '$1' (steps: ${ALL_STEPS[*]})" ;; esac ;;
    esac
done
[ ${#STEPS[@]} -eq 0 ] && STEPS=("${ALL_STEPS[@]}")
for n in "$WORKLOAD_SECONDS" "$SOAK_SECONDS"; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "positive numbers only: '$n'"; done
case "$FLAVOR" in release|debug) ;; *) die "--flavor must be release or debug" ;; esac

prepare_flavor "$FLAVOR"
SQL="$ROOT/sql"
WORK=$(mktemp -d /tmp/pg_tviews-ops.XXXXXX)
chmod 755 "$WORK"
STANDBY_DIR=""
SUBSCRIBER_DIR=""
cleanup() {
    set +e
    [ -n "$STANDBY_DIR" ] && as_postgres "$PG_BIN/pg_ctl" -D "$STANDBY_DIR" -m immediate -w stop >/dev/null 2>&1
    [ -n "$SUBSCRIBER_DIR" ] && as_postgres "$PG_BIN/pg_ctl" -D "$SUBSCRIBER_DIR" -m immediate -w stop >/dev/null 2>&1
    [ -f "$WORK/bouncer/pgbouncer.pid" ] && kill "$(cat "$WORK/bouncer/pgbouncer.pid")" 2>/dev/null
    cluster_stop
    rm -rf "$WORK"
}
trap cleanup EXIT
RESULTS=()

# A primary listening on loopback too (replication and PgBouncer connect over TCP); logical
# WAL for the subscriber step.
CLUSTER_OPTIONS="-c listen_addresses=127.0.0.1 -c max_connections=60 -c deadlock_timeout=100ms \
-c max_prepared_transactions=10 -c wal_level=logical -c max_wal_senders=8"
cluster_start "$WORK/primary"

# The database every step starts from: the stress schema (three TVIEWs, a cascade, the
# category documents deferred) and the oracle's schema rnd (every shape, one deferred).
make_database() {
    local db=$1
    pg -d postgres -qc "CREATE DATABASE $db"
    pg -d "$db" -q -f "$SQL/stress/schema.sql" >/dev/null
    pg -d "$db" -q -f "$ROOT/tests/oracle/random_workload.sql" >/dev/null
    pg -d "$db" -q -f "$ROOT/tests/oracle/several_column_keys.sql" >/dev/null
    pg -d "$db" -qc "SELECT pg_tviews_set_mode('category', 'deferred'), pg_tviews_set_mode('rnd.prod', 'deferred')" >/dev/null
}

# verdict DB [PORT]: every TVIEW against its definition and the health check; prints one line.
verdict() {
    local db=$1 port=${2:-$PGPORT}
    pg -p "$port" -d "$db" -Atq -f "$SQL/ops/verdict.sql"
}

# expect_exact DB WHAT [PORT]: the verdict must report every TVIEW exact and healthy.
expect_exact() {
    local v
    v=$(verdict "$1" "${3:-}")
    if ! [[ "$v" =~ ^tviews=[1-9][0-9]*\ differing=0\ unhealthy=0$ ]]; then
        # Which TVIEWs and keys differ, and what the health check says, for the report.
        pg -p "${3:-$PGPORT}" -d "$1" -Atq -f "$SQL/ops/differences.sql" >&2 || true
        die "$2: $v"
    fi
    echo "  $2: $v"
}

# Writes of every kind in one database (sequential), then the deferred queue committed.
some_writes() {
    pg -d "$1" -q >/dev/null <<'SQL'
INSERT INTO tb_review (fk_product, rating) SELECT 1 + g % 50, 1 + g % 5 FROM generate_series(1, 100) g;
UPDATE tb_product SET price = price + 1 WHERE pk_product % 7 = 0;
UPDATE tb_category SET name = name || '+' WHERE pk_category = 2;
DELETE FROM tb_review WHERE pk_review IN (SELECT pk_review FROM tb_review ORDER BY pk_review LIMIT 20);
SELECT * FROM rnd.random_workload(0.25, 60, 20);
SQL
}

# concurrent_workload DB SECONDS CLIENTS [pgbench connection options...]: the stress mix.
concurrent_workload() {
    local db=$1 secs=$2 clients=$3
    shift 3
    "$PG_BIN/pgbench" -n -c "$clients" -j 2 -T "$secs" --max-tries=100 "$@" \
        -f "$SQL/stress/hot_review.sql@10" -f "$SQL/stress/move_review.sql@5" \
        -f "$SQL/stress/delete_review.sql@3" -f "$SQL/stress/move_product.sql@2" \
        -f "$SQL/stress/rename_category.sql@1" -f "$SQL/stress/price.sql@10" \
        -f "$SQL/stress/transfer.sql@3" "$db"
}

# ---------------------------------------------------------------------------------------------
step_backup() {
    say "backup: pg_dump and pg_restore"
    make_database bk
    # Columns of NOT NULL domains that outer joins leave NULL: rows a restore's COPY checks.
    pg -d bk -q -f "$ROOT/tests/oracle/domains.sql" >/dev/null
    some_writes bk
    pg -d bk -qc "SELECT dom.writes(5)" >/dev/null
    expect_exact bk "source database"
    pg_dump_() { as_postgres "$PG_BIN/pg_dump" -h "$PGHOST" -p "$PGPORT" "$@"; }
    restore_into() { pg -d postgres -qc "CREATE DATABASE $1"; }
    local d="$WORK/dump"
    mkdir -p "$d" && chown postgres: "$d"

    # 1. Custom format, restored whole.
    pg_dump_ -Fc -d bk -f "$d/bk.dump"
    restore_into bk_full
    as_postgres "$PG_BIN/pg_restore" -h "$PGHOST" -p "$PGPORT" --exit-on-error -d bk_full "$d/bk.dump"
    expect_exact bk_full "pg_restore (custom format)"
    some_writes bk_full
    pg -d bk_full -qc "SELECT dom.writes(3)" >/dev/null
    expect_exact bk_full "pg_restore, then writes"
    # Parallel jobs: post-data's ALTER TABLEs run side by side, each holding its table.
    restore_into bk_jobs
    as_postgres "$PG_BIN/pg_restore" -h "$PGHOST" -p "$PGPORT" -j 4 --exit-on-error -d bk_jobs "$d/bk.dump"
    # (Before the verdict, whose exact checks would clear marks.)
    [ "$(pg -d bk_jobs -Atc "SELECT count(*) FROM pg_tview_meta WHERE maybe_stale IS NOT NULL")" = 0 ] ||
        die "a whole restore left TVIEWs marked maybe stale"
    expect_exact bk_jobs "pg_restore -j 4"
    # pg_restore --clean into the database that has the TVIEWs (what restoring a staging copy
    # over itself does): each part of a TVIEW dropped alone detaches it, so the drops go
    # through and the restore ends as the dump was. Once as it comes, once in one
    # transaction; this database was itself restored (its TVIEWs' parts carry no internal
    # dependencies), bk_clean below was not.
    local dumped
    dumped=$(pg -d bk -Atc "SELECT count(*) || '/' || sum(hashtext(t::text)) FROM tb_review t")
    for opts in "--clean" "--clean --if-exists --single-transaction"; do
        # shellcheck disable=SC2086
        as_postgres "$PG_BIN/pg_restore" -h "$PGHOST" -p "$PGPORT" $opts --exit-on-error \
            -d bk_full "$d/bk.dump" 2>"$d/clean.log" ||
            { cat "$d/clean.log" >&2; die "pg_restore $opts over the TVIEWs failed"; }
        [ "$(pg -d bk_full -Atc "SELECT count(*) || '/' || sum(hashtext(t::text)) FROM tb_review t")" = "$dumped" ] ||
            die "pg_restore $opts left other reviews than the dump has"
        expect_exact bk_full "pg_restore $opts over the restored database"
        some_writes bk_full
        expect_exact bk_full "pg_restore $opts over the restored database, then writes"
    done
    make_database bk_clean
    pg -d bk_clean -q -f "$ROOT/tests/oracle/domains.sql" >/dev/null
    some_writes bk_clean
    pg_dump_ -Fc -d bk_clean -f "$d/clean.dump"
    some_writes bk_clean
    as_postgres "$PG_BIN/pg_restore" -h "$PGHOST" -p "$PGPORT" --clean --exit-on-error \
        -d bk_clean "$d/clean.dump" 2>"$d/clean.log" ||
        { cat "$d/clean.log" >&2; die "pg_restore --clean over TVIEWs made in place failed"; }
    expect_exact bk_clean "pg_restore --clean over TVIEWs made in place"
    some_writes bk_clean
    expect_exact bk_clean "pg_restore --clean over TVIEWs made in place, then writes"
    # A restore does not bring back the dependency that makes a TVIEW's definition view and
    # key type part of its table. Dropping one alone detaches the TVIEW all the same (its
    # table stays, maintained no more); dropping the table still drops them.
    pg -d bk_full -qc "SET client_min_messages = error; DROP TYPE tviews_def.tv_tagging_key CASCADE" >/dev/null
    [ "$(pg -d bk_full -Atqc "SELECT count(*) FROM pg_tview_meta WHERE table_name::text LIKE '%tv_tagging'")" = 0 ] ||
        die "a restored TVIEW whose key type was dropped alone is still in the catalog"
    pg -d bk_full -qc "DROP TABLE rnd.tv_rev_grid" >/dev/null
    [ "$(pg -d bk_full -Atqc "SELECT count(*) FROM pg_type WHERE typname IN ('tv_rev_grid', 'tv_rev_grid_key')")" = 0 ] ||
        die "dropping a restored TVIEW's table left its definition view or key type"
    expect_exact bk_full "pg_restore, then a key type dropped alone (detached) and a TVIEW dropped"

    # 2. The TVIEWs' data restored before, then after, their sources' data.
    as_postgres "$PG_BIN/pg_restore" -l "$d/bk.dump" >"$d/list"
    grep ' SEQUENCE SET ' "$d/list" >"$d/list.seq"
    grep ' TABLE DATA ' "$d/list" | grep ' tv_' >"$d/list.tv"
    grep ' TABLE DATA ' "$d/list" | grep -v ' tv_' >"$d/list.src"
    local order
    for order in tv_first tv_last; do
        if [ $order = tv_first ]; then
            cat "$d/list.tv" "$d/list.src" "$d/list.seq"
        else
            cat "$d/list.src" "$d/list.tv" "$d/list.seq"
        fi >"$d/data.$order"
        # pg_restore runs a list in the dump's own order; one call per section keeps ours.
        restore_into "bk_$order"
        as_postgres "$PG_BIN/pg_restore" -h "$PGHOST" -p "$PGPORT" --exit-on-error -d "bk_$order" \
            --section=pre-data "$d/bk.dump"
        local line
        while IFS= read -r line; do
            printf '%s\n' "$line" >"$d/one"
            as_postgres "$PG_BIN/pg_restore" -h "$PGHOST" -p "$PGPORT" --exit-on-error -d "bk_$order" \
                -L "$d/one" "$d/bk.dump"
        done <"$d/data.$order"
        as_postgres "$PG_BIN/pg_restore" -h "$PGHOST" -p "$PGPORT" --exit-on-error -d "bk_$order" \
            --section=post-data "$d/bk.dump"
        expect_exact "bk_$order" "restore with the TVIEWs' data ${order/_/ }"
        some_writes "bk_$order"
        expect_exact "bk_$order" "restore with the TVIEWs' data ${order/_/ }, then writes"
    done

    # 3. Plain schema-only dump, then a data-only dump restored with triggers disabled.
    pg_dump_ --schema-only -d bk -f "$d/schema.sql"
    pg_dump_ --data-only --disable-triggers -d bk -f "$d/data.sql"
    restore_into bk_split
    pg -d bk_split -q -f "$d/schema.sql" >/dev/null
    # A write in the restoring session itself, right after the load: that session's
    # catalog cache must have seen pg_tview_meta's rows arrive.
    { cat "$d/data.sql"
      echo "UPDATE public.tb_product SET price = price + 1 WHERE pk_product = 3;"
    } | pg -d bk_split -q -v ON_ERROR_STOP=1 >/dev/null 2>"$d/data.log" \
        || { cat "$d/data.log" >&2; die "schema-only + data-only: the load, or a write right after it in the same session, failed"; }
    # Triggers were disabled while the rows loaded: the TVIEWs are marked maybe stale, and
    # the verdict's pg_tviews_check confirms them (which clears the marks).
    echo "  schema-only + data-only: $(pg -d bk_split -Atc "SELECT count(*) FROM pg_tview_meta WHERE maybe_stale IS NOT NULL") TVIEW(s) marked maybe stale after the load"
    expect_exact bk_split "schema-only + data-only (--disable-triggers)"
    some_writes bk_split
    expect_exact bk_split "schema-only + data-only, then writes"

    # 4. A data-only restore without --disable-triggers stops at the first TVIEW table with an
    #    error that says what to do (its transaction rolls back; nothing is silently wrong).
    pg_dump_ --data-only -d bk -f "$d/data-live.sql"
    restore_into bk_live
    pg -d bk_live -q -f "$d/schema.sql" >/dev/null
    if pg -d bk_live -q -f "$d/data-live.sql" >"$d/live.log" 2>&1; then
        die "a data-only restore with live triggers was expected to be refused"
    fi
    grep -q -- "--disable-triggers" "$d/live.log" || { cat "$d/live.log" >&2; die "the refusal does not say what to do"; }
    echo "  data-only restore with live triggers: refused with a hint to use --disable-triggers"
    RESULTS+=("backup: custom-format restore (also -j 4, and --clean over existing TVIEWs), TVIEW data before/after sources, schema-only + data-only: exact and maintained")
}

# ---------------------------------------------------------------------------------------------
step_pooling() {
    say "pooling: PgBouncer in transaction pooling mode"
    if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then
        apt-get install -y -qq pgbouncer >/dev/null || die "could not install pgbouncer"
    fi
    local bouncer
    bouncer=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
    # The Debian package starts its own instance; this test runs one of its own.
    systemctl stop pgbouncer >/dev/null 2>&1 || service pgbouncer stop >/dev/null 2>&1 || true
    make_database pool
    local port
    port=$(free_port 56430)
    local b="$WORK/bouncer"
    mkdir -p "$b"
    printf '"postgres" ""\n' >"$b/users.txt"
    cat >"$b/pgbouncer.ini" <<EOF
[databases]
pool = host=$PGHOST port=$PGPORT dbname=pool
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $b/users.txt
pool_mode = transaction
default_pool_size = 3
max_client_conn = 100
pidfile = $b/pgbouncer.pid
logfile = $b/pgbouncer.log
EOF
    chown -R postgres: "$b"
    as_postgres "$bouncer" -d "$b/pgbouncer.ini" || die "pgbouncer did not start"
    local i
    for i in $(seq 1 50); do
        "$PG_BIN/psql" -X -h 127.0.0.1 -p "$port" -d pool -Atqc "SELECT 1" >/dev/null 2>&1 && break
        sleep 0.2
    done
    # Modes switched through the pooler while the clients run: every backend must notice.
    (
        for i in 1 2 3; do
            sleep "$(( WORKLOAD_SECONDS / 4 + 1 ))"
            "$PG_BIN/psql" -X -h 127.0.0.1 -p "$port" -d pool -Atqc \
                "SELECT pg_tviews_set_mode('review', CASE WHEN $i % 2 = 1 THEN 'deferred' ELSE 'immediate' END)" >/dev/null
        done
    ) &
    local switcher=$!
    concurrent_workload pool "$WORKLOAD_SECONDS" 16 -h 127.0.0.1 -p "$port" >"$WORK/pool.log" 2>&1 \
        || { cat "$WORK/pool.log" >&2; die "the workload through PgBouncer failed"; }
    wait "$switcher" || die "switching modes through PgBouncer failed"
    grep -E "^number of failed transactions: 0 " "$WORK/pool.log" >/dev/null \
        || { cat "$WORK/pool.log" >&2; die "transactions failed through PgBouncer"; }
    local tx backends
    tx=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$WORK/pool.log")
    backends=$(pg -d postgres -Atqc "SELECT count(*) FROM pg_stat_activity WHERE datname = 'pool'")
    expect_exact pool "after $tx transactions of 16 clients on $backends server connections"
    # The statistics are shared: a new session sees what the pooled backends counted.
    local runs
    runs=$(pg -d pool -Atqc "SELECT sum(runs) FROM pg_tviews_stats")
    [ "${runs:-0}" -gt 0 ] || die "pg_tviews_stats counted no maintenance run"
    echo "  pg_tviews_stats, read from another session: $runs maintenance runs"
    kill "$(cat "$b/pgbouncer.pid")" && rm -f "$b/pgbouncer.pid"
    RESULTS+=("pooling: $tx transactions, 16 clients through PgBouncer (transaction pooling, $backends server connections), modes switched meanwhile: exact")
}

# ---------------------------------------------------------------------------------------------
step_replica() {
    say "replica: streaming standby from pg_basebackup"
    make_database rep
    mkdir -p "$WORK/replica"
    chown postgres: "$WORK/replica"
    STANDBY_DIR="$WORK/replica/data"
    as_postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PGPORT" -D "$STANDBY_DIR" -R -X stream -c fast
    local sport
    sport=$(free_port $((PGPORT + 1)))
    as_postgres "$PG_BIN/pg_ctl" -D "$STANDBY_DIR" -l "$WORK/replica/standby.log" -w \
        -o "-p $sport -k $PGHOST $CLUSTER_OPTIONS -c listen_addresses=''" start >/dev/null \
        || { tail -n 30 "$WORK/replica/standby.log" >&2; die "the standby did not start"; }
    concurrent_workload rep "$WORKLOAD_SECONDS" 8 >"$WORK/rep.log" 2>&1 \
        || { cat "$WORK/rep.log" >&2; die "the workload on the primary failed"; }
    some_writes rep
    local lsn i
    lsn=$(pg -d rep -Atqc "SELECT pg_current_wal_lsn()")
    for i in $(seq 1 100); do
        [ "$(pg -p "$sport" -d rep -Atqc "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && break
        sleep 0.2
    done
    [ "$i" -lt 100 ] || die "the standby did not replay up to $lsn"
    expect_exact rep "primary"
    expect_exact rep "standby (oracle and health check run there)" "$sport"
    # The same rows on both sides, TVIEW by TVIEW.
    pg -d rep -Atq -f "$SQL/ops/table_digest.sql" >"$WORK/digest.primary"
    pg -p "$sport" -d rep -Atq -f "$SQL/ops/table_digest.sql" >"$WORK/digest.standby"
    diff "$WORK/digest.primary" "$WORK/digest.standby" >&2 \
        || die "a TVIEW table differs between the primary and the standby"
    pg -p "$sport" -d rep -Atq >/dev/null <<'SQL'
SELECT count(*) FROM tv_product WHERE data->'category'->>'name' LIKE 'category%';
SELECT * FROM pg_tviews_explain('product');
SELECT * FROM pg_tviews_explain('rnd.prod');
SQL
    if pg -p "$sport" -d rep -qc "UPDATE tb_product SET price = 1 WHERE pk_product = 1" 2>"$WORK/ro.log"; then
        die "a write on the standby succeeded"
    fi
    grep -q "read-only transaction" "$WORK/ro.log" || { cat "$WORK/ro.log" >&2; die "unexpected error on the standby"; }
    as_postgres "$PG_BIN/pg_ctl" -D "$STANDBY_DIR" -m fast -w stop >/dev/null
    STANDBY_DIR=""
    RESULTS+=("replica: standby equal to the primary table by table after the workload; oracle, explain, health check and reads work there")
}

# ---------------------------------------------------------------------------------------------
# sub_start DIR PORT: start (or restart) the subscriber cluster.
sub_start() {
    as_postgres "$PG_BIN/pg_ctl" -D "$1/data" -l "$1/server.log" -w \
        -o "-p $2 -k $PGHOST -c listen_addresses='' -c max_connections=40 -c max_prepared_transactions=4" start >/dev/null \
        || { tail -n 30 "$1/server.log" >&2; die "the subscriber did not start"; }
}

# The query digesting the source tables' rows, one line per table (publisher and subscriber
# must agree), built from the publisher's catalog.
SOURCE_TABLES="SELECT c.oid::regclass FROM pg_class c WHERE c.relkind = 'r' AND c.relname LIKE 'tb\\_%'
   AND c.relnamespace IN ('public'::regnamespace, 'rnd'::regnamespace)"
source_digest_query() {
    pg -d pub -Atqc "SELECT string_agg(format('SELECT %L, md5(coalesce(string_agg(t::text, %L ORDER BY t::text), %L)) FROM %s t',
        r::text, ',', '', r), ' UNION ALL ' ORDER BY r::text) || ' ORDER BY 1' FROM ($SOURCE_TABLES) AS s(r)"
}

# sub_caught_up PORT DB WHAT: wait until the subscriber's source tables equal the publisher's.
sub_caught_up() {
    local want got i
    want=$(pg -d pub -Atqc "$SOURCE_DIGEST")
    for i in $(seq 1 300); do
        got=$(pg -p "$1" -d "$2" -Atqc "$SOURCE_DIGEST" 2>/dev/null || true)
        [ "$got" = "$want" ] && return 0
        sleep 0.2
    done
    grep -v "table synchronization worker" "$SUBSCRIBER_DIR/../server.log" | tail -n 20 >&2
    die "$3: the subscriber's tables did not catch up with the publisher's in 60 s"
}

# Random statements on the publisher's copy of the oracle's tables (rnd.random_statement,
# which needs no pg_tviews), with a TRUNCATE now and then.
PUB_RANDOM='DO $$ BEGIN FOR i IN 1..40 LOOP BEGIN PERFORM rnd.random_statement();
    EXCEPTION WHEN unique_violation THEN NULL; END; END LOOP; END $$'

step_subscriber() {
    say "subscriber: TVIEWs on a logical replication subscriber"
    # The publisher: the same tables and rows as the TVIEWs' database, without pg_tviews.
    make_database pubsrc
    pg -d postgres -qc "CREATE DATABASE pub"
    "$PG_BIN/pg_dump" -Fc -f "$WORK/pub.dump" pubsrc
    "$PG_BIN/pg_restore" -l "$WORK/pub.dump" \
        | grep -v -E " TRIGGER | EXTENSION | pg_tview| tv_| tviews_def| FUNCTION rnd random_workload" >"$WORK/pub.list"
    "$PG_BIN/pg_restore" -d pub -L "$WORK/pub.list" --exit-on-error "$WORK/pub.dump"
    [ "$(pg -d pub -Atqc "SELECT count(*) FROM pg_extension WHERE extname = 'pg_tviews'")" = 0 ] \
        || die "the publisher should not have pg_tviews"
    pg -d pub -qc "CREATE PUBLICATION tb FOR TABLES IN SCHEMA public, rnd"
    pg -d postgres -qc "DROP DATABASE pubsrc"
    SOURCE_DIGEST=$(source_digest_query)

    # The subscriber: a cluster of its own, its tables empty, the TVIEWs over them.
    local sdir=$WORK/subscriber sport
    mkdir -p "$sdir"; chown postgres: "$sdir"; chmod 700 "$sdir"
    sport=$(free_port $((PGPORT + 2)))
    as_postgres "$PG_BIN/initdb" -D "$sdir/data" -U postgres --auth=trust --no-instructions -E UTF8 --locale=C \
        >"$sdir/initdb.log" 2>&1 || { cat "$sdir/initdb.log" >&2; die "initdb of the subscriber failed"; }
    SUBSCRIBER_DIR=$sdir/data
    sub_start "$sdir" "$sport"
    local SP=(-p "$sport")
    pg "${SP[@]}" -d postgres -qc "CREATE DATABASE sub"
    pg "${SP[@]}" -d postgres -qc "CREATE DATABASE plain"
    pg "${SP[@]}" -d sub -q -f "$SQL/stress/schema.sql" >/dev/null
    pg "${SP[@]}" -d sub -q -f "$ROOT/tests/oracle/random_workload.sql" >/dev/null
    pg "${SP[@]}" -d sub -q -f "$ROOT/tests/oracle/several_column_keys.sql" >/dev/null
    pg "${SP[@]}" -d sub -qc "SELECT pg_tviews_set_mode('category', 'deferred'), pg_tviews_set_mode('rnd.prod', 'deferred')" >/dev/null
    pg "${SP[@]}" -d sub -qc "SELECT format('TRUNCATE %s', string_agg(r::text, ', ')) FROM ($SOURCE_TABLES) AS s(r)" -At \
        | pg "${SP[@]}" -d sub -q >/dev/null
    # The same tables without TVIEWs, for the apply time comparison.
    "$PG_BIN/pg_dump" -s --no-publications --no-subscriptions -d pub | pg "${SP[@]}" -d plain -q >/dev/null
    local conn="host=127.0.0.1 port=$PGPORT dbname=pub user=postgres"
    pg "${SP[@]}" -d sub -qc "CREATE SUBSCRIPTION s_sub CONNECTION '$conn' PUBLICATION tb"
    sub_caught_up "$sport" sub "initial table sync"
    expect_exact sub "after the initial table sync (every row arrived by COPY)" "$sport"

    # The concurrent workload and random statements on the publisher, local writes on the
    # subscriber (rows the publisher does not have), a TRUNCATE.
    # (Rate-limited: one apply worker replays what several writers did, maintenance included.)
    concurrent_workload pub "$WORKLOAD_SECONDS" 4 -R 40 >"$WORK/pub.log" 2>&1 &
    local bench=$!
    local i v
    for i in $(seq 1 20); do
        pg -d pub -qc "$PUB_RANDOM" >/dev/null
        pg "${SP[@]}" -d sub -qc "INSERT INTO tb_review (pk_review, fk_product, rating) VALUES ($((1000000000 + i)), 1 + $i % 3, 1 + $i % 5)"
        sleep 0.2
    done
    pg -d pub -qc "BEGIN; TRUNCATE rnd.tb_vote; INSERT INTO rnd.tb_vote SELECT g, 1 + g % 60, g % 3 = 0 FROM generate_series(1, 50) g; COMMIT"
    wait "$bench" || { cat "$WORK/pub.log" >&2; die "the workload on the publisher failed"; }
    # The subscriber's own rows are not the publisher's: set them aside for the comparison.
    pg "${SP[@]}" -d sub -qc "DELETE FROM tb_review WHERE pk_review > 1000000000"
    sub_caught_up "$sport" sub "workload"
    expect_exact sub "after the workload, random statements, TRUNCATE and local writes" "$sport"

    # kill -9 of the subscriber while it applies; it resumes where its last commit left it.
    concurrent_workload pub $((WORKLOAD_SECONDS * 2)) 4 -R 40 >"$WORK/pub2.log" 2>&1 &
    bench=$!
    sleep "$(( WORKLOAD_SECONDS / 2 + 1 ))"
    # The whole server at once, as a machine crash would (an orphaned apply worker would go on
    # applying its backlog until it next waits).
    local pid children
    pid=$(head -n 1 "$sdir/data/postmaster.pid")
    children=$(pgrep -P "$pid" | tr '\n' ' ')
    # shellcheck disable=SC2086
    kill -9 "$pid" $children
    for i in $(seq 1 100); do
        local alive=0 c
        for c in $pid $children; do kill -0 "$c" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    sub_start "$sdir" "$sport"
    wait "$bench" || { cat "$WORK/pub2.log" >&2; die "the workload on the publisher failed"; }
    pg -d pub -qc "$PUB_RANDOM" >/dev/null
    sub_caught_up "$sport" sub "after kill -9"
    grep -q "not properly shut down\|database system was interrupted" "$sdir/server.log" \
        || die "the subscriber's log shows no crash recovery"
    expect_exact sub "after kill -9 of the subscriber mid-stream, caught up" "$sport"

    # A subscription applying prepared transactions (two_phase) is refused at the PREPARE,
    # with the reason in the subscriber's log: it would wait forever on its own locks.
    pg "${SP[@]}" -d postgres -qc "CREATE DATABASE tp"
    pg "${SP[@]}" -d tp -q -f "$SQL/stress/schema.sql" >/dev/null
    pg "${SP[@]}" -d tp -q -f "$ROOT/tests/oracle/random_workload.sql" >/dev/null
    pg "${SP[@]}" -d tp -qc "CREATE SUBSCRIPTION s_tp CONNECTION '$conn' PUBLICATION tb WITH (two_phase = true, copy_data = false)"
    for i in $(seq 1 100); do
        [ "$(pg "${SP[@]}" -d tp -Atqc "SELECT subtwophasestate FROM pg_subscription WHERE subname = 's_tp'")" = e ] && break
        sleep 0.2
    done
    pg -d pub -qc "BEGIN; UPDATE tb_product SET price = price + 1 WHERE pk_product = 1; PREPARE TRANSACTION 'tp1'"
    for i in $(seq 1 100); do
        grep -q "applies as prepared (subscription option two_phase)" "$sdir/server.log" && break
        sleep 0.2
    done
    grep -q "applies as prepared (subscription option two_phase)" "$sdir/server.log" \
        || { tail -n 20 "$sdir/server.log" >&2; die "a two_phase subscription was not refused at PREPARE"; }
    echo "  a two_phase subscription: refused at the replicated PREPARE, with the reason in the log"
    pg -d pub -qc "COMMIT PREPARED 'tp1'"
    pg "${SP[@]}" -d tp -qc "ALTER SUBSCRIPTION s_tp DISABLE" -qc "ALTER SUBSCRIPTION s_tp SET (slot_name = NONE)" -qc "DROP SUBSCRIPTION s_tp"
    for i in $(seq 1 50); do
        pg -d pub -qc "SELECT pg_drop_replication_slot('s_tp')" >/dev/null 2>&1 && break
        sleep 0.2
    done
    # (The timed run below waits for the publisher's digest: let the subscriber catch up.)
    sub_caught_up "$sport" sub "after the two_phase check"

    # Apply time: the same publisher transactions applied by a subscriber with TVIEWs and by
    # one without (each catches up alone, from a paused subscription).
    pg "${SP[@]}" -d plain -qc "CREATE SUBSCRIPTION s_plain CONNECTION '$conn' PUBLICATION tb"
    sub_caught_up "$sport" plain "the subscription without TVIEWs"
    pg "${SP[@]}" -d sub -qc "ALTER SUBSCRIPTION s_sub DISABLE"
    pg "${SP[@]}" -d plain -qc "ALTER SUBSCRIPTION s_plain DISABLE"
    "$PG_BIN/pgbench" -n -c 4 -j 2 -t 250 -f "$SQL/stress/hot_review.sql@10" -f "$SQL/stress/price.sql@10" \
        -f "$SQL/stress/move_review.sql@5" -f "$SQL/stress/rename_category.sql@1" pub >"$WORK/pub3.log" 2>&1 \
        || { cat "$WORK/pub3.log" >&2; die "the timed publisher workload failed"; }
    local n t0 t_sub t_plain
    n=$(grep -oE "number of transactions actually processed: [0-9]+" "$WORK/pub3.log" | grep -oE "[0-9]+$")
    for db in plain sub; do
        t0=$(date +%s%N)
        pg "${SP[@]}" -d "$db" -qc "ALTER SUBSCRIPTION s_$db ENABLE"
        sub_caught_up "$sport" "$db" "timed apply ($db)"
        eval "t_$db=\$(( ($(date +%s%N) - t0) / 1000000 ))"
    done
    expect_exact sub "after the timed apply" "$sport"
    echo "  apply of $n publisher transactions: $t_plain ms without TVIEWs, $t_sub ms with them"
    pg "${SP[@]}" -d sub -qc "DROP SUBSCRIPTION s_sub"
    pg "${SP[@]}" -d plain -qc "DROP SUBSCRIPTION s_plain"
    as_postgres "$PG_BIN/pg_ctl" -D "$SUBSCRIBER_DIR" -m fast -w stop >/dev/null
    SUBSCRIBER_DIR=""
    RESULTS+=("subscriber: TVIEWs exact on a logical replication subscriber after the initial sync, the workload with TRUNCATE and local writes, and a kill -9 mid-stream; two_phase refused; apply of $n transactions $t_plain ms without TVIEWs, $t_sub ms with")
}

# ---------------------------------------------------------------------------------------------
step_crash() {
    say "crash: kill -9 of the postmaster during the workload"
    make_database crash
    concurrent_workload crash $((WORKLOAD_SECONDS * 3)) 8 >"$WORK/crash.log" 2>&1 &
    local bench=$!
    sleep "$(( WORKLOAD_SECONDS / 2 + 1 ))"
    local pid
    pid=$(head -n 1 "$CLUSTER_DIR/data/postmaster.pid")
    kill -9 "$pid"
    wait "$bench" || true  # the clients lose their connections
    # The postmaster goes, then its orphaned backends notice and exit; then it can start again.
    local i
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || pgrep -f "^postgres: .*crash" >/dev/null || break
        sleep 0.2
    done
    as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w \
        -o "-p $PGPORT -k $CLUSTER_DIR $CLUSTER_OPTIONS" start >/dev/null \
        || { tail -n 30 "$CLUSTER_DIR/server.log" >&2; die "the server did not restart after the crash"; }
    grep -q "database system was interrupted\|not properly shut down" "$CLUSTER_DIR/server.log" \
        || die "the server log shows no crash recovery"
    expect_exact crash "after crash recovery"
    some_writes crash
    expect_exact crash "after crash recovery, then writes"
    RESULTS+=("crash: kill -9 of the postmaster under 8 writers; after recovery every TVIEW exact and maintained")
}

# ---------------------------------------------------------------------------------------------
step_upgrade() {
    say "upgrade: ALTER EXTENSION UPDATE from every released version"
    local extdir current
    extdir="$("$PG_CONFIG" --sharedir)/extension"
    current=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps \
        | sed -nE 's/.*"name":"pg_tviews","version":"([^"]+)".*/\1/p')
    [ -n "$current" ] || die "cannot read the current version from Cargo metadata"
    # The fingerprint of a fresh install of the current version.
    pg -d postgres -qc "CREATE DATABASE up_fresh"
    pg -d up_fresh -qc "CREATE EXTENSION jsonb_ivm" -c "CREATE EXTENSION pg_tviews"
    local ext
    for ext in "${EXTENSIONS[@]}"; do
        pg -d up_fresh -v ext="$ext" -q -f "$SQL/ops/fingerprint.sql" >"$WORK/fresh.$ext"
    done
    local f old n=0
    for f in "$ROOT"/pg_tviews/sql/history/pg_tviews--*.sql; do
        old=$(basename "$f" .sql)
        old=${old#pg_tviews--}
        for ext in "${EXTENSIONS[@]}"; do
            [ -f "$ROOT/$ext/sql/history/$ext--$old.sql" ] || die "$ext has no released script for $old"
            install -m 644 "$ROOT/$ext/sql/history/$ext--$old.sql" "$extdir/"
        done
        local db="up_${old//./_}"
        pg -d postgres -qc "CREATE DATABASE $db"
        pg -d "$db" -qc "CREATE EXTENSION jsonb_ivm VERSION '$old'" -c "CREATE EXTENSION pg_tviews VERSION '$old'"
        pg -d "$db" -q -f "$SQL/stress/schema.sql" >/dev/null
        pg -d "$db" -q -f "$ROOT/tests/oracle/random_workload.sql" >/dev/null
        pg -d "$db" -qc "SELECT pg_tviews_set_mode('category', 'deferred')" >/dev/null
        some_writes "$db"
        for ext in "${EXTENSIONS[@]}"; do
            pg -d "$db" -qc "ALTER EXTENSION $ext UPDATE"
            [ "$(pg -d "$db" -Atqc "SELECT extversion FROM pg_extension WHERE extname = '$ext'")" = "$current" ] \
                || die "$ext did not reach $current from $old"
            pg -d "$db" -v ext="$ext" -q -f "$SQL/ops/fingerprint.sql" >"$WORK/upgraded.$ext"
            diff -u "$WORK/fresh.$ext" "$WORK/upgraded.$ext" >&2 || die \
"$ext $old upgraded to $current differs from a fresh install of $current (diff above): the
SQL schema changed without an upgrade script. Put the change in $ext/sql/$ext--<previous>--$current.sql
(and bump the version if $current was released)."
        done
        expect_exact "$db" "$old -> $current, TVIEWs made before the upgrade"
        # Keys of several columns need the updated catalog.
        pg -d "$db" -q -f "$ROOT/tests/oracle/several_column_keys.sql" >/dev/null
        some_writes "$db"
        expect_exact "$db" "$old -> $current, then TVIEWs keyed by several columns, then writes"
        n=$((n + 1))
    done
    [ "$n" -gt 0 ] || die "no released version in pg_tviews/sql/history"
    RESULTS+=("upgrade: $n released version(s) updated to $current with TVIEWs in use; schema equal to a fresh install")
}

# ---------------------------------------------------------------------------------------------
step_soak() {
    say "soak: the randomized workload for $SOAK_SECONDS s in one backend"
    make_database soak
    cat >"$WORK/soak.sql" <<'SQL'
\set s random(1, 999999)
SELECT 1 / (CASE WHEN mismatches = 0 THEN 1 ELSE 0 END) FROM rnd.random_workload(:s / 1000000.0, 30, 10);
SQL
    "$PG_BIN/pgbench" -n -c 1 -T "$SOAK_SECONDS" -f "$WORK/soak.sql" soak >"$WORK/soak.log" 2>&1 &
    local bench=$! pid="" i
    for i in $(seq 1 50); do
        # pgbench first opens a setup connection that closes at once: take the one running the workload.
        pid=$(pg -d postgres -Atqc "SELECT pid FROM pg_stat_activity WHERE datname = 'soak' AND application_name = 'pgbench' AND query LIKE '%random_workload%'")
        [ -n "$pid" ] && break
        sleep 0.2
    done
    [ -n "$pid" ] || die "the soak's backend did not appear"
    # The backend's memory, or nothing once it is gone (an error ended the session, a crash).
    rss() { sed -nE 's/^RssAnon:[[:space:]]+([0-9]+) kB/\1/p' "/proc/$pid/status" 2>/dev/null || true; }
    # gone WHEN: the backend ended before the soak did; say what pgbench and the server saw.
    gone() {
        wait "$bench" 2>/dev/null || true
        echo "--- pgbench:" >&2; tail -n 30 "$WORK/soak.log" >&2
        echo "--- server log:" >&2; tail -n 40 "$CLUSTER_DIR/server.log" >&2
        die "the soak's backend (pid $pid) ended $1"
    }
    xacts() { pg -d postgres -Atqc "SELECT xact_commit FROM pg_stat_database WHERE datname = 'soak'"; }
    # Warm-up: the first third fills the plan caches; memory is then sampled to the end.
    sleep $(( SOAK_SECONDS / 3 + 1 ))
    local rss0 tx0 rss1 tx1 peak samples=()
    rss0=$(rss); tx0=$(xacts); peak=$rss0
    [ -n "$rss0" ] || gone "during the warm-up"
    tx1=$tx0
    while kill -0 "$bench" 2>/dev/null; do
        rss1=$(rss)
        [ -n "$rss1" ] || break  # the run ended (or failed: pgbench's status says which)
        samples+=("$rss1")
        [ "$rss1" -gt "$peak" ] && peak=$rss1
        tx1=$(xacts)
        sleep 1
    done
    wait "$bench" || gone "before the soak did (a mismatch divides by zero; an error or a crash ends the session)"
    local growth=$(( peak - rss0 )) n=$(( tx1 - tx0 )) half=$(( ${#samples[@]} / 2 ))
    # A leak grows in both halves; allocator warm-up only in the first.
    local mid=${samples[$half]:-$rss0} last=${samples[-1]:-$rss0}
    echo "  backend memory (RssAnon): ${rss0} kB after warm-up, ${mid} kB halfway, ${last} kB at the end, peak ${peak} kB, over $n transactions"
    # Allocator noise is a few hundred kB; a leak per transaction shows as steady growth.
    [ "$growth" -le 2048 ] || die "the backend grew by $growth kB over $n transactions after warm-up"
    expect_exact soak "after the soak"
    RESULTS+=("soak: $SOAK_SECONDS s of random transactions in one backend, memory ${rss0} -> ${mid} -> ${last} kB (peak +$growth kB) over $n transactions after warm-up, exact")
}

for s in "${STEPS[@]}"; do "step_$s"; done
say "ops summary"
printf '  %s\n' "${RESULTS[@]}"
printf 'ops summary: %s steps green (%s)\n' "${#STEPS[@]}" "${STEPS[*]}"
