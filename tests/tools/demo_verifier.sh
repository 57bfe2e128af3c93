#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools.demo_verifier: the demo (rawprot over the VLAN filter over loopback,
# the filter inserted at run time, every frame checked) passes at every
# verifier level with no report, and NDISBUF_REPORT_JSON stays empty: the
# example drivers and the stack follow every rule the verifier checks.
# A bad NDISBUF_VERIFIER is refused with a diagnostic and the demo runs at 0.
set -eu
. "$(dirname "$0")/lib.sh"

for level in 1 2 3 4; do
    frames=3000
    [ "$level" -lt 4 ] || frames=500
    NDISBUF_VERIFIER=$level NDISBUF_REPORT_JSON="$TMP/reports.json" run demo --quiet --frames $frames
    expect_status 0
    expect_out "PASS: $frames frames came back intact"
    expect_out "leaks            0 (objects outstanding 0, live pools 0)"
    [ ! -s "$TMP/reports.json" ] || fail "level $level raised reports: $(cat "$TMP/reports.json")"
done

NDISBUF_VERIFIER=9 run demo --quiet --frames 100
expect_status 0
expect_err "'9' is not a level 0..4"
