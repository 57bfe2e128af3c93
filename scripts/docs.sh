#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The documentation build behind `make docs`:
#
#   scripts/docs.sh OUTDIR      (from anywhere; OUTDIR relative to the top of the tree)
#
# 1. The API reference: Doxygen (docs/Doxyfile) writes OUTDIR/html from the
#    public headers and the Markdown pages. Any warning about a header fails
#    the run: those comments are ours and scripts/doxygen-filter.awk makes
#    them Doxygen's. Warnings about docs/*.md and README.md are printed but
#    do not fail it: the pages are written for GitHub's Markdown, and some of
#    what it allows (heading anchors such as (#two-network-namespaces)) has
#    no Doxygen equivalent.
# 2. The man page man/ndisbuf.1 must format without a single groff warning.
#
# Needs doxygen, graphviz's dot and groff (`make docs` installs them).
set -euo pipefail

out=${1:?usage: scripts/docs.sh OUTDIR}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
version=$(sed -n 's/^project(ndisbuf VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)

rm -rf "$out/html" "$out/warnings.log"
mkdir -p "$out"
NDISBUF_DOCS_OUT=$out NDISBUF_VERSION=$version doxygen docs/Doxyfile
[ -f "$out/html/index.html" ] || { echo "make docs: doxygen wrote no $out/html/index.html" >&2; exit 1; }

here=$(pwd)/
header_warnings=$(grep -c "^${here}include/" "$out/warnings.log" || true)
page_warnings=$(grep -vc "^${here}include/" "$out/warnings.log" || true)
if [ -s "$out/warnings.log" ]; then
    sed "s|^$here||" "$out/warnings.log" >&2
fi
if [ "$header_warnings" -ne 0 ]; then
    echo "make docs: $header_warnings Doxygen warnings about the public headers (above); fix the comments" >&2
    exit 1
fi
[ "$page_warnings" -eq 0 ] ||
    echo "make docs: $page_warnings Doxygen warnings about the Markdown pages (GitHub Markdown that Doxygen reads differently; not fatal)"

# -ww: every warning; -z: format, print nothing. groff exits 0 even when it
# warns, so its stderr is the verdict.
man_warnings=$(groff -man -ww -z man/ndisbuf.1 2>&1)
if [ -n "$man_warnings" ]; then
    echo "$man_warnings" >&2
    echo "make docs: man/ndisbuf.1 does not format cleanly (groff -man -ww)" >&2
    exit 1
fi

echo "docs: API reference in $out/html/index.html ($(ls "$out/html" | wc -l) files), man/ndisbuf.1 formats cleanly"
