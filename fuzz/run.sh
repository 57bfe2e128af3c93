#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Runs every libFuzzer harness of a build tree on its corpus (docs/fuzzing.md).
#
#   fuzz/run.sh BUILD_DIR SECONDS WORK_DIR [JOBS]
#
# Each harness fuzz_<n> runs SECONDS seconds (-max_total_time) on
# WORK_DIR/corpus/fuzz_<n> (where new inputs go) and fuzz/corpus/fuzz_<n>
# (read only: the tree's seeds and minimised corpus), at most JOBS harnesses
# at a time (default 1). Crashes, timeouts and out-of-memory inputs are
# written to WORK_DIR/artifacts/, each harness's log to WORK_DIR/logs/.
# Exit status: 0 when every harness ran its time without a finding,
# 1 otherwise (the findings are listed).
set -euo pipefail

if [ "$#" -lt 3 ]; then
    echo "usage: $0 BUILD_DIR SECONDS WORK_DIR [JOBS]" >&2
    exit 2
fi
build=$1 seconds=$2 work=$3 jobs=${4:-1}
tree=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

harnesses=()
for bin in "$build"/fuzz/fuzz_*; do
    name=$(basename "$bin")
    [ -x "$bin" ] && [ -f "$tree/$name.c" ] && harnesses+=("$name")
done
if [ "${#harnesses[@]}" -eq 0 ]; then
    echo "fuzz/run.sh: no harness in $build/fuzz (build with -DNDISBUF_FUZZ=ON, target fuzz)" >&2
    exit 1
fi
mkdir -p "$work/artifacts" "$work/logs"

# run NAME: one harness, its log kept; the summary lines printed when it ends.
run() {
    local name=$1 status=0
    mkdir -p "$work/corpus/$name"
    "$build/fuzz/$name" "$work/corpus/$name" "$tree/corpus/$name" \
        -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -max_len=4096 \
        -artifact_prefix="$work/artifacts/$name-" -print_final_stats=1 \
        >"$work/logs/$name.log" 2>&1 || status=$?
    {
        echo "=== $name: exit $status after ${seconds} s (log: $work/logs/$name.log)"
        grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
            "$work/logs/$name.log" || true
        if [ "$status" -ne 0 ]; then
            grep -E 'FUZZ CHECK FAILED|FUZZ: unexpected|ERROR: |SUMMARY: |Test unit written' \
                "$work/logs/$name.log" | head -n 20 || true
        fi
    }
    return "$status"
}

failed=()
pids=()
names=()
for name in "${harnesses[@]}"; do
    run "$name" &
    pids+=($!)
    names+=("$name")
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
        wait -n || true
    done
done
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${names[$i]}")
done

if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzz/run.sh: findings in: ${failed[*]} (inputs in $work/artifacts/; reproduce: $build/fuzz/<harness> <input>)" >&2
    exit 1
fi
echo "fuzz/run.sh: ${#harnesses[@]} harness(es), ${seconds} s each, no finding"
