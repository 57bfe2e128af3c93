#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools.fault_walk: walks every allocation failure point of `ndisbuf demo`
# (docs/fault-injection.md). A first run with `--fault count` fails nothing
# and counts the allocations, K; then for every k in 1..K the demo runs with
# `--fault nth=k` (two at a time) and must fail cleanly:
#   - exit status 0 or 1: never 2, never a signal (ASan and UBSan abort);
#   - stderr names the allocation fault injection failed;
#   - a verdict on stdout: PASS, or a FAIL line naming what failed;
#   - the teardown succeeded, and "leaks 0": nothing outstanding, no pool
#     alive;
#   - no verifier report (the runs have NDISBUF_VERIFIER=2), no sanitizer
#     report on stderr.
# Before the walk, the NDISBUF_FAULT environment variable: a plan in it
# arms fault injection at start-up, a bad one is one line on stderr and
# changes nothing.
# The summary's frame count keeps K small (about 1030 allocations are the
# stack's; each frame adds three: its NBL and two contexts).
#
# To reproduce a failing k by hand:
#   build/tools/ndisbuf/ndisbuf demo --quiet --frames 20 --fault nth=<k>
set -eu
. "$(dirname "$0")/fault_lib.sh"

FRAMES=${FAULT_WALK_FRAMES:-20}

# The first failable allocation is the loopback miniport's configuration
# handle (it reads its DataPath keyword in MiniportInitializeEx).
NDISBUF_FAULT="nth=1" run demo --quiet --frames "$FRAMES"
expect_status 1
expect_err "NdisOpenConfigurationEx: allocation failed by fault injection (memory allocation #1)"
expect_out "fault injection  1 allocations counted, 1 failed on purpose"
NDISBUF_FAULT="nth=1,kinds=nbl+bogus" run demo --quiet --frames "$FRAMES"
expect_status 0
expect_err "ndisbuf: NDISBUF_FAULT: 'nth=1,kinds=nbl+bogus': unknown kind 'bogus'"
[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "more than one line on stderr for a bad NDISBUF_FAULT"
run demo --quiet --frames "$FRAMES" --fault nth=0
expect_status 2
expect_err "ndisbuf demo: --fault: 'nth=0': FailNth and ProbabilityPpm are both 0"

run demo --quiet --frames "$FRAMES" ${FAULT_DEMO_ARGS:-} --fault count
expect_status 0
expect_out "PASS: $FRAMES frames came back intact"
expect_out "failed on purpose"
K=$(sed -n 's/^  fault injection  *\([0-9][0-9]*\) allocations counted.*/\1/p' "$TMP/out")
[ -n "$K" ] && [ "$K" -gt 0 ] || fail "no allocation count in the summary"
echo "K = $K allocations (demo --frames $FRAMES)"

k=1
while [ "$k" -le "$K" ]; do
    fault_check "nth=$k" "$FRAMES" 1 &
    first=$!
    second=
    if [ $((k + 1)) -le "$K" ]; then
        fault_check "nth=$((k + 1))" "$FRAMES" 1 &
        second=$!
    fi
    wait "$first" || :
    [ -z "$second" ] || wait "$second" || :
    k=$((k + 2))
done
fault_verdict "$K failure points"
