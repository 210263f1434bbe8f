# Shared helpers for the project's scripts. Source it; do not run it.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

say() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# The extension crates, in install order.
EXTENSIONS=(jsonb_ivm pg_tviews)

# A PG_CONFIG the user gave is remembered once, before any script exports the one a bootstrap
# chose: a nested script asking for the other flavor must not inherit its caller's choice.
if [ -z "${PG_TVIEWS_USER_PG_CONFIG+set}" ]; then
    export PG_TVIEWS_USER_PG_CONFIG=${PG_CONFIG:-}
fi

# Run the bootstrap and export PG_CONFIG and PG_BIN for the chosen flavor (and major: 17
# unless given; another major ignores a PG_CONFIG the user gave, which is 17's).
bootstrap() {
    local flavor=${1:-debug} major=${2:-17} user=$PG_TVIEWS_USER_PG_CONFIG
    [ "$major" = 17 ] || user=""
    PG_CONFIG=$(PG_CONFIG=$user "$ROOT/scripts/bootstrap.sh" --flavor "$flavor" --pg "$major" | tail -n 1)
    PG_BIN=$("$PG_CONFIG" --bindir)
    export PG_CONFIG PG_BIN
}

# Build and install both extensions into the PostgreSQL of $PG_CONFIG.
install_extensions() {
    local profile_flag=()
    [ "${1:-}" = release ] && profile_flag=(--release)
    for ext in "${EXTENSIONS[@]}"; do
        say "cargo pgrx install -p $ext ${profile_flag[*]}"
        (cd "$ROOT" && cargo pgrx install -p "$ext" --pg-config "$PG_CONFIG" "${profile_flag[@]}") >&2
    done
}

# release_target_dir MAJOR: the cargo target directory of release builds for MAJOR (pgrx binds
# a build to one pg_config): shared by the benchmark, the Docker test's artifacts and, for 18,
# the versions layer, so each is compiled once.
release_target_dir() {
    if [ "$1" = 17 ]; then echo "$ROOT/target/release-pg"; else echo "$ROOT/target/release-pg$1"; fi
}

# prepare_flavor debug|release [MAJOR]: bootstrap that PostgreSQL build (of MAJOR, 17 unless
# given) and install both extensions into it. Release builds use a target dir of their own
# (per major): pgrx binds to one pg_config per build.
prepare_flavor() {
    local major=${2:-17}
    bootstrap "$1" "$major"
    if [ "$1" = release ]; then
        CARGO_TARGET_DIR=$(release_target_dir "$major")
        export CARGO_TARGET_DIR
        install_extensions release
    else
        install_extensions
    fi
}

# Run a command as the postgres OS user (the server refuses to run as root).
as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; else sudo -u postgres -- "$@"; fi
}

# A free TCP port on loopback, starting from $1.
free_port() {
    local p=${1:-54330}
    while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
    echo "$p"
}

# cluster_start DIR: initdb a throwaway cluster in DIR (owned by postgres) and start it on a
# free port, listening on a socket in DIR only. Sets CLUSTER_DIR, PGHOST, PGPORT, PGUSER.
cluster_start() {
    CLUSTER_DIR=$1
    mkdir -p "$CLUSTER_DIR"
    chown postgres: "$CLUSTER_DIR" 2>/dev/null || true
    chmod 700 "$CLUSTER_DIR"
    PGPORT=$(free_port "${2:-54330}")
    PGHOST=$CLUSTER_DIR
    PGUSER=postgres
    export PGHOST PGPORT PGUSER
    say "initdb $CLUSTER_DIR/data (port $PGPORT)"
    as_postgres "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -U postgres --auth=trust \
        --no-instructions -E UTF8 --locale=C >"$CLUSTER_DIR/initdb.log" 2>&1 \
        || { cat "$CLUSTER_DIR/initdb.log" >&2; die "initdb failed"; }
    as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w \
        -o "-p $PGPORT -k $CLUSTER_DIR -c listen_addresses='' ${CLUSTER_OPTIONS:-}" start >/dev/null \
        || { tail -n 30 "$CLUSTER_DIR/server.log" >&2; die "the server did not start"; }
}

cluster_stop() {
    [ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR/data" ] || return 0
    as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

# psql against the throwaway cluster, stopping at the first error.
pg() { "$PG_BIN/psql" -X -v ON_ERROR_STOP=1 "$@"; }

# check_bench_files DIR: a benchmark run's output in DIR is complete: every file written and
# not empty, every approach that needs no other extension present in results.csv.
check_bench_files() {
    local dir=$1 f a
    for f in report.md results.csv concurrent.csv chart.svg bench.log; do
        [ -s "$dir/$f" ] || die "benchmark output $dir/$f is missing or empty"
    done
    for a in bare pg_tviews manual matview matview_concurrently; do
        grep -q "^[^,]*,$a," "$dir/results.csv" || die "approach $a missing from $dir/results.csv"
    done
}
