#!/usr/bin/env bash
# Self-test of the pinned downloads (scripts/lib/fetch.sh), offline: a table of file:// sources
# whose first entries fail in each way a real source can (missing, wrong checksum), so the
# order, the checksum check, the downloads directory and the final error are all exercised.
set -euo pipefail
WORK=$(mktemp -d /tmp/pg_tviews-fetchtest.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
printf 'the pinned artifact\n' >"$WORK/good.txt"
printf 'something else\n' >"$WORK/bad.txt"
SHA=$(sha256sum "$WORK/good.txt" | awk '{ print $1 }')
cat >"$WORK/pins.tsv" <<TABLE
# artifact  version  file  sha256  kind  where
demo   1.0   demo.txt   $SHA   url   file://$WORK/missing.txt
demo   1.0   demo.txt   $SHA   url   file://$WORK/bad.txt
demo   1.0   demo.txt   $SHA   url   file://$WORK/good.txt
gone   2.0   gone.txt   $SHA   url   file://$WORK/missing.txt
gone   2.0   gone.txt   $SHA   url   file://$WORK/bad.txt
TABLE
export PG_TVIEWS_PINS="$WORK/pins.tsv" PG_TVIEWS_DOWNLOADS="$WORK/downloads"
# shellcheck source=lib/fetch.sh
source "$(dirname "$0")/lib/fetch.sh"
fail() { printf 'test_fetch: FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(pin_version demo)" = 1.0 ] || fail "pin_version"
got=$(fetch_pinned demo 2>"$WORK/log1") || fail "demo not fetched: $(cat "$WORK/log1")"
[ "$got" = "$WORK/downloads/demo.txt" ] || fail "demo went to $got"
cmp -s "$got" "$WORK/good.txt" || fail "demo has the wrong content"
grep -q 'try 1: file://.*missing.txt' "$WORK/log1" || fail "the first source was not tried first"
grep -q "sha256 $(sha256sum "$WORK/bad.txt" | awk '{ print $1 }'), expected $SHA" "$WORK/log1" \
    || fail "a wrong checksum was not reported"
# Kept from before: no source is tried again.
rm "$WORK/good.txt"
fetch_pinned demo >/dev/null 2>"$WORK/log2" || fail "the kept file was not used"
grep -q 'kept from before, sha256 verified' "$WORK/log2" || fail "the kept file was not reported"
# A corrupted kept file is ignored, and with no good source left the fetch fails, naming
# every try and what to do.
printf 'corrupt\n' >"$WORK/downloads/demo.txt"
if fetch_pinned demo >/dev/null 2>"$WORK/log3"; then fail "a corrupted kept file was accepted"; fi
grep -q 'wrong sha256: ignored' "$WORK/log3" || fail "the corrupted kept file was not reported"
if fetch_pinned gone >/dev/null 2>"$WORK/log4"; then fail "gone was fetched"; fi
grep -q 'could not get gone from any source' "$WORK/log4" || fail "no final error"
[ "$(grep -c '^\[fetch\]   - ' "$WORK/log4")" = 2 ] || fail "the final error does not list both tries"
grep -q "put gone.txt (sha256 $SHA) into $WORK/downloads" "$WORK/log4" || fail "no advice"
if fetch_pinned nothing 2>/dev/null; then fail "an artifact without a pin was fetched"; fi
echo "test_fetch: 6 checks passed (order, checksum, kept file, corrupted kept file, final error, no pin)"
