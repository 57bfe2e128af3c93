#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools.demo_veth: the AF_PACKET miniport on real interfaces, in two network
# namespaces of the test's own (each held by an `unshare -n sleep` child;
# commands run in them with nsenter):
#
#  - a veth pair across the two: ndbA in the first, ndbB in the second.
#    `--iface ndbA --peer ndbB --peer-netns /proc/PID/ns/net` (run in the
#    first) sends on ndbA and receives every frame intact on ndbB, nothing
#    leaks. A live capture on ndbA (pcap_live, libpcap) records the wire
#    meanwhile: pcap_check finds every frame sent there, 802.1Q-tagged with
#    the --vlan and --priority given; so does the demo's own --pcap file.
#  - `--peer-netns` naming a namespace without the peer: exit 2.
#  - `--iface ndbA` alone gets nothing back and fails (exit 1) after
#    DEMO_STALL_MS; `--iface lo` (lo up) gets every frame back: lo echoes.
#  - with the privileges dropped (setpriv to nobody): `--iface ndbA` fails
#    cleanly (exit 1, the NDIS status named), and so does `--peer-netns`
#    (exit 1, setns's errno text).
#
# Needs root, unshare, nsenter and ip; skipped (77) otherwise.
#   demo_veth.sh NDISBUF PCAP_CHECK PCAP_LIVE
set -eu
. "$(dirname "$0")/lib.sh"
PCAP_CHECK=${1:?usage: demo_veth.sh NDISBUF PCAP_CHECK PCAP_LIVE}
PCAP_LIVE=${2:?usage: demo_veth.sh NDISBUF PCAP_CHECK PCAP_LIVE}

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces and CAP_NET_RAW)"
for tool in unshare nsenter ip; do
    command -v "$tool" >/dev/null 2>&1 || skip "no $tool"
done
unshare -n true 2>/dev/null || skip "unshare -n is not allowed here"

# ---- two network namespaces, each held by a child (killed on exit) --------

HOLDERS=""
LIVE=""
trap 'for p in $HOLDERS $LIVE; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"' EXIT

# Starts a child in a network namespace of its own; $holder is its PID.
start_holder() {
    unshare -n sleep 120 &
    holder=$!
    HOLDERS="$HOLDERS $holder"
    tries=0
    while [ "$(readlink "/proc/$holder/ns/net" 2>/dev/null)" = "$(readlink /proc/self/ns/net)" ]; do
        tries=$((tries + 1))
        [ "$tries" -lt 500 ] || fail "the namespace holder $holder did not unshare"
        sleep 0.01
    done
    kill -0 "$holder" 2>/dev/null || fail "unshare -n sleep exited"
}

start_holder
NS1=/proc/$holder/ns/net
start_holder
PEER_PID=$holder
NS2=/proc/$holder/ns/net
in1() { nsenter --net="$NS1" "$@"; }
in2() { nsenter --net="$NS2" "$@"; }

# The pair: ndbA in the first namespace, ndbB in the second, both up and
# without IPv6 chatter; lo up in the first.
in1 ip link add ndbA type veth peer name ndbB
in1 ip link set ndbB netns "$PEER_PID"
in1 sysctl -qw net.ipv6.conf.ndbA.disable_ipv6=1 2>/dev/null || true
in2 sysctl -qw net.ipv6.conf.ndbB.disable_ipv6=1 2>/dev/null || true
in1 ip link set ndbA up
in2 ip link set ndbB up
in1 ip link set lo up
! in1 ip link show ndbB >/dev/null 2>&1 || fail "ndbB is still in the first namespace"

# ---- a live capture on ndbA ---------------------------------------------------

# Starts pcap_live on ndbA (first namespace) into $1 and waits until it captures.
live_start() {
    rm -f "$TMP/live.ready"
    # Not through in1: $! must be pcap_live itself (nsenter execs it).
    nsenter --net="$NS1" "$PCAP_LIVE" ndbA "$1" "$TMP/live.ready" 2>"$TMP/live.err" &
    LIVE=$!
    tries=0
    until [ -e "$TMP/live.ready" ]; do
        kill -0 "$LIVE" 2>/dev/null || { cat "$TMP/live.err"; fail "pcap_live did not start"; }
        tries=$((tries + 1))
        [ "$tries" -lt 500 ] || fail "pcap_live was not ready after 5 s"
        sleep 0.01
    done
}

# Stops it (SIGTERM: it drains, flushes and exits 0).
live_stop() {
    kill -TERM "$LIVE"
    live_status=0
    wait "$LIVE" || live_status=$?
    LIVE=""
    [ "$live_status" -eq 0 ] || { cat "$TMP/live.err"; fail "pcap_live exited with $live_status"; }
    cat "$TMP/live.err"
}

# ---- the veth pair across the two namespaces ----------------------------------

live_start "$TMP/live.pcap"
LAST_RUN="demo --iface ndbA --peer ndbB --peer-netns $NS2 --frames 3000 --vlan 42 --priority 3 --pcap"
status=0
in1 "$NDISBUF" demo --iface ndbA --peer ndbB --peer-netns "$NS2" --frames 3000 --vlan 42 --priority 3 \
    --pcap "$TMP/veth.pcap" >"$TMP/out" 2>"$TMP/err" || status=$?
live_stop
expect_status 0
expect_out "rawprot over AF_PACKET adapters 'ndbA' -> 'ndbB' (in network namespace '$NS2')"
expect_out "peer: rawprot bound to 'ndbB' (added from network namespace '$NS2', its socket there)"
expect_out "reallocated: PoolReallocations 0 -> 1"
expect_out "sent 3000, completed ok 3000, received 3000, mismatched 0, missing 0, duplicated 0"
expect_out "ndbA: tagged 3000, stripped 0"
expect_out "ndbB: tagged 0, stripped 3000"
expect_out "leaks            0 (objects outstanding 0, live pools 0)"
expect_out "PASS: 3000 frames came back intact"
# The wire itself: every frame sent went out of ndbA tagged (other traffic ignored).
"$PCAP_CHECK" --ignore-others "$TMP/live.pcap" 3000 42 3 128 || fail "pcap_check rejected the live capture of ndbA"
# The demo's capture filter: sent on ndbA and received on ndbB, both tagged;
# only when nothing else crossed the pair (IPv6 is off, but the host may differ).
if grep -q "other frames" "$TMP/out"; then
    echo "note: other traffic crossed the pair, the --pcap file is not counted"
else
    "$PCAP_CHECK" "$TMP/veth.pcap" 6000 42 3 128 || fail "pcap_check rejected the --pcap file"
fi

# A namespace that lacks the peer: a usage error, nothing built.
LAST_RUN="demo --iface ndbA --peer ndbA --peer-netns $NS2"
status=0
in1 "$NDISBUF" demo --iface ndbA --peer ndbA --peer-netns "$NS2" >"$TMP/out" 2>"$TMP/err" || status=$?
expect_status 2
expect_err "ndisbuf demo: --peer: no network interface named 'ndbA' in network namespace '$NS2'"
[ ! -s "$TMP/out" ] || fail "something on stdout"

# ---- one adapter: nothing echoes on a veth, lo echoes everything ---------------

# Without --peer nothing echoes on a veth: the frames are missing, the run
# says so and fails, and still leaks nothing.
LAST_RUN="demo --iface ndbA --frames 2000"
status=0
in1 "$NDISBUF" demo --iface ndbA --frames 2000 >"$TMP/out" 2>"$TMP/err" || status=$?
expect_status 1
expect_out "received 0, mismatched 0, missing 1024"
expect_out "leaks            0 (objects outstanding 0, live pools 0)"
expect_out "FAIL: frames stopped coming back: 1024 of 1024 sent missing, 976 not sent"
expect_err "ndisbuf demo: FAIL: frames stopped coming back"

# lo (ARPHRD_LOOPBACK, Ethernet headers) hands every frame sent on it back.
LAST_RUN="demo --iface lo --frames 2000 --pcap"
status=0
in1 "$NDISBUF" demo --iface lo --frames 2000 --pcap "$TMP/lo.pcap" >"$TMP/out" 2>"$TMP/err" || status=$?
expect_status 0
expect_out "rawprot on adapter 'lo' (AF_PACKET miniport, MAC 00:00:00:00:00:00, MTU 1500)"
expect_out "sent 2000, completed ok 2000, received 2000, mismatched 0, missing 0, duplicated 0"
expect_out "tagged 2000, stripped 2000"
expect_out "leaks            0 (objects outstanding 0, live pools 0)"
expect_out "PASS: 2000 frames came back intact"
if grep -q "other frames" "$TMP/out"; then
    echo "note: other traffic on lo, the --pcap file is not counted"
else
    "$PCAP_CHECK" "$TMP/lo.pcap" 4000 100 0 128 || fail "pcap_check rejected the capture on lo"
fi

# ---- as nobody --------------------------------------------------------------------

# No CAP_NET_RAW: exit 1, the NDIS status named. No CAP_SYS_ADMIN: setns
# fails, exit 1 with its errno text. Not run where setpriv is missing or
# nobody cannot reach the program (a note says so).
unprivileged() {
    if ! command -v setpriv >/dev/null 2>&1; then
        echo "note: no setpriv, the unprivileged cases are not run"
        return 0
    fi
    if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$NDISBUF"; then
        echo "note: nobody cannot run $NDISBUF, the unprivileged cases are not run"
        return 0
    fi
    LAST_RUN="demo --iface ndbA --frames 10 (as nobody)"
    status=0
    in1 setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$NDISBUF" demo --iface ndbA --frames 10 >"$TMP/out" 2>"$TMP/err" || status=$?
    expect_status 1
    expect_err "ndisbuf demo: adding adapter 'ndbA' (AF_PACKET miniport) failed: NDIS_STATUS_OPEN_FAILED"

    # nobody may open its own namespace, not enter it.
    LAST_RUN="demo --iface ndbA --peer ndbB --peer-netns /proc/self/ns/net (as nobody)"
    status=0
    in1 setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$NDISBUF" demo --iface ndbA --peer ndbB --peer-netns /proc/self/ns/net >"$TMP/out" 2>"$TMP/err" ||
        status=$?
    expect_status 1
    expect_err "ndisbuf demo: entering network namespace '/proc/self/ns/net' (--peer-netns) failed: Operation not permitted"
}

unprivileged
echo "PASS"
