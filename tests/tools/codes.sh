#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools.codes: `ndisbuf codes` lists every verifier report code with value,
# name and meaning; `ndisbuf codes CODE` shows one, found by value (0x hex
# or decimal, a leading zero still decimal) or by name (any case, with or without NDISBUF_REPORT_); an
# unknown code or a bad argument exits 2 with one line on stderr.
set -eu
. "$(dirname "$0")/lib.sh"

run codes
expect_status 0
expect_out "Code  Name"
expect_out "0x01  INVALID_HANDLE"
expect_out "0x11  DOUBLE_FREE                an object freed twice"
expect_out "0x21  DOUBLE_COMPLETION          an NBL send-completed or returned twice"
# One line per code of NDISBUF_REPORT_CODES, after the header.
header=$(dirname "$0")/../../include/ndisbuf/ndisbuf.h
codes=$(grep -cE '^ +X\([A-Z_0-9]+, 0x[0-9A-F]+,' "$header")
[ "$(grep -cE '^0x[0-9A-F]{2}  ' "$TMP/out")" -eq "$codes" ] || fail "not $codes codes listed"

for key in 0x21 33 DOUBLE_COMPLETION double_completion NDISBUF_REPORT_DOUBLE_COMPLETION; do
    run codes "$key"
    expect_status 0
    expect_out "0x21  DOUBLE_COMPLETION"
    [ "$(wc -l <"$TMP/out")" -eq 2 ] || fail "codes $key: not the header and one code"
done

# A leading zero is still decimal (not C's octal): 021 is 21, 0x15.
run codes 021
expect_status 0
expect_out "0x15  POOL_NOT_EMPTY"

bad() {
    message=$1
    shift
    run codes "$@"
    expect_status 2
    expect_err "ndisbuf codes: $message"
    [ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "more than one line on stderr"
    [ ! -s "$TMP/out" ] || fail "something on stdout"
}
bad "no report code '0x99'" 0x99
bad "no report code 'NO_SUCH_CODE'" NO_SUCH_CODE
bad "no report code '12k'" 12k
bad "no report code '0x'" 0x
bad "no report code '+33'" +33
bad "no report code '99999999999999999999'" 99999999999999999999
bad "one code at most" 0x21 0x22
bad "unknown option" --bogus

run codes --help
expect_status 0
expect_out "usage: ndisbuf codes [CODE]"
echo "PASS"
