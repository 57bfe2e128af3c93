/* SPDX-License-Identifier: MIT */
/*
 * Reading and copying packet bytes (ndis-semantics.md §5, ndis/nbldata.h).
 * NdisGetDataBuffer: a pointer into the MDL when the first BytesNeeded used
 * bytes are contiguous (and aligned as asked), else a copy in Storage, else
 * NULL; NULL when more bytes are asked than the NB holds.
 * NdisCopyFromNetBufferToNetBuffer: offsets from each NB's data start,
 * across MDL boundaries on both sides, short copies when a chain ends
 * (still SUCCESS, BytesCopied says how many), neither NB's window moves.
 */
#include <stdlib.h>
#include <string.h>

#include "datapath.h"

#define MAX_MDLS 8

static _Alignas(64) UCHAR buf[512];

struct chain {
    const ULONG *lengths;
    size_t count;
};
#define CHAIN(c) {c, sizeof(c) / sizeof(c[0])}

static const ULONG two[] = {10, 100};
static const ULONG three[] = {10, 20, 30};
static const ULONG zero_mid[] = {5, 0, 0, 5};
static const ULONG zero_front[] = {0, 0, 20};
static const ULONG zero_after[] = {10, 0, 0, 20};
static const ULONG ones[] = {1, 1, 1, 1};
static const ULONG single[] = {100};

static PNET_BUFFER nb_on_chain(NDIS_HANDLE pool, MDL *mdls, UCHAR *bytes, struct chain chain, ULONG offset,
                               ULONG length)
{
    harness_mdl_chain(mdls, chain.count, bytes, chain.lengths);
    PNET_BUFFER nb = NdisAllocateNetBuffer(pool, mdls, offset, length);
    assert_non_null(nb);
    return nb;
}

/* ------------------------------------------------------- NdisGetDataBuffer */

#define SPLIT (-1)

struct get_case {
    struct chain chain;
    ULONG offset, length, needed;
    int at; /* the pointer is buf + at, or SPLIT: the bytes span MDLs */
};

static const struct get_case get_cases[] = {
    {CHAIN(two), 10, 100, 50, 10},
    {CHAIN(two), 12, 98, 98, 12},
    {CHAIN(two), 0, 110, 10, 0},
    {CHAIN(two), 0, 110, 11, SPLIT},
    {CHAIN(three), 15, 45, 15, 15}, /* exactly to the end of the MDL */
    {CHAIN(three), 15, 45, 16, SPLIT},
    {CHAIN(three), 15, 45, 45, SPLIT},
    {CHAIN(zero_mid), 0, 10, 5, 0},
    {CHAIN(zero_mid), 0, 10, 6, SPLIT}, /* over two zero-length MDLs */
    {CHAIN(zero_mid), 5, 5, 5, 5},
    {CHAIN(zero_front), 0, 20, 20, 0},
    {CHAIN(zero_after), 10, 20, 20, 10},
    {CHAIN(ones), 1, 3, 1, 1},
    {CHAIN(ones), 1, 3, 2, SPLIT},
    {CHAIN(ones), 0, 4, 4, SPLIT},
    {CHAIN(single), 0, 10, 10, 0}, /* the MDL holds more than the packet */
};

static void get_data_buffer_points_into_the_mdl_or_copies_to_storage(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    for (size_t i = 0; i < sizeof(get_cases) / sizeof(get_cases[0]); i++) {
        const struct get_case *c = &get_cases[i];
        MDL mdls[MAX_MDLS];
        harness_fill(buf, sizeof(buf), (unsigned)i);
        PNET_BUFFER nb = nb_on_chain(pool, mdls, buf, c->chain, c->offset, c->length);
        struct harness_nb_snapshot before;
        harness_nb_snapshot(nb, &before);
        print_message("case %zu: offset %u needed %u\n", i, c->offset, c->needed);

        UCHAR storage[160];
        memset(storage, 0xEE, sizeof(storage));
        UCHAR *with = NdisGetDataBuffer(nb, c->needed, storage, 1, 0);
        UCHAR *without = NdisGetDataBuffer(nb, c->needed, NULL, 1, 0);
        if (c->at == SPLIT) {
            assert_ptr_equal(with, storage);
            assert_memory_equal(storage, buf + c->offset, c->needed);
            assert_int_equal(storage[c->needed], 0xEE); /* not one byte more */
            assert_null(without);
        } else {
            assert_ptr_equal(with, buf + c->at);
            assert_ptr_equal(without, buf + c->at);
            assert_int_equal(storage[0], 0xEE); /* storage untouched */
        }
        harness_assert_nb_unchanged(nb, &before);
        NdisFreeNetBuffer(nb);
    }
    harness_free_nb_pool(pool);
}

static void get_data_buffer_pointer_writes_go_to_the_packet(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS];
    harness_fill(buf, sizeof(buf), 3);
    PNET_BUFFER nb = nb_on_chain(pool, mdls, buf, (struct chain)CHAIN(three), 12, 40);
    UCHAR *p = NdisGetDataBuffer(nb, 8, NULL, 1, 0);
    assert_ptr_equal(p, buf + 12);
    memset(p, 0x3C, 8);
    UCHAR got[40], expected[40];
    memcpy(expected, buf + 12, sizeof(expected));
    assert_int_equal(harness_nb_read(nb, 0, sizeof(got), got), sizeof(got));
    assert_memory_equal(got, expected, sizeof(got));
    assert_int_equal(got[7], 0x3C);
    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
}

static void get_data_buffer_gives_null_for_more_bytes_than_data_length_or_none(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    static const struct {
        struct chain chain;
        ULONG offset, length;
    } cases[] = {{CHAIN(single), 0, 10}, {CHAIN(three), 15, 45}, {CHAIN(zero_mid), 10, 0}, {CHAIN(ones), 1, 3}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        MDL mdls[MAX_MDLS];
        PNET_BUFFER nb = nb_on_chain(pool, mdls, buf, cases[i].chain, cases[i].offset, cases[i].length);
        UCHAR storage[128];
        memset(storage, 0xEE, sizeof(storage));
        assert_null(NdisGetDataBuffer(nb, cases[i].length + 1, storage, 1, 0));
        assert_null(NdisGetDataBuffer(nb, cases[i].length + 1, NULL, 1, 0));
        assert_null(NdisGetDataBuffer(nb, 0xFFFFFFFFu, storage, 1, 0));
        assert_null(NdisGetDataBuffer(nb, 0, storage, 1, 0));
        assert_int_equal(storage[0], 0xEE);
        NdisFreeNetBuffer(nb);
    }
    PNET_BUFFER empty = NdisAllocateNetBuffer(pool, NULL, 0, 0);
    UCHAR storage[8];
    assert_null(NdisGetDataBuffer(empty, 1, storage, 1, 0));
    NdisFreeNetBuffer(empty);
    harness_free_nb_pool(pool);
}

struct align_case {
    ULONG offset; /* the data starts at buf + offset (buf is 64-aligned) */
    UINT multiple, align_offset;
    bool in_place; /* address % AlignMultiple == AlignOffset */
};

/* Cases where AlignOffset is 0 or half of AlignMultiple. */
static const struct align_case align_cases[] = {
    {0, 4, 0, true},    {2, 4, 0, false},  {4, 4, 0, true},   {8, 16, 0, false}, {16, 16, 0, true},
    {32, 64, 0, false}, {3, 1, 0, true},   {3, 0, 0, true},   {2, 4, 2, true},   {6, 4, 2, true},
    {4, 4, 2, false},   {8, 16, 8, true},  {24, 16, 8, true}, {1, 2, 1, true},   {2, 2, 1, false},
};

/*
 * Cases where the direction of AlignOffset decides: the pointer qualifies
 * when it sits AlignOffset bytes past a multiple (Microsoft: "the offset
 * from the alignment multiple"), not when adding AlignOffset reaches one.
 */
static const struct align_case align_offset_cases[] = {
    {3, 4, 1, false},  /* 3 % 4 = 3, not 1 */
    {1, 4, 1, true},   /* 1 % 4 = 1 */
    {12, 16, 4, false},
    {4, 16, 4, true},
    {61, 64, 3, false},
    {3, 64, 3, true},
};

static void run_align_cases(const struct align_case *cases, size_t n)
{
    NDIS_HANDLE pool = harness_nb_pool(0);
    harness_fill(buf, sizeof(buf), 11);
    assert_int_equal((ULONG_PTR)buf % 64, 0);
    for (size_t i = 0; i < n; i++) {
        const struct align_case *c = &cases[i];
        MDL mdl;
        MmInitializeMdl(&mdl, buf, 200);
        MmBuildMdlForNonPagedPool(&mdl);
        PNET_BUFFER nb = NdisAllocateNetBuffer(pool, &mdl, c->offset, 100);
        assert_non_null(nb);
        print_message("case %zu: address %% 64 = %u, AlignMultiple %u, AlignOffset %u\n", i, c->offset, c->multiple,
                      c->align_offset);
        _Alignas(64) UCHAR storage[64];
        UCHAR *with = NdisGetDataBuffer(nb, 20, storage, c->multiple, c->align_offset);
        UCHAR *without = NdisGetDataBuffer(nb, 20, NULL, c->multiple, c->align_offset);
        if (c->in_place) {
            assert_ptr_equal(with, buf + c->offset);
            assert_ptr_equal(without, buf + c->offset);
        } else {
            assert_ptr_equal(with, storage);
            assert_memory_equal(storage, buf + c->offset, 20);
            assert_null(without);
        }
        NdisFreeNetBuffer(nb);
    }
    harness_free_nb_pool(pool);
}

static void get_data_buffer_copies_when_the_mdl_pointer_is_not_aligned(void **state)
{
    (void)state;
    run_align_cases(align_cases, sizeof(align_cases) / sizeof(align_cases[0]));
}

/* nbldata.h: in place when (address + AlignOffset) % AlignMultiple == 0. */
static void get_data_buffer_wants_the_address_align_offset_past_a_multiple(void **state)
{
    (void)state;
    run_align_cases(align_offset_cases, sizeof(align_offset_cases) / sizeof(align_offset_cases[0]));
}

static void get_data_buffer_refuses_a_bad_alignment_request_with_a_diagnostic(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS];
    PNET_BUFFER nb = nb_on_chain(pool, mdls, buf, (struct chain)CHAIN(two), 0, 110);
    UCHAR storage[16];
    harness_diag_clear();
    assert_null(NdisGetDataBuffer(nb, 4, storage, 3, 0));
    assert_true(harness_diag_contains("AlignMultiple"));
    assert_null(NdisGetDataBuffer(nb, 4, storage, 12, 0));
    assert_true(harness_diag_contains("AlignMultiple"));
    assert_null(NdisGetDataBuffer(nb, 4, storage, 4, 4));
    assert_true(harness_diag_contains("AlignOffset"));
    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
}

/* ----------------------------------------- NdisCopyFromNetBufferToNetBuffer */

static const ULONG src_lengths[] = {3, 7, 0, 1, 20}; /* 31 bytes; data at 2, 25 long */
static const ULONG dst_lengths[] = {5, 0, 5, 5, 5, 20}; /* 40 bytes; data at 4, 30 long */
#define SRC_OFFSET 2
#define SRC_LENGTH 25
#define SRC_CHAIN 31
#define DST_OFFSET 4
#define DST_LENGTH 30
#define DST_CHAIN 40

struct copy_case {
    ULONG dst_offset, bytes, src_offset;
    ULONG copied;
};

static const struct copy_case copy_cases[] = {
    {0, 10, 0, 10},
    {3, 20, 1, 20},   /* across MDL edges on both sides */
    {7, 13, 5, 13},
    {0, 25, 0, 25},   /* all of the source's data */
    {0, 29, 0, 29},   /* past its DataLength, up to its chain's end */
    {0, 100, 0, 29},  /* short: the source chain ends */
    {30, 100, 0, 6},  /* short: the destination chain ends */
    {36, 5, 0, 0},    /* the destination at its chain's end */
    {0, 5, 29, 0},    /* the source at its chain's end */
    {0, 5, 40, 0},    /* the source offset past its chain */
    {50, 5, 0, 0},
    {0, 0, 0, 0},
    {1, 1, 28, 1},
};

static void copy_between_nbs_counts_offsets_from_each_data_start(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    UCHAR src_bytes[SRC_CHAIN], dst_bytes[DST_CHAIN], expected[DST_CHAIN], src_copy[SRC_CHAIN];
    for (size_t i = 0; i < sizeof(copy_cases) / sizeof(copy_cases[0]); i++) {
        const struct copy_case *c = &copy_cases[i];
        MDL smdls[MAX_MDLS], dmdls[MAX_MDLS];
        harness_fill(src_bytes, sizeof(src_bytes), 21);
        harness_fill(dst_bytes, sizeof(dst_bytes), 22);
        memcpy(src_copy, src_bytes, sizeof(src_bytes));
        PNET_BUFFER src = nb_on_chain(pool, smdls, src_bytes, (struct chain)CHAIN(src_lengths), SRC_OFFSET,
                                      SRC_LENGTH);
        PNET_BUFFER dst = nb_on_chain(pool, dmdls, dst_bytes, (struct chain)CHAIN(dst_lengths), DST_OFFSET,
                                      DST_LENGTH);
        struct harness_nb_snapshot src_before, dst_before;
        harness_nb_snapshot(src, &src_before);
        harness_nb_snapshot(dst, &dst_before);
        print_message("case %zu: dst +%u, %u bytes, src +%u\n", i, c->dst_offset, c->bytes, c->src_offset);

        memcpy(expected, dst_bytes, sizeof(expected));
        if (c->copied)
            memcpy(expected + DST_OFFSET + c->dst_offset, src_bytes + SRC_OFFSET + c->src_offset, c->copied);
        ULONG copied = 0xDEAD;
        assert_int_equal(NdisCopyFromNetBufferToNetBuffer(dst, c->dst_offset, c->bytes, src, c->src_offset, &copied),
                         NDIS_STATUS_SUCCESS);
        assert_int_equal(copied, c->copied);
        assert_memory_equal(dst_bytes, expected, sizeof(expected));
        assert_memory_equal(src_bytes, src_copy, sizeof(src_bytes));
        harness_assert_nb_unchanged(src, &src_before);
        harness_assert_nb_unchanged(dst, &dst_before);
        NdisFreeNetBuffer(src);
        NdisFreeNetBuffer(dst);
    }
    harness_free_nb_pool(pool);
}

static void copy_follows_current_mdl_after_a_retreat(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    UCHAR src_bytes[SRC_CHAIN], dst_bytes[DST_CHAIN];
    MDL smdls[MAX_MDLS], dmdls[MAX_MDLS];
    harness_fill(src_bytes, sizeof(src_bytes), 31);
    memset(dst_bytes, 0, sizeof(dst_bytes));
    PNET_BUFFER src = nb_on_chain(pool, smdls, src_bytes, (struct chain)CHAIN(src_lengths), SRC_OFFSET, SRC_LENGTH);
    PNET_BUFFER dst = nb_on_chain(pool, dmdls, dst_bytes, (struct chain)CHAIN(dst_lengths), DST_OFFSET, DST_LENGTH);
    /* The source gets a 6-byte header in a new front MDL. */
    assert_int_equal(NdisRetreatNetBufferDataStart(src, 8, 0, NULL), NDIS_STATUS_SUCCESS);
    UCHAR header[6] = {1, 2, 3, 4, 5, 6};
    assert_int_equal(harness_nb_write(src, 0, sizeof(header), header), sizeof(header));

    ULONG copied = 0;
    assert_int_equal(NdisCopyFromNetBufferToNetBuffer(dst, 1, 20, src, 0, &copied), NDIS_STATUS_SUCCESS);
    assert_int_equal(copied, 20);
    assert_memory_equal(dst_bytes + DST_OFFSET + 1, header, sizeof(header));
    assert_memory_equal(dst_bytes + DST_OFFSET + 1 + 6, src_bytes, 14);
    assert_int_equal(dst_bytes[DST_OFFSET], 0);
    assert_int_equal(dst_bytes[DST_OFFSET + 21], 0);
    NdisAdvanceNetBufferDataStart(src, 8, TRUE, NULL);
    NdisFreeNetBuffer(src);
    NdisFreeNetBuffer(dst);
    harness_free_nb_pool(pool);
}

static void copy_with_missing_arguments_fails_with_a_diagnostic(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS];
    PNET_BUFFER nb = nb_on_chain(pool, mdls, buf, (struct chain)CHAIN(two), 0, 110);
    ULONG copied = 0;
    assert_int_equal(NdisCopyFromNetBufferToNetBuffer(NULL, 0, 4, nb, 0, &copied), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("Destination"));
    assert_int_equal(NdisCopyFromNetBufferToNetBuffer(nb, 0, 4, NULL, 0, &copied), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("Source"));
    assert_int_equal(NdisCopyFromNetBufferToNetBuffer(nb, 0, 4, nb, 0, NULL), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("BytesCopied"));
    harness_expect_no_report();
    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(get_data_buffer_points_into_the_mdl_or_copies_to_storage),
        HARNESS_TEST(get_data_buffer_pointer_writes_go_to_the_packet),
        HARNESS_TEST(get_data_buffer_gives_null_for_more_bytes_than_data_length_or_none),
        HARNESS_TEST(get_data_buffer_copies_when_the_mdl_pointer_is_not_aligned),
        HARNESS_TEST(get_data_buffer_refuses_a_bad_alignment_request_with_a_diagnostic),
        HARNESS_TEST(copy_between_nbs_counts_offsets_from_each_data_start),
        HARNESS_TEST(copy_follows_current_mdl_after_a_retreat),
        HARNESS_TEST(copy_with_missing_arguments_fails_with_a_diagnostic),
        /* Last: pins a disagreement between nbldata.h and the library (see the test). */
        HARNESS_TEST(get_data_buffer_wants_the_address_align_offset_past_a_multiple),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
