#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools.demo_veth: the AF_PACKET miniport over a veth pair in a network
# namespace of its own (unshare -n): `--iface A --peer B` sends on A and
# receives every frame intact on B (tagged on the wire both ways: the
# capture is read back with pcap_check), nothing leaks; `--iface A` alone gets
# nothing back and fails (exit 1) after DEMO_STALL_MS. Then, with the
# privileges dropped (setpriv to nobody), `--iface A` fails cleanly: exit 1
# and the NDIS status named. Needs root; skipped (77) otherwise.
set -eu
. "$(dirname "$0")/lib.sh"
PCAP_CHECK=${1:?usage: demo_veth.sh NDISBUF PCAP_CHECK}

[ "$(id -u)" -eq 0 ] || skip "needs root (a network namespace and CAP_NET_RAW)"
command -v unshare >/dev/null 2>&1 || skip "no unshare"
command -v ip >/dev/null 2>&1 || skip "no ip (iproute2)"
unshare -n true 2>/dev/null || skip "unshare -n is not allowed here"

# In the namespace: the pair, up, without IPv6 chatter; then the command.
cat >"$TMP/netns.sh" <<'SCRIPT'
set -eu
ip link add ndbA type veth peer name ndbB
sysctl -qw net.ipv6.conf.ndbA.disable_ipv6=1 net.ipv6.conf.ndbB.disable_ipv6=1 2>/dev/null || true
ip link set ndbA up
ip link set ndbB up
exec "$@"
SCRIPT

LAST_RUN="demo --iface ndbA --peer ndbB --frames 3000 --pcap (in a network namespace)"
status=0
unshare -n sh "$TMP/netns.sh" "$NDISBUF" demo --iface ndbA --peer ndbB --frames 3000 --pcap "$TMP/veth.pcap" \
    >"$TMP/out" 2>"$TMP/err" || status=$?
expect_status 0
expect_out "rawprot over AF_PACKET adapters 'ndbA' -> 'ndbB'"
expect_out "reallocated: PoolReallocations 0 -> 1"
expect_out "sent 3000, completed ok 3000, received 3000, mismatched 0, missing 0, duplicated 0"
expect_out "ndbA: tagged 3000, stripped 0"
expect_out "ndbB: tagged 0, stripped 3000"
expect_out "leaks            0 (objects outstanding 0, live pools 0)"
expect_out "PASS: 3000 frames came back intact"
# Sent on ndbA and received on ndbB, both tagged on the wire; only when
# nothing else crossed the pair (IPv6 is off, but the host may differ).
if grep -q "other frames" "$TMP/out"; then
    echo "note: other traffic crossed the pair, the capture is not counted"
else
    "$PCAP_CHECK" "$TMP/veth.pcap" 6000 100 0 128 || fail "pcap_check rejected the capture"
fi

# Without --peer nothing echoes on a veth: the frames are missing, the run
# says so and fails, and still leaks nothing.
LAST_RUN="demo --iface ndbA --frames 2000 (in a network namespace)"
status=0
unshare -n sh "$TMP/netns.sh" "$NDISBUF" demo --iface ndbA --frames 2000 >"$TMP/out" 2>"$TMP/err" || status=$?
expect_status 1
expect_out "received 0, mismatched 0, missing 1024"
expect_out "leaks            0 (objects outstanding 0, live pools 0)"
expect_out "FAIL: frames stopped coming back: 1024 of 1024 sent missing, 976 not sent"
expect_err "ndisbuf demo: FAIL: frames stopped coming back"

# As nobody (no CAP_NET_RAW): exit 1, the NDIS status named. Not run where
# setpriv is missing or nobody cannot reach the program (a note says so).
unprivileged() {
    if ! command -v setpriv >/dev/null 2>&1; then
        echo "note: no setpriv, the unprivileged case is not run"
        return 0
    fi
    if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$NDISBUF"; then
        echo "note: nobody cannot run $NDISBUF, the unprivileged case is not run"
        return 0
    fi
    LAST_RUN="demo --iface ndbA --frames 10 (as nobody)"
    status=0
    unshare -n sh "$TMP/netns.sh" setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$NDISBUF" demo --iface ndbA --frames 10 >"$TMP/out" 2>"$TMP/err" || status=$?
    expect_status 1
    expect_err "ndisbuf demo: adding adapter 'ndbA' (AF_PACKET miniport) failed: NDIS_STATUS_OPEN_FAILED"
}

unprivileged
echo "PASS"
