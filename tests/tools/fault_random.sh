#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools.fault_random: `ndisbuf demo --fault ppm=2000,seed=S` for five seeds:
# each allocation fails with probability 0.2 %, wherever it falls. Every
# run must fail cleanly, as in tools.fault_walk (exit 0 or 1, what failed
# named, no leak, no sanitizer or verifier report), and a seed must fail
# the same allocation each time it is run.
#
# Of the demo's first thousand allocations, 1024 are the loopback
# miniport's receive NBLs, so at 0.2 % most runs of every kind fail there,
# in MiniportInitializeEx. A second round leaves NBLs out
# (kinds=all but nbl) with 2000 frames: then the failures fall in the
# traffic, several per run (the VLAN filter's contexts on send and on
# receive), and the runs go on after them.
#
# To reproduce a seed:
#   build/tools/ndisbuf/ndisbuf demo --quiet --frames 200 --fault ppm=2000,seed=<S>
set -eu
. "$(dirname "$0")/fault_lib.sh"

for seed in 1 2 3 4 5; do
    fault_check "ppm=2000,seed=$seed" 200 - &
done
wait
fault_verdict "5 seeded runs"

NOT_NBL=nb+mdl+context+retreat+packet+buffer+memory+pool
for seed in 1 2 3 4 5; do
    fault_check "ppm=2000,seed=$seed,kinds=$NOT_NBL" 2000 - &
done
wait
fault_verdict "5 seeded runs without NBL failures"

# The same seed twice: the same allocations fail (their numbers in the diagnostics).
for pass in 1 2; do
    NDISBUF_FAULT= "$NDISBUF" demo --quiet --frames 200 --fault ppm=20000,seed=7 >"$TMP/seed.$pass.out" \
        2>"$TMP/seed.$pass.err" || :
    grep -o "allocation #[0-9]*" "$TMP/seed.$pass.err" | head -1 >"$TMP/seed.$pass.first"
done
[ -s "$TMP/seed.1.first" ] || fail "ppm=20000,seed=7 failed no allocation"
cmp -s "$TMP/seed.1.first" "$TMP/seed.2.first" || fail "seed 7 failed allocation $(cat "$TMP/seed.1.first") then $(cat "$TMP/seed.2.first")"
echo "PASS: seed 7 fails $(cat "$TMP/seed.1.first") both times"
