#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Compares two builds of ndisbuf on one benchmark, run alternately.
#
#   bench/compare.sh <build dir A> <build dir B> [pairs] [program]
#
# Runs <dir>/bench/<program> (default bench_side_by_side) of A, then of B,
# `pairs` times (default 3), and prints, for every summary row, the ndisbuf
# figure of each run and each side's median: on a machine whose speed moves
# from minute to minute, runs taken alternately are the only fair
# comparison (docs/performance.md, Noise). Extra environment (BENCH_QUICK,
# BENCH_STACK) is passed through. Build both first (make bench BUILD=...).
set -euo pipefail

a=${1:?usage: bench/compare.sh <build dir A> <build dir B> [pairs] [program]}
b=${2:?usage: bench/compare.sh <build dir A> <build dir B> [pairs] [program]}
pairs=${3:-3}
program=${4:-bench_side_by_side}
for dir in "$a" "$b"; do
    if [ ! -x "$dir/bench/$program" ]; then
        echo "compare: $dir/bench/$program is not built (make bench BUILD=$dir)" >&2
        exit 2
    fi
done

out=$(mktemp -d "${TMPDIR:-/tmp}/ndisbuf-compare.XXXXXX")
trap 'rm -rf "$out"' EXIT
for i in $(seq "$pairs"); do
    for side in A B; do
        dir=$([ "$side" = A ] && echo "$a" || echo "$b")
        echo "compare: pair $i of $pairs, $side ($dir)" >&2
        NDISBUF_BENCH_RESULTS="$out/results.tsv" NDISBUF_BENCH_DIR="$out" "$dir/bench/$program" 2>/dev/null |
            awk -v side="$side" -F' [|] ' '/^  SUMMARY [|]/ { print side "\t" $2 "\t" $3 }' >>"$out/rows"
    done
done

# One line per row: A's figures, B's figures, each side's median (the number in the ndisbuf column).
awk -F'\t' '
    { key = $2; if (!(key in seen)) { seen[key] = 1; order[++n] = key }
      split($3, f, " "); v = f[1] + 0; unit = f[2]
      list[key, $1] = list[key, $1] (list[key, $1] == "" ? "" : " ") v; units[key] = unit
      count[key, $1]++; value[key, $1, count[key, $1]] = v }
    function median(key, side,   m, i, j, t, a) {
        m = count[key, side]; if (m == 0) return "-"
        for (i = 1; i <= m; i++) a[i] = value[key, side, i]
        for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
    }
    END {
        printf "%-60s %-8s %-28s %-28s %10s %10s\n", "row", "unit", "A runs", "B runs", "A median", "B median"
        for (i = 1; i <= n; i++) {
            k = order[i]
            printf "%-60s %-8s %-28s %-28s %10s %10s\n", substr(k, 1, 60), units[k], list[k, "A"], list[k, "B"],
                   median(k, "A"), median(k, "B")
        }
    }' "$out/rows"
