#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools.show: `ndisbuf show` builds an NBL chain from generated frames or
# from a pcap file, dumps it, draws it and writes it back out as pcap; the
# frames survive the round trip byte for byte (the hex dumps of the data
# carry no addresses, so two runs' dumps compare). --svg and --png are
# rendered only when Graphviz is installed; without it (PATH emptied) they
# fail with a clear message and make no file. Bad arguments and unusable
# captures exit 2 with one line on stderr.
set -eu
. "$(dirname "$0")/lib.sh"

# The hex dump lines of a run's stdout (offset, bytes, ASCII): no address in them.
data_lines() {
    grep -E '^      [0-9A-F]{4}  ' "$1" || true
}

# ---- generated frames: dump, picture, pcap
run show --chain --info --mdls --data --backfill 24 --context 16 --dot "$TMP/gen.dot" --write-pcap "$TMP/gen.pcap"
expect_status 0
[ ! -s "$TMP/err" ] || fail "stderr is not empty"
expect_out "'Show' NBL pool with NB, DataSize 95, ContextSize 16"
[ "$(grep -c '^NET_BUFFER_LIST ' "$TMP/out")" -eq 3 ] || fail "not 3 NBLs in the chain"
expect_out "24 (back-fill: 24 bytes in front of the data)"
expect_out "DataLength    42"
expect_out "back-fill 24, used 42, tail 29; the pool element's own data"
expect_out "Size 16 Offset 0: 16 used, 0 back-fill"
expect_out "NblFlags        0x00001200 IS_IPV4 IS_UDP"
expect_out "NblFlags        0x00000A00 IS_IPV4 IS_TCP"
expect_out "NetBufferListFrameType"
expect_out "(EtherType 0x0806)"
expect_out "0000  ff ff ff ff ff ff 02 00  00 00 00 0a 08 06 00 01"
expect_out "picture   $TMP/gen.dot (Graphviz dot)"
expect_out "pcap      3 frames in $TMP/gen.pcap"
grep -q '^digraph ndisbuf {' "$TMP/gen.dot" || fail "the .dot file is not a digraph"
grep -q 'nbl0 -> nbl1 \[label="Next"\]' "$TMP/gen.dot" || fail "the .dot file lacks the Next edge"
grep -q 'back-fill 24</TD>' "$TMP/gen.dot" || fail "the .dot file lacks the back-fill cell"
data_lines "$TMP/out" >"$TMP/gen.data"
[ -s "$TMP/gen.data" ] || fail "no hex dump"

# Without --chain only the first NBL; without --data no hex dump.
run show
expect_status 0
[ "$(grep -c '^NET_BUFFER_LIST ' "$TMP/out")" -eq 1 ] || fail "more than the first NBL without --chain"
[ -z "$(data_lines "$TMP/out")" ] || fail "a hex dump without --data"

# ---- the capture read back: the same frames, byte for byte, and again after a second trip
run show --pcap "$TMP/gen.pcap" --chain --data --backfill 0 --write-pcap "$TMP/again.pcap"
expect_status 0
expect_out "0 (back-fill: 0 bytes in front of the data)"
expect_out "pcap      3 frames in $TMP/again.pcap"
data_lines "$TMP/out" >"$TMP/read.data"
cmp -s "$TMP/gen.data" "$TMP/read.data" || fail "the frames read back differ from those written"
run show --pcap "$TMP/again.pcap" --chain --data --frames 2
expect_status 0
[ "$(grep -c '^NET_BUFFER_LIST ' "$TMP/out")" -eq 2 ] || fail "--frames 2 did not take 2 frames"
data_lines "$TMP/out" >"$TMP/again.data"
head -n "$(wc -l <"$TMP/again.data")" "$TMP/gen.data" | cmp -s - "$TMP/again.data" ||
    fail "the frames of the second trip differ"

# ---- Graphviz
if [ -x /usr/bin/dot ] || command -v dot >/dev/null 2>&1; then
    run show --chain --svg "$TMP/gen.svg" --png "$TMP/gen.png"
    expect_status 0
    expect_out "picture   $TMP/gen.svg (svg, rendered by dot)"
    expect_out "picture   $TMP/gen.png (png, rendered by dot)"
    grep -q '<svg' "$TMP/gen.svg" || fail "the SVG file is not SVG"
    [ -s "$TMP/gen.png" ] || fail "the PNG file is empty"
else
    echo "note: Graphviz is not installed: --svg/--png rendering not tried"
fi
status=0
env PATH="$TMP/no-such-dir" "$NDISBUF" show --svg "$TMP/none.svg" >"$TMP/out" 2>"$TMP/err" || status=$?
LAST_RUN="ndisbuf show --svg (PATH without dot)"
expect_status 1
expect_err "Graphviz's dot is not installed (apt-get install graphviz)"
[ ! -e "$TMP/none.svg" ] || fail "--svg made a file without Graphviz"

# ---- bad arguments and unusable captures: exit 2, one line on stderr, nothing on stdout
bad() {
    message=$1
    shift
    run show "$@"
    expect_status 2
    expect_err "ndisbuf show: $message"
    expect_err "(see 'ndisbuf show --help')"
    [ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "more than one line on stderr"
    [ ! -s "$TMP/out" ] || fail "something on stdout"
}
bad "unknown option '--bogus'" --bogus
bad "unexpected argument 'extra'" extra
bad "--frames: 0 is out of range (1..1000)" --frames 0
bad "--backfill: 4097 is out of range (0..4096)" --backfill 4097
bad "--context: 12 is not a multiple of 8" --context 12
bad "--chain takes no value" --chain=yes
bad "--dot needs a value" --dot
bad "--dot: cannot write '$TMP/no/such/dir.dot'" --dot "$TMP/no/such/dir.dot"
bad "--write-pcap: cannot write '$TMP/no/such/dir.pcap'" --write-pcap "$TMP/no/such/dir.pcap"
bad "--pcap: cannot read '$TMP/nosuch.pcap'" --pcap "$TMP/nosuch.pcap"
echo "not a capture" >"$TMP/text.pcap"
bad "--pcap: cannot read '$TMP/text.pcap'" --pcap "$TMP/text.pcap"
# A pcap file header alone: link type 101 (raw IP), then 1 (Ethernet) with no frame.
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\145\000\000\000' \
    >"$TMP/raw.pcap"
bad "--pcap: '$TMP/raw.pcap' is not an Ethernet capture" --pcap "$TMP/raw.pcap"
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\001\000\000\000' \
    >"$TMP/empty.pcap"
bad "--pcap: '$TMP/empty.pcap' holds no frame" --pcap "$TMP/empty.pcap"

run show --help
expect_status 0
for option in --pcap --frames --backfill --context --chain --info --data --mdls --dot --svg --png --write-pcap; do
    expect_out "  $option"
done
echo "PASS"
