#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools.demo_usage: `ndisbuf demo --help` documents every option and exits
# 0; every bad argument exits 2 with one line on stderr that names the
# problem and points to --help, before anything is built (stdout empty).
set -eu
. "$(dirname "$0")/lib.sh"

run demo --help
expect_status 0
for option in --frames --size --batch --vlan --priority --iface --peer --peer-netns --pcap --fault --quiet --help; do
    expect_out "  $option"
done

# bad ARGS | the message stderr must hold
bad() {
    message=$1
    shift
    run demo "$@"
    expect_status 2
    expect_err "ndisbuf demo: $message"
    expect_err "(see 'ndisbuf demo --help')"
    [ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "more than one line on stderr"
    [ ! -s "$TMP/out" ] || fail "something on stdout"
}

bad "unknown option '--bogus'" --bogus
bad "unknown option '-x'" -x
bad "unexpected argument 'extra'" extra
bad "--frames needs a value" --frames
bad "--frames: 'abc' is not a number" --frames abc
bad "--frames: '-5' is not a number" --frames -5
bad "--frames: '12k' is not a number" --frames 12k
bad "--frames: 0 is out of range (1..1000000000)" --frames 0
bad "--frames: 99999999999999999999999 is out of range" --frames 99999999999999999999999
bad "--size: 17 is out of range (18..1510)" --size 17
bad "--size: 1511 is out of range (18..1510)" --size=1511
bad "--batch: 0 is out of range (1..1024)" --batch 0
bad "--batch: 1025 is out of range (1..1024)" --batch 1025
bad "--vlan: 0 is out of range (1..4094)" --vlan 0
bad "--vlan: 4095 is out of range (1..4094)" --vlan 4095
bad "--priority: 8 is out of range (0..7)" --priority 8
bad "--priority needs a value" --priority
bad "--quiet takes no value" --quiet=yes
bad "--peer needs --iface" --peer lo
bad "--iface: no network interface named 'ndisbuf-nosuch'" --iface ndisbuf-nosuch
bad "--peer: no network interface named 'ndisbuf-nosuch'" --iface lo --peer ndisbuf-nosuch
bad "--peer must name another interface than --iface" --iface lo --peer lo
bad "--iface: the value is empty" --iface ""
bad "--pcap: cannot write '$TMP/no/such/dir.pcap'" --pcap "$TMP/no/such/dir.pcap"
bad "--fault: 'nth=0': FailNth and ProbabilityPpm are both 0" --fault nth=0
bad "--fault: 'kinds=nbl+bogus,nth=1': unknown kind 'bogus'" --fault kinds=nbl+bogus,nth=1
bad "--fault needs a value" --fault
# --peer-netns: checked before setns (which needs root: see demo_veth.sh).
: >"$TMP/plain"
bad "--peer-netns needs --peer" --iface lo --peer-netns /proc/self/ns/net
bad "--peer-netns: the value is empty" --iface lo --peer lo --peer-netns ""
bad "--peer-netns: cannot open '$TMP/nosuch': No such file or directory" --iface lo --peer lo --peer-netns "$TMP/nosuch"
bad "--peer-netns: '$TMP/plain' is not a network namespace" --iface lo --peer lo --peer-netns "$TMP/plain"
bad "--peer-netns: '/proc/self/ns/uts' is not a network namespace" --iface lo --peer lo --peer-netns /proc/self/ns/uts
bad "--peer must name another interface than --iface ('/proc/self/ns/net' is this network namespace)" \
    --iface lo --peer lo --peer-netns /proc/self/ns/net
echo "PASS"
