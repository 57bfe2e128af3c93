# SPDX-License-Identifier: MIT
#
# Helpers for the tools.* tests (sourced by each script; POSIX sh).
#   NDISBUF       the ndisbuf program under test (the script's first argument)
#   TMP           a private directory, removed on exit
#   fail MESSAGE  print "FAIL: MESSAGE" and exit 1
#   skip MESSAGE  print "SKIP: MESSAGE" and exit 77 (ctest: skipped)
#   run ARGS...   runs `$NDISBUF ARGS...`: $TMP/out, $TMP/err and $status
#   expect_status N, expect_out TEXT, expect_err TEXT   (TEXT: a fixed string)

NDISBUF=${1:?usage: $0 NDISBUF [...]}
shift
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ndisbuf-tools.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

fail() {
    echo "FAIL: $*"
    for f in out err; do
        if [ -s "$TMP/$f" ]; then
            echo "--- $f of: $LAST_RUN"
            cat "$TMP/$f"
        fi
    done
    exit 1
}

skip() {
    echo "SKIP: $*"
    exit 77
}

run() {
    LAST_RUN="ndisbuf $*"
    status=0
    "$NDISBUF" "$@" >"$TMP/out" 2>"$TMP/err" || status=$?
}

expect_status() {
    [ "$status" -eq "$1" ] || fail "exit status $status, expected $1"
}

expect_out() {
    grep -qF -- "$1" "$TMP/out" || fail "stdout lacks: $1"
}

expect_err() {
    grep -qF -- "$1" "$TMP/err" || fail "stderr lacks: $1"
}
