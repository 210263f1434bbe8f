#!/usr/bin/env bash
# The benchmark in Docker (docker-compose.yml's bench service), from the host:
#
#   docker/bench.sh [--pg 16|17|18] COMMAND ...
#                                   the PostgreSQL major (default 17): image pg_tviews:<major>
#                                   on the base postgres:<major> (PG_TVIEWS_IMAGE and
#                                   PG_TVIEWS_BASE_IMAGE still win); give it to every command
#   docker/bench.sh build [--prebuilt] [-- docker build options...]
#                                   build the image: compile everything, or
#                                   --prebuilt: take docker/prebuilt/ (docker/build-artifacts.sh)
#   docker/bench.sh up              start the service and wait until it is healthy
#   docker/bench.sh run [--scale tiny|small|medium|large] [pg_tviews_bench options...]
#                                   run the benchmark in it (starts it first if needed); the
#                                   report, CSV and chart land in ./results/<timestamp>-<scale>/
#   docker/bench.sh results         list the runs in ./results and print the newest report
#   docker/bench.sh down            stop and remove the container and its data volume
#
# Uses `docker compose` when the Compose plugin is there, else `docker-compose`. Honours the
# compose file's PG_TVIEWS_* variables (docs/docker.md), COMPOSE_FILE / COMPOSE_PROJECT_NAME,
# DOCKER (the docker client to use, default `docker`) and PG_TVIEWS_HEALTH_TIMEOUT (seconds,
# default 180). Exit codes: 0 done, 1 failed, 2 usage error.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib/common.sh"
source "$(dirname "$0")/../scripts/lib/fetch.sh"

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-0}"; }
usage_error() { printf 'ERROR: %s\n' "$*" >&2; usage 2 >&2; }

DOCKER=${DOCKER:-docker}
MAJOR=17
if [[ "${1:-}" == --pg=* ]]; then set -- --pg "${1#--pg=}" "${@:2}"; fi
if [ "${1:-}" = --pg ]; then
    MAJOR=${2:-}
    mapfile -t majors < <(supported_majors)
    case " ${majors[*]} " in
        *" $MAJOR "*) ;;
        *) usage_error "--pg must be one of ${majors[*]}, not '$MAJOR'" ;;
    esac
    shift 2
fi
# Exported for compose, whose file defaults to the 17 names.
export PG_TVIEWS_IMAGE=${PG_TVIEWS_IMAGE:-pg_tviews:$MAJOR}
export PG_TVIEWS_BASE_IMAGE=${PG_TVIEWS_BASE_IMAGE:-postgres:$MAJOR}
IMAGE=$PG_TVIEWS_IMAGE
# Compose resolves a relative results path against the repository root; so does this script.
RESULTS=${PG_TVIEWS_RESULTS:-./results}
[[ "$RESULTS" = /* ]] || RESULTS="$ROOT/${RESULTS#./}"
HEALTH_TIMEOUT=${PG_TVIEWS_HEALTH_TIMEOUT:-180}
SERVICE=bench

need_engine() {
    command -v "$DOCKER" >/dev/null || die "no docker client ('$DOCKER') on PATH: install Docker first"
    "$DOCKER" info >/dev/null 2>&1 || die "cannot reach the Docker engine with '$DOCKER' (is dockerd running, may this user use it?)"
}

COMPOSE=()
need_compose() {
    need_engine
    if "$DOCKER" compose version >/dev/null 2>&1; then
        COMPOSE=("$DOCKER" compose)
    elif command -v docker-compose >/dev/null; then
        COMPOSE=(docker-compose)
    else
        die "neither 'docker compose' nor 'docker-compose' is installed"
    fi
}

compose() { (cd "$ROOT" && "${COMPOSE[@]}" "$@"); }

container_id() { compose ps -q "$SERVICE" 2>/dev/null || true; }

# same_image ID: the container ID runs $IMAGE. A container of another major is refused, not
# replaced: its data volume would hold a cluster of that major.
same_image() {
    local running
    running=$("$DOCKER" inspect -f '{{.Config.Image}}' "$1" 2>/dev/null || true)
    [ "$running" = "$IMAGE" ] \
        || die "the $SERVICE service runs $running, not $IMAGE: run docker/bench.sh down first (it removes that container and its data)"
}

health_of() { "$DOCKER" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$1" 2>/dev/null || echo gone; }

cmd_build() {
    local artifacts=build extra=()
    while [ $# -gt 0 ]; do
        case "$1" in
            --prebuilt) artifacts=prebuilt; shift ;;
            --) shift; extra=("$@"); break ;;
            *) usage_error "build: unknown argument '$1'" ;;
        esac
    done
    if [ "$artifacts" = build ] && [ -n "${PG_TVIEWS_ARTIFACTS:-}" ]; then artifacts=$PG_TVIEWS_ARTIFACTS; fi
    case "$artifacts" in build|prebuilt) ;; *) usage_error "PG_TVIEWS_ARTIFACTS must be build or prebuilt" ;; esac
    if [ "$artifacts" = prebuilt ] && ! compgen -G "$ROOT/docker/prebuilt/lib/*.so" >/dev/null; then
        die "no prebuilt artifacts in docker/prebuilt/ (make them with docker/build-artifacts.sh --pg-config <pg_config> --out docker/prebuilt)"
    fi
    need_engine
    local args=(--build-arg "BASE_IMAGE=$PG_TVIEWS_BASE_IMAGE" --build-arg "ARTIFACTS=$artifacts"
                -t "$IMAGE" "${extra[@]}" "$ROOT")
    say "building $IMAGE (artifacts: $artifacts, base: $PG_TVIEWS_BASE_IMAGE)"
    # Only BuildKit skips the artifact stage not chosen; the classic builder would run both.
    if "$DOCKER" buildx version >/dev/null 2>&1; then
        "$DOCKER" buildx build --load "${args[@]}" || die "the image build failed"
    else
        DOCKER_BUILDKIT=1 "$DOCKER" build "${args[@]}" \
            || die "the image build failed (it needs BuildKit: Docker 23+ with buildx, or Docker 20.10 with DOCKER_BUILDKIT=1)"
    fi
    say "built $IMAGE"
}

cmd_up() {
    [ $# -eq 0 ] || usage_error "up takes no arguments"
    need_compose
    "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1 || die "no image $IMAGE: run docker/bench.sh build first"
    mkdir -p "$RESULTS"
    local existing
    existing=$(container_id)
    [ -z "$existing" ] || same_image "$existing"
    say "starting the $SERVICE service ($IMAGE)"
    compose up -d --no-build "$SERVICE" || die "compose up failed"
    local id status waited=0
    id=$(container_id)
    [ -n "$id" ] || die "compose started no $SERVICE container"
    while :; do
        status=$(health_of "$id")
        case "$status" in
            healthy) break ;;
            starting|running|created) ;;
            *) compose logs --tail 50 "$SERVICE" >&2 || true; die "the $SERVICE container is $status" ;;
        esac
        if [ "$waited" -ge "$HEALTH_TIMEOUT" ]; then
            compose logs --tail 50 "$SERVICE" >&2 || true
            die "the $SERVICE container is not healthy after ${HEALTH_TIMEOUT}s (status: $status)"
        fi
        sleep 2
        waited=$((waited + 2))
    done
    say "$SERVICE is healthy: PostgreSQL on ${PG_TVIEWS_BIND:-127.0.0.1}:${PG_TVIEWS_PORT:-5433} (user postgres)"
}

cmd_run() {
    for a in "$@"; do case "$a" in --out|--out=*) usage_error "run writes to the results volume; --out is not an option here" ;; esac; done
    need_compose
    local id
    id=$(container_id)
    [ -z "$id" ] || same_image "$id"
    if [ -z "$id" ] || [ "$(health_of "$id")" != healthy ]; then cmd_up; fi
    say "running the benchmark in the $SERVICE container: pg_tviews_bench $*"
    local log
    log=$(mktemp)
    set +e
    compose exec -T "$SERVICE" pg_tviews_bench --out /results "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    set -e
    local dir
    dir=$(sed -nE 's|^results: /results/(.*)$|\1|p' "$log" | tail -n1)
    rm -f "$log"
    [ "$rc" -eq 0 ] || die "the benchmark failed in the container (exit $rc)"
    [ -n "$dir" ] || die "the benchmark printed no results directory"
    [ -s "$RESULTS/$dir/report.md" ] || die "no report in $RESULTS/$dir (is the results volume mounted from $RESULTS?)"
    say "results on the host: $RESULTS/$dir"
    echo "$RESULTS/$dir"
}

cmd_results() {
    [ $# -eq 0 ] || usage_error "results takes no arguments"
    local runs=()
    [ -d "$RESULTS" ] && mapfile -t runs < <(find "$RESULTS" -mindepth 2 -maxdepth 2 -name report.md -printf '%h\n' | sort)
    [ ${#runs[@]} -gt 0 ] || die "no benchmark results in $RESULTS yet (docker/bench.sh run)"
    say "runs in $RESULTS"
    printf '  %s\n' "${runs[@]##*/}"
    local newest=${runs[${#runs[@]}-1]}
    say "newest report: $newest/report.md"
    cat "$newest/report.md"
}

cmd_down() {
    [ $# -eq 0 ] || usage_error "down takes no arguments"
    need_compose
    say "stopping and removing the $SERVICE service and its data volume"
    compose down -v --remove-orphans || die "compose down failed"
}

[ $# -ge 1 ] || usage_error "a command is needed"
command=$1
shift
case "$command" in
    build) cmd_build "$@" ;;
    up) cmd_up "$@" ;;
    run) cmd_run "$@" ;;
    results) cmd_results "$@" ;;
    down) cmd_down "$@" ;;
    -h|--help|help) usage 0 ;;
    *) usage_error "unknown command '$command'" ;;
esac
