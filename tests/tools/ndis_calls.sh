#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Keeps docs/ndis-calls.md true to the headers:
#
#   ndis_calls.sh [NDISBUF]      (the argument, the tool, is not used)
#
# From scripts/ndis-calls-list.sh (every name <ndis.h> and ndis/*.h declare):
#  1. every function, function-like macro and mixed-case object-like macro
#     must be named, in backquotes, in the first cell of a table row;
#  2. every constant must be named in backquotes anywhere on the page, or
#     matched by a backquoted pattern such as `NDIS_STATUS_*` (a glob with at
#     least three other characters); every SAL name (starting with '_') is
#     covered by the page mentioning `_*`;
# and for every table row whose first cell holds backquoted names:
#  3. the status (second cell) is one of: implemented, user mode, extension,
#     not provided;
#  4. implemented / user mode: each name is in the list above; extension:
#     each name is an ndisbuf_* function of <ndisbuf.h>, and every such
#     function is listed; not provided: neither list has it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
page=$src/docs/ndis-calls.md
if ! command -v "${CC:-cc}" >/dev/null 2>&1; then
    echo "ndis_calls: skipped, no C compiler (the list is made with its preprocessor)"
    exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$src/scripts/ndis-calls-list.sh" "$src/include/ndisbuf" >"$tmp/declared"
awk '{ print $2 }' "$tmp/declared" | sort -u >"$tmp/declared.names"
grep -oE '^NDISBUF_API[^(]*\bndisbuf_[a-z0-9_]+\(' "$src/include/ndisbuf/ndisbuf.h" |
    grep -oE 'ndisbuf_[a-z0-9_]+' | sort -u >"$tmp/extensions"

# Table rows: "<status>\t<name>" for each backquoted name of the first cell.
awk -F'|' '
    /^\|/ && NF >= 4 {
        cell = $2; status = $3
        gsub(/^ +| +$/, "", status)
        while (match(cell, /`[^`]+`/)) {
            print status "\t" substr(cell, RSTART + 1, RLENGTH - 2)
            cell = substr(cell, RSTART + RLENGTH)
        }
    }' "$page" >"$tmp/rows"
grep -oE '`[^`]+`' "$page" | tr -d '`' | sort -u >"$tmp/quoted"
grep -E '^[A-Za-z0-9_*]+$' "$tmp/quoted" | grep -F '*' >"$tmp/patterns" || true

fail=0
problem() {
    echo "ndis_calls: $*" >&2
    fail=1
}

# 1 and 2: every declared name is covered.
cut -f2 "$tmp/rows" | sort -u >"$tmp/tabled"
while read -r kind name header; do
    case "$kind" in
    function | macro | alias)
        grep -qxF -- "$name" "$tmp/tabled" ||
            problem "$name ($kind, $header) has no row in docs/ndis-calls.md"
        ;;
    sal)
        grep -qxF -- '_*' "$tmp/quoted" ||
            problem "$name ($header): the page does not cover the SAL names (\`_*\`)"
        ;;
    constant)
        grep -qxF -- "$name" "$tmp/quoted" && continue
        covered=0
        while read -r pattern; do
            stem=${pattern//\*/}
            [ "${#stem}" -ge 3 ] || continue
            # shellcheck disable=SC2053  # the pattern is a glob on purpose
            if [[ $name == $pattern ]]; then
                covered=1
                break
            fi
        done <"$tmp/patterns"
        [ "$covered" -eq 1 ] || problem "constant $name ($header) is neither named nor matched by a pattern"
        ;;
    esac
done <"$tmp/declared"

# 3 and 4: every status is known and true.
while IFS=$'\t' read -r status name; do
    case "$status" in
    name) ;; # a header row
    implemented | "user mode")
        grep -qxF -- "$name" "$tmp/declared.names" ||
            problem "$name is marked '$status' but no ndis header declares it"
        ;;
    extension)
        grep -qxF -- "$name" "$tmp/extensions" ||
            problem "$name is marked 'extension' but <ndisbuf.h> has no such function"
        ;;
    "not provided")
        if grep -qxF -- "$name" "$tmp/declared.names" "$tmp/extensions"; then
            problem "$name is marked 'not provided' but a header declares it"
        fi
        ;;
    *)
        problem "$name has an unknown status '$status'"
        ;;
    esac
done <"$tmp/rows"
while read -r name; do
    grep -qxF -- "extension	$name" "$tmp/rows" ||
        problem "$name (<ndisbuf.h>) has no 'extension' row"
done <"$tmp/extensions"

if [ "$fail" -ne 0 ]; then
    exit 1
fi
echo "ndis_calls: $(wc -l <"$tmp/declared") declared names covered, $(wc -l <"$tmp/rows") table entries checked"
