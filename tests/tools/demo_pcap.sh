#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools.demo_pcap: `ndisbuf demo --pcap FILE` records every frame the
# loopback miniport sends and receives, as on the wire: pcap_check (libpcap)
# reads the file back and finds 2 x --frames frames, each 802.1Q-tagged with
# the --vlan and --priority given.
#   demo_pcap.sh NDISBUF PCAP_CHECK
set -eu
. "$(dirname "$0")/lib.sh"
PCAP_CHECK=${1:?usage: demo_pcap.sh NDISBUF PCAP_CHECK}

run demo --frames 400 --size 100 --vlan 7 --priority 5 --pcap "$TMP/demo.pcap"
expect_status 0
expect_out "pcap             800 frames (400 sent, 400 received) in $TMP/demo.pcap"
expect_out "leaks            0 (objects outstanding 0, live pools 0)"
"$PCAP_CHECK" "$TMP/demo.pcap" 800 7 5 100 || fail "pcap_check rejected the capture"
echo "PASS"
