#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Prove an installed ndisbuf works for an out-of-tree consumer, both ways:
#   (a) pkg-config:    cc app.c $(pkg-config --cflags --libs ndisbuf)
#   (b) CMake package: find_package(ndisbuf CONFIG REQUIRED), ndisbuf::ndisbuf
# for app.c (a plain NBL user), driver_style.c (a filter written as the
# Windows samples are) and control_device.c (a filter with a control
# device), each with -Wall -Wextra -Werror and the package's
# own compile options only.
#
#   tests/consumer/check.sh PREFIX [WORKDIR]
#
# WORKDIR (default: a temporary directory, removed afterwards) receives the
# binaries. Exits non-zero if either build or run fails.
set -euo pipefail

if [ "$#" -lt 1 ]; then
    echo "usage: $0 PREFIX [WORKDIR]" >&2
    exit 2
fi
prefix=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ "$#" -ge 2 ]; then
    work=$2
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi

# GNUInstallDirs picks lib/ or lib/<multiarch>/ (Debian, prefix /usr).
pcdirs=()
for d in "$prefix"/lib/pkgconfig "$prefix"/lib/*-linux-gnu/pkgconfig "$prefix"/lib64/pkgconfig; do
    if [ -f "$d/ndisbuf.pc" ]; then
        pcdirs+=("$d")
    fi
done
if [ "${#pcdirs[@]}" -eq 0 ]; then
    echo "check.sh: no ndisbuf.pc under $prefix/lib*" >&2
    exit 1
fi
pcpath=$(IFS=:; echo "${pcdirs[*]}")
export PKG_CONFIG_PATH="$pcpath${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

libdir=$(pkg-config --variable=libdir ndisbuf)
runpath="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

echo "--- consumer (a): pkg-config ($pcpath)"
# shellcheck disable=SC2046  # pkg-config output is meant to be word-split
# Only the package's own flags besides the warnings: it must bring what
# driver code needs (multi-character tags, L"...", pragmas; docs/wdk-compat.md).
for prog in app driver_style control_device; do
    ${CC:-cc} -Wall -Wextra -Werror "$here/$prog.c" \
        $(pkg-config --cflags --libs ndisbuf) -o "$work/$prog-pc"
    if ! readelf -d "$work/$prog-pc" | grep -q 'NEEDED.*\[libndisbuf\.so\.0\]'; then
        echo "check.sh: $prog-pc is not linked against libndisbuf.so.0" >&2
        exit 1
    fi
    LD_LIBRARY_PATH="$runpath" NDISBUF_DBGPRINT=0 "$work/$prog-pc"
done

echo "--- consumer (b): find_package(ndisbuf) with CMAKE_PREFIX_PATH=$prefix"
generator=()
if [ ! -f "$work/cmake/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then
    generator=(-G Ninja)
fi
cmake -S "$here" -B "$work/cmake" "${generator[@]}" -DCMAKE_PREFIX_PATH="$prefix"
found=$(sed -n 's/^ndisbuf_DIR:PATH=//p' "$work/cmake/CMakeCache.txt")
case "$found" in
    "$prefix"/*) ;;
    *) echo "check.sh: CMake found ndisbuf in '$found', not under $prefix" >&2
       exit 1 ;;
esac
cmake --build "$work/cmake"
LD_LIBRARY_PATH="$runpath" "$work/cmake/app"
LD_LIBRARY_PATH="$runpath" NDISBUF_DBGPRINT=0 "$work/cmake/driver_style"
LD_LIBRARY_PATH="$runpath" NDISBUF_DBGPRINT=0 "$work/cmake/control_device"

echo "--- consumer: both ways ok"
