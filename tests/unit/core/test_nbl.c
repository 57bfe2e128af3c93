/* SPDX-License-Identifier: MIT */
/*
 * NET_BUFFER_LIST allocation (ndis-semantics.md §2): NdisAllocateNetBufferList
 * on every kind of NBL pool, the DataSize decision (DataOffset 0, DataLength
 * DataSize, an MDL on writable data), zeroed fields on first use and on
 * reuse, the allocation-time context (inside the element when it fits, a
 * separate block when not, none at all), and the cheap path
 * NdisAllocateNetBufferAndNetBufferList with its MDL-chain rules, including
 * where CurrentMdl / CurrentMdlOffset land for offsets across MDL boundaries.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define TAG HARNESS_TAG('T', 'N', 'b', 'l')

/*
 * Every field but the ones the library sets at allocation is zero. The
 * NDIS-private room (the padding after NdisPoolHandle, and NdisReserved)
 * is the library's own header (src/core/element.h), so it is copied, not
 * compared.
 */
static void assert_nbl_fields_zeroed(PNET_BUFFER_LIST nbl, NDIS_HANDLE pool, UCHAR protocol_id)
{
    NET_BUFFER_LIST expected;
    memset(&expected, 0, sizeof(expected));
    size_t private_start = offsetof(NET_BUFFER_LIST, NdisPoolHandle) + sizeof(PVOID);
    size_t private_end = offsetof(NET_BUFFER_LIST, NdisReserved) + sizeof(nbl->NdisReserved);
    memcpy((char *)&expected + private_start, (char *)nbl + private_start, private_end - private_start);
    expected.FirstNetBuffer = nbl->FirstNetBuffer;
    expected.Context = nbl->Context;
    expected.NdisPoolHandle = pool;
    NdisSetNetBufferListProtocolId(&expected, protocol_id);
    assert_memory_equal(nbl, &expected, sizeof(expected));
    assert_ptr_equal(NdisGetPoolFromNetBufferList(nbl), pool);
    assert_int_equal(NdisGetNetBufferListProtocolId(nbl), protocol_id);
}

static void assert_nb_fields_zeroed(PNET_BUFFER nb, NDIS_HANDLE pool)
{
    NET_BUFFER expected;
    memset(&expected, 0, sizeof(expected));
    expected.NdisPoolHandle = pool;
    expected.MdlChain = nb->MdlChain;
    expected.CurrentMdl = nb->CurrentMdl;
    expected.DataLength = nb->DataLength;
    assert_memory_equal(nb, &expected, sizeof(expected));
}

static NDIS_HANDLE pool_with_protocol(BOOLEAN with_nb, USHORT context, ULONG data, UCHAR protocol_id)
{
    NET_BUFFER_LIST_POOL_PARAMETERS params;
    harness_nbl_pool_params(&params, with_nb, context, data, TAG);
    params.ProtocolId = protocol_id;
    NDIS_HANDLE pool = NdisAllocateNetBufferListPool(NULL, &params);
    assert_non_null(pool);
    return pool;
}

/* ------------------------------------------------- NdisAllocateNetBufferList */

static void nbl_from_pool_without_nb_is_zeroed_and_has_no_nb(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_with_protocol(FALSE, 0, 0, NDIS_PROTOCOL_ID_TCP_IP);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(nbl);
    assert_null(NET_BUFFER_LIST_FIRST_NB(nbl));
    assert_null(nbl->Context);
    assert_nbl_fields_zeroed(nbl, pool, NDIS_PROTOCOL_ID_TCP_IP);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void nbl_from_pool_with_nb_carries_one_zeroed_nb(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_with_protocol(TRUE, 0, 0, NDIS_PROTOCOL_ID_IPX);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(nbl);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    assert_non_null(nb);
    assert_null(NET_BUFFER_NEXT_NB(nb));
    assert_null(NET_BUFFER_FIRST_MDL(nb));
    assert_null(NET_BUFFER_CURRENT_MDL(nb));
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 0);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 0);
    assert_nb_fields_zeroed(nb, pool);
    assert_ptr_equal(NdisGetPoolFromNetBuffer(nb), pool);
    assert_nbl_fields_zeroed(nbl, pool, NDIS_PROTOCOL_ID_IPX);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void nbl_from_data_pool_describes_data_size_writable_bytes(void **state)
{
    (void)state;
    const ULONG sizes[] = {1, 60, 1514, 9018, 65536};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        ULONG size = sizes[i];
        NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, size, TAG);
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
        assert_non_null(nbl);
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
        assert_non_null(nb);
        assert_null(NET_BUFFER_NEXT_NB(nb));
        assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 0);
        assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), size);

        PMDL mdl = NET_BUFFER_FIRST_MDL(nb);
        assert_non_null(mdl);
        assert_null(mdl->Next);
        assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), mdl);
        assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 0);
        assert_int_equal(MmGetMdlByteCount(mdl), size);
        UCHAR *data = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
        assert_non_null(data);
        assert_ptr_equal(data, MmGetMdlVirtualAddress(mdl));
        assert_ptr_equal(mdl->MappedSystemVa, data);
        assert_true(mdl->MdlFlags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_MAPPED_TO_SYSTEM_VA));
        memset(data, 0x5A, size);
        assert_int_equal(data[size - 1], 0x5A);
        /* Not inside the NBL or its NB. */
        assert_true(data >= (UCHAR *)(nb + 1) || data + size <= (UCHAR *)nbl);

        NdisFreeNetBufferList(nbl);
        harness_free_nbl_pool(pool);
    }
}

static void data_pool_nbls_get_their_data_window_back_on_reuse(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 256, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(nbl);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    NET_BUFFER_DATA_OFFSET(nb) = 20; /* a driver moved the window */
    NET_BUFFER_DATA_LENGTH(nb) = 100;
    NET_BUFFER_CURRENT_MDL_OFFSET(nb) = 20;
    NdisFreeNetBufferList(nbl);

    nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(nbl);
    nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 0);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 256);
    assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 0);
    assert_int_equal(MmGetMdlByteCount(NET_BUFFER_FIRST_MDL(nb)), 256);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void protocol_id_of_each_nbl_is_the_pools(void **state)
{
    (void)state;
    for (UCHAR id = 0; id <= NDIS_PROTOCOL_ID_MAX; id++) {
        NDIS_HANDLE pool = pool_with_protocol(TRUE, 0, 0, id);
        PNET_BUFFER_LIST a = NdisAllocateNetBufferList(pool, 0, 0);
        PNET_BUFFER_LIST b = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, NULL, 0, 0);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(NdisGetNetBufferListProtocolId(a), id);
        assert_int_equal(NdisGetNetBufferListProtocolId(b), id);
        NdisFreeNetBufferList(a);
        NdisFreeNetBufferList(b);
        harness_free_nbl_pool(pool);
    }
}

static void freed_nbl_is_zeroed_again_when_reused(void **state)
{
    (void)state;
    harness_without_quarantine(); /* the freed element must come straight back */
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 32, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 16, 0);
    assert_non_null(nbl);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    PNET_BUFFER_LIST_CONTEXT context = nbl->Context;

    /*
     * Garbage in everything a driver may write (links and child count kept
     * sane for free). The padding after NdisPoolHandle and NdisReserved are
     * NDIS's, i.e. the library's header (src/core/element.h), not the
     * driver's: kept as they were.
     */
    size_t private_start = offsetof(NET_BUFFER_LIST, NdisPoolHandle) + sizeof(PVOID);
    size_t private_end = offsetof(NET_BUFFER_LIST, NdisReserved) + sizeof(nbl->NdisReserved);
    UCHAR private_room[64];
    memcpy(private_room, (char *)nbl + private_start, private_end - private_start);
    memset(nbl, 0xA5, sizeof(*nbl));
    memcpy((char *)nbl + private_start, private_room, private_end - private_start);
    nbl->ChildRefCount = 0;
    nbl->Next = NULL;
    nbl->FirstNetBuffer = nb;
    nbl->Context = context;
    nbl->NdisPoolHandle = pool;
    memset(nb, 0xC3, sizeof(*nb));
    memset(nb->NdisReserved, 0, sizeof(nb->NdisReserved));
    nb->Next = NULL;
    nb->NdisPoolHandle = pool;
    memset(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), 0x77, 16);
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();

    PNET_BUFFER_LIST again = NdisAllocateNetBufferList(pool, 16, 0);
    /* Elements are reused LIFO (design.md), so this is the same one. */
    assert_ptr_equal(again, nbl);
    assert_ptr_equal(NET_BUFFER_LIST_FIRST_NB(again), nb);
    assert_nbl_fields_zeroed(again, pool, 0);
    assert_nb_fields_zeroed(NET_BUFFER_LIST_FIRST_NB(again), pool);
    assert_null(NET_BUFFER_FIRST_MDL(NET_BUFFER_LIST_FIRST_NB(again)));
    assert_int_equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(again), 32);
    assert_int_equal(again->Context->Offset, 16);
    assert_null(again->Context->Next);
    NdisFreeNetBufferList(again);
    harness_free_nbl_pool(pool);
}

static void allocation_with_a_bad_pool_handle_gives_null_and_a_diagnostic(void **state)
{
    (void)state;
    assert_null(NdisAllocateNetBufferList(NULL, 0, 0));
    assert_true(harness_diag_contains("PoolHandle"));

    NDIS_HANDLE nb_pool = harness_nb_pool(0);
    assert_null(NdisAllocateNetBufferList(nb_pool, 0, 0));
    assert_true(harness_diag_contains("NET_BUFFER pool"));
    harness_free_nb_pool(nb_pool);
}

/* ------------------------------------------------------------------ context */

static void context_that_fits_comes_from_the_nbls_own_block(void **state)
{
    (void)state;
    const struct {
        USHORT size, backfill;
    } cases[] = {{16, 16}, {64, 0}, {32, 32}, {16, 0}, {48, 16}};
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 64, 0, TAG);
    ULONG element = harness_stats(pool).ElementSize;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        USHORT size = cases[i].size;
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, size, cases[i].backfill);
        assert_non_null(nbl);
        PNET_BUFFER_LIST_CONTEXT ctx = nbl->Context;
        assert_non_null(ctx);
        /* Inside the NBL's element, after the NBL itself. */
        assert_true((char *)ctx >= (char *)(nbl + 1));
        assert_true((char *)ctx < (char *)nbl + element);
        assert_null(ctx->Next);
        assert_int_equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 64);
        assert_int_equal(ctx->Offset, 64 - size);
        assert_ptr_equal(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), ctx->ContextData + 64 - size);
        assert_int_equal((ULONG_PTR)NET_BUFFER_LIST_CONTEXT_DATA_START(nbl) % MEMORY_ALLOCATION_ALIGNMENT, 0);
        memset(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), 0xEE, size);
        NdisFreeNetBufferList(nbl);
    }
    harness_free_nbl_pool(pool);
}

static void context_of_pointer_multiples_is_at_least_8_aligned(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(FALSE, 24, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 8, 8);
    assert_non_null(nbl);
    assert_int_equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 24);
    assert_int_equal(nbl->Context->Offset, 16);
    assert_int_equal((ULONG_PTR)NET_BUFFER_LIST_CONTEXT_DATA_START(nbl) % 8, 0);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void context_request_of_zero_in_a_context_pool_is_an_empty_block(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 32, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(nbl);
    assert_non_null(nbl->Context);
    assert_int_equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 32);
    assert_int_equal(nbl->Context->Offset, 32);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void context_larger_than_the_pools_is_allocated_not_refused(void **state)
{
    (void)state;
    const struct {
        USHORT pool_context, size, backfill;
    } cases[] = {{16, 32, 16}, {0, 8, 0}, {0, 64, 64}, {64, 64, 8}, {8, 4096, 0}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        NDIS_HANDLE pool = harness_nbl_pool(TRUE, cases[i].pool_context, 0, TAG);
        ULONG element = harness_stats(pool).ElementSize;
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, cases[i].size, cases[i].backfill);
        assert_non_null(nbl);
        PNET_BUFFER_LIST_CONTEXT ctx = nbl->Context;
        assert_non_null(ctx);
        assert_true((char *)ctx >= (char *)nbl + element || (char *)ctx + 16 <= (char *)nbl);
        assert_int_equal(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), cases[i].size + cases[i].backfill);
        assert_int_equal(ctx->Offset, cases[i].backfill);
        assert_null(ctx->Next);
        assert_int_equal((ULONG_PTR)NET_BUFFER_LIST_CONTEXT_DATA_START(nbl) % 8, 0);
        memset(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), 0x11, cases[i].size);
        NdisFreeNetBufferList(nbl); /* releases the block (LeakSanitizer checks) */
        harness_free_nbl_pool(pool);
    }
    harness_expect_no_report();
}

static void pool_without_context_and_request_zero_has_no_context(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(nbl);
    assert_null(nbl->Context);
    PNET_BUFFER_LIST cheap = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, NULL, 0, 0);
    assert_non_null(cheap);
    assert_null(cheap->Context);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferList(cheap);
    harness_free_nbl_pool(pool);
}

static void misaligned_context_request_gives_null_and_a_diagnostic(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 64, 0, TAG);
    assert_null(NdisAllocateNetBufferList(pool, 12, 0));
    assert_true(harness_diag_contains("ContextSize"));
    assert_null(NdisAllocateNetBufferList(pool, 8, 4));
    assert_true(harness_diag_contains("ContextBackFill"));
    assert_null(NdisAllocateNetBufferAndNetBufferList(pool, 1, 0, NULL, 0, 0));
    assert_true(harness_diag_contains("ContextSize"));
    /* Together over a context block's 16-bit size. */
    assert_null(NdisAllocateNetBufferList(pool, 0xFFF8, 0x10));
    assert_true(harness_diag_contains("ContextSize"));
    assert_int_equal(harness_stats(pool).Outstanding, 0);
    harness_free_nbl_pool(pool);
}

/* ----------------------------------------- NdisAllocateNetBufferAndNetBufferList */

static void cheap_path_gives_exactly_one_nb_on_a_single_mdl(void **state)
{
    (void)state;
    UCHAR frame[1514];
    MDL mdl;
    const ULONG length = sizeof(frame);
    harness_mdl_chain(&mdl, 1, frame, &length);
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 16, 0, TAG);

    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 16, 0, &mdl, 14, 1500);
    assert_non_null(nbl);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    assert_non_null(nb);
    assert_null(NET_BUFFER_NEXT_NB(nb));
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), &mdl);
    assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), &mdl);
    assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 14);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 14);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 1500);
    assert_ptr_equal(NdisGetPoolFromNetBuffer(nb), pool);
    assert_int_equal(nbl->Context->Offset, 0);
    assert_null(nbl->Next);

    NdisFreeNetBufferList(nbl);
    /* The chain is the caller's and untouched. */
    assert_ptr_equal(mdl.MappedSystemVa, frame);
    assert_int_equal(mdl.ByteCount, sizeof(frame));
    harness_free_nbl_pool(pool);
}

struct locate_case {
    const ULONG *lengths;
    size_t count;
    ULONG offset;
    ULONG length;
    size_t mdl;        /* expected CurrentMdl index */
    ULONG mdl_offset;  /* expected CurrentMdlOffset */
};

static const ULONG chain_a[] = {100, 0, 50, 0, 0, 200};
static const ULONG chain_b[] = {0, 64};
static const ULONG chain_c[] = {64, 0};
static const ULONG chain_d[] = {1, 1, 1, 1};
static const ULONG chain_e[] = {4096};

#define CHAIN(c) c, sizeof(c) / sizeof(c[0])
static const struct locate_case locate_cases[] = {
    /* inside the first MDL */
    {CHAIN(chain_a), 0, 350, 0, 0},
    {CHAIN(chain_a), 40, 10, 0, 40},
    {CHAIN(chain_a), 99, 1, 0, 99},
    /* at the boundary: the next MDL with bytes, zero-length ones stepped over */
    {CHAIN(chain_a), 100, 10, 2, 0},
    {CHAIN(chain_a), 150, 10, 5, 0},
    /* inside a later MDL */
    {CHAIN(chain_a), 120, 10, 2, 20},
    {CHAIN(chain_a), 349, 1, 5, 199},
    /* at the very end with nothing used: the last MDL, offset = its ByteCount */
    {CHAIN(chain_a), 350, 0, 5, 200},
    {CHAIN(chain_b), 0, 64, 1, 0},
    {CHAIN(chain_b), 63, 1, 1, 63},
    {CHAIN(chain_c), 64, 0, 1, 0},
    {CHAIN(chain_c), 10, 54, 0, 10},
    {CHAIN(chain_d), 0, 4, 0, 0},
    {CHAIN(chain_d), 1, 3, 1, 0},
    {CHAIN(chain_d), 3, 1, 3, 0},
    {CHAIN(chain_d), 4, 0, 3, 1},
    {CHAIN(chain_e), 4095, 1, 0, 4095},
};

static void cheap_path_locates_current_mdl_across_mdl_boundaries(void **state)
{
    (void)state;
    static UCHAR buf[8192];
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    for (size_t i = 0; i < sizeof(locate_cases) / sizeof(locate_cases[0]); i++) {
        const struct locate_case *c = &locate_cases[i];
        MDL mdls[8];
        harness_mdl_chain(mdls, c->count, buf, c->lengths);
        print_message("case %zu: offset %u length %u\n", i, c->offset, c->length);
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdls, c->offset, c->length);
        assert_non_null(nbl);
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
        assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), &mdls[0]);
        assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), c->offset);
        assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), c->length);
        assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), &mdls[c->mdl]);
        assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), c->mdl_offset);
        NdisFreeNetBufferList(nbl);
    }
    harness_free_nbl_pool(pool);
}

static void cheap_path_on_library_mdls_leaves_them_to_the_caller(void **state)
{
    (void)state;
    UCHAR a[100], b[200];
    PMDL first = NdisAllocateMdl(NULL, a, sizeof(a));
    PMDL second = NdisAllocateMdl(NULL, b, sizeof(b));
    assert_non_null(first);
    assert_non_null(second);
    NDIS_MDL_LINKAGE(first) = second;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);

    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, first, 150, 150);
    assert_non_null(nbl);
    assert_ptr_equal(NET_BUFFER_CURRENT_MDL(NET_BUFFER_LIST_FIRST_NB(nbl)), second);
    assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(NET_BUFFER_LIST_FIRST_NB(nbl)), 50);
    assert_int_equal(ndisbuf_outstanding_total(), 3);
    NdisFreeNetBufferList(nbl);
    assert_int_equal(ndisbuf_outstanding_total(), 2); /* both MDLs still the caller's */

    NDIS_MDL_LINKAGE(first) = NULL;
    NdisFreeMdl(first);
    NdisFreeMdl(second);
    harness_free_nbl_pool(pool);
}

static void null_chain_with_zero_window_is_accepted(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, NULL, 0, 0);
    assert_non_null(nbl);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    assert_non_null(nb);
    assert_null(NET_BUFFER_FIRST_MDL(nb));
    assert_null(NET_BUFFER_CURRENT_MDL(nb));
    assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 0);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 0);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 0);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void null_chain_with_a_window_gives_null_and_a_diagnostic(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    assert_null(NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, NULL, 0, 10));
    assert_true(harness_diag_contains("MdlChain"));
    assert_null(NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, NULL, 10, 0));
    assert_true(harness_diag_contains("MdlChain"));
    assert_int_equal(harness_stats(pool).Outstanding, 0);
    harness_free_nbl_pool(pool);
}

static void window_beyond_the_chain_gives_null_and_a_diagnostic(void **state)
{
    (void)state;
    UCHAR buf[300];
    MDL mdls[3];
    const ULONG lengths[3] = {100, 0, 200};
    harness_mdl_chain(mdls, 3, buf, lengths);
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);

    assert_null(NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdls, 0, 301));
    assert_true(harness_diag_contains("exceed"));
    assert_null(NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdls, 300, 1));
    assert_true(harness_diag_contains("DataOffset"));
    assert_null(NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdls, 301, 0));
    assert_true(harness_diag_contains("DataOffset"));
    /* A window beyond 4 GiB cannot be a NET_BUFFER's ULONG DataLength. */
    assert_null(NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdls, 0, (SIZE_T)1 << 32));
    assert_true(harness_diag_contains("DataLength"));
    /* The whole chain exactly is fine. */
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdls, 0, 300);
    assert_non_null(nbl);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(pool);
}

static void looped_chain_gives_null_and_a_diagnostic(void **state)
{
    (void)state;
    UCHAR buf[64];
    MDL mdls[4];
    const ULONG lengths[4] = {16, 16, 16, 16};
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    for (size_t back_to = 0; back_to < 4; back_to++) {
        harness_mdl_chain(mdls, 4, buf, lengths);
        mdls[3].Next = &mdls[back_to];
        assert_null(NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdls, 0, 10));
        assert_true(harness_diag_contains("loop"));
    }
    harness_mdl_chain(mdls, 1, buf, lengths);
    mdls[0].Next = &mdls[0];
    assert_null(NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdls, 0, 0));
    assert_true(harness_diag_contains("loop"));
    assert_int_equal(harness_stats(pool).Outstanding, 0);
    harness_free_nbl_pool(pool);
}

static void cheap_path_on_the_wrong_pool_gives_null_and_a_diagnostic(void **state)
{
    (void)state;
    NDIS_HANDLE no_nb = harness_nbl_pool(FALSE, 0, 0, TAG);
    NDIS_HANDLE with_data = harness_nbl_pool(TRUE, 0, 512, TAG);
    NDIS_HANDLE nb_pool = harness_nb_pool(0);

    assert_null(NdisAllocateNetBufferAndNetBufferList(no_nb, 0, 0, NULL, 0, 0));
    assert_true(harness_diag_contains("fAllocateNetBuffer"));
    assert_null(NdisAllocateNetBufferAndNetBufferList(with_data, 0, 0, NULL, 0, 0));
    assert_true(harness_diag_contains("DataSize"));
    assert_null(NdisAllocateNetBufferAndNetBufferList(nb_pool, 0, 0, NULL, 0, 0));
    assert_true(harness_diag_contains("NET_BUFFER pool"));
    assert_null(NdisAllocateNetBufferAndNetBufferList(NULL, 0, 0, NULL, 0, 0));
    assert_true(harness_diag_contains("PoolHandle"));

    assert_int_equal(ndisbuf_outstanding_total(), 0);
    harness_free_nbl_pool(no_nb);
    harness_free_nbl_pool(with_data);
    harness_free_nb_pool(nb_pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(nbl_from_pool_without_nb_is_zeroed_and_has_no_nb),
        HARNESS_TEST(nbl_from_pool_with_nb_carries_one_zeroed_nb),
        HARNESS_TEST(nbl_from_data_pool_describes_data_size_writable_bytes),
        HARNESS_TEST(data_pool_nbls_get_their_data_window_back_on_reuse),
        HARNESS_TEST(protocol_id_of_each_nbl_is_the_pools),
        HARNESS_TEST(freed_nbl_is_zeroed_again_when_reused),
        HARNESS_TEST(allocation_with_a_bad_pool_handle_gives_null_and_a_diagnostic),
        HARNESS_TEST(context_that_fits_comes_from_the_nbls_own_block),
        HARNESS_TEST(context_of_pointer_multiples_is_at_least_8_aligned),
        HARNESS_TEST(context_request_of_zero_in_a_context_pool_is_an_empty_block),
        HARNESS_TEST(context_larger_than_the_pools_is_allocated_not_refused),
        HARNESS_TEST(pool_without_context_and_request_zero_has_no_context),
        HARNESS_TEST(misaligned_context_request_gives_null_and_a_diagnostic),
        HARNESS_TEST(cheap_path_gives_exactly_one_nb_on_a_single_mdl),
        HARNESS_TEST(cheap_path_locates_current_mdl_across_mdl_boundaries),
        HARNESS_TEST(cheap_path_on_library_mdls_leaves_them_to_the_caller),
        HARNESS_TEST(null_chain_with_zero_window_is_accepted),
        HARNESS_TEST(null_chain_with_a_window_gives_null_and_a_diagnostic),
        HARNESS_TEST(window_beyond_the_chain_gives_null_and_a_diagnostic),
        HARNESS_TEST(looped_chain_gives_null_and_a_diagnostic),
        HARNESS_TEST(cheap_path_on_the_wrong_pool_gives_null_and_a_diagnostic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
