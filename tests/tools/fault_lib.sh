# SPDX-License-Identifier: MIT
#
# Helpers for the fault-injection tests of `ndisbuf demo` (sourced; POSIX
# sh; lib.sh comes with them).
#   fault_check PLAN FRAMES FAILED   runs `demo --quiet --frames FRAMES
#       --fault PLAN` and checks it failed cleanly (see fault_walk.sh);
#       FAILED is how many allocations the summary must say failed, or '-'
#       for any number. Safe to run in the background: a problem is written
#       to $TMP/bad.<n>, nothing is printed.
#   fault_verdict WHAT   prints the first problems and exits 1, or PASS.
# FAULT_DEMO_ARGS adds arguments to every run (e.g. "--iface lo", as root).
# The runs have the verifier at level 2 (FAULT_VERIFIER to change it):
# ownership tracking, leak scans at pause and unbind, poisoned and
# quarantined frees, so a failure path that loses or reuses an NBL is
# reported (and a report aborts the run).
. "$(dirname "$0")/lib.sh"

# Writes a problem with the run's output; the run's files go with it.
fault_bad() {
    {
        echo "FAIL: demo --fault $1: $2"
        echo "--- stdout"
        cat "$3.out"
        echo "--- stderr"
        cat "$3.err"
    } >"$TMP/bad.$(basename "$3")"
}

fault_check() {
    plan=$1 frames=$2 failed=$3
    base="$TMP/$(echo "$plan" | tr -c 'a-zA-Z0-9\n' '_')"
    rc=0
    NDISBUF_FAULT= NDISBUF_VERIFIER=${FAULT_VERIFIER:-2} "$NDISBUF" demo --quiet --frames "$frames" ${FAULT_DEMO_ARGS:-} --fault "$plan" >"$base.out" 2>"$base.err" || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
        fault_bad "$plan" "exit status $rc (0 or 1 expected; above 128 is a signal)" "$base"
    elif grep -qE "AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:|\*\*\* ndisbuf verifier" "$base.err"; then
        fault_bad "$plan" "a sanitizer or verifier report on stderr" "$base"
    elif ! grep -qF "  leaks            0 (objects outstanding 0, live pools 0)" "$base.out"; then
        fault_bad "$plan" "no clean leak check (leaks 0) in the summary" "$base"
    elif ! grep -q "^  teardown  .*: NDIS_STATUS_SUCCESS$" "$base.out"; then
        fault_bad "$plan" "the teardown did not succeed" "$base"
    elif [ "$rc" -eq 0 ] && ! grep -q "^PASS: " "$base.out"; then
        fault_bad "$plan" "exit status 0 without a PASS line" "$base"
    elif [ "$rc" -eq 1 ] && ! grep -q "^FAIL: ." "$base.out"; then
        fault_bad "$plan" "exit status 1 without a FAIL line naming what failed" "$base"
    elif [ "$failed" != "-" ] && ! grep -q "allocations counted, $failed failed on purpose" "$base.out"; then
        fault_bad "$plan" "the summary does not say $failed allocation(s) failed on purpose" "$base"
    elif [ "$failed" != "-" ] && [ "$failed" -gt 0 ] && ! grep -q "by fault injection" "$base.err"; then
        fault_bad "$plan" "no diagnostic names the allocation fault injection failed" "$base"
    else
        rm -f "$base.out" "$base.err"
    fi
}

fault_verdict() {
    set -- "$1" "$TMP"/bad.*
    what=$1
    shift
    if [ -e "$1" ]; then
        echo "FAIL: $# of $what failed uncleanly; the first:"
        for f in "$@"; do
            cat "$f"
            shown=$(( ${shown:-0} + 1 ))
            [ "$shown" -lt 3 ] || break
        done
        exit 1
    fi
    echo "PASS: $what, every one failed cleanly"
}
