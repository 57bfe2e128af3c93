#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools.manpage: man/ndisbuf.1 keeps up with the program. Every command that
# `ndisbuf --help` lists has a section `.SS "ndisbuf COMMAND ..."`; every
# long option that `ndisbuf COMMAND --help` prints appears in that section
# and, --help aside, in the SYNOPSIS, and the section names no option the
# command does not take (--help aside: every command takes it). Every
# environment variable that the library or the program reads (getenv in
# src/ and tools/ndisbuf/) is under ENVIRONMENT; the version in .TH is the
# program's. Last, the page formats without a single groff warning
# (groff -man -ww); without groff that one check is skipped (exit 77) once
# the others have passed.
set -eu
. "$(dirname "$0")/lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
page=$top/man/ndisbuf.1
[ -f "$page" ] || fail "no $page"

# The page's text with roff's hyphens and font changes undone.
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$page" >"$TMP/page"

# section_of PATTERN: the lines from the first line matching PATTERN up to
# the next .SH or .SS.
section_of() {
    awk -v pat="$1" '
        on && /^\.S[HS]/ { exit }
        $0 ~ pat { on = 1 }
        on { print }' "$TMP/page"
}

long_options() {
    grep -oE -- '--[a-z][a-z-]*' | sort -u
}

run --help
expect_status 0
commands=$(sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' "$TMP/out")
[ -n "$commands" ] || fail "no commands in 'ndisbuf --help'"

section_of '^\.SH SYNOPSIS' >"$TMP/synopsis"
for command in $commands; do
    section_of "^\\.SS \"ndisbuf $command[ \"]" >"$TMP/section"
    [ -s "$TMP/section" ] || fail "no section .SS \"ndisbuf $command ...\" in $page"
    grep -q "^\.B ndisbuf $command\$" "$TMP/synopsis" ||
        fail "the SYNOPSIS lacks ndisbuf $command"
    run "$command" --help
    expect_status 0
    long_options <"$TMP/out" >"$TMP/help.options"
    long_options <"$TMP/section" >"$TMP/page.options"
    for option in $(cat "$TMP/help.options"); do
        grep -qx -- "$option" "$TMP/page.options" ||
            fail "ndisbuf $command $option is in --help but not in the page's section"
        [ "$option" = --help ] || grep -q -- "$option" "$TMP/synopsis" ||
            fail "ndisbuf $command $option is not in the SYNOPSIS"
    done
    for option in $(cat "$TMP/page.options"); do
        [ "$option" != --help ] || continue # every command takes it, not all print it
        grep -qx -- "$option" "$TMP/help.options" ||
            fail "the page's section on ndisbuf $command names $option, which its --help does not"
    done
done

section_of '^\.SH ENVIRONMENT' >"$TMP/environment"
variables=$(grep -rhoE --include='*.[ch]' 'getenv\("[A-Z_][A-Z0-9_]*"\)' "$top/src" "$top/tools/ndisbuf" |
            sed 's/getenv("\(.*\)")/\1/' | sort -u)
echo "$variables" | grep -q NDISBUF_VERIFIER || fail "found no getenv(\"NDISBUF_VERIFIER\") under $top/src"
for variable in $variables; do
    grep -qE "^\\.BI? $variable(\$|[= ])" "$TMP/environment" ||
        fail "$variable is read (getenv) but not an entry of the page's ENVIRONMENT"
done

run version
version=$(sed -n 's/^ndisbuf //p' "$TMP/out")
grep -q "^\.TH NDISBUF 1 [0-9-]* \"ndisbuf $version\"" "$page" ||
    fail ".TH does not name ndisbuf $version (the program's version)"

command -v groff >/dev/null 2>&1 || skip "groff is not installed: the page's formatting is not checked"
groff -man -ww -z "$page" 2>"$TMP/groff" || { cat "$TMP/groff"; fail "groff failed on $page"; }
[ ! -s "$TMP/groff" ] || { cat "$TMP/groff"; fail "groff -man -ww warns about $page"; }
echo "ok: $(echo $commands | wc -w) commands, their options and $(echo $variables | wc -w) variables in $page"
