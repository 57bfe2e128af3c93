#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Make sure the Debian packages the build needs are installed.
#
#   scripts/deps.sh [PACKAGE...]   (default: cmake gcc make pkg-config libcmocka-dev)
#
# All present: exit 0. Some missing and we are root: apt-get update, then
# install them non-interactively. Missing and not root: print the exact
# command to run and exit 1. Off Debian (no dpkg-query): warn, exit 0.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    set -- cmake gcc make pkg-config libcmocka-dev
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps.sh: no dpkg-query (not Debian?); make sure these are installed: $*" >&2
    exit 0
fi

missing=()
for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *" installed") ;;
        *) missing+=("$pkg") ;;
    esac
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing packages: ${missing[*]}" >&2
    echo "sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "deps.sh: installing ${missing[*]}" >&2
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
