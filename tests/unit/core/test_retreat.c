/* SPDX-License-Identifier: MIT */
/*
 * Retreat and advance (ndis-semantics.md §3, ndis/nbldata.h): moving a
 * NET_BUFFER's data start back through its back-fill and forward again,
 * over caller chains with padding MDLs, zero-length MDLs and odd sizes;
 * the decision for retreat beyond the back-fill (a front MDL of
 * (Delta - DataOffset) + DataBackFill bytes, DataOffset == DataBackFill
 * after, the old back-fill becoming used data); the MDL handlers; advance
 * freeing only the MDLs a retreat made; the NBL versions and their
 * rollback; NdisAdjustNetBufferCurrentMdl and
 * NdisQueryNetBufferPhysicalCount.
 *
 * Caller chains are laid over consecutive bytes of one patterned buffer, so
 * chain offset i holds buf[i] and the expected used data is a slice of it.
 */
#include <stdlib.h>
#include <string.h>

#include "datapath.h"

#define TAG HARNESS_TAG('T', 'R', 't', 'r')
#define MAX_MDLS 8
#define BUF_BYTES 8192

static UCHAR buf[BUF_BYTES];

struct chain {
    const ULONG *lengths;
    size_t count;
};

static const ULONG pad_front[] = {14, 0, 3, 100}; /* padding before the data */
static const ULONG odd[] = {1, 3, 7, 0, 50};      /* odd sizes, a zero-length MDL */
static const ULONG zero_front[] = {0, 0, 10, 0, 20};
static const ULONG three[] = {5, 10, 20};
static const ULONG tail_zero[] = {10, 0};
static const ULONG one[] = {64};

#define CHAIN(c) {c, sizeof(c) / sizeof(c[0])}

/* A lone NB over a fresh caller chain (asserts success). */
static PNET_BUFFER nb_on_chain(NDIS_HANDLE pool, MDL *mdls, struct chain chain, ULONG offset, ULONG length)
{
    harness_fill(buf, sizeof(buf), 1);
    harness_mdl_chain(mdls, chain.count, buf, chain.lengths);
    PNET_BUFFER nb = NdisAllocateNetBuffer(pool, mdls, offset, length);
    assert_non_null(nb);
    harness_assert_nb_consistent(nb);
    return nb;
}

/* The caller chain is intact: same MDLs, same links, same lengths. */
static void assert_caller_chain_intact(MDL *mdls, struct chain chain)
{
    for (size_t i = 0; i < chain.count; i++) {
        assert_int_equal(mdls[i].ByteCount, chain.lengths[i]);
        assert_ptr_equal(mdls[i].Next, i + 1 < chain.count ? &mdls[i + 1] : NULL);
    }
}

/* The used data read through NdisGetDataBuffer (with storage) equals expected. */
static void assert_data_via_get_data_buffer(PNET_BUFFER nb, const UCHAR *expected, ULONG length)
{
    UCHAR *storage = malloc(length);
    assert_non_null(storage);
    UCHAR *got = NdisGetDataBuffer(nb, length, storage, 1, 0);
    assert_non_null(got);
    assert_memory_equal(got, expected, length);
    free(storage);
}

/* ------------------------------------------------- retreat within back-fill */

struct within_case {
    struct chain chain;
    ULONG offset, length, delta;
    size_t mdl;       /* expected CurrentMdl index after */
    ULONG mdl_offset; /* expected CurrentMdlOffset after */
};

static const struct within_case within_cases[] = {
    /* back to the edge of padding: the next MDL with bytes (zero-length skipped) */
    {CHAIN(pad_front), 17, 100, 3, 2, 0},
    {CHAIN(pad_front), 17, 100, 4, 0, 13},
    {CHAIN(pad_front), 17, 100, 17, 0, 0},
    {CHAIN(pad_front), 17, 100, 0, 3, 0},
    /* data starting inside a later MDL, moving back over a zero-length one */
    {CHAIN(pad_front), 20, 50, 5, 2, 1},
    /* odd sizes, one step at a time across MDL edges */
    {CHAIN(odd), 11, 50, 1, 2, 6},
    {CHAIN(odd), 11, 50, 7, 2, 0},
    {CHAIN(odd), 11, 50, 8, 1, 2},
    {CHAIN(odd), 11, 50, 10, 1, 0},
    {CHAIN(odd), 11, 50, 11, 0, 0},
    /* from an empty packet at the very end of the chain */
    {CHAIN(odd), 61, 0, 1, 4, 49},
    {CHAIN(odd), 61, 0, 61, 0, 0},
    {CHAIN(tail_zero), 10, 0, 3, 0, 7},
    /* leading zero-length MDLs are stepped over */
    {CHAIN(zero_front), 10, 20, 1, 2, 9},
    {CHAIN(zero_front), 10, 20, 10, 2, 0},
    {CHAIN(three), 12, 23, 2, 1, 5},
    {CHAIN(three), 12, 23, 7, 1, 0},
    {CHAIN(three), 12, 23, 8, 0, 4},
    {CHAIN(one), 63, 1, 63, 0, 0},
};

static void retreat_within_backfill_moves_the_data_start_back_across_mdls(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    for (size_t i = 0; i < sizeof(within_cases) / sizeof(within_cases[0]); i++) {
        const struct within_case *c = &within_cases[i];
        MDL mdls[MAX_MDLS];
        print_message("case %zu: offset %u length %u delta %u\n", i, c->offset, c->length, c->delta);
        PNET_BUFFER nb = nb_on_chain(pool, mdls, c->chain, c->offset, c->length);
        struct harness_nb_snapshot before;
        harness_nb_snapshot(nb, &before);
        ULONG64 outstanding = ndisbuf_outstanding_total();

        assert_int_equal(NdisRetreatNetBufferDataStart(nb, c->delta, 0, NULL), NDIS_STATUS_SUCCESS);
        ULONG offset = c->offset - c->delta, length = c->length + c->delta;
        assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), &mdls[0]);
        assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), offset);
        assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), length);
        assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), &mdls[c->mdl]);
        assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), c->mdl_offset);
        harness_assert_nb_consistent(nb);
        harness_assert_nb_data(nb, buf + offset, length);
        if (length)
            assert_data_via_get_data_buffer(nb, buf + offset, length);
        assert_int_equal(ndisbuf_outstanding_total(), outstanding); /* nothing allocated */
        assert_caller_chain_intact(mdls, c->chain);

        NdisAdvanceNetBufferDataStart(nb, c->delta, TRUE, NULL);
        harness_assert_nb_unchanged(nb, &before);
        NdisFreeNetBuffer(nb);
    }
    harness_free_nb_pool(pool);
}

static void retreat_within_backfill_ignores_the_backfill_argument_and_handler(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS];
    PNET_BUFFER nb = nb_on_chain(pool, mdls, (struct chain)CHAIN(three), 12, 23);
    harness_mdl_handlers_reset(0, 0);
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 12, 4096, harness_allocate_mdl_handler),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(harness_mdl_handlers.calls, 0);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 0);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 35);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), &mdls[0]);
    harness_assert_nb_data(nb, buf, 35);
    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
}

/* ------------------------------------------------- retreat beyond back-fill */

struct beyond_case {
    struct chain chain;
    ULONG offset, length, delta, backfill;
};

static const struct beyond_case beyond_cases[] = {
    {CHAIN(one), 0, 64, 14, 0},
    {CHAIN(one), 0, 64, 14, 32},
    {CHAIN(one), 0, 64, 1, 0},
    {CHAIN(one), 0, 0, 3, 7},
    {CHAIN(one), 63, 1, 64, 1},
    /* the old back-fill spans padding and zero-length MDLs: all of it becomes used */
    {CHAIN(pad_front), 17, 100, 18, 0},
    {CHAIN(pad_front), 17, 100, 20, 7},
    {CHAIN(odd), 11, 50, 12, 3},
    {CHAIN(odd), 11, 50, 18, 1},
    {CHAIN(zero_front), 10, 20, 17, 0},
    {CHAIN(three), 12, 23, 13, 5},
    {CHAIN(tail_zero), 10, 0, 11, 0},
    {CHAIN(tail_zero), 3, 7, 4, 2},
};

/*
 * After a retreat beyond the back-fill: a new first MDL of `front` bytes
 * before the caller chain, the used data starting `data_offset` bytes into
 * it. Writes a header into the new used bytes and checks the packet reads
 * header || old back-fill || old data, through the walker,
 * NdisGetDataBuffer and NdisCopyFromNetBufferToNetBuffer.
 */
static void assert_front_mdl_and_contiguous_data(PNET_BUFFER nb, MDL *mdls, ULONG front, ULONG data_offset,
                                                 ULONG old_offset, ULONG old_length, ULONG delta,
                                                 NDIS_HANDLE pool)
{
    PMDL first = NET_BUFFER_FIRST_MDL(nb);
    assert_non_null(first);
    assert_true(first != &mdls[0]);
    assert_ptr_equal(first->Next, &mdls[0]);
    assert_int_equal(MmGetMdlByteCount(first), front);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), data_offset);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), old_length + delta);
    assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), first);
    assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), data_offset);
    harness_assert_nb_consistent(nb);

    ULONG added = delta - old_offset, length = old_length + delta;
    UCHAR *va = MmGetSystemAddressForMdlSafe(first, NormalPagePriority);
    assert_non_null(va);
    assert_true(va + front <= buf || va >= buf + sizeof(buf)); /* not the caller's memory */
    UCHAR *expected = malloc(length);
    assert_non_null(expected);
    harness_fill(expected, added, 77);
    memcpy(va + data_offset, expected, added);
    memcpy(expected + added, buf, old_offset + old_length);
    harness_assert_nb_data(nb, expected, length);
    assert_data_via_get_data_buffer(nb, expected, length);

    /* And copied out to a flat NB. */
    UCHAR *flat = calloc(1, length);
    assert_non_null(flat);
    MDL flat_mdl;
    MmInitializeMdl(&flat_mdl, flat, length);
    MmBuildMdlForNonPagedPool(&flat_mdl);
    PNET_BUFFER copy = NdisAllocateNetBuffer(pool, &flat_mdl, 0, length);
    assert_non_null(copy);
    ULONG copied = 0;
    assert_int_equal(NdisCopyFromNetBufferToNetBuffer(copy, 0, length, nb, 0, &copied), NDIS_STATUS_SUCCESS);
    assert_int_equal(copied, length);
    assert_memory_equal(flat, expected, length);
    NdisFreeNetBuffer(copy);
    free(flat);
    free(expected);
}

static void retreat_beyond_backfill_puts_a_new_mdl_in_front(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    for (size_t i = 0; i < sizeof(beyond_cases) / sizeof(beyond_cases[0]); i++) {
        const struct beyond_case *c = &beyond_cases[i];
        MDL mdls[MAX_MDLS];
        print_message("case %zu: offset %u length %u delta %u backfill %u\n", i, c->offset, c->length, c->delta,
                      c->backfill);
        PNET_BUFFER nb = nb_on_chain(pool, mdls, c->chain, c->offset, c->length);
        struct harness_nb_snapshot before;
        harness_nb_snapshot(nb, &before);
        ULONG64 outstanding = ndisbuf_outstanding_total();

        assert_int_equal(NdisRetreatNetBufferDataStart(nb, c->delta, c->backfill, NULL), NDIS_STATUS_SUCCESS);
        ULONG front = c->delta - c->offset + c->backfill;
        assert_front_mdl_and_contiguous_data(nb, mdls, front, c->backfill, c->offset, c->length, c->delta, pool);
        assert_caller_chain_intact(mdls, c->chain);

        /* Advancing the same delta with FreeMdl frees it: the NB is as it was. */
        NdisAdvanceNetBufferDataStart(nb, c->delta, TRUE, NULL);
        harness_assert_nb_unchanged(nb, &before);
        harness_assert_nb_data(nb, buf + c->offset, c->length);
        assert_int_equal(ndisbuf_outstanding_total(), outstanding);
        NdisFreeNetBuffer(nb);
    }
    harness_free_nb_pool(pool);
}

static void retreat_beyond_backfill_asks_the_handler_for_missing_bytes_plus_backfill(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    for (size_t i = 0; i < sizeof(beyond_cases) / sizeof(beyond_cases[0]); i++) {
        const struct beyond_case *c = &beyond_cases[i];
        MDL mdls[MAX_MDLS];
        PNET_BUFFER nb = nb_on_chain(pool, mdls, c->chain, c->offset, c->length);
        struct harness_nb_snapshot before;
        harness_nb_snapshot(nb, &before);
        harness_mdl_handlers_reset(0, 0);

        assert_int_equal(NdisRetreatNetBufferDataStart(nb, c->delta, c->backfill, harness_allocate_mdl_handler),
                         NDIS_STATUS_SUCCESS);
        ULONG front = c->delta - c->offset + c->backfill;
        assert_int_equal(harness_mdl_handlers.calls, 1);
        assert_int_equal(harness_mdl_handlers.last_asked, front);
        assert_true(harness_mdl_from_handler(NET_BUFFER_FIRST_MDL(nb)));
        assert_front_mdl_and_contiguous_data(nb, mdls, front, c->backfill, c->offset, c->length, c->delta, pool);

        NdisAdvanceNetBufferDataStart(nb, c->delta, TRUE, harness_free_mdl_handler);
        assert_int_equal(harness_mdl_handlers.frees, 1);
        assert_int_equal(harness_mdl_handlers.foreign_frees, 0);
        harness_assert_nb_unchanged(nb, &before);
        NdisFreeNetBuffer(nb);
    }
    assert_int_equal(harness_mdl_handlers_live(), 0);
    harness_free_nb_pool(pool);
}

static void retreat_uses_the_extra_bytes_a_handler_reports_as_backfill(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS];
    PNET_BUFFER nb = nb_on_chain(pool, mdls, (struct chain)CHAIN(odd), 11, 50);
    struct harness_nb_snapshot before;
    harness_nb_snapshot(nb, &before);
    harness_mdl_handlers_reset(0, 16);

    /* Needs 14 - 11 = 3 bytes + 2 of back-fill; the handler gives 21. */
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 14, 2, harness_allocate_mdl_handler), NDIS_STATUS_SUCCESS);
    assert_int_equal(harness_mdl_handlers.last_asked, 5);
    /* The packet still ends the new MDL: its 16 extra bytes are back-fill. */
    assert_front_mdl_and_contiguous_data(nb, mdls, 21, 18, 11, 50, 14, pool);

    /* Later retreats use that back-fill without asking again. */
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 18, 0, harness_allocate_mdl_handler), NDIS_STATUS_SUCCESS);
    assert_int_equal(harness_mdl_handlers.calls, 1);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 0);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 82);

    NdisAdvanceNetBufferDataStart(nb, 32, TRUE, harness_free_mdl_handler);
    assert_int_equal(harness_mdl_handlers.frees, 1);
    harness_assert_nb_unchanged(nb, &before);
    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
}

/* A handler that gives less than asked: an MDL of short_handler_bytes over short_handler_buf. */
static UCHAR short_handler_buf[64];
static ULONG short_handler_bytes;
static PMDL short_handler_mdl;

static PMDL short_allocate_mdl_handler(PULONG BufferSize)
{
    short_handler_mdl = NdisAllocateMdl(NULL, short_handler_buf, short_handler_bytes);
    *BufferSize = short_handler_bytes;
    return short_handler_mdl;
}

static VOID short_free_mdl_handler(PMDL Mdl)
{
    assert_ptr_equal(Mdl, short_handler_mdl);
    NdisFreeMdl(Mdl);
    short_handler_mdl = NULL;
}

static void retreat_uses_a_short_handler_mdl_that_holds_the_missing_bytes(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS];
    PNET_BUFFER nb = nb_on_chain(pool, mdls, (struct chain)CHAIN(one), 2, 50);
    struct harness_nb_snapshot before;
    harness_nb_snapshot(nb, &before);

    /* 6 - 2 = 4 bytes are missing, 4 + 8 asked; the handler gives 6: 2 left for back-fill. */
    short_handler_bytes = 6;
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 6, 8, short_allocate_mdl_handler), NDIS_STATUS_SUCCESS);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), short_handler_mdl);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 2);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 56);
    assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), short_handler_mdl);
    assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 2);

    NdisAdvanceNetBufferDataStart(nb, 6, TRUE, short_free_mdl_handler);
    assert_null(short_handler_mdl);
    harness_assert_nb_unchanged(nb, &before);
    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
}

static void retreat_refuses_a_handler_mdl_too_short_for_the_missing_bytes(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS];
    PNET_BUFFER nb = nb_on_chain(pool, mdls, (struct chain)CHAIN(one), 2, 50);
    struct harness_nb_snapshot before;
    harness_nb_snapshot(nb, &before);

    short_handler_bytes = 3; /* 4 bytes are missing */
    harness_diag_clear();
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 6, 8, short_allocate_mdl_handler), NDIS_STATUS_RESOURCES);
    assert_true(harness_diag_contains("AllocateMdlHandler"));
    harness_assert_nb_unchanged(nb, &before);
    /* The refused MDL is still the handler's to free. */
    short_free_mdl_handler(short_handler_mdl);
    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
}

static void retreat_fails_with_resources_and_changes_nothing_when_the_handler_gives_null(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    for (size_t i = 0; i < sizeof(beyond_cases) / sizeof(beyond_cases[0]); i++) {
        const struct beyond_case *c = &beyond_cases[i];
        MDL mdls[MAX_MDLS];
        PNET_BUFFER nb = nb_on_chain(pool, mdls, c->chain, c->offset, c->length);
        struct harness_nb_snapshot before;
        harness_nb_snapshot(nb, &before);
        harness_mdl_handlers_reset(1, 0);

        assert_int_equal(NdisRetreatNetBufferDataStart(nb, c->delta, c->backfill, harness_allocate_mdl_handler),
                         NDIS_STATUS_RESOURCES);
        assert_int_equal(harness_mdl_handlers.calls, 1);
        harness_assert_nb_unchanged(nb, &before);
        harness_assert_nb_data(nb, buf + c->offset, c->length);
        NdisFreeNetBuffer(nb);
    }
    /* An NB with no chain at all too. */
    PNET_BUFFER empty = NdisAllocateNetBuffer(pool, NULL, 0, 0);
    assert_non_null(empty);
    struct harness_nb_snapshot before;
    harness_nb_snapshot(empty, &before);
    harness_mdl_handlers_reset(1, 0);
    assert_int_equal(NdisRetreatNetBufferDataStart(empty, 42, 8, harness_allocate_mdl_handler),
                     NDIS_STATUS_RESOURCES);
    harness_assert_nb_unchanged(empty, &before);
    NdisFreeNetBuffer(empty);
    harness_expect_no_report();
    harness_free_nb_pool(pool);
}

static void retreat_of_an_nb_without_mdls_gives_it_a_fresh_buffer(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    for (int with_handler = 0; with_handler < 2; with_handler++) {
        PNET_BUFFER nb = NdisAllocateNetBuffer(pool, NULL, 0, 0);
        assert_non_null(nb);
        struct harness_nb_snapshot before;
        harness_nb_snapshot(nb, &before);
        harness_mdl_handlers_reset(0, 0);
        NET_BUFFER_ALLOCATE_MDL_HANDLER alloc = with_handler ? harness_allocate_mdl_handler : NULL;
        NET_BUFFER_FREE_MDL_HANDLER release = with_handler ? harness_free_mdl_handler : NULL;

        assert_int_equal(NdisRetreatNetBufferDataStart(nb, 20, 8, alloc), NDIS_STATUS_SUCCESS);
        PMDL mdl = NET_BUFFER_FIRST_MDL(nb);
        assert_non_null(mdl);
        assert_null(mdl->Next);
        assert_int_equal(MmGetMdlByteCount(mdl), 28);
        assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 8);
        assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 20);
        assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), mdl);
        assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 8);
        harness_assert_nb_consistent(nb);
        assert_int_equal(harness_mdl_handlers.allocs, with_handler ? 1 : 0);

        /* Contiguous: NdisGetDataBuffer hands out the MDL's own bytes. */
        UCHAR *p = NdisGetDataBuffer(nb, 20, NULL, 1, 0);
        assert_ptr_equal(p, (UCHAR *)MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority) + 8);
        UCHAR pattern[20];
        harness_fill(pattern, sizeof(pattern), 5);
        memcpy(p, pattern, sizeof(pattern));
        harness_assert_nb_data(nb, pattern, sizeof(pattern));

        NdisAdvanceNetBufferDataStart(nb, 20, TRUE, release);
        assert_null(NET_BUFFER_FIRST_MDL(nb));
        assert_null(NET_BUFFER_CURRENT_MDL(nb));
        harness_assert_nb_unchanged(nb, &before);
        assert_int_equal(harness_mdl_handlers.frees, with_handler ? 1 : 0);
        NdisFreeNetBuffer(nb);
    }
    harness_free_nb_pool(pool);
}

static void retreat_of_zero_bytes_changes_nothing(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS];
    PNET_BUFFER nb = nb_on_chain(pool, mdls, (struct chain)CHAIN(one), 0, 64);
    PNET_BUFFER empty = NdisAllocateNetBuffer(pool, NULL, 0, 0);
    struct harness_nb_snapshot a, b;
    harness_nb_snapshot(nb, &a);
    harness_nb_snapshot(empty, &b);
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 0, 16, NULL), NDIS_STATUS_SUCCESS);
    assert_int_equal(NdisRetreatNetBufferDataStart(empty, 0, 16, NULL), NDIS_STATUS_SUCCESS);
    harness_assert_nb_unchanged(nb, &a);
    harness_assert_nb_unchanged(empty, &b);
    NdisFreeNetBuffer(nb);
    NdisFreeNetBuffer(empty);
    harness_free_nb_pool(pool);
}

/* ---------------------------------------------------------------- advance */

struct advance_case {
    struct chain chain;
    ULONG offset, length, delta;
    size_t mdl;
    ULONG mdl_offset;
};

static const struct advance_case advance_cases[] = {
    {CHAIN(odd), 0, 61, 0, 0, 0},
    {CHAIN(odd), 0, 61, 1, 1, 0},
    {CHAIN(odd), 0, 61, 4, 2, 0},
    {CHAIN(odd), 0, 61, 10, 2, 6},
    {CHAIN(odd), 0, 61, 11, 4, 0}, /* the zero-length MDL is stepped over */
    {CHAIN(odd), 0, 61, 61, 4, 50}, /* all of it: the last MDL, offset = ByteCount */
    {CHAIN(odd), 5, 20, 20, 4, 14},
    {CHAIN(pad_front), 0, 117, 14, 2, 0},
    {CHAIN(pad_front), 14, 103, 3, 3, 0},
    {CHAIN(zero_front), 0, 30, 0, 2, 0},
    {CHAIN(zero_front), 0, 30, 10, 4, 0},
    {CHAIN(three), 12, 23, 3, 2, 0},
    {CHAIN(three), 12, 20, 19, 2, 16},
    {CHAIN(tail_zero), 0, 10, 10, 1, 0},
};

static void advance_moves_the_data_start_forward_across_mdls(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    for (int free_mdl = 0; free_mdl < 2; free_mdl++) {
        for (size_t i = 0; i < sizeof(advance_cases) / sizeof(advance_cases[0]); i++) {
            const struct advance_case *c = &advance_cases[i];
            MDL mdls[MAX_MDLS];
            print_message("case %zu: FreeMdl %d offset %u length %u delta %u\n", i, free_mdl, c->offset,
                          c->length, c->delta);
            PNET_BUFFER nb = nb_on_chain(pool, mdls, c->chain, c->offset, c->length);
            harness_mdl_handlers_reset(0, 0);

            NdisAdvanceNetBufferDataStart(nb, c->delta, (BOOLEAN)free_mdl, harness_free_mdl_handler);
            /* Caller MDLs are never freed, wholly unused or not. */
            assert_int_equal(harness_mdl_handlers.foreign_frees, 0);
            assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), &mdls[0]);
            assert_caller_chain_intact(mdls, c->chain);
            assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), c->offset + c->delta);
            assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), c->length - c->delta);
            assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), &mdls[c->mdl]);
            assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), c->mdl_offset);
            harness_assert_nb_consistent(nb);
            harness_assert_nb_data(nb, buf + c->offset + c->delta, c->length - c->delta);
            NdisFreeNetBuffer(nb);
        }
    }
    harness_free_nb_pool(pool);
}

static void advance_with_free_mdl_frees_only_the_mdls_a_retreat_allocated(void **state)
{
    (void)state;
    static const ULONG lengths[] = {10, 50};
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS];
    PNET_BUFFER nb = nb_on_chain(pool, mdls, (struct chain)CHAIN(lengths), 10, 50);
    struct harness_nb_snapshot before;
    harness_nb_snapshot(nb, &before);
    harness_mdl_handlers_reset(0, 0);

    /* Two retreat MDLs in front: A2 (8 bytes), A1 (4 bytes), then the caller's. */
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 14, 0, harness_allocate_mdl_handler), NDIS_STATUS_SUCCESS);
    PMDL a1 = NET_BUFFER_FIRST_MDL(nb);
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 8, 0, harness_allocate_mdl_handler), NDIS_STATUS_SUCCESS);
    PMDL a2 = NET_BUFFER_FIRST_MDL(nb);
    assert_int_equal(harness_mdl_handlers.allocs, 2);
    assert_ptr_equal(a2->Next, a1);
    assert_ptr_equal(a1->Next, &mdls[0]);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 72);

    /* Part of A2 still used: nothing freed. */
    NdisAdvanceNetBufferDataStart(nb, 4, TRUE, harness_free_mdl_handler);
    assert_int_equal(harness_mdl_handlers.frees, 0);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), a2);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 4);
    harness_assert_nb_consistent(nb);

    /* A2 wholly unused: freed, and DataOffset shrinks by its 8 bytes. */
    NdisAdvanceNetBufferDataStart(nb, 4, TRUE, harness_free_mdl_handler);
    assert_int_equal(harness_mdl_handlers.frees, 1);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), a1);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 0);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 64);
    assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), a1);
    harness_assert_nb_consistent(nb);

    /* Past A1 into the caller's first MDL: A1 goes, the caller's MDL stays. */
    NdisAdvanceNetBufferDataStart(nb, 10, TRUE, harness_free_mdl_handler);
    assert_int_equal(harness_mdl_handlers.frees, 2);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), &mdls[0]);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 6);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 54);
    assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), &mdls[0]);
    assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 6);

    /* The caller's first MDL wholly unused: kept. */
    NdisAdvanceNetBufferDataStart(nb, 10, TRUE, harness_free_mdl_handler);
    assert_int_equal(harness_mdl_handlers.frees, 2);
    assert_int_equal(harness_mdl_handlers.foreign_frees, 0);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), &mdls[0]);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 16);
    assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), &mdls[1]);
    assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 6);
    harness_assert_nb_data(nb, buf + 16, 44);

    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 6, 0, harness_allocate_mdl_handler), NDIS_STATUS_SUCCESS);
    assert_int_equal(harness_mdl_handlers.calls, 2);
    harness_assert_nb_unchanged(nb, &before);
    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
}

static void advance_never_frees_caller_mdls_from_ndis_allocate_mdl(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    harness_fill(buf, sizeof(buf), 4);
    PMDL pad = NdisAllocateMdl(NULL, buf, 7);
    PMDL data = NdisAllocateMdl(NULL, buf + 7, 50);
    assert_non_null(pad);
    assert_non_null(data);
    NDIS_MDL_LINKAGE(pad) = data;
    PNET_BUFFER nb = NdisAllocateNetBuffer(pool, pad, 7, 50);
    ULONG64 outstanding = ndisbuf_outstanding_total();

    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 10, 0, NULL), NDIS_STATUS_SUCCESS);
    assert_int_equal(harness_chain_count(NET_BUFFER_FIRST_MDL(nb)), 3);
    /* Everything but the last byte unused: only the retreat's MDL may go. */
    NdisAdvanceNetBufferDataStart(nb, 59, TRUE, NULL);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), pad);
    assert_ptr_equal(NDIS_MDL_LINKAGE(pad), data);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 56);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 1);
    assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), data);
    assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 49);
    assert_int_equal(ndisbuf_outstanding_total(), outstanding);
    harness_assert_nb_data(nb, buf + 56, 1);

    NdisFreeNetBuffer(nb);
    NDIS_MDL_LINKAGE(pad) = NULL;
    NdisFreeMdl(pad);
    NdisFreeMdl(data);
    harness_expect_no_report();
    harness_free_nb_pool(pool);
}

static void advance_with_free_mdl_frees_library_retreat_mdls(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS];
    PNET_BUFFER nb = nb_on_chain(pool, mdls, (struct chain)CHAIN(three), 12, 23);
    struct harness_nb_snapshot before;
    harness_nb_snapshot(nb, &before);
    ULONG64 outstanding = ndisbuf_outstanding_total();
    for (int i = 0; i < 5; i++)
        assert_int_equal(NdisRetreatNetBufferDataStart(nb, 20, 0, NULL), NDIS_STATUS_SUCCESS);
    assert_int_equal(harness_chain_count(NET_BUFFER_FIRST_MDL(nb)), 3 + 5);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 123);
    NdisAdvanceNetBufferDataStart(nb, 100, TRUE, NULL);
    harness_assert_nb_unchanged(nb, &before);
    assert_int_equal(ndisbuf_outstanding_total(), outstanding);
    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
}

static void advance_without_free_mdl_keeps_retreat_mdls_for_a_later_retreat(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS];
    PNET_BUFFER nb = nb_on_chain(pool, mdls, (struct chain)CHAIN(one), 0, 64);
    struct harness_nb_snapshot before;
    harness_nb_snapshot(nb, &before);
    harness_mdl_handlers_reset(0, 0);

    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 14, 0, harness_allocate_mdl_handler), NDIS_STATUS_SUCCESS);
    PMDL front = NET_BUFFER_FIRST_MDL(nb);
    UCHAR header[14];
    harness_fill(header, sizeof(header), 9);
    harness_nb_write(nb, 0, sizeof(header), header);

    NdisAdvanceNetBufferDataStart(nb, 14, FALSE, harness_free_mdl_handler);
    assert_int_equal(harness_mdl_handlers.frees, 0);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), front);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 14);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 64);
    assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), &mdls[0]); /* at the boundary: the next MDL */
    assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 0);
    harness_assert_nb_consistent(nb);

    /* The kept MDL is the back-fill of the next retreat: no new allocation. */
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 10, 0, harness_allocate_mdl_handler), NDIS_STATUS_SUCCESS);
    assert_int_equal(harness_mdl_handlers.calls, 1);
    assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), front);
    assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 4);
    UCHAR got[10];
    assert_int_equal(harness_nb_read(nb, 0, sizeof(got), got), sizeof(got));
    assert_memory_equal(got, header + 4, sizeof(got)); /* its bytes were kept too */

    NdisAdvanceNetBufferDataStart(nb, 10, TRUE, harness_free_mdl_handler);
    assert_int_equal(harness_mdl_handlers.frees, 1);
    harness_assert_nb_unchanged(nb, &before);
    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
}

static void advance_more_than_data_length_changes_nothing_and_says_why(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS];
    PNET_BUFFER nb = nb_on_chain(pool, mdls, (struct chain)CHAIN(odd), 11, 50);
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 20, 4, NULL), NDIS_STATUS_SUCCESS);
    struct harness_nb_snapshot before;
    harness_nb_snapshot(nb, &before);
    harness_diag_clear();

    NdisAdvanceNetBufferDataStart(nb, 71, TRUE, NULL);
    assert_true(harness_diag_contains("DataLength"));
    harness_assert_nb_unchanged(nb, &before);
    NdisAdvanceNetBufferDataStart(nb, 0xFFFFFFFFu, FALSE, NULL);
    assert_true(harness_diag_contains("DataLength"));
    harness_assert_nb_unchanged(nb, &before);
    harness_expect_no_report();

    NdisAdvanceNetBufferDataStart(nb, 70, TRUE, NULL); /* exactly DataLength is fine */
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 0);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), &mdls[0]);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 61);
    harness_assert_nb_consistent(nb);
    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
}

static void retreat_with_bad_arguments_fails_and_changes_nothing(void **state)
{
    (void)state;
    harness_diag_clear();
    assert_int_equal(NdisRetreatNetBufferDataStart(NULL, 4, 0, NULL), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("NetBuffer"));
    assert_int_equal(NdisRetreatNetBufferListDataStart(NULL, 4, 0, NULL, NULL), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("NetBufferList"));
    NdisAdvanceNetBufferDataStart(NULL, 4, TRUE, NULL);
    assert_true(harness_diag_contains("NetBuffer"));
    NdisAdvanceNetBufferListDataStart(NULL, 4, TRUE, NULL);
    assert_true(harness_diag_contains("NetBufferList"));
    NdisAdjustNetBufferCurrentMdl(NULL);
    assert_true(harness_diag_contains("NetBuffer"));

    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS];
    PNET_BUFFER nb = nb_on_chain(pool, mdls, (struct chain)CHAIN(one), 0, 64);
    PNET_BUFFER tail = nb_on_chain(pool, mdls + 1, (struct chain)CHAIN(one), 64, 0);
    struct harness_nb_snapshot a, b;
    harness_nb_snapshot(nb, &a);
    harness_nb_snapshot(tail, &b);
    /* DataLength would no longer fit its 32 bits. */
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 0xFFFFFFF0u, 0, NULL), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_new() >= 1);
    harness_assert_nb_unchanged(nb, &a);
    /* The new MDL, missing bytes plus back-fill, would not fit a ULONG. */
    assert_int_equal(NdisRetreatNetBufferDataStart(tail, 0xFFFFFFFFu, 0x100, NULL), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_new() >= 1);
    harness_assert_nb_unchanged(tail, &b);
    harness_expect_no_report();
    NdisFreeNetBuffer(nb);
    NdisFreeNetBuffer(tail);
    harness_free_nb_pool(pool);
}

static void freeing_an_nb_releases_library_retreat_mdls_left_on_it(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS];
    PNET_BUFFER nb = nb_on_chain(pool, mdls, (struct chain)CHAIN(one), 0, 64);
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 14, 0, NULL), NDIS_STATUS_SUCCESS);
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 14, 16, NULL), NDIS_STATUS_SUCCESS);
    NdisFreeNetBuffer(nb); /* teardown and LeakSanitizer check the MDLs and buffers went */
    harness_expect_no_report();
    assert_caller_chain_intact(mdls, (struct chain)CHAIN(one));
    harness_free_nb_pool(pool);
}

static void advance_keeps_handler_mdls_when_no_free_handler_is_given(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS];
    PNET_BUFFER nb = nb_on_chain(pool, mdls, (struct chain)CHAIN(one), 0, 64);
    struct harness_nb_snapshot before;
    harness_nb_snapshot(nb, &before);
    harness_mdl_handlers_reset(0, 0);
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 8, 0, harness_allocate_mdl_handler), NDIS_STATUS_SUCCESS);
    PMDL front = NET_BUFFER_FIRST_MDL(nb);
    harness_diag_clear();

    /* The library cannot free what the handler made: it keeps it and says so. */
    NdisAdvanceNetBufferDataStart(nb, 8, TRUE, NULL);
    assert_true(harness_diag_contains("FreeMdlHandler"));
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), front);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 8);
    harness_assert_nb_consistent(nb);
    assert_int_equal(harness_mdl_handlers_live(), 1);

    /* A later advance with the handler frees it. */
    NdisAdvanceNetBufferDataStart(nb, 0, TRUE, harness_free_mdl_handler);
    assert_int_equal(harness_mdl_handlers.frees, 1);
    harness_assert_nb_unchanged(nb, &before);
    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
}

static void freeing_an_nbl_releases_library_retreat_mdls_left_on_its_nb(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    NDIS_HANDLE data_pool = harness_nbl_pool(TRUE, 0, 128, TAG);
    MDL mdls[MAX_MDLS];
    harness_mdl_chain(mdls, 1, buf, one);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdls, 0, 64);
    PNET_BUFFER_LIST data = NdisAllocateNetBufferList(data_pool, 0, 0);
    assert_non_null(nbl);
    assert_non_null(data);
    assert_int_equal(NdisRetreatNetBufferListDataStart(nbl, 20, 0, NULL, NULL), NDIS_STATUS_SUCCESS);
    assert_int_equal(NdisRetreatNetBufferListDataStart(data, 20, 4, NULL, NULL), NDIS_STATUS_SUCCESS);
    assert_int_equal(harness_chain_count(NET_BUFFER_FIRST_MDL(NET_BUFFER_LIST_FIRST_NB(data))), 2);
    NdisFreeNetBufferList(nbl); /* teardown and LeakSanitizer check the MDLs and buffers went */
    NdisFreeNetBufferList(data);
    harness_expect_no_report();
    assert_caller_chain_intact(mdls, (struct chain)CHAIN(one));
    harness_free_nbl_pool(pool);
    harness_free_nbl_pool(data_pool);
}

/* --------------------------------------- a driver MDL in front of retreat MDLs */

/* Links the driver's own MDL (over pad) in front of nb's chain, as docs/derived.md allows. */
static void link_driver_mdl_in_front(PNET_BUFFER nb, MDL *front, UCHAR *pad, ULONG length)
{
    MmInitializeMdl(front, pad, length);
    MmBuildMdlForNonPagedPool(front);
    front->Next = NET_BUFFER_FIRST_MDL(nb);
    NET_BUFFER_FIRST_MDL(nb) = front;
    NET_BUFFER_DATA_OFFSET(nb) += length;
    NdisAdjustNetBufferCurrentMdl(nb);
}

/*
 * Finding 1 of docs/fuzzing.md (its minimised reproducer): an advance with
 * FreeMdl took the driver's MDL linked in front of a retreat MDL for a
 * retreat MDL, because nb_free_unused_retreat_mdls (src/core/retreat.c)
 * freed the first MDLs of the chain while the NB's retreat count was not
 * zero. The driver's MDL went to its FreeMdlHandler (without one: a
 * diagnostic blaming an AllocateMdlHandler) and the library's MDL stayed.
 * Fixed: the library's retreat MDLs are known by their header wherever they
 * sit; the driver's MDL is stepped over.
 */
static void advance_with_free_mdl_never_takes_a_driver_mdl_linked_in_front_of_a_retreat_mdl(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    PNET_BUFFER nb = NdisAllocateNetBuffer(pool, NULL, 0, 0); /* a lone NB with no chain */
    assert_non_null(nb);
    ULONG64 outstanding = ndisbuf_outstanding_total();
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 10, 0, NULL), NDIS_STATUS_SUCCESS);
    UCHAR pad[8];
    MDL front;
    link_driver_mdl_in_front(nb, &front, pad, sizeof(pad));
    harness_mdl_handlers_reset(0, 0);
    harness_diag_clear();

    NdisAdvanceNetBufferDataStart(nb, 10, TRUE, harness_free_mdl_handler);
    assert_int_equal(harness_mdl_handlers.frees, 0);
    assert_int_equal(harness_mdl_handlers.foreign_frees, 0);
    assert_int_equal(harness_diag_new(), 0);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), &front);
    assert_null(front.Next); /* the library's MDL was unlinked and freed */
    assert_int_equal(ndisbuf_outstanding_total(), outstanding);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), sizeof(pad));
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 0);
    harness_assert_nb_consistent(nb);
    NdisFreeNetBuffer(nb);
    harness_expect_no_report();
    harness_free_nb_pool(pool);
}

struct front_case {
    int retreats;         /* library retreat MDLs behind the driver's MDL: 1 or 2 */
    bool free_handler;    /* a FreeMdlHandler is given */
    bool nbl_level;       /* NdisAdvanceNetBufferListDataStart rather than the NB call */
    ULONG advance;        /* bytes advanced after the driver linked its MDL */
    int freed;            /* retreat MDLs the advance frees */
    ULONG data_offset;    /* DataOffset after */
    ULONG current_offset; /* CurrentMdlOffset after, in the first MDL behind the driver's */
};

/*
 * Retreats of 10 then 6 bytes put R1 (10) and R2 (6) in front of a 64-byte
 * caller MDL; the driver then links an 8-byte MDL of its own in front.
 */
static const struct front_case front_cases[] = {
    /* one retreat MDL: partial (4 of its 10 bytes), total */
    {1, false, false, 4, 0, 12, 4},
    {1, true, false, 4, 0, 12, 4},
    {1, false, false, 10, 1, 8, 0},
    {1, true, true, 10, 1, 8, 0},
    /* two: partial (all of R2, 4 of R1's 10), total, and total plus 5 caller bytes */
    {2, false, false, 10, 1, 12, 4},
    {2, true, true, 10, 1, 12, 4},
    {2, false, true, 16, 2, 8, 0},
    {2, true, false, 16, 2, 8, 0},
    {2, true, false, 21, 2, 13, 5},
};

/*
 * Finding 1 of docs/fuzzing.md, every shape: a driver MDL in front of one
 * or two library retreat MDLs is never freed nor given to the
 * FreeMdlHandler; the retreat MDLs behind it that the advance leaves wholly
 * unused are unlinked from behind it and freed, the others stay and go with
 * NdisFreeNetBufferList. No pool has anything outstanding after.
 */
static void advance_steps_over_a_driver_mdl_and_frees_the_retreat_mdls_behind_it(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    for (size_t i = 0; i < sizeof(front_cases) / sizeof(front_cases[0]); i++) {
        const struct front_case *c = &front_cases[i];
        print_message("case %zu: %d retreat(s), FreeMdlHandler %d, advance %u\n", i, c->retreats, c->free_handler,
                      c->advance);
        MDL mdls[1], front;
        UCHAR pad[8];
        harness_fill(buf, sizeof(buf), 5);
        harness_mdl_chain(mdls, 1, buf, one);
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdls, 0, 64);
        assert_non_null(nbl);
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
        ULONG64 outstanding = ndisbuf_outstanding_total();
        assert_int_equal(NdisRetreatNetBufferDataStart(nb, 10, 0, NULL), NDIS_STATUS_SUCCESS);
        PMDL r1 = NET_BUFFER_FIRST_MDL(nb), r2 = NULL;
        if (c->retreats == 2) {
            assert_int_equal(NdisRetreatNetBufferDataStart(nb, 6, 0, NULL), NDIS_STATUS_SUCCESS);
            r2 = NET_BUFFER_FIRST_MDL(nb);
        }
        ULONG retreated = c->retreats == 2 ? 16 : 10;
        link_driver_mdl_in_front(nb, &front, pad, sizeof(pad));
        harness_mdl_handlers_reset(0, 0);
        harness_diag_clear();

        NET_BUFFER_FREE_MDL_HANDLER handler = c->free_handler ? harness_free_mdl_handler : NULL;
        if (c->nbl_level)
            NdisAdvanceNetBufferListDataStart(nbl, c->advance, TRUE, handler);
        else
            NdisAdvanceNetBufferDataStart(nb, c->advance, TRUE, handler);
        assert_int_equal(harness_mdl_handlers.frees + harness_mdl_handlers.foreign_frees, 0);
        assert_int_equal(harness_diag_new(), 0);
        assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), &front);
        assert_int_equal(MmGetMdlByteCount(&front), sizeof(pad));
        PMDL behind = c->freed == c->retreats ? &mdls[0] : c->freed == 0 && r2 ? r2 : r1;
        assert_ptr_equal(front.Next, behind);
        assert_int_equal(harness_chain_count(NET_BUFFER_FIRST_MDL(nb)), 2 + c->retreats - c->freed);
        assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), c->data_offset);
        assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 64 + retreated - c->advance);
        assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), behind);
        assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), c->current_offset);
        harness_assert_nb_consistent(nb);
        ULONG tail = 64 - (c->advance > retreated ? c->advance - retreated : 0);
        UCHAR got[64];
        assert_int_equal(harness_nb_read(nb, NET_BUFFER_DATA_LENGTH(nb) - tail, tail, got), tail);
        assert_memory_equal(got, buf + 64 - tail, tail);

        NdisFreeNetBufferList(nbl);
        assert_ptr_equal(front.Next, &mdls[0]); /* what was left of the retreat's went with the NBL */
        assert_int_equal(harness_diag_new(), 0);
        assert_int_equal(ndisbuf_outstanding_total(), outstanding - 1);
        assert_caller_chain_intact(mdls, (struct chain)CHAIN(one));
        harness_expect_no_report();
    }
    harness_free_nbl_pool(pool);
}

/*
 * A handler's retreat MDL at the very front, the driver's MDL behind it,
 * then the library's retreat MDL (the driver linked its MDL between the
 * two retreats): the handler gets its own MDL only, the driver's is
 * stepped over, the library's freed. Without a FreeMdlHandler the
 * handler's MDL is kept (with a diagnostic) and the walk stops there.
 */
static void advance_frees_a_handler_mdl_in_front_of_a_driver_mdl_and_the_library_mdl_behind(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS], front;
    UCHAR pad[8];
    PNET_BUFFER nb = nb_on_chain(pool, mdls, (struct chain)CHAIN(one), 0, 64);
    ULONG64 outstanding = ndisbuf_outstanding_total();
    harness_mdl_handlers_reset(0, 0);
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 10, 0, NULL), NDIS_STATUS_SUCCESS);
    PMDL library = NET_BUFFER_FIRST_MDL(nb);
    link_driver_mdl_in_front(nb, &front, pad, sizeof(pad));
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 14, 0, harness_allocate_mdl_handler), NDIS_STATUS_SUCCESS);
    PMDL handler = NET_BUFFER_FIRST_MDL(nb);
    assert_true(harness_mdl_from_handler(handler));
    assert_ptr_equal(handler->Next, &front);
    assert_ptr_equal(front.Next, library);
    harness_diag_clear();

    NdisAdvanceNetBufferDataStart(nb, 24, TRUE, NULL);
    assert_true(harness_diag_contains("FreeMdlHandler"));
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), handler);
    assert_ptr_equal(front.Next, library);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 6 + 8 + 10);
    harness_assert_nb_consistent(nb);

    NdisAdvanceNetBufferDataStart(nb, 0, TRUE, harness_free_mdl_handler);
    assert_int_equal(harness_mdl_handlers.frees, 1);
    assert_int_equal(harness_mdl_handlers.foreign_frees, 0);
    assert_int_equal(harness_mdl_handlers_live(), 0);
    assert_int_equal(harness_diag_new(), 0);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), &front);
    assert_ptr_equal(front.Next, &mdls[0]);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 8);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 64);
    assert_int_equal(ndisbuf_outstanding_total(), outstanding);
    harness_assert_nb_consistent(nb);
    harness_assert_nb_data(nb, buf, 64);
    NdisFreeNetBuffer(nb);
    harness_expect_no_report();
    harness_free_nb_pool(pool);
}

/* ------------------------------------------------------------ NBL versions */

#define NBL_NBS 4

/* One NBL whose own NB and three lone NBs sit on separate caller chains. */
struct nbl_fixture {
    NDIS_HANDLE nbl_pool, nb_pool;
    PNET_BUFFER_LIST nbl;
    PNET_BUFFER nb[NBL_NBS];
    MDL mdls[NBL_NBS][2];
    UCHAR data[NBL_NBS][128];
    struct harness_nb_snapshot before[NBL_NBS];
};

/* NB i: a 2-MDL chain of (offset[i], 100) bytes, data starting after the first MDL. */
static void nbl_fixture_init(struct nbl_fixture *f, const ULONG offset[NBL_NBS])
{
    f->nbl_pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    f->nb_pool = harness_nb_pool(0);
    for (size_t i = 0; i < NBL_NBS; i++) {
        const ULONG lengths[2] = {offset[i], 100};
        harness_fill(f->data[i], sizeof(f->data[i]), (unsigned)i + 10);
        harness_mdl_chain(f->mdls[i], 2, f->data[i], lengths);
    }
    f->nbl = NdisAllocateNetBufferAndNetBufferList(f->nbl_pool, 0, 0, f->mdls[0], offset[0], 100);
    assert_non_null(f->nbl);
    f->nb[0] = NET_BUFFER_LIST_FIRST_NB(f->nbl);
    for (size_t i = 1; i < NBL_NBS; i++) {
        f->nb[i] = NdisAllocateNetBuffer(f->nb_pool, f->mdls[i], offset[i], 100);
        assert_non_null(f->nb[i]);
        NET_BUFFER_NEXT_NB(f->nb[i - 1]) = f->nb[i];
    }
    for (size_t i = 0; i < NBL_NBS; i++)
        harness_nb_snapshot(f->nb[i], &f->before[i]);
}

static void nbl_fixture_assert_unchanged(struct nbl_fixture *f)
{
    for (size_t i = 0; i < NBL_NBS; i++) {
        print_message("NB %zu\n", i);
        harness_assert_nb_unchanged(f->nb[i], &f->before[i]);
        harness_assert_nb_data(f->nb[i], f->data[i] + f->before[i].nb.DataOffset, 100);
    }
}

static void nbl_fixture_fini(struct nbl_fixture *f)
{
    NET_BUFFER_NEXT_NB(f->nb[0]) = NULL;
    for (size_t i = 1; i < NBL_NBS; i++) {
        NET_BUFFER_NEXT_NB(f->nb[i]) = NULL;
        NdisFreeNetBuffer(f->nb[i]);
    }
    NdisFreeNetBufferList(f->nbl);
    harness_expect_no_report();
    harness_free_nbl_pool(f->nbl_pool);
    harness_free_nb_pool(f->nb_pool);
}

static void nbl_retreat_and_advance_apply_to_every_nb(void **state)
{
    (void)state;
    static const ULONG offset[NBL_NBS] = {20, 0, 3, 14};
    struct nbl_fixture f;
    nbl_fixture_init(&f, offset);
    harness_mdl_handlers_reset(0, 0);

    assert_int_equal(NdisRetreatNetBufferListDataStart(f.nbl, 14, 6, harness_allocate_mdl_handler,
                                                       harness_free_mdl_handler),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(harness_mdl_handlers.allocs, 2); /* NBs 1 and 2 had too little back-fill */
    for (size_t i = 0; i < NBL_NBS; i++) {
        PNET_BUFFER nb = f.nb[i];
        assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 114);
        harness_assert_nb_consistent(nb);
        if (offset[i] >= 14) {
            assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), f.mdls[i]);
            assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), offset[i] - 14);
            harness_assert_nb_data(nb, f.data[i] + offset[i] - 14, 114);
        } else {
            assert_true(harness_mdl_from_handler(NET_BUFFER_FIRST_MDL(nb)));
            assert_int_equal(MmGetMdlByteCount(NET_BUFFER_FIRST_MDL(nb)), 14 - offset[i] + 6);
            assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 6);
            UCHAR got[114];
            assert_int_equal(harness_nb_read(nb, 14 - offset[i], 100 + offset[i], got), 100 + offset[i]);
            assert_memory_equal(got, f.data[i], 100 + offset[i]);
        }
    }

    NdisAdvanceNetBufferListDataStart(f.nbl, 14, TRUE, harness_free_mdl_handler);
    assert_int_equal(harness_mdl_handlers.frees, 2);
    assert_int_equal(harness_mdl_handlers.foreign_frees, 0);
    nbl_fixture_assert_unchanged(&f);
    nbl_fixture_fini(&f);
}

static void nbl_retreat_that_fails_on_one_nb_puts_every_nb_back(void **state)
{
    (void)state;
    /* NBs 0, 2 and 3 need an MDL (handler calls 1, 2, 3); NB 1 has back-fill. */
    static const ULONG offset[NBL_NBS] = {0, 20, 5, 0};
    for (ULONG fail_at = 1; fail_at <= 3; fail_at++) {
        struct nbl_fixture f;
        nbl_fixture_init(&f, offset);
        harness_mdl_handlers_reset(fail_at, 0);
        print_message("handler fails on call %u\n", fail_at);

        assert_int_equal(NdisRetreatNetBufferListDataStart(f.nbl, 16, 8, harness_allocate_mdl_handler,
                                                           harness_free_mdl_handler),
                         NDIS_STATUS_RESOURCES);
        assert_int_equal(harness_mdl_handlers.calls, fail_at);
        /* What the earlier NBs got was given back through the free handler. */
        assert_int_equal(harness_mdl_handlers.frees, fail_at - 1);
        assert_int_equal(harness_mdl_handlers.foreign_frees, 0);
        assert_int_equal(harness_mdl_handlers_live(), 0);
        nbl_fixture_assert_unchanged(&f);
        nbl_fixture_fini(&f);
    }
}

static void nbl_retreat_without_handlers_allocates_and_advance_frees(void **state)
{
    (void)state;
    static const ULONG offset[NBL_NBS] = {0, 20, 5, 1};
    struct nbl_fixture f;
    nbl_fixture_init(&f, offset);
    ULONG64 outstanding = ndisbuf_outstanding_total();
    assert_int_equal(NdisRetreatNetBufferListDataStart(f.nbl, 16, 0, NULL, NULL), NDIS_STATUS_SUCCESS);
    for (size_t i = 0; i < NBL_NBS; i++) {
        harness_assert_nb_consistent(f.nb[i]);
        assert_int_equal(NET_BUFFER_DATA_LENGTH(f.nb[i]), 116);
        assert_int_equal(NET_BUFFER_DATA_OFFSET(f.nb[i]), offset[i] >= 16 ? offset[i] - 16 : 0);
    }
    NdisAdvanceNetBufferListDataStart(f.nbl, 16, TRUE, NULL);
    nbl_fixture_assert_unchanged(&f);
    assert_int_equal(ndisbuf_outstanding_total(), outstanding);
    nbl_fixture_fini(&f);
}

static void nbl_advance_beyond_one_nbs_data_changes_no_nb(void **state)
{
    (void)state;
    static const ULONG offset[NBL_NBS] = {0, 20, 5, 1};
    struct nbl_fixture f;
    nbl_fixture_init(&f, offset);
    NET_BUFFER_DATA_LENGTH(f.nb[2]) = 40; /* a shorter packet in the middle */
    harness_nb_snapshot(f.nb[2], &f.before[2]);
    harness_diag_clear();
    NdisAdvanceNetBufferListDataStart(f.nbl, 41, TRUE, NULL);
    assert_true(harness_diag_contains("DataLength"));
    for (size_t i = 0; i < NBL_NBS; i++)
        harness_assert_nb_unchanged(f.nb[i], &f.before[i]);
    NdisAdvanceNetBufferListDataStart(f.nbl, 40, TRUE, NULL);
    for (size_t i = 0; i < NBL_NBS; i++) {
        assert_int_equal(NET_BUFFER_DATA_OFFSET(f.nb[i]), offset[i] + 40);
        harness_assert_nb_consistent(f.nb[i]);
    }
    assert_int_equal(NET_BUFFER_DATA_LENGTH(f.nb[2]), 0);
    assert_int_equal(NdisRetreatNetBufferListDataStart(f.nbl, 40, 0, NULL, NULL), NDIS_STATUS_SUCCESS);
    NET_BUFFER_DATA_LENGTH(f.nb[2]) = 100;
    nbl_fixture_fini(&f);
}

static void nbl_retreat_rollback_covers_an_nbl_of_many_nbs(void **state)
{
    (void)state;
    enum { MANY = 40 };
    NDIS_HANDLE nbl_pool = harness_nbl_pool(FALSE, 0, 0, TAG);
    NDIS_HANDLE nb_pool = harness_nb_pool(0);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(nbl_pool, 0, 0);
    PNET_BUFFER nbs[MANY];
    struct harness_nb_snapshot before[MANY];
    for (size_t i = 0; i < MANY; i++) {
        nbs[i] = NdisAllocateNetBuffer(nb_pool, NULL, 0, 0);
        assert_non_null(nbs[i]);
        if (i)
            NET_BUFFER_NEXT_NB(nbs[i - 1]) = nbs[i];
    }
    NET_BUFFER_LIST_FIRST_NB(nbl) = nbs[0];
    for (size_t i = 0; i < MANY; i++)
        harness_nb_snapshot(nbs[i], &before[i]);

    harness_mdl_handlers_reset(MANY - 3, 0);
    assert_int_equal(NdisRetreatNetBufferListDataStart(nbl, 24, 8, harness_allocate_mdl_handler,
                                                       harness_free_mdl_handler),
                     NDIS_STATUS_RESOURCES);
    assert_int_equal(harness_mdl_handlers.frees, MANY - 4);
    assert_int_equal(harness_mdl_handlers_live(), 0);
    for (size_t i = 0; i < MANY; i++)
        harness_assert_nb_unchanged(nbs[i], &before[i]);

    harness_mdl_handlers_reset(0, 0);
    assert_int_equal(NdisRetreatNetBufferListDataStart(nbl, 24, 8, harness_allocate_mdl_handler,
                                                       harness_free_mdl_handler),
                     NDIS_STATUS_SUCCESS);
    assert_int_equal(harness_mdl_handlers.allocs, MANY);
    NdisAdvanceNetBufferListDataStart(nbl, 24, TRUE, harness_free_mdl_handler);
    assert_int_equal(harness_mdl_handlers.frees, MANY);
    for (size_t i = 0; i < MANY; i++)
        harness_assert_nb_unchanged(nbs[i], &before[i]);

    NET_BUFFER_LIST_FIRST_NB(nbl) = NULL;
    for (size_t i = 0; i < MANY; i++) {
        NET_BUFFER_NEXT_NB(nbs[i]) = NULL;
        NdisFreeNetBuffer(nbs[i]);
    }
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(nbl_pool);
    harness_free_nb_pool(nb_pool);
}

/*
 * Finding 1 of docs/fuzzing.md, the rollback side: an NBL retreat that fails
 * on a later NB gives back only the MDL it allocated for the earlier ones,
 * never the driver's MDL in front nor the older retreat MDL behind it.
 */
static void nbl_retreat_rollback_leaves_a_driver_mdl_and_older_retreat_mdls_alone(void **state)
{
    (void)state;
    static const ULONG offset[NBL_NBS] = {0, 20, 0, 1};
    struct nbl_fixture f;
    nbl_fixture_init(&f, offset);
    PNET_BUFFER nb = f.nb[0];
    MDL front;
    UCHAR pad[8];
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 10, 0, NULL), NDIS_STATUS_SUCCESS);
    PMDL older = NET_BUFFER_FIRST_MDL(nb);
    link_driver_mdl_in_front(nb, &front, pad, sizeof(pad));
    struct harness_nb_snapshot linked;
    harness_nb_snapshot(nb, &linked);
    ULONG64 outstanding = ndisbuf_outstanding_total();

    /* NB 0 (8 bytes of back-fill) gets a handler MDL, NB 2 does not: all undone. */
    harness_mdl_handlers_reset(2, 0);
    assert_int_equal(NdisRetreatNetBufferListDataStart(f.nbl, 12, 0, harness_allocate_mdl_handler,
                                                       harness_free_mdl_handler),
                     NDIS_STATUS_RESOURCES);
    assert_int_equal(harness_mdl_handlers.frees, 1);
    assert_int_equal(harness_mdl_handlers.foreign_frees, 0);
    harness_assert_nb_unchanged(nb, &linked);
    assert_ptr_equal(front.Next, older);
    assert_int_equal(ndisbuf_outstanding_total(), outstanding);

    /* The same without a FreeMdlHandler, the library allocating: its MDL freed, the rest kept. */
    const NDISBUF_FAULT_PLAN plan = {.Kinds = NDISBUF_FAULT_RETREAT, .FailNth = 2};
    assert_int_equal(ndisbuf_fault_set(&plan), NDIS_STATUS_SUCCESS);
    NDIS_STATUS status = NdisRetreatNetBufferListDataStart(f.nbl, 12, 0, NULL, NULL);
    ndisbuf_fault_set(NULL);
    assert_int_equal(status, NDIS_STATUS_RESOURCES);
    harness_assert_nb_unchanged(nb, &linked);
    assert_int_equal(ndisbuf_outstanding_total(), outstanding);

    /* The driver takes its MDL off again; an advance frees the older retreat MDL. */
    NET_BUFFER_FIRST_MDL(nb) = front.Next;
    NET_BUFFER_DATA_OFFSET(nb) -= sizeof(pad);
    NdisAdvanceNetBufferDataStart(nb, 10, TRUE, NULL);
    nbl_fixture_assert_unchanged(&f);
    nbl_fixture_fini(&f);
}

/* ------------------------------------------- NdisAdjustNetBufferCurrentMdl */

static void adjust_current_mdl_follows_a_manual_data_offset_change(void **state)
{
    (void)state;
    static const struct {
        ULONG offset;
        size_t mdl;
        ULONG mdl_offset;
    } cases[] = {{0, 0, 0}, {1, 1, 0}, {3, 1, 2}, {4, 2, 0}, {10, 2, 6}, {11, 4, 0}, {60, 4, 49}, {61, 4, 50}};
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdls[MAX_MDLS];
    PNET_BUFFER nb = nb_on_chain(pool, mdls, (struct chain)CHAIN(odd), 0, 61);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        NET_BUFFER_DATA_OFFSET(nb) = cases[i].offset;
        NET_BUFFER_DATA_LENGTH(nb) = 61 - cases[i].offset;
        NdisAdjustNetBufferCurrentMdl(nb);
        assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), &mdls[cases[i].mdl]);
        assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), cases[i].mdl_offset);
        assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), cases[i].offset);
        assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 61 - cases[i].offset);
        assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), &mdls[0]);
    }
    /* Every offset of a chain with padding and zero-length MDLs, both ways. */
    NdisFreeNetBuffer(nb);
    nb = nb_on_chain(pool, mdls, (struct chain)CHAIN(zero_front), 0, 30);
    for (ULONG off = 0; off <= 30; off++) {
        ULONG at = off % 2 ? 30 - off : off;
        NET_BUFFER_DATA_OFFSET(nb) = at;
        NET_BUFFER_DATA_LENGTH(nb) = 30 - at;
        NdisAdjustNetBufferCurrentMdl(nb);
        harness_assert_nb_consistent(nb);
        harness_assert_nb_data(nb, buf + at, 30 - at);
    }
    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
}

/* ---------------------------------------- NdisQueryNetBufferPhysicalCount */

struct phys_case {
    ULONG start[3];  /* where each MDL starts, bytes from the page-aligned base */
    ULONG length[3];
    size_t count;
    ULONG offset, data_length;
    ULONG expected;
};

static const struct phys_case phys_cases[] = {
    {{0}, {100}, 1, 0, 100, 1},
    {{4000}, {200}, 1, 0, 200, 2},
    {{0}, {4096}, 1, 0, 4096, 1},
    {{0}, {4097}, 1, 0, 4097, 2},
    {{4095}, {2}, 1, 0, 2, 2},
    {{4000}, {300}, 1, 200, 100, 1}, /* only the back-fill crosses the page */
    {{4000}, {300}, 1, 0, 96, 1},    /* used data ends exactly at the page end */
    {{4000}, {300}, 1, 0, 97, 2},
    {{0, 100}, {100, 100}, 2, 0, 200, 2}, /* one page, two MDLs: counted MDL by MDL */
    {{4000, 8192, 0}, {200, 0, 50}, 3, 0, 250, 3},
    {{0}, {3 * 4096}, 1, 1, 3 * 4096 - 1, 3},
    {{10}, {3 * 4096}, 1, 0, 3 * 4096, 4},
    {{0}, {100}, 1, 100, 0, 0},
    {{0, 4090}, {100, 100}, 2, 0, 106, 2}, /* the second MDL only partly used */
    {{0, 4090}, {100, 100}, 2, 0, 107, 3},
};

static void physical_count_counts_pages_of_the_used_data_mdl_by_mdl(void **state)
{
    (void)state;
    UCHAR *base = aligned_alloc(PAGE_SIZE, 4 * PAGE_SIZE);
    assert_non_null(base);
    NDIS_HANDLE pool = harness_nb_pool(0);
    for (size_t i = 0; i < sizeof(phys_cases) / sizeof(phys_cases[0]); i++) {
        const struct phys_case *c = &phys_cases[i];
        MDL mdls[3];
        for (size_t m = 0; m < c->count; m++) {
            MmInitializeMdl(&mdls[m], base + c->start[m], c->length[m]);
            MmBuildMdlForNonPagedPool(&mdls[m]);
            mdls[m].Next = m + 1 < c->count ? &mdls[m + 1] : NULL;
        }
        PNET_BUFFER nb = NdisAllocateNetBuffer(pool, mdls, c->offset, c->data_length);
        assert_non_null(nb);
        print_message("case %zu\n", i);
        assert_int_equal(NdisQueryNetBufferPhysicalCount(nb), c->expected);
        NdisFreeNetBuffer(nb);
    }
    harness_free_nb_pool(pool);
    free(base);
}

static void physical_count_follows_retreat_and_advance(void **state)
{
    (void)state;
    UCHAR *base = aligned_alloc(PAGE_SIZE, 2 * PAGE_SIZE);
    assert_non_null(base);
    NDIS_HANDLE pool = harness_nb_pool(0);
    MDL mdl;
    MmInitializeMdl(&mdl, base + 4000, 200);
    MmBuildMdlForNonPagedPool(&mdl);
    PNET_BUFFER nb = NdisAllocateNetBuffer(pool, &mdl, 100, 100); /* 4100..4200: one page */
    assert_int_equal(NdisQueryNetBufferPhysicalCount(nb), 1);
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 10, 0, NULL), NDIS_STATUS_SUCCESS); /* from 4090 */
    assert_int_equal(NdisQueryNetBufferPhysicalCount(nb), 2);
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 100, 0, NULL), NDIS_STATUS_SUCCESS); /* a new MDL */
    assert_int_equal(NdisQueryNetBufferPhysicalCount(nb), 2 + ADDRESS_AND_SIZE_TO_SPAN_PAGES(
        MmGetMdlVirtualAddress(NET_BUFFER_FIRST_MDL(nb)), 10));
    NdisAdvanceNetBufferDataStart(nb, 110, TRUE, NULL);
    assert_int_equal(NdisQueryNetBufferPhysicalCount(nb), 1);
    NdisFreeNetBuffer(nb);
    harness_free_nb_pool(pool);
    free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(retreat_within_backfill_moves_the_data_start_back_across_mdls),
        HARNESS_TEST(retreat_within_backfill_ignores_the_backfill_argument_and_handler),
        HARNESS_TEST(retreat_beyond_backfill_puts_a_new_mdl_in_front),
        HARNESS_TEST(retreat_beyond_backfill_asks_the_handler_for_missing_bytes_plus_backfill),
        HARNESS_TEST(retreat_uses_the_extra_bytes_a_handler_reports_as_backfill),
        HARNESS_TEST(retreat_uses_a_short_handler_mdl_that_holds_the_missing_bytes),
        HARNESS_TEST(retreat_refuses_a_handler_mdl_too_short_for_the_missing_bytes),
        HARNESS_TEST(retreat_fails_with_resources_and_changes_nothing_when_the_handler_gives_null),
        HARNESS_TEST(retreat_of_an_nb_without_mdls_gives_it_a_fresh_buffer),
        HARNESS_TEST(retreat_of_zero_bytes_changes_nothing),
        HARNESS_TEST(advance_moves_the_data_start_forward_across_mdls),
        HARNESS_TEST(advance_with_free_mdl_frees_only_the_mdls_a_retreat_allocated),
        HARNESS_TEST(advance_never_frees_caller_mdls_from_ndis_allocate_mdl),
        HARNESS_TEST(advance_with_free_mdl_frees_library_retreat_mdls),
        HARNESS_TEST(advance_without_free_mdl_keeps_retreat_mdls_for_a_later_retreat),
        HARNESS_TEST(advance_more_than_data_length_changes_nothing_and_says_why),
        HARNESS_TEST(retreat_with_bad_arguments_fails_and_changes_nothing),
        HARNESS_TEST(freeing_an_nb_releases_library_retreat_mdls_left_on_it),
        HARNESS_TEST(advance_keeps_handler_mdls_when_no_free_handler_is_given),
        HARNESS_TEST(freeing_an_nbl_releases_library_retreat_mdls_left_on_its_nb),
        HARNESS_TEST(advance_with_free_mdl_never_takes_a_driver_mdl_linked_in_front_of_a_retreat_mdl),
        HARNESS_TEST(advance_steps_over_a_driver_mdl_and_frees_the_retreat_mdls_behind_it),
        HARNESS_TEST(advance_frees_a_handler_mdl_in_front_of_a_driver_mdl_and_the_library_mdl_behind),
        HARNESS_TEST(nbl_retreat_and_advance_apply_to_every_nb),
        HARNESS_TEST(nbl_retreat_that_fails_on_one_nb_puts_every_nb_back),
        HARNESS_TEST(nbl_retreat_without_handlers_allocates_and_advance_frees),
        HARNESS_TEST(nbl_advance_beyond_one_nbs_data_changes_no_nb),
        HARNESS_TEST(nbl_retreat_rollback_covers_an_nbl_of_many_nbs),
        HARNESS_TEST(nbl_retreat_rollback_leaves_a_driver_mdl_and_older_retreat_mdls_alone),
        HARNESS_TEST(adjust_current_mdl_follows_a_manual_data_offset_change),
        HARNESS_TEST(physical_count_counts_pages_of_the_used_data_mdl_by_mdl),
        HARNESS_TEST(physical_count_follows_retreat_and_advance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
