#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools.demo_run: `ndisbuf demo --frames 5000` over the loopback miniport
# passes, and its narration and summary show the negotiation, the VLAN
# filter's insertion with the pool's reallocation, every frame back intact
# and no leak.
set -eu
. "$(dirname "$0")/lib.sh"

run demo --frames 5000
expect_status 0
expect_out "NDIS_BIND_PARAMETERS                 data back-fill 0, context back-fill 0"
expect_out "OID_GEN_MINIPORT_RESTART_ATTRIBUTES  data back-fill 0, context back-fill 0 (NDIS_STATUS_SUCCESS, agrees"
expect_out "data back-fill 0 -> 4, context back-fill 0 -> 16, MTU 1500 -> 1496"
expect_out "reallocated: PoolReallocations 0 -> 1"
expect_out "negotiated       data back-fill 4, context 16 (bind 0/0, OID 0/0, restart 4/16, stack 4/16)"
expect_out "frames           sent 5000, completed ok 5000, received 5000, mismatched 0, missing 0, duplicated 0"
expect_out "vlan filter      tagged 5000, stripped 5000"
expect_out "teardown         unbind, detach, remove adapter, unload drivers: NDIS_STATUS_SUCCESS"
expect_out "leaks            0 (objects outstanding 0, live pools 0)"
expect_out "PASS: 5000 frames came back intact"
[ ! -s "$TMP/err" ] || fail "stderr is not empty"

# --quiet: the summary only; other sizes, batches, VLAN and priority work too.
run demo --quiet --frames=3000 --size 1510 --batch 1 --vlan 4094 --priority 7
expect_status 0
expect_out "mismatched 0, missing 0, duplicated 0"
expect_out "leaks            0 (objects outstanding 0, live pools 0)"
if grep -q "^1. bind" "$TMP/out"; then fail "--quiet still narrates"; fi
run demo --quiet --frames 2000 --size 18 --batch 1024
expect_status 0
expect_out "sent 2000, completed ok 2000, received 2000, mismatched 0"
echo "PASS"
