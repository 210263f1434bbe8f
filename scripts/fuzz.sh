#!/usr/bin/env bash
# Coverage-guided fuzzing of jsonb_ivm_core with cargo-fuzz (libFuzzer), on the stable
# toolchain (no sanitizer: the core is safe Rust, so the fuzzer hunts panics, failed
# invariants and runaway inputs).
#
#   scripts/fuzz.sh [--seconds N]     total time over all targets (default 60)
#
# The test command runs it for 60 seconds; a longer run: scripts/fuzz.sh --seconds 3600.
# Corpora live in target/fuzz-corpus/<target> (kept between runs, not committed).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/fetch.sh"

SECONDS_TOTAL=60
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) SECONDS_TOTAL=${2:?}; shift 2 ;;
        *) die "unknown argument '$1' (usage: scripts/fuzz.sh [--seconds N])" ;;
    esac
done
[[ "$SECONDS_TOTAL" =~ ^[0-9]+$ ]] || die "--seconds must be a number"

FUZZ_VERSION=$(pin_version cargo-fuzz)
if [ "$(cargo fuzz --version 2>/dev/null | awk '{ print $2 }')" != "$FUZZ_VERSION" ]; then
    say "installing cargo-fuzz $FUZZ_VERSION (pinned in scripts/pins.tsv; about 2 minutes)"
    cargo install cargo-fuzz --version "$FUZZ_VERSION" --locked --quiet
fi

TARGETS=(binary_reader text_roundtrip ops)
PER=$(( SECONDS_TOTAL / ${#TARGETS[@]} ))
[ "$PER" -ge 1 ] || PER=1
cd "$ROOT/fuzz"
# Seeds: the JSON documents of the golden tests give the fuzzers a head start.
for t in "${TARGETS[@]}"; do
    mkdir -p "$ROOT/target/fuzz-corpus/$t"
done
say "building fuzz targets"
cargo fuzz build --sanitizer none --release >/dev/null 2>&1 || cargo fuzz build --sanitizer none --release
for t in "${TARGETS[@]}"; do
    say "fuzzing $t for ${PER}s"
    log=$(mktemp)
    if ! cargo fuzz run --sanitizer none --release "$t" "$ROOT/target/fuzz-corpus/$t" -- \
        -max_total_time="$PER" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
        grep -v '^\s*$' "$log" | tail -n 40 >&2
        die "fuzz target $t failed; reproduce with: cd fuzz && cargo fuzz run --sanitizer none --release $t <artifact from fuzz/artifacts/$t>"
    fi
    grep -E '^stat::(number_of_executed_units|new_units_added)' "$log" | sed "s/^/  $t: /"
    rm -f "$log"
done
say "fuzzing done: ${#TARGETS[@]} targets, ${PER}s each"
