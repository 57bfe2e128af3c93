#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Instruction counts per operation under valgrind --tool=callgrind: the
# stable figure of docs/performance.md (the same on any run, any load).
#
#   bench/callgrind.sh <build dir>
#
# Runs <build dir>/bench/bench_instructions under callgrind. That program
# dumps the counters twice per operation (N1 and N2 operations, counters
# zeroed before each); Ir per operation is (Ir(N2) - Ir(N1)) / (N2 - N1)
# minus the same figure for the empty loop. Prints a table, and the
# summary rows (alloc+free pair and the others against DPDK) go to
# $NDISBUF_BENCH_RESULTS like every benchmark's. Without valgrind: a
# message, and nothing else.
set -euo pipefail

build=${1:?usage: bench/callgrind.sh <build dir>}
prog=$build/bench/bench_instructions
if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind: valgrind not installed (apt-get install valgrind); instruction counts skipped"
    exit 0
fi
if [ ! -x "$prog" ]; then
    echo "callgrind: $prog not built; instruction counts skipped"
    exit 0
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/ndisbuf-callgrind.XXXXXX")
trap 'rm -rf "$out"' EXIT

run() {
    NDISBUF_BENCH_CG_DPDK=$1 valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" \
        --collect-atstart=yes --dump-instr=no "$prog" >"$out/stdout" 2>"$out/stderr"
}
# DPDK's EAL may not come up under valgrind: then count without it.
if ! run 1 || ! grep -q 'Client Request: dpdk ' "$out"/cg.out.* 2>/dev/null; then
    echo "callgrind: DPDK's EAL did not come up under valgrind; DPDK peer skipped here"
    rm -f "$out"/cg.out*
    run 0 || { echo "callgrind: valgrind failed:"; tail -5 "$out/stderr"; exit 0; }
fi

# One line per dump: key scale n Ir.
for f in "$out"/cg.out.*; do
    awk '/^desc: Trigger: Client Request: / { sub(/^desc: Trigger: Client Request: /, ""); label = $0 }
         /^(totals|summary): / { ir = $2 }
         END { if (label != "") print label, ir }' "$f"
done | sort -k1,1 -k3,3n >"$out/dumps"

# key -> Ir per operation, net of the empty loop.
awk '
    { key = $1; scale[key] = $2; if ($3 < n1[key] || !(key in n1)) { n1[key] = $3; i1[key] = $4 }
      if ($3 > n2[key]) { n2[key] = $3; i2[key] = $4 } order[key] = NR }
    END {
        loop = (i2["loop"] - i1["loop"]) / (n2["loop"] - n1["loop"])
        for (k in n1) if (k != "loop") {
            per_call = (i2[k] - i1[k]) / (n2[k] - n1[k])
            printf "%s %.1f\n", k, (per_call - loop) / scale[k]
        }
        printf "loop %.1f\n", loop
    }' "$out/dumps" >"$out/ir"

ir() { awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print "" }' "$out/ir"; }

echo "instructions per operation (callgrind Ir, net of the loop's own $(ir loop) per iteration):"
while read -r key value; do
    [ "$key" = loop ] && continue
    printf '  %-16s %8s Ir\n' "$key" "$value"
done < <(sort "$out/ir")

row() { # op ndisbuf-key peer-name peer-key
    local op=$1 nd; nd=$(ir "$2"); local peer; peer=$(ir "$4")
    [ -n "$nd" ] || return 0
    local ratio="-" peertext="$3: skipped"
    if [ "$4" = none ]; then
        peertext="-"
    elif [ -n "$peer" ]; then
        peertext="$3 $peer Ir"
        ratio=$(awk -v a="$nd" -v b="$peer" 'BEGIN { printf (b > 0 ? "%.2fx" : "-"), (b > 0 ? a / b : 0) }')
    fi
    printf '  SUMMARY | %s | %s Ir | %s | %s | - | -\n' "$op" "$nd" "$peertext" "$ratio"
    if [ -n "${NDISBUF_BENCH_RESULTS:-}" ]; then
        printf '%s\t%s Ir\t%s\t%s\t-\t-\n' "$op" "$nd" "$peertext" "$ratio" >>"$NDISBUF_BENCH_RESULTS"
    fi
}
echo "summary rows:"
row "instructions: alloc+free NBL+NB+data (callgrind)" nd_data "DPDK" dpdk
row "instructions: alloc+free NBL+NB caller MDL (callgrind)" nd_cheap "DPDK" dpdk
row "instructions: floor pop+init+push (callgrind)" floor "-" none
row "instructions: retreat 14+header (callgrind)" nd_rt_mdl "DPDK prepend" dpdk_rt
row "instructions: bulk 32, per packet (callgrind)" nd_bulk "DPDK bulk" dpdk_bulk
row "instructions: clone+free (callgrind)" nd_clone "DPDK clone" dpdk_clone
row "instructions: two-segment chain+free (callgrind)" nd_chain "DPDK chain" dpdk_chain
row "instructions: context push+pop (callgrind)" nd_ctx "-" none
row "instructions: NdisGetDataBuffer 14 B (callgrind)" nd_getdata "rte_pktmbuf_read" dpdk_read
