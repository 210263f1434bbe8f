#!/usr/bin/env bash
# Run every test layer, or the ones named:
#
#   scripts/test.sh                 all of: lint unit fuzz pg regress versions defs isolation stress ops bench docker
#   scripts/test.sh unit regress    only those layers
#
# lint     cargo fmt --check, cargo clippy --all-targets -D warnings
# unit     pure Rust unit and property tests of the backend-free crates (cargo test)
# fuzz     one minute of coverage-guided fuzzing of jsonb_ivm_core (scripts/fuzz.sh)
# pg       #[pg_test] tests inside PostgreSQL 17 (cargo pgrx test, server run as `postgres`)
# bench    the benchmark driver end to end at a tiny scale on the test build (its report is
#          produced and complete; the numbers mean nothing here)
# regress  golden SQL files under tests/pg_regress, run by PostgreSQL's pg_regress against a
#          throwaway cluster; any difference from the expected output fails
# versions the extensions built against PostgreSQL 16 and 18 (pinned release binaries), the
#          golden SQL files run there against the same expected output (jsonb_ivm's binary
#          jsonb against the server's, byte for byte, among them)
#          (PG_TVIEWS_OTHER_MAJORS="16" picks; see layer_versions)
# defs     the definition fuzzer: 150 random TVIEW definitions with random writes under random
#          settings, the oracle after every batch (scripts/fuzz_definitions.sh)
# isolation  concurrent sessions interleaved step by step (tests/isolation/specs), run by
#          PostgreSQL's pg_isolation_regress; each permutation ends with the oracle
# stress   scripts/stress.sh for 15 s in each mode: 8 pgbench clients on hot documents, then
#          the oracle (deferred mode must not deadlock at all)
# ops      scripts/ops_test.sh, short form: pg_dump/pg_restore four ways (-j 4, --clean), PgBouncer transaction
#          pooling, a streaming standby, kill -9 of the postmaster, ALTER EXTENSION UPDATE from
#          every released version (schema equal to a fresh install), a 30 s soak
# docker   scripts/docker_test.sh: the image built from host-built artifacts on an offline
#          stand-in for postgres:17, the compose benchmark at tiny scale, CREATE EXTENSION
#
# The first run bootstraps cargo-pgrx and PostgreSQL 17 (see scripts/bootstrap.sh).
# REGRESS_ACCEPT=1 scripts/test.sh regress  rewrites the expected files from the results.
# REGRESS_ONLY="tview_01_single_table" scripts/test.sh regress  runs only those files.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

ALL=(lint unit fuzz pg regress versions defs isolation stress ops bench docker)
LAYERS=("$@")
[ ${#LAYERS[@]} -eq 0 ] && LAYERS=("${ALL[@]}")
for l in "${LAYERS[@]}"; do
    case " ${ALL[*]} " in *" $l "*) ;; *) die "unknown layer '$l' (layers: ${ALL[*]})" ;; esac
done

# Disk: a full run on a fresh clone writes about 8 GB under target/ (debug, release and one
# directory per other major) and a few hundred MB under /tmp. A disk that fills half way fails
# in a compiler with "No space left on device" after minutes; say it first, with what is big.
# A run of chosen layers asks for 2 GB. PG_TVIEWS_MIN_FREE_GB sets the threshold, 0 skips it.
check_free_space() {
    local need_gb=$1 dir free_kb
    [ "$need_gb" -gt 0 ] || return 0
    for dir in "$ROOT" /tmp; do
        free_kb=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
        if [ "$((free_kb / 1048576))" -lt "$need_gb" ]; then
            printf 'Largest entries (du -xsh %s/target /tmp/pg_tviews-*):\n' "$ROOT" >&2
            du -xsh "$ROOT/target" /tmp/pg_tviews-* 2>/dev/null | sort -h | tail -10 >&2 || true
            die "only $((free_kb / 1024)) MB free on the disk holding $dir; this run asks for ${need_gb} GB (PG_TVIEWS_MIN_FREE_GB sets the threshold, 0 skips the check). Failed runs keep their clusters under /tmp/pg_tviews-*; cargo clean frees target/."
        fi
    done
}
if [ $# -eq 0 ]; then
    check_free_space "${PG_TVIEWS_MIN_FREE_GB:-10}"
else
    check_free_space "${PG_TVIEWS_MIN_FREE_GB:-2}"
fi

BOOT_START=$(date +%s)
bootstrap debug
cd "$ROOT"
START=$(date +%s)
TIMES=("bootstrap $((START - BOOT_START)) s")
SUMMARY=()
# The tests want assertions; when no assertion build could be had, they still run on the
# release binaries (scripts/bootstrap.sh), and that must not go unnoticed.
NO_ASSERTIONS=""
if [[ "$("$PG_CONFIG" --configure)" != *--enable-cassert* ]]; then
    NO_ASSERTIONS="!!!! NO ASSERTIONS: every layer ran on $("$PG_CONFIG" --version) built without --enable-cassert ($PG_CONFIG): the bootstrap could download no source for an assertion build (its [fetch] lines say what it tried), or PG_CONFIG names such a build. The results are real, but an assertion failing inside PostgreSQL goes unseen."
    say "$NO_ASSERTIONS"
fi

layer_lint() {
    say "lint: cargo fmt --check"
    cargo fmt --all -- --check
    say "lint: cargo clippy --all-targets -- -D warnings"
    cargo clippy --workspace --all-targets -- -D warnings
    say "lint: pinned downloads (scripts/test_fetch.sh, offline)"
    "$ROOT/scripts/test_fetch.sh"
    SUMMARY+=("lint: fmt and clippy clean; pinned-download fallbacks checked")
}

layer_unit() {
    say "unit: cargo test (backend-free crates)"
    local log
    log=$(mktemp)
    cargo test -p jsonb_ivm_core -p tviews_core 2>&1 | tee "$log"
    SUMMARY+=("unit: $(sum_cargo_results "$log")")
    rm -f "$log"
}

# Add up the "test result:" lines of cargo's output.
sum_cargo_results() {
    awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
         END { printf "%d passed, %d failed", p, f }' "$1"
}

layer_fuzz() {
    say "fuzz: 60 seconds over the jsonb_ivm_core targets"
    "$ROOT/scripts/fuzz.sh" --seconds 60
    SUMMARY+=("fuzz: 3 targets, 60 s, no failure")
}

# layer_pg [MAJOR [EXTENSION...]]: the #[pg_test] tests of the extensions (both unless named)
# in PostgreSQL MAJOR (17 unless given; the build pgrx has registered for it, which the
# bootstrap of that major did).
layer_pg() {
    local major=${1:-17}
    local exts=("${@:2}")
    [ ${#exts[@]} -gt 0 ] || exts=("${EXTENSIONS[@]}")
    local pgdata=/tmp/pg_tviews-pgtest-$major
    mkdir -p "$pgdata"
    chown postgres: "$pgdata"
    local log
    log=$(mktemp)
    for ext in "${exts[@]}"; do
        say "pg: cargo pgrx test pg$major -p $ext (server runs as postgres)"
        rm -rf "${pgdata:?}/$ext"
        as_postgres mkdir -p "$pgdata/$ext"
        (cd "$ROOT/$ext" && cargo pgrx test "pg$major" --runas postgres --pgdata "$pgdata/$ext") 2>&1 | tee -a "$log"
    done
    SUMMARY+=("pg${1:+-pg$major}: $(sum_cargo_results "$log")")
    rm -f "$log"
}

layer_bench() {
    say "bench: scripts/bench.sh at tiny scale on the test build"
    local log
    log=$(mktemp)
    "$ROOT/scripts/bench.sh" --flavor debug --scale tiny --iterations 2 --seconds 2 --clients 2 >"$log" 2>&1 \
        || { tail -n 40 "$log"; die "the benchmark driver failed"; }
    local dir
    dir=$(sed -nE 's/^==> report \((.*)\/report.md\)$/\1/p' "$log" | tail -n1)
    [ -n "$dir" ] || { tail -n 40 "$log"; die "the benchmark printed no report"; }
    dir=${dir#"$ROOT"/}
    check_bench_files "$ROOT/$dir"
    grep -q "pg_ivm was skipped" "$ROOT/$dir/report.md" || grep -q "pg_ivm," "$ROOT/$dir/results.csv" \
        || die "pg_ivm neither measured nor reported as skipped"
    if grep -q "ERROR" "$ROOT/$dir/results.csv"; then die "an approach failed a scenario: see $dir/report.md"; fi
    rm -rf "${ROOT:?}/$dir" "$log"
    SUMMARY+=("bench: driver, report, CSV and chart produced at tiny scale")
}

# run_golden LAYER TOOL DIR TESTS...: run PostgreSQL's pg_regress or pg_isolation_regress (TOOL,
# relative to pgxs/src/test) over TESTS from tests/DIR against a throwaway cluster started with
# $CLUSTER_OPTIONS; any difference from tests/DIR/expected fails. REGRESS_ACCEPT=1 copies the
# results over the expected files instead (review the diff before committing).
run_golden() {
    local layer=$1 tool=$2 dir=$3
    shift 3
    install_extensions "${INSTALL_PROFILE:-debug}"
    local work
    work=$(mktemp -d "/tmp/pg_tviews-$layer.XXXXXX")
    chmod 755 "$work"
    trap 'cluster_stop' EXIT
    cluster_start "$work/cluster"
    local pgxs
    pgxs=$(dirname "$("$PG_CONFIG" --pgxs)")/..
    say "$layer: $(basename "$tool") $*"
    local out="$work/out"
    mkdir -p "$out"
    chown postgres: "$out"
    set +e
    # From the repository root: tests include shared SQL with paths relative to it.
    cd "$ROOT"
    as_postgres "$pgxs/test/$tool" \
        --bindir="$PG_BIN" --host="$PGHOST" --port="$PGPORT" --user=postgres \
        --inputdir="$ROOT/tests/$dir" --outputdir="$out" \
        --dbname="pg_tviews_${layer%%-*}" "$@" 2>&1 | tee "$work/$layer.log"
    local rc=${PIPESTATUS[0]}
    set -e
    if [ "${REGRESS_ACCEPT:-0}" = 1 ]; then
        cp "$out"/results/*.out "$ROOT/tests/$dir/expected/"
        say "$layer: results copied to tests/$dir/expected (review with git diff)"
        rc=0
    fi
    if [ "$rc" -ne 0 ]; then
        [ -f "$out/regression.diffs" ] && cat "$out/regression.diffs"
        cluster_stop
        die "$layer tests failed (diffs above; results in $out/results)"
    fi
    SUMMARY+=("$layer: $(grep -Eo 'All [0-9]+ tests passed' "$work/$layer.log" || echo "$# files passed")")
    cluster_stop
    trap - EXIT
    rm -rf "$work"
}

# layer_regress [LABEL [SKIP]]: every golden file but SKIP; LABEL names the run (another major).
layer_regress() {
    local tests=() t
    for f in "$ROOT"/tests/pg_regress/sql/*.sql; do
        t=$(basename "$f" .sql)
        [ "$t" = "${2:-}" ] || tests+=("$t")
    done
    if [ -n "${REGRESS_ONLY:-}" ]; then
        # Developer aid: run only these files (after the install file they all need).
        # shellcheck disable=SC2206
        tests=(00_install $REGRESS_ONLY)
    fi
    CLUSTER_OPTIONS="" run_golden "regress${1:+-$1}" regress/pg_regress pg_regress "${tests[@]}"
}

# The other PostgreSQL majors: release binaries, the extensions built against them in a target
# directory of their own (pgrx binds a build to one major), the golden SQL files (both
# extensions' SQL surface, the randomized oracle included) run there. jsonb_ivm's results are
# compared with the server's own jsonb byte for byte by the golden file jsonb_ivm_properties
# (record_image_eq), and pg_tviews' catalog by pg_tviews_catalog, on every major; the
# #[pg_test] tests (the same checks from Rust) run on 17 only: on another major they cost a
# test build and a second build with the test feature (about 4 minutes each) for nothing the
# golden files miss.
# pg_regress accepts NAME.out or any NAME_N.out: a file whose output differs there has a
# variant. The release binaries are built without ICU, so the files creating ICU collations
# have one (tests/pg_regress/expected/*_1.out: the same file where those statements fail).
# shellcheck disable=SC2206
OTHER_MAJORS=(${PG_TVIEWS_OTHER_MAJORS:-16 18})
layer_versions() {
    local saved_config=$PG_CONFIG saved_bin=$PG_BIN saved_target=${CARGO_TARGET_DIR:-}
    local major
    for major in "${OTHER_MAJORS[@]}"; do
        say "versions: PostgreSQL $major"
        bootstrap release "$major"
        # 18 is built in release mode, in the target directory that the Docker test's 18
        # image and `scripts/bench.sh --pg 18` use too, so it is compiled once; 16 keeps the
        # debug build's checks (overflow, debug assertions).
        local profile=debug
        export CARGO_TARGET_DIR="$ROOT/target/pg$major"
        if [ "$major" = 18 ]; then
            profile=release
            CARGO_TARGET_DIR=$(release_target_dir "$major")
        fi
        # The 10,000-statement oracle stays on 17 (two minutes per major); the deferred
        # oracle's 4,000 statements run everywhere.
        INSTALL_PROFILE=$profile layer_regress "pg$major" tview_90_random_oracle
    done
    PG_CONFIG=$saved_config PG_BIN=$saved_bin
    export PG_CONFIG PG_BIN
    if [ -n "$saved_target" ]; then export CARGO_TARGET_DIR=$saved_target; else unset CARGO_TARGET_DIR; fi
}

layer_defs() {
    local log
    log=$(mktemp)
    "$ROOT/scripts/fuzz_definitions.sh" --cases 150 --seed "${FUZZ_SEED:-1}" 2>&1 | tee "$log"
    SUMMARY+=("defs: $(sed -n 's/^definition fuzzer: //p' "$log" | tail -n1)")
    rm -f "$log"
}

layer_isolation() {
    local specs=()
    for f in "$ROOT"/tests/isolation/specs/*.spec; do specs+=("$(basename "$f" .spec)"); done
    # Developer aid, as for regress: REGRESS_ONLY="keys_across_tables" runs only those specs.
    # shellcheck disable=SC2206
    [ -n "${REGRESS_ONLY:-}" ] && specs=($REGRESS_ONLY)
    # Two-phase commit is among the specs.
    CLUSTER_OPTIONS="-c max_prepared_transactions=10" \
        run_golden isolation isolation/pg_isolation_regress isolation "${specs[@]}"
}

layer_stress() {
    for mode in immediate deferred; do
        say "stress: scripts/stress.sh, 8 clients, 15 s, $mode mode, on the test build"
        "$ROOT/scripts/stress.sh" --flavor debug --clients 8 --seconds 15 --mode "$mode"
    done
    SUMMARY+=("stress: 8 concurrent clients for 15 s in each mode, every TVIEW exact")
}

layer_ops() {
    local log
    log=$(mktemp)
    "$ROOT/scripts/ops_test.sh" --seconds 8 --soak-seconds 30 2>&1 | tee "$log"
    SUMMARY+=("$(sed -n 's/^ops summary: /ops: /p' "$log" | tail -n1)")
    rm -f "$log"
}

layer_docker() {
    local log
    log=$(mktemp)
    "$ROOT/scripts/docker_test.sh" 2>&1 | tee "$log"
    SUMMARY+=("$(sed -n 's/^docker summary: /docker: /p' "$log" | tail -n1)")
    rm -f "$log"
}

for l in "${LAYERS[@]}"; do
    t0=$(date +%s)
    "layer_$l"
    TIMES+=("$l $(($(date +%s) - t0)) s")
done

say "summary ($(( $(date +%s) - START )) s of layers)"
printf '  %s\n' "${SUMMARY[@]}"
say "time per step: $(IFS=,; echo "${TIMES[*]}" | sed 's/,/, /g')"
[ -z "$NO_ASSERTIONS" ] || printf '%s\n' "$NO_ASSERTIONS"
