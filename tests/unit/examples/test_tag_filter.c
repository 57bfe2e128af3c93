/* SPDX-License-Identifier: MIT */
/*
 * The worked example examples/tag_filter.c (docs/datapath.md), compiled
 * into this test: TagFilterAddTag puts a 4-byte tag after the MAC
 * addresses of every frame of an NBL, TagFilterRemoveTag takes it out
 * again, on frames with back-fill (tag made in place), without (a new MDL
 * in front, freed again on removal) and split over many MDLs (header read
 * and written through storage), byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include "datapath.h"

#include "../../../examples/tag_filter.c"

#define TAG HARNESS_TAG('T', 'T', 'a', 'g')
#define FRAME 60
#define MAX_MDLS 8

/* One frame on a caller chain: `backfill` bytes, then the frame, over chain lengths. */
struct frame {
    UCHAR bytes[256];
    UCHAR original[FRAME];
    MDL mdls[MAX_MDLS];
    ULONG backfill;
};

static void frame_init(struct frame *f, const ULONG *lengths, size_t count, ULONG backfill, unsigned seed)
{
    ULONG total = 0;
    for (size_t i = 0; i < count; i++)
        total += lengths[i];
    assert_int_equal(total, backfill + FRAME);
    memset(f->bytes, 0, sizeof(f->bytes));
    harness_fill(f->original, FRAME, seed);
    memcpy(f->bytes + backfill, f->original, FRAME);
    harness_mdl_chain(f->mdls, count, f->bytes, lengths);
    f->backfill = backfill;
}

/* original[0..12) || tag (big-endian) || original[12..) */
static void tagged_frame(const struct frame *f, ULONG tag, UCHAR *out)
{
    memcpy(out, f->original, 12);
    out[12] = (UCHAR)(tag >> 24);
    out[13] = (UCHAR)(tag >> 16);
    out[14] = (UCHAR)(tag >> 8);
    out[15] = (UCHAR)tag;
    memcpy(out + 16, f->original + 12, FRAME - 12);
}

static PNET_BUFFER_LIST nbl_on_frame(NDIS_HANDLE pool, struct frame *f)
{
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, f->mdls, f->backfill, FRAME);
    assert_non_null(nbl);
    return nbl;
}

static void assert_tagged(PNET_BUFFER nb, const struct frame *f, ULONG tag)
{
    UCHAR expected[FRAME + 4];
    tagged_frame(f, tag, expected);
    harness_assert_nb_data(nb, expected, sizeof(expected));
    harness_assert_nb_consistent(nb);
}

static void assert_untagged(PNET_BUFFER nb, struct frame *f)
{
    harness_assert_nb_data(nb, f->original, FRAME);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), &f->mdls[0]);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), f->backfill);
    harness_assert_nb_consistent(nb);
}

/* Adds then removes a tag on one frame; returns whether the add needed a new MDL. */
static bool round_trip(NDIS_HANDLE pool, struct frame *f, ULONG tag)
{
    PNET_BUFFER_LIST nbl = nbl_on_frame(pool, f);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    assert_int_equal(TagFilterAddTag(nbl, tag), NDIS_STATUS_SUCCESS);
    assert_tagged(nb, f, tag);
    bool new_mdl = NET_BUFFER_FIRST_MDL(nb) != &f->mdls[0];

    ULONG got = 0;
    assert_int_equal(TagFilterRemoveTag(nbl, &got), NDIS_STATUS_SUCCESS);
    assert_int_equal(got, tag);
    assert_untagged(nb, f);
    NdisFreeNetBufferList(nbl);
    return new_mdl;
}

static void frame_with_backfill_is_tagged_in_place(void **state)
{
    (void)state;
    static const ULONG lengths[] = {32 + FRAME};
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    struct frame f;
    frame_init(&f, lengths, 1, 32, 1);
    PNET_BUFFER_LIST nbl = nbl_on_frame(pool, &f);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);

    assert_int_equal(TagFilterAddTag(nbl, 0xA1B2C3D4u), NDIS_STATUS_SUCCESS);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), &f.mdls[0]); /* no new MDL */
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 28);
    assert_tagged(nb, &f, 0xA1B2C3D4u);
    assert_int_equal(f.bytes[28 + 12], 0xA1); /* in the caller's own buffer */

    ULONG tag = 0;
    assert_int_equal(TagFilterRemoveTag(nbl, &tag), NDIS_STATUS_SUCCESS);
    assert_int_equal(tag, 0xA1B2C3D4u);
    assert_untagged(nb, &f);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void frame_without_backfill_gets_a_new_mdl_that_removal_frees(void **state)
{
    (void)state;
    static const ULONG lengths[] = {FRAME};
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    struct frame f;
    frame_init(&f, lengths, 1, 0, 2);
    PNET_BUFFER_LIST nbl = nbl_on_frame(pool, &f);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    ULONG64 outstanding = ndisbuf_outstanding_total();

    assert_int_equal(TagFilterAddTag(nbl, 0x01020304u), NDIS_STATUS_SUCCESS);
    PMDL front = NET_BUFFER_FIRST_MDL(nb);
    assert_true(front != &f.mdls[0]);
    assert_ptr_equal(front->Next, &f.mdls[0]);
    assert_int_equal(MmGetMdlByteCount(front), 4);
    assert_tagged(nb, &f, 0x01020304u);

    ULONG tag = 0;
    assert_int_equal(TagFilterRemoveTag(nbl, &tag), NDIS_STATUS_SUCCESS);
    assert_int_equal(tag, 0x01020304u);
    assert_untagged(nb, &f);
    assert_int_equal(ndisbuf_outstanding_total(), outstanding);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void frames_split_over_many_mdls_are_tagged_byte_for_byte(void **state)
{
    (void)state;
    static const struct {
        ULONG lengths[MAX_MDLS];
        size_t count;
        ULONG backfill;
        bool new_mdl;
    } cases[] = {
        {{2, 6, 5, 3, 46}, 5, 2, true},       /* 2 bytes of back-fill: a new MDL takes 2 more */
        {{8, 10, 50}, 3, 8, false},           /* back-fill enough, header across three MDLs */
        {{4, 0, 12, 0, 48}, 5, 4, false},     /* tag room exactly the back-fill MDL */
        {{1, 1, 1, 1, 1, 1, 1, 53}, 8, 0, true},
        {{3, 0, 13, 47}, 4, 3, true},
        {{16, 1, 59}, 3, 16, false},
    };
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct frame f;
        print_message("case %zu\n", i);
        frame_init(&f, cases[i].lengths, cases[i].count, cases[i].backfill, (unsigned)(10 + i));
        assert_int_equal(round_trip(pool, &f, 0xDEADBEEFu + (ULONG)i), cases[i].new_mdl);
    }
    harness_free_nbl_pool(pool);
}

static void every_nb_of_an_nbl_is_tagged_and_untagged(void **state)
{
    (void)state;
    static const ULONG with_backfill[] = {20, FRAME};
    static const ULONG without[] = {FRAME};
    static const ULONG split[] = {1, 5, 7, 0, 47};
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    NDIS_HANDLE nb_pool = harness_nb_pool(0);
    struct frame f[3];
    frame_init(&f[0], with_backfill, 2, 20, 21);
    frame_init(&f[1], without, 1, 0, 22);
    frame_init(&f[2], split, 5, 0, 23);
    PNET_BUFFER_LIST nbl = nbl_on_frame(pool, &f[0]);
    PNET_BUFFER nb[3] = {NET_BUFFER_LIST_FIRST_NB(nbl), NdisAllocateNetBuffer(nb_pool, f[1].mdls, 0, FRAME),
                         NdisAllocateNetBuffer(nb_pool, f[2].mdls, 0, FRAME)};
    NET_BUFFER_NEXT_NB(nb[0]) = nb[1];
    NET_BUFFER_NEXT_NB(nb[1]) = nb[2];

    assert_int_equal(TagFilterAddTag(nbl, 0x0A0B0C0Du), NDIS_STATUS_SUCCESS);
    for (size_t i = 0; i < 3; i++)
        assert_tagged(nb[i], &f[i], 0x0A0B0C0Du);
    ULONG tag = 0;
    assert_int_equal(TagFilterRemoveTag(nbl, &tag), NDIS_STATUS_SUCCESS);
    assert_int_equal(tag, 0x0A0B0C0Du);
    for (size_t i = 0; i < 3; i++)
        assert_untagged(nb[i], &f[i]);

    NET_BUFFER_NEXT_NB(nb[0]) = NULL;
    NET_BUFFER_NEXT_NB(nb[1]) = NULL;
    NdisFreeNetBuffer(nb[1]);
    NdisFreeNetBuffer(nb[2]);
    NdisFreeNetBufferList(nbl);
    harness_free_nb_pool(nb_pool);
    harness_free_nbl_pool(pool);
}

static void nested_tags_come_off_in_reverse_order(void **state)
{
    (void)state;
    static const ULONG lengths[] = {6, FRAME};
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    struct frame f;
    frame_init(&f, lengths, 2, 6, 31);
    PNET_BUFFER_LIST nbl = nbl_on_frame(pool, &f);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    for (ULONG t = 1; t <= 5; t++)
        assert_int_equal(TagFilterAddTag(nbl, 0x11111111u * t), NDIS_STATUS_SUCCESS);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), FRAME + 20);
    for (ULONG t = 5; t >= 1; t--) {
        ULONG tag = 0;
        assert_int_equal(TagFilterRemoveTag(nbl, &tag), NDIS_STATUS_SUCCESS);
        assert_int_equal(tag, 0x11111111u * t);
    }
    assert_untagged(nb, &f);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void frames_too_short_are_refused_and_left_alone(void **state)
{
    (void)state;
    UCHAR bytes[64];
    MDL mdl;
    harness_fill(bytes, sizeof(bytes), 41);
    MmInitializeMdl(&mdl, bytes, sizeof(bytes));
    MmBuildMdlForNonPagedPool(&mdl);
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);

    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, &mdl, 8, 11);
    struct harness_nb_snapshot before;
    harness_nb_snapshot(NET_BUFFER_LIST_FIRST_NB(nbl), &before);
    assert_int_equal(TagFilterAddTag(nbl, 1), NDIS_STATUS_INVALID_LENGTH);
    harness_assert_nb_unchanged(NET_BUFFER_LIST_FIRST_NB(nbl), &before);
    NdisFreeNetBufferList(nbl);

    nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, &mdl, 8, 15);
    harness_nb_snapshot(NET_BUFFER_LIST_FIRST_NB(nbl), &before);
    ULONG tag = 7;
    assert_int_equal(TagFilterRemoveTag(nbl, &tag), NDIS_STATUS_INVALID_PACKET);
    harness_assert_nb_unchanged(NET_BUFFER_LIST_FIRST_NB(nbl), &before);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(frame_with_backfill_is_tagged_in_place),
        HARNESS_TEST(frame_without_backfill_gets_a_new_mdl_that_removal_frees),
        HARNESS_TEST(frames_split_over_many_mdls_are_tagged_byte_for_byte),
        HARNESS_TEST(every_nb_of_an_nbl_is_tagged_and_untagged),
        HARNESS_TEST(nested_tags_come_off_in_reverse_order),
        HARNESS_TEST(frames_too_short_are_refused_and_left_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
