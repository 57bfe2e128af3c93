#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Runs every benchmark and prints one summary table (what docs/performance.md
# quotes); `make bench` calls it after building.
#
#   bench/run.sh <build dir>            the full run (a few minutes)
#   BENCH_QUICK=1 bench/run.sh <dir>    every benchmark briefly (smoke test)
#
# Each benchmark appends its summary rows to <build dir>/bench/results.tsv
# (operation, ndisbuf, peer, ratio, target, met) and its extra tables to
# <build dir>/bench/*.md; at the end the table is printed and written, with
# the machine and the extra tables, to <build dir>/bench/summary.md.
set -euo pipefail

build=${1:?usage: bench/run.sh <build dir>}
here=$(cd "$(dirname "$0")" && pwd)
dir=$build/bench
export NDISBUF_BENCH_RESULTS=$dir/results.tsv
export NDISBUF_BENCH_DIR=$dir
: >"$NDISBUF_BENCH_RESULTS"
rm -f "$dir"/side_by_side.md "$dir"/scaling.md
quick=${BENCH_QUICK:-0}
mode=$([ "$quick" != 0 ] && echo "quick (BENCH_QUICK=1)" || echo full)
load=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)

# The known ones in a fixed order, then any other bench_* (not the callgrind driver).
ordered=(side_by_side scaling stack)
programs=()
for name in "${ordered[@]}"; do
    [ -x "$dir/bench_$name" ] && programs+=("$dir/bench_$name")
done
for b in "$dir"/bench_*; do
    [ -x "$b" ] || continue
    name=${b##*/bench_}
    case " ${ordered[*]} instructions " in *" $name "*) continue ;; esac
    [ -f "$here/$name.c" ] || continue # a stale binary whose source is gone
    programs+=("$b")
done
for b in "${programs[@]}"; do
    echo "=== $b"
    "$b"
done
echo "=== callgrind ($dir/bench_instructions under valgrind)"
"$here/callgrind.sh" "$build"

# ---- the table ----
header=$'operation\tndisbuf\tpeer\tratio\ttarget\tmet?'
echo
echo "=== summary ($mode, $(($(date +%s) - started)) s; load average at start $load)"
if command -v column >/dev/null 2>&1; then
    { echo "$header"; cat "$NDISBUF_BENCH_RESULTS"; } | column -t -s $'\t'
else
    { echo "$header"; cat "$NDISBUF_BENCH_RESULTS"; } | sed $'s/\t/ | /g'
fi

cpu=$( (lscpu 2>/dev/null || true) | sed -n 's/^Model name: *//p' | head -1)
cores=$(nproc)
dpdk=$(pkg-config --modversion libdpdk 2>/dev/null || echo "not installed")
rev=$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$here/.." status --porcelain -- src include 2>/dev/null | grep -q . && echo " (src/ or include/ modified)" || true)
{
    echo "# ndisbuf benchmark summary"
    echo
    echo "- run: \`make bench\`, $mode, $(date -u '+%Y-%m-%d %H:%M UTC'), load average at start $load"
    echo "- library: commit $rev$dirty"
    echo "- machine: $cpu, $cores CPUs, Linux $(uname -r), DPDK $dpdk, $(gcc -dumpfullversion 2>/dev/null | sed 's/^/gcc /')"
    echo
    echo "| operation | ndisbuf | peer | ratio | target | met? |"
    echo "|---|---:|---|---:|---|---|"
    awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$NDISBUF_BENCH_RESULTS"
    for f in "$dir"/side_by_side.md "$dir"/scaling.md; do
        [ -f "$f" ] && cat "$f"
    done
} >"$dir/summary.md"
echo
echo "written: $dir/summary.md"
