/* SPDX-License-Identifier: MIT */
/*
 * The worked example examples/ipv4_fragmenter.c (docs/derived.md),
 * compiled into this test: a 1514-byte IPv4 frame spread over several MDLs
 * (zero-length ones included) is split for an MTU, every fragment's
 * headers and payload are checked against the frame independently, the
 * fragments are joined back, and the joined frame must equal the original
 * byte for byte. No payload byte is copied on the way: the fragments and
 * the joined packet point into the frame's own buffer.
 */
#include <string.h>

#include "datapath.h"

#include "../../../examples/ipv4_fragmenter.c"

#define TAG HARNESS_TAG('I', 'p', 'F', 'r')
#define FRAME 1514
#define PAYLOAD (FRAME - IPFRAG_HEADERS_LENGTH)

struct frame {
    UCHAR bytes[FRAME];
    MDL mdls[8];
};

static USHORT header_sum(const UCHAR *ip)
{
    ULONG sum = 0;
    for (int i = 0; i < IPFRAG_IPV4_LENGTH; i += 2)
        sum += (ULONG)(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return (USHORT)sum;
}

/* An Ethernet + IPv4 (IHL 5, no fragment bits) frame with a patterned payload, over `lengths`. */
static void frame_init(struct frame *f, const ULONG *lengths, size_t count)
{
    harness_fill(f->bytes, FRAME, 7);
    f->bytes[12] = 0x08; /* EtherType IPv4 */
    f->bytes[13] = 0x00;
    UCHAR *ip = f->bytes + IPFRAG_ETHERNET_LENGTH;
    ip[0] = 0x45;
    ip[2] = (UCHAR)((FRAME - IPFRAG_ETHERNET_LENGTH) >> 8);
    ip[3] = (UCHAR)(FRAME - IPFRAG_ETHERNET_LENGTH);
    ip[6] = ip[7] = 0; /* no flags, offset 0 */
    ip[10] = ip[11] = 0;
    USHORT check = (USHORT)~header_sum(ip);
    ip[10] = (UCHAR)(check >> 8);
    ip[11] = (UCHAR)check;
    harness_mdl_chain(f->mdls, count, f->bytes, lengths);
}

static void assert_fragment(PNET_BUFFER nb, const struct frame *f, ULONG payload_offset, ULONG piece, bool more)
{
    UCHAR got[FRAME];
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), IPFRAG_HEADERS_LENGTH + piece);
    assert_int_equal(harness_nb_read(nb, 0, IPFRAG_HEADERS_LENGTH + piece, got), IPFRAG_HEADERS_LENGTH + piece);
    assert_memory_equal(got, f->bytes, IPFRAG_ETHERNET_LENGTH); /* Ethernet header as the frame's */
    const UCHAR *ip = got + IPFRAG_ETHERNET_LENGTH;
    assert_int_equal(ip[2] << 8 | ip[3], IPFRAG_IPV4_LENGTH + piece);
    USHORT field = (USHORT)(ip[6] << 8 | ip[7]);
    assert_int_equal(field & IPFRAG_OFFSET_MASK, payload_offset / 8);
    assert_int_equal((field & IPFRAG_MORE_FRAGMENTS) != 0, more);
    assert_int_equal(header_sum(ip), 0xFFFF); /* the checksum is right */
    assert_memory_equal(got + IPFRAG_HEADERS_LENGTH, f->bytes + IPFRAG_HEADERS_LENGTH + payload_offset, piece);
}

/* Splits, checks, joins, checks, frees; returns the number of fragments. */
static ULONG round_trip(NDIS_HANDLE nbl_pool, NDIS_HANDLE nb_pool, NDIS_HANDLE join_pool, struct frame *f,
                        ULONG mtu)
{
    UCHAR before[FRAME];
    memcpy(before, f->bytes, FRAME);
    PNET_BUFFER_LIST packet = NdisAllocateNetBufferAndNetBufferList(join_pool, 0, 0, f->mdls, 0, FRAME);
    assert_non_null(packet);

    PNET_BUFFER_LIST fragments = IpFragSplit(packet, nbl_pool, nb_pool, mtu);
    assert_non_null(fragments);
    assert_ptr_equal(fragments->ParentNetBufferList, packet);
    assert_int_equal(packet->ChildRefCount, 1);
    ULONG piece_max = (mtu - IPFRAG_IPV4_LENGTH) & ~7u, offset = 0, count = 0;
    for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(fragments); nb; nb = NET_BUFFER_NEXT_NB(nb), count++) {
        ULONG piece = PAYLOAD - offset < piece_max ? PAYLOAD - offset : piece_max;
        assert_fragment(nb, f, offset, piece, NET_BUFFER_NEXT_NB(nb) != NULL);
        offset += piece;
    }
    assert_int_equal(offset, PAYLOAD);
    assert_memory_equal(f->bytes, before, FRAME); /* the frame itself was not written */

    PNET_BUFFER_LIST joined = IpFragJoin(fragments, join_pool);
    assert_non_null(joined);
    assert_int_equal(fragments->ChildRefCount, 1);
    harness_assert_nb_data(NET_BUFFER_LIST_FIRST_NB(joined), f->bytes, FRAME);
    harness_assert_nb_consistent(NET_BUFFER_LIST_FIRST_NB(joined));

    IpFragFreeJoined(joined);
    assert_int_equal(fragments->ChildRefCount, 0);
    IpFragFreeFragments(fragments);
    assert_int_equal(packet->ChildRefCount, 0);
    NdisFreeNetBufferList(packet);
    return count;
}

static void frame_on_one_mdl_splits_and_joins_back(void **state)
{
    (void)state;
    static const ULONG lengths[] = {FRAME};
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    struct frame f;
    frame_init(&f, lengths, 1);
    assert_int_equal(round_trip(NULL, NULL, pool, &f, 576), 3); /* 1480 = 552 + 552 + 376 */
    harness_free_nbl_pool(pool);
}

static void frame_over_many_mdls_splits_and_joins_back(void **state)
{
    (void)state;
    static const ULONG lengths[] = {7, 0, 40, 500, 0, 1, 966};
    NDIS_HANDLE nbl_pool = harness_nbl_pool(FALSE, 0, 0, TAG);
    NDIS_HANDLE nb_pool = harness_nb_pool(0);
    NDIS_HANDLE join_pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    struct frame f;
    frame_init(&f, lengths, 7);
    for (ULONG mtu = 28; mtu <= 1500; mtu += 97)
        assert_int_equal(round_trip(nbl_pool, nb_pool, join_pool, &f, mtu),
                         (PAYLOAD + ((mtu - 20) & ~7u) - 1) / ((mtu - 20) & ~7u));
    harness_free_nb_pool(nb_pool);
    harness_free_nbl_pool(nbl_pool);
    harness_free_nbl_pool(join_pool);
}

static void packet_freed_while_fragments_are_out_is_reported(void **state)
{
    (void)state;
    static const ULONG lengths[] = {FRAME};
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    struct frame f;
    frame_init(&f, lengths, 1);
    PNET_BUFFER_LIST packet = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, f.mdls, 0, FRAME);
    PNET_BUFFER_LIST fragments = IpFragSplit(packet, NULL, NULL, 1280);
    assert_non_null(fragments);

    NdisFreeNetBufferList(packet);
    harness_expect_report(NDISBUF_REPORT_CHILDREN_OUTSTANDING);
    assert_int_equal(packet->ChildRefCount, 1); /* still there, untouched */

    IpFragFreeFragments(fragments);
    NdisFreeNetBufferList(packet);
    harness_free_nbl_pool(pool);
}

static void mtu_too_small_for_one_8_byte_unit_is_refused(void **state)
{
    (void)state;
    static const ULONG lengths[] = {FRAME};
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    struct frame f;
    frame_init(&f, lengths, 1);
    PNET_BUFFER_LIST packet = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, f.mdls, 0, FRAME);
    assert_null(IpFragSplit(packet, NULL, NULL, 27));
    assert_int_equal(packet->ChildRefCount, 0);
    NdisFreeNetBufferList(packet);
    harness_free_nbl_pool(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(frame_on_one_mdl_splits_and_joins_back),
        HARNESS_TEST(frame_over_many_mdls_splits_and_joins_back),
        HARNESS_TEST(packet_freed_while_fragments_are_out_is_reported),
        HARNESS_TEST(mtu_too_small_for_one_8_byte_unit_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
