/* SPDX-License-Identifier: MIT */
/*
 * Fragments (ndis/derived.h, ndis-semantics.md §6):
 * NdisAllocateFragmentNetBufferList cuts the used data of each NET_BUFFER
 * of an original, after StartOffset bytes, into pieces of MaximumLength
 * bytes (the last of each NB shorter, pieces of different NBs never
 * joined), describes them without copying through partial MDLs, and gives
 * each fragment DataOffsetDelta bytes of header room in a new MDL of its
 * own (DataOffsetDelta + DataBackFill bytes); NdisFreeFragmentNetBufferList
 * takes it all back. Also the pools (internal and given), the refusals, and
 * the verifier's rules on freeing fragments and their parents.
 *
 * The originals are caller chains with zero-length padding MDLs and data
 * starting past the first MDL, laid over patterned buffers. The expected
 * bytes are read from the original with the independent walker
 * (datapath.h) before anything is derived, and every buffer is compared
 * with a pristine copy afterwards, so a fragment that wrote into its parent
 * shows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "derived.h"

#define TAG HARNESS_TAG('T', 'F', 'r', 'g')
#define MAX_FRAGS 256

/* ---------------------------------------------------- fragment checking */

static ULONG expected_fragments(ULONG s, ULONG max)
{
    ULONG n = 0;
    for (size_t i = 0; i < orig.count; i++)
        n += (ULONG)(((ULONG64)orig.len[i] - s + max - 1) / max);
    return n;
}

/*
 * Walks the fragment NBL against the original: per original NB, one
 * fragment per MaximumLength piece after StartOffset, each of DataLength
 * piece + delta, consistent, its piece bytes (after the header room) the
 * original's at the right offset and at the same address (no copy).
 * Returns the fragment count.
 */
static ULONG check_fragments(PNET_BUFFER_LIST frag, ULONG s, ULONG max, ULONG delta, ULONG backfill)
{
    PNET_BUFFER f = NET_BUFFER_LIST_FIRST_NB(frag);
    ULONG n = 0;
    UCHAR got[ORIG_BUF];
    for (size_t i = 0; i < orig.count; i++) {
        for (ULONG64 at64 = s; at64 < orig.len[i]; at64 += max) {
            ULONG at = (ULONG)at64;
            ULONG piece = orig.len[i] - at < max ? orig.len[i] - at : max;
            if (!f)
                fail_msg("fragment %u (NB %zu, offset %u) is missing", n, i, at);
            if (NET_BUFFER_DATA_LENGTH(f) != piece + delta)
                fail_msg("fragment %u (NB %zu, offset %u): DataLength %u, expected %u + %u", n, i, at,
                         NET_BUFFER_DATA_LENGTH(f), piece, delta);
            harness_assert_nb_consistent(f);
            assert_int_equal(harness_nb_read(f, delta, piece, got), piece);
            if (memcmp(got, orig.used[i] + at, piece) != 0)
                fail_msg("fragment %u (NB %zu, offset %u): piece bytes differ from the original's", n, i, at);
            assert_true(nb_byte_address(f, delta) == nb_byte_address(orig.nb[i], at));
            assert_true(nb_byte_address(f, delta + piece - 1) == nb_byte_address(orig.nb[i], at + piece - 1));
            assert_derived_mdls(f, delta, backfill);
            f = NET_BUFFER_NEXT_NB(f);
            n++;
        }
    }
    if (f)
        fail_msg("more fragments than the %u expected", n);
    assert_int_equal(n, expected_fragments(s, max));
    return n;
}

/* A derived NBL's own fields: parent set, nothing inherited. */
static void assert_child_fields(PNET_BUFFER_LIST child, PNET_BUFFER_LIST parent)
{
    assert_ptr_equal(child->ParentNetBufferList, parent);
    assert_int_equal(child->ChildRefCount, 0);
    assert_null(child->Context);
    assert_null(NET_BUFFER_LIST_NEXT_NBL(child));
}

static PNET_BUFFER_LIST fragment(ULONG s, ULONG max, ULONG delta, ULONG backfill)
{
    PNET_BUFFER_LIST frag = NdisAllocateFragmentNetBufferList(orig.nbl, NULL, NULL, s, max, delta, backfill, 0);
    if (!frag)
        fail_msg("fragmenting (StartOffset %u, MaximumLength %u, delta %u, back-fill %u) failed: %s", s, max,
                 delta, backfill, ndisbuf_last_diagnostic());
    return frag;
}

/* ----------------------------------------------------------- the cutting */

struct cut_case {
    ULONG s, max, delta, backfill;
};

static const struct cut_case four_nb_cases[] = {
    {0, 1000, 0, 0}, /* one fragment per NB */
    {0, 10, 0, 0},   /* 3 + 7 + 2 + 1 */
    {4, 10, 14, 0},  /* NB 3 has nothing after StartOffset: 3 + 6 + 1 + 0 */
    {4, 7, 20, 16},
    {3, 1, 2, 3}, /* one-byte pieces: 27 + 61 + 10 + 1 */
    {2, 13, 8, 0},
    {0, 30, 5, 64}, /* exact multiples: 1 + 3 + 1 + 1 */
    {4, 60, 1, 1},  /* NB 1's rest is exactly MaximumLength */
    {1, 2, 0, 9},   /* back-fill without header room */
    {4, 26, 0, 0},
};

static void fragments_cut_each_nb_separately_with_the_last_piece_shorter(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    for (size_t k = 0; k < sizeof(four_nb_cases) / sizeof(four_nb_cases[0]); k++) {
        const struct cut_case *c = &four_nb_cases[k];
        print_message("case %zu: StartOffset %u MaximumLength %u delta %u back-fill %u\n", k, c->s, c->max,
                      c->delta, c->backfill);
        ULONG64 before = ndisbuf_outstanding_total();
        PNET_BUFFER_LIST frag = fragment(c->s, c->max, c->delta, c->backfill);
        assert_child_fields(frag, orig.nbl);
        ULONG n = check_fragments(frag, c->s, c->max, c->delta, c->backfill);
        assert_true(ndisbuf_outstanding_total() >= before + 1 + n);
        original_assert_unchanged();
        NdisFreeFragmentNetBufferList(frag, c->delta, 0);
        harness_expect_no_report();
        assert_int_equal(ndisbuf_outstanding_total(), before);
        original_assert_unchanged();
    }
    original_free();
}

static void an_nb_with_nothing_after_start_offset_gives_no_fragment(void **state)
{
    (void)state;
    original_build(SPECS(with_empty_nb));
    /* The empty NB (DataLength 0) gives none; the others 3 + 4. */
    PNET_BUFFER_LIST frag = fragment(0, 4, 6, 2);
    assert_int_equal(check_fragments(frag, 0, 4, 6, 2), 7);
    NdisFreeFragmentNetBufferList(frag, 6, 0);
    original_free();
    /* StartOffset == NB 3's DataLength (the shortest): NB 3 gives none, the others 2 + 4 + 1. */
    original_build(SPECS(four_nbs));
    frag = fragment(4, 17, 0, 0);
    assert_int_equal(check_fragments(frag, 4, 17, 0, 0), 7);
    NdisFreeFragmentNetBufferList(frag, 0, 0);
    harness_expect_no_report();
    original_free();
}

/* An NB without an MDL chain (DataLength 0) gives no fragment either. */
static void an_nb_without_a_chain_gives_no_fragment(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    PNET_BUFFER bare = NdisAllocateNetBuffer(orig.nb_pool, NULL, 0, 0);
    assert_non_null(bare);
    NET_BUFFER_NEXT_NB(bare) = NET_BUFFER_LIST_FIRST_NB(orig.nbl);
    NET_BUFFER_LIST_FIRST_NB(orig.nbl) = bare;
    PNET_BUFFER_LIST frag = fragment(0, 16, 2, 0); /* 2 + 4 + 1 + 1 */
    PNET_BUFFER f = NET_BUFFER_LIST_FIRST_NB(frag);
    ULONG n = 0;
    for (; f; f = NET_BUFFER_NEXT_NB(f))
        n++;
    assert_int_equal(n, 8);
    NET_BUFFER_LIST_FIRST_NB(orig.nbl) = NET_BUFFER_NEXT_NB(bare); /* check_fragments walks the four */
    check_fragments(frag, 0, 16, 2, 0);
    NdisFreeFragmentNetBufferList(frag, 2, 0);
    harness_expect_no_report();
    NET_BUFFER_NEXT_NB(bare) = NULL;
    NdisFreeNetBuffer(bare);
    original_free();
}

static void fragment_of_one_nb_in_one_byte_and_whole_pieces(void **state)
{
    (void)state;
    original_build(SPECS(one_nb));
    PNET_BUFFER_LIST frag = fragment(89, 1, 0, 0); /* the last byte alone */
    assert_int_equal(check_fragments(frag, 89, 1, 0, 0), 1);
    NdisFreeFragmentNetBufferList(frag, 0, 0);
    frag = fragment(0, 90, 0, 0); /* the whole packet */
    assert_int_equal(check_fragments(frag, 0, 90, 0, 0), 1);
    NdisFreeFragmentNetBufferList(frag, 0, 0);
    frag = fragment(0, 0xFFFFFFFFu, 40, 0); /* a huge MaximumLength does not overflow */
    assert_int_equal(check_fragments(frag, 0, 0xFFFFFFFFu, 40, 0), 1);
    NdisFreeFragmentNetBufferList(frag, 40, 0);
    harness_expect_no_report();
    original_free();
}

/* --------------------------------------------------------- parent fields */

static void a_fragment_points_at_its_parent_and_inherits_nothing(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    /* An original with flags, status, information and a next NBL. */
    NET_BUFFER_LIST saved = *orig.nbl;
    NDIS_HANDLE pool = harness_nbl_pool(FALSE, 0, 0, TAG);
    PNET_BUFFER_LIST next = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(next);
    NET_BUFFER_LIST_NEXT_NBL(orig.nbl) = next;
    NET_BUFFER_LIST_FLAGS(orig.nbl) = 0x00F00000;
    NET_BUFFER_LIST_NBL_FLAGS(orig.nbl) = NDIS_NBL_FLAGS_IS_IPV4 | NDIS_NBL_FLAGS_IS_TCP;
    NET_BUFFER_LIST_STATUS(orig.nbl) = NDIS_STATUS_FAILURE;
    NET_BUFFER_LIST_INFO(orig.nbl, TcpIpChecksumNetBufferListInfo) = (PVOID)(ULONG_PTR)0x1234;
    NET_BUFFER_LIST_INFO(orig.nbl, Ieee8021QNetBufferListInfo) = (PVOID)(ULONG_PTR)0x5678;
    orig.nbl->SourceHandle = (NDIS_HANDLE)(ULONG_PTR)0x42;
    memcpy(&orig.nbl_copy, orig.nbl, sizeof(*orig.nbl));

    PNET_BUFFER_LIST frag = fragment(0, 16, 14, 0);
    assert_child_fields(frag, orig.nbl);
    assert_int_equal(NET_BUFFER_LIST_FLAGS(frag), 0);
    assert_int_equal(NET_BUFFER_LIST_NBL_FLAGS(frag), 0);
    assert_null(NET_BUFFER_LIST_INFO(frag, TcpIpChecksumNetBufferListInfo));
    assert_null(NET_BUFFER_LIST_INFO(frag, Ieee8021QNetBufferListInfo));
    assert_int_equal(NET_BUFFER_LIST_STATUS(frag), NDIS_STATUS_SUCCESS);
    assert_null(frag->SourceHandle);
    /* Only the first NBL is fragmented; the library leaves the parent's count to the driver. */
    check_fragments(frag, 0, 16, 14, 0);
    assert_int_equal(orig.nbl->ChildRefCount, 0);
    original_assert_unchanged();
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    harness_expect_no_report();

    *orig.nbl = saved;
    memcpy(&orig.nbl_copy, orig.nbl, sizeof(*orig.nbl));
    NdisFreeNetBufferList(next);
    harness_free_nbl_pool(pool);
    original_free();
}

/* ------------------------------------------------- header room, back-fill */

static void the_header_room_is_a_new_mdl_and_writing_it_leaves_the_original_alone(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    const ULONG delta = 20, backfill = 8;
    PNET_BUFFER_LIST frag = fragment(2, 11, delta, backfill);
    UCHAR header[20], got[20];
    ULONG k = 0;
    for (PNET_BUFFER f = NET_BUFFER_LIST_FIRST_NB(frag); f; f = NET_BUFFER_NEXT_NB(f), k++) {
        harness_fill(header, sizeof(header), 100 + k);
        assert_int_equal(harness_nb_write(f, 0, delta, header), delta);
        /* The header room is contiguous at the data start: NdisGetDataBuffer gives it in place. */
        UCHAR *in_place = NdisGetDataBuffer(f, delta, NULL, 1, 0);
        assert_non_null(in_place);
        assert_memory_equal(in_place, header, delta);
    }
    original_assert_unchanged();
    /* Each header is its fragment's own. */
    k = 0;
    for (PNET_BUFFER f = NET_BUFFER_LIST_FIRST_NB(frag); f; f = NET_BUFFER_NEXT_NB(f), k++) {
        harness_fill(header, sizeof(header), 100 + k);
        assert_int_equal(harness_nb_read(f, 0, delta, got), delta);
        assert_memory_equal(got, header, delta);
    }
    check_fragments(frag, 2, 11, delta, backfill);
    NdisFreeFragmentNetBufferList(frag, delta, 0);
    harness_expect_no_report();
    original_free();
}

static void no_header_room_means_no_extra_mdl(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    /* DataOffsetDelta 0: no retreat, so no MDL outside the original's memory, back-fill or not. */
    const ULONG backfills[] = {0, 16};
    for (size_t b = 0; b < 2; b++) {
        ULONG64 before = ndisbuf_outstanding_total();
        PNET_BUFFER_LIST frag = fragment(1, 9, 0, backfills[b]);
        for (PNET_BUFFER f = NET_BUFFER_LIST_FIRST_NB(frag); f; f = NET_BUFFER_NEXT_NB(f))
            for (PMDL m = NET_BUFFER_FIRST_MDL(f); m; m = m->Next)
                if (m->ByteCount && !inside_original_memory(mdl_va(m), m->ByteCount))
                    fail_msg("back-fill %u: MDL %p of %u bytes is not over the original", backfills[b], (void *)m,
                             m->ByteCount);
        check_fragments(frag, 1, 9, 0, backfills[b]);
        NdisFreeFragmentNetBufferList(frag, 0, 0);
        harness_expect_no_report();
        assert_int_equal(ndisbuf_outstanding_total(), before);
    }
    original_free();
}

static void back_fill_allows_a_further_retreat_without_a_new_mdl(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    const ULONG delta = 14, backfill = 40;
    PNET_BUFFER_LIST frag = fragment(0, 12, delta, backfill);
    ULONG64 outstanding = ndisbuf_outstanding_total();
    for (PNET_BUFFER f = NET_BUFFER_LIST_FIRST_NB(frag); f; f = NET_BUFFER_NEXT_NB(f)) {
        assert_true(NET_BUFFER_DATA_OFFSET(f) >= backfill);
        PMDL first = NET_BUFFER_FIRST_MDL(f);
        size_t mdls = harness_chain_count(first);
        ULONG length = NET_BUFFER_DATA_LENGTH(f);
        for (ULONG step = 1; step <= backfill; step += 13) {
            assert_int_equal(NdisRetreatNetBufferDataStart(f, step, 0, NULL), NDIS_STATUS_SUCCESS);
            assert_ptr_equal(NET_BUFFER_FIRST_MDL(f), first);
            assert_int_equal(harness_chain_count(NET_BUFFER_FIRST_MDL(f)), mdls);
            assert_int_equal(NET_BUFFER_DATA_LENGTH(f), length + step);
            harness_assert_nb_consistent(f);
            NdisAdvanceNetBufferDataStart(f, step, TRUE, NULL);
            assert_ptr_equal(NET_BUFFER_FIRST_MDL(f), first);
            assert_int_equal(NET_BUFFER_DATA_LENGTH(f), length);
        }
        assert_int_equal(NdisRetreatNetBufferDataStart(f, backfill, 0, NULL), NDIS_STATUS_SUCCESS);
        assert_ptr_equal(NET_BUFFER_FIRST_MDL(f), first);
        NdisAdvanceNetBufferDataStart(f, backfill, TRUE, NULL);
    }
    assert_int_equal(ndisbuf_outstanding_total(), outstanding);
    check_fragments(frag, 0, 12, delta, backfill);
    original_assert_unchanged();
    NdisFreeFragmentNetBufferList(frag, delta, 0);
    harness_expect_no_report();
    original_free();
}

static void free_takes_back_an_mdl_a_later_retreat_left_at_the_front(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    ULONG64 before = ndisbuf_outstanding_total();
    PNET_BUFFER_LIST frag = fragment(0, 20, 14, 0);
    /* The driver needs more room than it asked for, then gives it back keeping the MDL. */
    PNET_BUFFER f = NET_BUFFER_LIST_FIRST_NB(frag);
    PMDL room = NET_BUFFER_FIRST_MDL(f);
    assert_int_equal(NdisRetreatNetBufferDataStart(f, 30, 0, NULL), NDIS_STATUS_SUCCESS);
    assert_true(NET_BUFFER_FIRST_MDL(f) != room);
    UCHAR header[44];
    memset(header, 0xEE, sizeof(header));
    assert_int_equal(harness_nb_write(f, 0, sizeof(header), header), sizeof(header));
    NdisAdvanceNetBufferDataStart(f, 30, FALSE, NULL);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(f), 20 + 14);
    original_assert_unchanged();
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    harness_expect_no_report();
    assert_int_equal(ndisbuf_outstanding_total(), before);
    original_free();
}

/* --------------------------------------------------------- of a derived */

static void fragments_of_a_clone_describe_the_same_bytes(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    const ULONG flags[] = {0, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS};
    for (size_t k = 0; k < 2; k++) {
        PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(orig.nbl, NULL, NULL, flags[k]);
        assert_non_null(clone);
        orig.nbl->ChildRefCount++;
        PNET_BUFFER_LIST frag = NdisAllocateFragmentNetBufferList(clone, NULL, NULL, 3, 8, 6, 4, 0);
        assert_non_null(frag);
        clone->ChildRefCount++;
        assert_child_fields(frag, clone);
        check_fragments(frag, 3, 8, 6, 4); /* same pieces, same addresses as the original's */
        NdisFreeFragmentNetBufferList(frag, 6, 0);
        clone->ChildRefCount--;
        NdisFreeCloneNetBufferList(clone, flags[k]);
        orig.nbl->ChildRefCount--;
        harness_expect_no_report();
    }
    original_free();
}

static void fragments_of_a_retreated_original_describe_its_new_front_mdl(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    /* NB 0 retreated beyond its back-fill: its data now starts in a library MDL. */
    assert_int_equal(NdisRetreatNetBufferDataStart(orig.nb[0], 20, 0, NULL), NDIS_STATUS_SUCCESS);
    UCHAR header[8];
    harness_fill(header, sizeof(header), 77);
    assert_int_equal(harness_nb_write(orig.nb[0], 0, sizeof(header), header), sizeof(header));
    orig.len[0] += 20;
    assert_int_equal(harness_nb_read(orig.nb[0], 0, orig.len[0], orig.used[0]), orig.len[0]);

    PNET_BUFFER_LIST frag = fragment(2, 9, 3, 0);
    check_fragments(frag, 2, 9, 3, 0);
    NdisFreeFragmentNetBufferList(frag, 3, 0);
    harness_expect_no_report();
    UCHAR again[ORIG_BUF];
    assert_int_equal(harness_nb_read(orig.nb[0], 0, orig.len[0], again), orig.len[0]);
    assert_memory_equal(again, orig.used[0], orig.len[0]);
    NdisAdvanceNetBufferDataStart(orig.nb[0], 20, TRUE, NULL);
    orig.len[0] -= 20;
    original_free();
}

/* ---------------------------------------------------------------- pools */

struct pool_case {
    bool nbl_pool, own_nb, nb_pool;
};

static const struct pool_case pool_cases[] = {
    {false, false, false}, {true, false, true}, {true, true, true},
    {true, true, false},   {true, false, false}, {false, false, true},
};

static void fragments_come_from_the_pools_given_or_the_internal_ones(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    for (size_t k = 0; k < sizeof(pool_cases) / sizeof(pool_cases[0]); k++) {
        const struct pool_case *c = &pool_cases[k];
        print_message("case %zu: NBL pool %d (own NB %d), NB pool %d\n", k, c->nbl_pool, c->own_nb, c->nb_pool);
        NDIS_HANDLE nbl_pool = NULL, nb_pool = NULL;
        if (c->nbl_pool) {
            NET_BUFFER_LIST_POOL_PARAMETERS p;
            harness_nbl_pool_params(&p, c->own_nb, 0, 0, TAG);
            p.ProtocolId = NDIS_PROTOCOL_ID_TCP_IP;
            nbl_pool = NdisAllocateNetBufferListPool(NULL, &p);
            assert_non_null(nbl_pool);
        }
        if (c->nb_pool)
            nb_pool = harness_nb_pool(0);
        ULONG pools = ndisbuf_live_pool_count();
        ULONG64 before = ndisbuf_outstanding_total();

        PNET_BUFFER_LIST frag =
            NdisAllocateFragmentNetBufferList(orig.nbl, nbl_pool, nb_pool, 0, 10, 4, 0, 0);
        if (!frag)
            fail_msg("fragmenting failed: %s", ndisbuf_last_diagnostic());
        ULONG n = check_fragments(frag, 0, 10, 4, 0);
        assert_int_equal(n, 13);
        assert_child_fields(frag, orig.nbl);
        assert_int_equal(ndisbuf_live_pool_count(), pools); /* internal pools are never listed */
        assert_true(ndisbuf_outstanding_total() >= before + 1 + n);
        if (nbl_pool) {
            assert_ptr_equal(NdisGetPoolFromNetBufferList(frag), nbl_pool);
            assert_int_equal(harness_stats(nbl_pool).Outstanding, 1);
            assert_int_equal(NdisGetNetBufferListProtocolId(frag), NDIS_PROTOCOL_ID_TCP_IP);
        } else {
            assert_non_null(NdisGetPoolFromNetBufferList(frag));
        }
        if (nb_pool) {
            /*
             * With a given NBL pool that has its own NB, that NB is the first
             * fragment. The header leaves open whether the internal NBL pool
             * (NULL handle) brings one too: either way, every other NB is
             * from the given NB pool.
             */
            ULONG from_nb_pool = c->nbl_pool && c->own_nb ? n - 1 : n;
            ULONG64 got = harness_stats(nb_pool).Outstanding;
            if (c->nbl_pool)
                assert_int_equal(got, from_nb_pool);
            else
                assert_true(got == n || got == n - 1);
            PNET_BUFFER f = NET_BUFFER_LIST_FIRST_NB(frag);
            if (got == n - 1)
                f = NET_BUFFER_NEXT_NB(f);
            for (; f; f = NET_BUFFER_NEXT_NB(f))
                assert_ptr_equal(NdisGetPoolFromNetBuffer(f), nb_pool);
        }
        NdisFreeFragmentNetBufferList(frag, 4, 0);
        harness_expect_no_report();
        assert_int_equal(ndisbuf_outstanding_total(), before);
        if (nbl_pool)
            harness_free_nbl_pool(nbl_pool);
        if (nb_pool)
            harness_free_nb_pool(nb_pool);
    }
    original_free();
}

static void pools_with_data_size_are_refused(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    NDIS_HANDLE data_nbl_pool = harness_nbl_pool(TRUE, 0, 256, TAG);
    NDIS_HANDLE data_nb_pool = harness_nb_pool(256);
    NDIS_HANDLE nb_pool = harness_nb_pool(0);
    ULONG64 before = ndisbuf_outstanding_total();

    harness_diag_clear();
    assert_null(NdisAllocateFragmentNetBufferList(orig.nbl, data_nbl_pool, nb_pool, 0, 10, 0, 0, 0));
    assert_true(harness_diag_contains("DataSize"));
    assert_null(NdisAllocateFragmentNetBufferList(orig.nbl, NULL, data_nb_pool, 0, 10, 0, 0, 0));
    assert_true(harness_diag_contains("DataSize"));
    harness_expect_no_report();
    assert_int_equal(ndisbuf_outstanding_total(), before);
    assert_int_equal(harness_stats(data_nbl_pool).Outstanding, 0);
    assert_int_equal(harness_stats(data_nb_pool).Outstanding, 0);
    assert_int_equal(harness_stats(nb_pool).Outstanding, 0);
    original_assert_unchanged();

    harness_free_nbl_pool(data_nbl_pool);
    harness_free_nb_pool(data_nb_pool);
    harness_free_nb_pool(nb_pool);
    original_free();
}

/* ------------------------------------------------------------- refusals */

/*
 * Header room that cannot be given: DataOffsetDelta + DataBackFill beyond a
 * ULONG, or piece + DataOffsetDelta beyond a ULONG DataLength. NULL with a
 * diagnostic; whatever was built for earlier fragments is taken back.
 */
static void a_header_room_that_cannot_be_given_is_refused_and_nothing_is_left(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    ULONG64 before = ndisbuf_outstanding_total();
    harness_diag_clear();
    assert_null(NdisAllocateFragmentNetBufferList(orig.nbl, NULL, NULL, 0, 10, 14, 0xFFFFFFF8u, 0));
    assert_true(harness_diag_new() >= 1);
    assert_int_equal(ndisbuf_outstanding_total(), before);
    original_assert_unchanged();
    /* NB 0's one piece is 30 bytes: 30 + (2^32 - 16) does not fit DataLength. */
    assert_null(NdisAllocateFragmentNetBufferList(orig.nbl, NULL, NULL, 0, 100, 0xFFFFFFF0u, 0, 0));
    assert_true(harness_diag_new() >= 1);
    assert_int_equal(ndisbuf_outstanding_total(), before);
    harness_expect_no_report();
    original_assert_unchanged();
    original_free();
}

struct refusal {
    const char *what;
    ULONG s, max, flags;
    const char *named; /* in the diagnostic, or NULL: any diagnostic */
};

static const struct refusal refusals[] = {
    {"MaximumLength 0", 0, 0, 0, "MaximumLength"},
    {"StartOffset past NB 3's DataLength", 5, 10, 0, "StartOffset"},
    {"StartOffset past every DataLength", 1000, 10, 0, "StartOffset"},
    {"flags", 0, 10, 1, "AllocateFragmentFlags"},
    {"flags (high bit)", 0, 10, 0x80000000u, "AllocateFragmentFlags"},
};

/*
 * An original NB whose chain ends before its DataLength does (a driver
 * bug): refused with a diagnostic. NB 2 is the third, so the fragments of
 * NBs 0 and 1 were built first and must be taken back.
 */
static void an_original_whose_chain_is_short_is_refused_and_nothing_is_left(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    ULONG64 before = ndisbuf_outstanding_total();
    orig.nb[2]->DataLength = 20; /* 15 bytes are left after its data start */
    harness_diag_clear();
    assert_null(NdisAllocateFragmentNetBufferList(orig.nbl, NULL, NULL, 0, 4, 14, 0, 0));
    assert_true(harness_diag_contains("short"));
    assert_int_equal(ndisbuf_outstanding_total(), before);
    harness_expect_no_report();
    orig.nb[2]->DataLength = 13;
    original_assert_unchanged();
    original_free();
}

static void bad_arguments_give_null_a_diagnostic_and_nothing_allocated(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    ULONG64 before = ndisbuf_outstanding_total();
    harness_diag_clear();
    for (size_t k = 0; k < sizeof(refusals) / sizeof(refusals[0]); k++) {
        const struct refusal *r = &refusals[k];
        print_message("refusal: %s\n", r->what);
        assert_null(NdisAllocateFragmentNetBufferList(orig.nbl, NULL, NULL, r->s, r->max, 14, 0, r->flags));
        assert_true(harness_diag_contains(r->named));
        assert_int_equal(ndisbuf_outstanding_total(), before);
        original_assert_unchanged();
    }
    assert_null(NdisAllocateFragmentNetBufferList(NULL, NULL, NULL, 0, 10, 0, 0, 0));
    assert_true(harness_diag_contains("NULL"));
    harness_expect_no_report();
    assert_int_equal(ndisbuf_outstanding_total(), before);
    original_free();
}

static void nothing_to_fragment_is_refused(void **state)
{
    (void)state;
    /* StartOffset equal to every NB's DataLength: not one fragment would result. */
    static const ULONG a[] = {3, 0, 5}, b[] = {6};
    static const struct nb_spec same_length[] = {SPEC(a, 2, 6), SPEC(b, 0, 6)};
    original_build(SPECS(same_length));
    ULONG64 before = ndisbuf_outstanding_total();
    harness_diag_clear();
    assert_null(NdisAllocateFragmentNetBufferList(orig.nbl, NULL, NULL, 6, 10, 0, 0, 0));
    assert_true(harness_diag_new() >= 1);
    assert_int_equal(ndisbuf_outstanding_total(), before);
    original_assert_unchanged();
    /* One byte less and there is one fragment per NB. */
    PNET_BUFFER_LIST frag = fragment(5, 10, 0, 0);
    assert_int_equal(check_fragments(frag, 5, 10, 0, 0), 2);
    NdisFreeFragmentNetBufferList(frag, 0, 0);
    original_free();

    /* An NBL with no NB at all. */
    NDIS_HANDLE pool = harness_nbl_pool(FALSE, 0, 0, TAG);
    PNET_BUFFER_LIST empty = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(empty);
    harness_diag_clear();
    assert_null(NdisAllocateFragmentNetBufferList(empty, NULL, NULL, 0, 10, 0, 0, 0));
    assert_true(harness_diag_new() >= 1);
    assert_int_equal(harness_stats(pool).Outstanding, 1);
    NdisFreeNetBufferList(empty);
    harness_expect_no_report();
    harness_free_nbl_pool(pool);
}

/* ---------------------------------------------------------------- rules */

struct frag_snapshot {
    NET_BUFFER_LIST nbl;
    size_t count;
    PNET_BUFFER nb[MAX_FRAGS];
    struct harness_nb_snapshot snap[MAX_FRAGS];
};

static struct frag_snapshot frag_snap;

static void fragment_snapshot(PNET_BUFFER_LIST frag)
{
    memcpy(&frag_snap.nbl, frag, sizeof(*frag));
    frag_snap.count = 0;
    for (PNET_BUFFER f = NET_BUFFER_LIST_FIRST_NB(frag); f; f = NET_BUFFER_NEXT_NB(f)) {
        assert_true(frag_snap.count < MAX_FRAGS);
        frag_snap.nb[frag_snap.count] = f;
        harness_nb_snapshot(f, &frag_snap.snap[frag_snap.count]);
        frag_snap.count++;
    }
}

static void fragment_assert_unchanged(PNET_BUFFER_LIST frag)
{
    assert_memory_equal(frag, &frag_snap.nbl, sizeof(*frag));
    for (size_t i = 0; i < frag_snap.count; i++)
        harness_assert_nb_unchanged(frag_snap.nb[i], &frag_snap.snap[i]);
}

static void free_with_another_delta_or_flags_is_reported_and_changes_nothing(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    ULONG64 before = ndisbuf_outstanding_total();
    PNET_BUFFER_LIST frag = fragment(0, 10, 14, 4);
    ULONG64 with = ndisbuf_outstanding_total();
    fragment_snapshot(frag);

    const ULONG wrong_deltas[] = {0, 13, 15, 1000};
    for (size_t k = 0; k < 4; k++) {
        NdisFreeFragmentNetBufferList(frag, wrong_deltas[k], 0);
        const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_DERIVED_FREE_MISMATCH);
        assert_ptr_equal(r->object, frag);
        assert_string_equal(r->function, "NdisFreeFragmentNetBufferList");
        fragment_assert_unchanged(frag);
        assert_int_equal(ndisbuf_outstanding_total(), with);
    }
    /* FreeFragmentFlags must be 0 (the allocation's): other flags are a mismatch too. */
    NdisFreeFragmentNetBufferList(frag, 14, 1);
    assert_ptr_equal(harness_expect_report(NDISBUF_REPORT_DERIVED_FREE_MISMATCH)->object, frag);
    fragment_assert_unchanged(frag);
    assert_int_equal(ndisbuf_outstanding_total(), with);

    check_fragments(frag, 0, 10, 14, 4);
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    harness_expect_no_report();
    assert_int_equal(ndisbuf_outstanding_total(), before);

    /* Made without header room: any delta at free is a mismatch. */
    frag = fragment(0, 10, 0, 0);
    fragment_snapshot(frag);
    NdisFreeFragmentNetBufferList(frag, 1, 0);
    harness_expect_report(NDISBUF_REPORT_DERIVED_FREE_MISMATCH);
    fragment_assert_unchanged(frag);
    NdisFreeFragmentNetBufferList(frag, 0, 0);
    harness_expect_no_report();
    original_free();
}

static void other_free_calls_on_a_fragment_are_wrong_free_calls(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    PNET_BUFFER_LIST frag = fragment(0, 10, 14, 0);
    ULONG64 with = ndisbuf_outstanding_total();
    fragment_snapshot(frag);

    NdisFreeNetBufferList(frag);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
    assert_ptr_equal(r->object, frag);
    assert_string_equal(r->function, "NdisFreeNetBufferList");
    fragment_assert_unchanged(frag);

    NdisFreeCloneNetBufferList(frag, 0);
    assert_string_equal(harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL)->function,
                        "NdisFreeCloneNetBufferList");
    NdisFreeCloneNetBufferList(frag, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
    fragment_assert_unchanged(frag);

    NdisFreeReassembledNetBufferList(frag, 14, 0);
    assert_string_equal(harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL)->function,
                        "NdisFreeReassembledNetBufferList");
    fragment_assert_unchanged(frag);

    /* A fragment's NB is freed with its NBL, never alone. */
    NdisFreeNetBuffer(NET_BUFFER_NEXT_NB(NET_BUFFER_LIST_FIRST_NB(frag)));
    assert_string_equal(harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL)->function, "NdisFreeNetBuffer");
    fragment_assert_unchanged(frag);

    assert_int_equal(ndisbuf_outstanding_total(), with);

    NdisFreeFragmentNetBufferList(frag, 14, 0);
    harness_expect_no_report();
    original_free();
}

static void fragment_free_refuses_what_is_not_a_fragment(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    ULONG64 before = ndisbuf_outstanding_total();

    /* A plain NBL (with no NB, so that nothing else is wrong with freeing it). */
    NDIS_HANDLE pool = harness_nbl_pool(FALSE, 0, 0, TAG);
    PNET_BUFFER_LIST plain = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(plain);
    NdisFreeFragmentNetBufferList(plain, 0, 0);
    assert_ptr_equal(harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL)->object, plain);
    assert_int_equal(harness_stats(pool).Outstanding, 1);
    NdisFreeNetBufferList(plain);
    harness_expect_no_report();
    harness_free_nbl_pool(pool);

    PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(orig.nbl, NULL, NULL, 0);
    assert_non_null(clone);
    NdisFreeFragmentNetBufferList(clone, 0, 0);
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
    NdisFreeCloneNetBufferList(clone, 0);
    harness_expect_no_report();

    PNET_BUFFER_LIST whole = NdisAllocateReassembledNetBufferList(orig.nbl, NULL, 0, 0, 0, 0);
    assert_non_null(whole);
    NdisFreeFragmentNetBufferList(whole, 0, 0);
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
    NdisFreeReassembledNetBufferList(whole, 0, 0);
    harness_expect_no_report();

    NdisFreeFragmentNetBufferList(NULL, 0, 0);
    assert_string_equal(harness_expect_report(NDISBUF_REPORT_NULL_OBJECT)->function,
                        "NdisFreeFragmentNetBufferList");
    assert_int_equal(ndisbuf_outstanding_total(), before);
    original_free();
}

static void double_free_of_a_fragment_is_reported(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    ULONG64 before = ndisbuf_outstanding_total();
    PNET_BUFFER_LIST frag = fragment(0, 10, 14, 0);
    PNET_BUFFER_LIST other = fragment(4, 10, 0, 0); /* keeps the internal pool busy */
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    harness_expect_no_report();
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
    check_fragments(other, 4, 10, 0, 0);
    NdisFreeFragmentNetBufferList(other, 0, 0);
    harness_expect_no_report();
    assert_int_equal(ndisbuf_outstanding_total(), before);
    original_free();
}

static void a_fragment_with_pushed_context_or_an_added_nb_is_not_freed(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    PNET_BUFFER_LIST frag = fragment(0, 10, 14, 0);
    ULONG64 with = ndisbuf_outstanding_total();

    assert_int_equal(NdisAllocateNetBufferListContext(frag, 16, 0, TAG), NDIS_STATUS_SUCCESS);
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    assert_ptr_equal(harness_expect_report(NDISBUF_REPORT_CONTEXT_NOT_POPPED)->object, frag);
    assert_non_null(frag->Context);
    NdisFreeNetBufferListContext(frag, 16);
    assert_null(frag->Context);

    NDIS_HANDLE nb_pool = harness_nb_pool(0);
    PNET_BUFFER extra = NdisAllocateNetBuffer(nb_pool, NULL, 0, 0);
    assert_non_null(extra);
    PNET_BUFFER last = NET_BUFFER_LIST_FIRST_NB(frag);
    while (NET_BUFFER_NEXT_NB(last))
        last = NET_BUFFER_NEXT_NB(last);
    NET_BUFFER_NEXT_NB(last) = extra;
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    assert_ptr_equal(harness_expect_report(NDISBUF_REPORT_NBL_HAS_FOREIGN_NB)->object, frag);
    NET_BUFFER_NEXT_NB(last) = NULL;
    NdisFreeNetBuffer(extra);
    harness_free_nb_pool(nb_pool);
    assert_int_equal(ndisbuf_outstanding_total(), with);

    check_fragments(frag, 0, 10, 14, 0);
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    harness_expect_no_report();
    original_free();
}

/* A parent freed while ChildRefCount says children are out: reported, nothing freed. */
static void a_parent_freed_with_children_outstanding_is_reported(void **state)
{
    (void)state;
    /* A plain NBL with its own NB as the parent. */
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    static UCHAR data[100];
    static MDL mdls[3];
    static const ULONG lengths[] = {30, 0, 70};
    harness_fill(data, sizeof(data), 5);
    harness_mdl_chain(mdls, 3, data, lengths);
    PNET_BUFFER_LIST parent = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdls, 10, 80);
    assert_non_null(parent);
    PNET_BUFFER_LIST frag = NdisAllocateFragmentNetBufferList(parent, NULL, NULL, 0, 25, 8, 0, 0);
    assert_non_null(frag);
    parent->ChildRefCount++;
    ULONG64 with = ndisbuf_outstanding_total();
    struct harness_nb_snapshot nb_before;
    harness_nb_snapshot(NET_BUFFER_LIST_FIRST_NB(parent), &nb_before);

    NdisFreeNetBufferList(parent);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_CHILDREN_OUTSTANDING);
    assert_ptr_equal(r->object, parent);
    assert_string_equal(r->function, "NdisFreeNetBufferList");
    assert_int_equal(ndisbuf_outstanding_total(), with);
    assert_int_equal(harness_stats(pool).Outstanding, 1);
    assert_int_equal(parent->ChildRefCount, 1);
    harness_assert_nb_unchanged(NET_BUFFER_LIST_FIRST_NB(parent), &nb_before);
    /* The child still reads the parent's bytes. */
    UCHAR got[25];
    assert_int_equal(harness_nb_read(NET_BUFFER_LIST_FIRST_NB(frag), 8, 25, got), 25);
    assert_memory_equal(got, data + 10, 25);

    /* A fragment of a fragment: the fragment parent is kept too. */
    PNET_BUFFER_LIST grandchild = NdisAllocateFragmentNetBufferList(frag, NULL, NULL, 8, 5, 0, 0, 0);
    assert_non_null(grandchild);
    assert_ptr_equal(grandchild->ParentNetBufferList, frag);
    frag->ChildRefCount++;
    with = ndisbuf_outstanding_total();
    fragment_snapshot(frag);
    NdisFreeFragmentNetBufferList(frag, 8, 0);
    assert_ptr_equal(harness_expect_report(NDISBUF_REPORT_CHILDREN_OUTSTANDING)->object, frag);
    fragment_assert_unchanged(frag);
    assert_int_equal(ndisbuf_outstanding_total(), with);
    NdisFreeFragmentNetBufferList(grandchild, 0, 0);
    frag->ChildRefCount--;

    /* A clone with a fragment of its own. */
    PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(parent, NULL, NULL, 0);
    assert_non_null(clone);
    parent->ChildRefCount++;
    PNET_BUFFER_LIST of_clone = NdisAllocateFragmentNetBufferList(clone, NULL, NULL, 0, 40, 0, 0, 0);
    assert_non_null(of_clone);
    clone->ChildRefCount++;
    NdisFreeCloneNetBufferList(clone, 0);
    assert_ptr_equal(harness_expect_report(NDISBUF_REPORT_CHILDREN_OUTSTANDING)->object, clone);
    NdisFreeFragmentNetBufferList(of_clone, 0, 0);
    clone->ChildRefCount--;
    NdisFreeCloneNetBufferList(clone, 0);
    parent->ChildRefCount--;

    NdisFreeFragmentNetBufferList(frag, 8, 0);
    parent->ChildRefCount--;
    harness_expect_no_report();

    /* A count the driver took below zero is not zero either. */
    parent->ChildRefCount = -1;
    NdisFreeNetBufferList(parent);
    assert_ptr_equal(harness_expect_report(NDISBUF_REPORT_CHILDREN_OUTSTANDING)->object, parent);
    assert_int_equal(harness_stats(pool).Outstanding, 1);
    parent->ChildRefCount = 0;
    NdisFreeNetBufferList(parent);
    harness_expect_no_report();
    harness_free_nbl_pool(pool);
}

/* A fragment NB the driver unlinked: the free is refused until it is linked back. */
static void a_fragment_freed_without_all_its_nbs_is_reported(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    PNET_BUFFER_LIST frag = fragment(0, 10, 14, 0);
    ULONG64 with = ndisbuf_outstanding_total();
    PNET_BUFFER first = NET_BUFFER_LIST_FIRST_NB(frag);
    PNET_BUFFER second = NET_BUFFER_NEXT_NB(first);
    PNET_BUFFER third = NET_BUFFER_NEXT_NB(second);

    NET_BUFFER_NEXT_NB(first) = third; /* the second one taken out */
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    assert_ptr_equal(harness_expect_report(NDISBUF_REPORT_DERIVED_NB_MISSING)->object, frag);
    assert_int_equal(ndisbuf_outstanding_total(), with);
    NET_BUFFER_NEXT_NB(first) = second;

    NET_BUFFER_LIST_FIRST_NB(frag) = second; /* the first one taken out */
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    harness_expect_report(NDISBUF_REPORT_DERIVED_NB_MISSING);
    NET_BUFFER_LIST_FIRST_NB(frag) = first;

    PNET_BUFFER last = first;
    while (NET_BUFFER_NEXT_NB(NET_BUFFER_NEXT_NB(last)))
        last = NET_BUFFER_NEXT_NB(last);
    PNET_BUFFER tail = NET_BUFFER_NEXT_NB(last);
    NET_BUFFER_NEXT_NB(last) = NULL; /* the last one taken out */
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    harness_expect_report(NDISBUF_REPORT_DERIVED_NB_MISSING);
    NET_BUFFER_NEXT_NB(last) = tail;
    assert_int_equal(ndisbuf_outstanding_total(), with);

    check_fragments(frag, 0, 10, 14, 0);
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    harness_expect_no_report();
    original_free();
}

/*
 * MDLs the driver links into a fragment's chain stay the driver's: the free
 * releases the library's MDLs and steps over them (a caller MDL on the
 * stack, and one from IoAllocateMdl that the driver frees afterwards).
 */
static void driver_mdls_linked_into_a_fragment_stay_the_drivers(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    ULONG64 before = ndisbuf_outstanding_total();
    NDIS_HANDLE nb_pool = harness_nb_pool(0);
    PNET_BUFFER_LIST frag = NdisAllocateFragmentNetBufferList(orig.nbl, NULL, nb_pool, 0, 10, 14, 0, 0);
    assert_non_null(frag);
    PNET_BUFFER first = NET_BUFFER_LIST_FIRST_NB(frag);
    PNET_BUFFER second = NET_BUFFER_NEXT_NB(first);

    /* A trailer MDL on the stack at the end of the first fragment's chain. */
    UCHAR trailer_bytes[8];
    memset(trailer_bytes, 0x77, sizeof(trailer_bytes));
    MDL trailer;
    MmInitializeMdl(&trailer, trailer_bytes, sizeof(trailer_bytes));
    MmBuildMdlForNonPagedPool(&trailer);
    PMDL m = NET_BUFFER_FIRST_MDL(first);
    while (m->Next)
        m = m->Next;
    m->Next = &trailer;

    /* An IoAllocateMdl MDL at the end of the second fragment's chain, outside its data. */
    UCHAR pad[16];
    PMDL io = IoAllocateMdl(pad, sizeof(pad), FALSE, FALSE, NULL);
    assert_non_null(io);
    MmBuildMdlForNonPagedPool(io);
    m = NET_BUFFER_FIRST_MDL(second);
    while (m->Next)
        m = m->Next;
    m->Next = io;
    harness_assert_nb_consistent(second);
    ULONG64 with_io = ndisbuf_outstanding_total();

    /* The library's MDLs cannot be freed alone; the fragment's NBs neither. */
    NdisFreeMdl(NET_BUFFER_CURRENT_MDL(first));
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
    IoFreeMdl(NET_BUFFER_FIRST_MDL(first)->Next);
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
    NdisFreeNetBuffer(second);
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
    assert_int_equal(ndisbuf_outstanding_total(), with_io);

    NdisFreeFragmentNetBufferList(frag, 14, 0);
    harness_expect_no_report();
    assert_int_equal(harness_stats(nb_pool).Outstanding, 0);
    assert_int_equal(ndisbuf_outstanding_total(), before + 1); /* the driver's IoAllocateMdl MDL */
    assert_ptr_equal(io->MappedSystemVa, pad);
    assert_int_equal(MmGetMdlByteCount(io), sizeof(pad));
    assert_null(io->Next);
    assert_null(trailer.Next);
    assert_int_equal(MmGetMdlByteCount(&trailer), sizeof(trailer_bytes));
    IoFreeMdl(io);
    harness_expect_no_report();
    assert_int_equal(ndisbuf_outstanding_total(), before);
    harness_free_nb_pool(nb_pool);
    original_free();
}

/* Deriving from an NBL that was freed: NULL and a diagnostic. */
static void deriving_from_a_freed_nbl_is_refused(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    static UCHAR data[64];
    static MDL mdl;
    MmInitializeMdl(&mdl, data, sizeof(data));
    MmBuildMdlForNonPagedPool(&mdl);
    PNET_BUFFER_LIST keep = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, &mdl, 0, 64);
    PNET_BUFFER_LIST gone = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, &mdl, 0, 64);
    assert_non_null(keep);
    assert_non_null(gone);
    NdisFreeNetBufferList(gone);
    ULONG64 before = ndisbuf_outstanding_total();
    harness_diag_clear();
    assert_null(NdisAllocateFragmentNetBufferList(gone, NULL, NULL, 0, 10, 0, 0, 0));
    assert_true(harness_diag_new() >= 1);
    assert_null(NdisAllocateReassembledNetBufferList(gone, NULL, 0, 0, 0, 0));
    assert_true(harness_diag_new() >= 1);
    assert_int_equal(ndisbuf_outstanding_total(), before);
    /* A freed fragment is no parent either. */
    PNET_BUFFER_LIST frag = NdisAllocateFragmentNetBufferList(keep, NULL, NULL, 0, 10, 0, 0, 0);
    PNET_BUFFER_LIST other = NdisAllocateFragmentNetBufferList(keep, NULL, NULL, 0, 20, 0, 0, 0);
    assert_non_null(frag);
    assert_non_null(other);
    NdisFreeFragmentNetBufferList(frag, 0, 0);
    before = ndisbuf_outstanding_total();
    assert_null(NdisAllocateFragmentNetBufferList(frag, NULL, NULL, 0, 5, 0, 0, 0));
    assert_true(harness_diag_new() >= 1);
    assert_int_equal(ndisbuf_outstanding_total(), before);
    harness_expect_no_report();
    NdisFreeFragmentNetBufferList(other, 0, 0);
    NdisFreeNetBufferList(keep);
    harness_expect_no_report();
    harness_free_nbl_pool(pool);
}

/* The internal pools are the library's: a driver that frees one is told, and nothing happens. */
static void the_internal_pools_are_not_the_drivers_to_free(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    PNET_BUFFER_LIST frag = fragment(0, 10, 14, 0);
    NDIS_HANDLE internal = NdisGetPoolFromNetBufferList(frag);
    assert_non_null(internal);
    ULONG pools = ndisbuf_live_pool_count();
    NdisFreeNetBufferListPool(internal);
    harness_expect_report(NDISBUF_REPORT_INVALID_HANDLE);
    assert_int_equal(ndisbuf_live_pool_count(), pools);
    check_fragments(frag, 0, 10, 14, 0);
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    harness_expect_no_report();
    /* And it still serves. */
    frag = fragment(1, 10, 2, 0);
    check_fragments(frag, 1, 10, 2, 0);
    NdisFreeFragmentNetBufferList(frag, 2, 0);
    harness_expect_no_report();
    original_free();
}

/* A given pool's element that held a fragment comes back as a plain NBL with a fresh NB. */
static void a_pool_element_that_held_a_fragment_serves_a_plain_nbl_next(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    NDIS_HANDLE own = harness_nbl_pool(TRUE, 0, 0, TAG);
    PNET_BUFFER_LIST frag = NdisAllocateFragmentNetBufferList(orig.nbl, own, NULL, 0, 10, 14, 8, 0);
    assert_non_null(frag);
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    PNET_BUFFER_LIST plain = NdisAllocateNetBufferList(own, 0, 0);
    assert_non_null(plain);
    assert_null(plain->ParentNetBufferList);
    assert_int_equal(plain->ChildRefCount, 0);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(plain);
    assert_non_null(nb);
    assert_null(NET_BUFFER_NEXT_NB(nb));
    assert_null(NET_BUFFER_FIRST_MDL(nb));
    assert_null(NET_BUFFER_CURRENT_MDL(nb));
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 0);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 0);
    NdisFreeNetBufferList(plain);
    harness_expect_no_report();
    /* And the other way round: a fragment in an element that held a plain NBL. */
    frag = NdisAllocateFragmentNetBufferList(orig.nbl, own, NULL, 0, 10, 14, 8, 0);
    assert_non_null(frag);
    check_fragments(frag, 0, 10, 14, 8);
    NdisFreeNetBufferList(frag);
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    harness_expect_no_report();
    harness_free_nbl_pool(own);
    original_free();
}

/*
 * LIBRARY BUG (open): a driver that puts an MDL of its own in front of a
 * fragment's chain (a header in a buffer of its own, the usual way when it
 * does not retreat) gets its MDL stepped over at free, as the header says,
 * but the header-room MDL behind it is leaked: the free only releases
 * retreat MDLs while they are the first of the chain (derived.h: "MDLs the
 * driver linked into the clone's chains stay the driver's and are stepped
 * over"; docs/derived.md: the free knows the library's MDLs "wherever they
 * sit in the chain"). Last in the list: it leaves the leaked MDL behind.
 */
static void a_driver_mdl_in_front_of_the_header_room_does_not_leak_it(void **state)
{
    (void)state;
    original_build(SPECS(four_nbs));
    PNET_BUFFER_LIST frag = fragment(0, 10, 14, 0);
    PNET_BUFFER second = NET_BUFFER_NEXT_NB(NET_BUFFER_LIST_FIRST_NB(frag));
    UCHAR pad[16];
    MDL front;
    MmInitializeMdl(&front, pad, sizeof(pad));
    MmBuildMdlForNonPagedPool(&front);
    front.Next = NET_BUFFER_FIRST_MDL(second);
    NET_BUFFER_FIRST_MDL(second) = &front;
    NET_BUFFER_DATA_OFFSET(second) += sizeof(pad);
    harness_assert_nb_consistent(second);
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    harness_expect_no_report();
    original_free();
    assert_int_equal(ndisbuf_outstanding_total(), 0); /* regression: the header-room MDL behind the driver MDL leaked */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(fragments_cut_each_nb_separately_with_the_last_piece_shorter),
        HARNESS_TEST(an_nb_with_nothing_after_start_offset_gives_no_fragment),
        HARNESS_TEST(an_nb_without_a_chain_gives_no_fragment),
        HARNESS_TEST(fragment_of_one_nb_in_one_byte_and_whole_pieces),
        HARNESS_TEST(a_fragment_points_at_its_parent_and_inherits_nothing),
        HARNESS_TEST(the_header_room_is_a_new_mdl_and_writing_it_leaves_the_original_alone),
        HARNESS_TEST(no_header_room_means_no_extra_mdl),
        HARNESS_TEST(back_fill_allows_a_further_retreat_without_a_new_mdl),
        HARNESS_TEST(free_takes_back_an_mdl_a_later_retreat_left_at_the_front),
        HARNESS_TEST(fragments_of_a_clone_describe_the_same_bytes),
        HARNESS_TEST(fragments_of_a_retreated_original_describe_its_new_front_mdl),
        HARNESS_TEST(fragments_come_from_the_pools_given_or_the_internal_ones),
        HARNESS_TEST(pools_with_data_size_are_refused),
        HARNESS_TEST(a_header_room_that_cannot_be_given_is_refused_and_nothing_is_left),
        HARNESS_TEST(an_original_whose_chain_is_short_is_refused_and_nothing_is_left),
        HARNESS_TEST(bad_arguments_give_null_a_diagnostic_and_nothing_allocated),
        HARNESS_TEST(nothing_to_fragment_is_refused),
        HARNESS_TEST(free_with_another_delta_or_flags_is_reported_and_changes_nothing),
        HARNESS_TEST(other_free_calls_on_a_fragment_are_wrong_free_calls),
        HARNESS_TEST(fragment_free_refuses_what_is_not_a_fragment),
        HARNESS_TEST(double_free_of_a_fragment_is_reported),
        HARNESS_TEST(a_fragment_with_pushed_context_or_an_added_nb_is_not_freed),
        HARNESS_TEST(a_parent_freed_with_children_outstanding_is_reported),
        HARNESS_TEST(a_fragment_freed_without_all_its_nbs_is_reported),
        HARNESS_TEST(driver_mdls_linked_into_a_fragment_stay_the_drivers),
        HARNESS_TEST(deriving_from_a_freed_nbl_is_refused),
        HARNESS_TEST(the_internal_pools_are_not_the_drivers_to_free),
        HARNESS_TEST(a_pool_element_that_held_a_fragment_serves_a_plain_nbl_next),
        HARNESS_TEST(a_driver_mdl_in_front_of_the_header_room_does_not_leak_it), /* regression */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
