#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Follows docs/getting-started.md word for word, against an install of the
# current build, in a temporary HOME:
#
#   getting_started.sh NDISBUF BUILD_DIR [sanitize=<NDISBUF_SANITIZE>]
#
# The page marks each fenced block with an HTML comment on the line before:
#   <!-- file: NAME -->  the block is written to NAME in the current directory
#   <!-- run -->         the block runs (bash -e); it must exit 0, print no
#                        compiler "warning:", and leaves its directory for the next
#   <!-- run: fails -->  the same, but it must exit with 134 (abort)
#   <!-- run: install -->  `make install PREFIX=<p>` from the clone: replaced by
#                        `cmake --install BUILD_DIR --prefix <p>` (a second full
#                        build here would take minutes and touch build/)
#   <!-- deps -->        the apt-get line: its packages must be the Makefile's DEPS
#   <!-- output -->      every line must be a whole line of what the last run
#                        block printed (stdout and stderr), hexadecimal numbers
#                        and runs of blanks aside
# A fenced block without a mark fails the test. Exit 77 (skipped) when a
# prerequisite is missing or the build is instrumented (an ASan/TSan library
# cannot link into a plain program).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail

build=$(cd "$2" && pwd)
sanitize=${3#sanitize=}
src=$(cd "$(dirname "$0")/../.." && pwd)
page=$src/docs/getting-started.md

if [ -n "${3:-}" ] && [ -n "$sanitize" ]; then
    echo "getting_started: skipped, the build is instrumented ($sanitize)"
    exit 77
fi
for tool in cmake cc pkg-config; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "getting_started: skipped, no $tool"
        exit 77
    fi
done
if ! pkg-config --exists cmocka; then
    echo "getting_started: skipped, no cmocka (libcmocka-dev)"
    exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/blocks"
# A user's shell: none of the test suite's settings.
export HOME=$tmp/home
unset NDISBUF_VERIFIER NDISBUF_REPORT_POLICY NDISBUF_REPORT_JSON NDISBUF_FAULT \
      NDISBUF_VERIFIER_DRAIN_MS CMOCKA_MESSAGE_OUTPUT PKG_CONFIG_PATH CMAKE_PREFIX_PATH

# Split the page into blocks: $tmp/blocks/NNN.<kind> holding the body, and
# NNN.arg the mark's argument (a file name).
awk -v dir="$tmp/blocks" '
    function fail(msg) { print "getting_started: line " NR ": " msg > "/dev/stderr"; bad = 1; exit 1 }
    /^<!-- (file|run|deps|output)[: ]/ || /^<!-- (run|deps|output) -->$/ {
        mark = $0; sub(/^<!-- */, "", mark); sub(/ *-->$/, "", mark); next
    }
    /^```/ {
        if (!inside) {
            if (mark == "") fail("a fenced block without a mark")
            n++; kind = mark; arg = ""
            if (kind ~ /^file:/) { arg = kind; sub(/^file: */, "", arg); kind = "file" }
            else if (kind == "run: fails") kind = "fails"
            else if (kind == "run: install") kind = "install"
            else if (kind !~ /^(run|deps|output)$/) fail("unknown mark <!-- " mark " -->")
            name = sprintf("%s/%03d.%s", dir, n, kind)
            printf "" > name
            if (arg != "") print arg > sprintf("%s/%03d.arg", dir, n)
            inside = 1; mark = ""
        } else {
            close(name); inside = 0
        }
        next
    }
    inside { print >> name; next }
    NF { mark = "" }
    END { if (!bad && inside) fail("an unterminated fenced block") }
' "$page"

normalize() {
    sed -E 's/0x[0-9a-fA-F]+/0x_/g; s/\(nil\)/0x_/g; s/[[:space:]]+/ /g; s/^ //; s/ $//'
}

cwd=$tmp/clone   # where the reader stands: in the parent of the clone
mkdir -p "$cwd"
last_output=
steps=0
for block in "$tmp"/blocks/*; do
    case "$block" in *.arg) continue ;; esac
    kind=${block##*.}
    n=$(basename "$block" ".$kind")
    steps=$((steps + 1))
    case "$kind" in
    deps)
        want=$(sed -n 's/^DEPS *?= *//p' "$src/Makefile" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ')
        got=$(sed -n 's/.*apt-get install -y //p' "$block" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ')
        if [ "$want" != "$got" ]; then
            echo "getting_started: block $n lists '$got' but the Makefile's DEPS are '$want'" >&2
            exit 1
        fi
        ;;
    install)
        prefix=$(sed -n 's/^make install PREFIX=//p' "$block")
        if [ -z "$prefix" ] || ! grep -qx 'cd ndisbuf' "$block"; then
            echo "getting_started: block $n is not 'cd ndisbuf' and 'make install PREFIX=...'" >&2
            exit 1
        fi
        prefix=$(eval "echo $prefix")
        echo "--- block $n: cmake --install $build --prefix $prefix (for: make install)"
        cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
            { cat "$tmp/install.log" >&2; exit 1; }
        cwd=$src
        ;;
    file)
        name=$(cat "$tmp/blocks/$n.arg")
        echo "--- block $n: $name"
        cp "$block" "$cwd/$name"
        ;;
    run | fails)
        echo "--- block $n: $(head -n 1 "$block")"
        {
            echo "set -e"
            echo "cd \"$cwd\""
            cat "$block"
            echo "pwd > \"$tmp/cwd\""
        } >"$tmp/script.sh"
        status=0
        bash "$tmp/script.sh" >"$tmp/out.$n" 2>&1 || status=$?
        sed 's/^/    | /' "$tmp/out.$n"
        if [ "$kind" = run ] && [ "$status" -ne 0 ]; then
            echo "getting_started: block $n exited with $status" >&2
            exit 1
        fi
        if [ "$kind" = fails ] && [ "$status" -ne 134 ]; then
            echo "getting_started: block $n should abort (134), exited with $status" >&2
            exit 1
        fi
        if grep -q 'warning:' "$tmp/out.$n"; then
            echo "getting_started: block $n printed a warning" >&2
            exit 1
        fi
        [ "$kind" = fails ] || cwd=$(cat "$tmp/cwd")
        last_output=$tmp/out.$n
        ;;
    output)
        if [ -z "$last_output" ]; then
            echo "getting_started: output block $n follows no run block" >&2
            exit 1
        fi
        actual=$(normalize <"$last_output")
        while IFS= read -r line; do
            want=$(printf '%s\n' "$line" | normalize)
            [ -n "$want" ] || continue
            if ! grep -qxF -- "$want" <<<"$actual"; then
                echo "getting_started: block $n shows a line the program did not print:" >&2
                echo "    $line" >&2
                exit 1
            fi
        done <"$block"
        ;;
    esac
done

if [ "$steps" -lt 10 ]; then
    echo "getting_started: only $steps blocks found in $page" >&2
    exit 1
fi
echo "getting_started: $steps blocks of docs/getting-started.md followed, outputs as shown"
