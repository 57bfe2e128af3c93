/* SPDX-License-Identifier: MIT */
/*
 * Lone NET_BUFFERs (ndis-semantics.md §2): NdisAllocateNetBuffer on a NULL
 * chain and on MDL chains (CurrentMdl located across boundaries),
 * NdisAllocateNetBufferMdlAndData (usable data, DataLength == DataSize),
 * each allocator refused on the other kind of NB pool, NdisFreeNetBuffer
 * never freeing the caller's chain, and the two-call way of building an NBL
 * (NBL from a pool without NB, NBs from an NB pool, unlinked and freed
 * before the NBL).
 */
#include <string.h>

#include "harness.h"

#define TAG HARNESS_TAG('T', 'N', 'B', '_')

static void net_buffer_on_a_null_chain_has_an_empty_window(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    PNET_BUFFER nb = NdisAllocateNetBuffer(pool, NULL, 0, 0);
    assert_non_null(nb);
    assert_null(NET_BUFFER_NEXT_NB(nb));
    assert_null(NET_BUFFER_FIRST_MDL(nb));
    assert_null(NET_BUFFER_CURRENT_MDL(nb));
    assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 0);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 0);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 0);
    assert_int_equal(NET_BUFFER_CHECKSUM_BIAS(nb), 0);
    assert_ptr_equal(NdisGetPoolFromNetBuffer(nb), pool);
    for (int i = 0; i < 6; i++)
        assert_null(NET_BUFFER_PROTOCOL_RESERVED(nb)[i]);
    for (int i = 0; i < 4; i++)
        assert_null(NET_BUFFER_MINIPORT_RESERVED(nb)[i]);
    assert_int_equal(harness_stats(pool).Outstanding, 1);
    NdisFreeNetBuffer(nb);
    assert_int_equal(harness_stats(pool).Outstanding, 0);
    harness_free_nb_pool(pool);
}

static void net_buffer_on_a_null_chain_with_a_window_gives_null_and_a_diagnostic(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nb_pool(0);
    assert_null(NdisAllocateNetBuffer(pool, NULL, 4, 0));
    assert_true(harness_diag_contains("MdlChain"));
    assert_null(NdisAllocateNetBuffer(pool, NULL, 0, 4));
    assert_true(harness_diag_contains("MdlChain"));
    harness_free_nb_pool(pool);
}

struct nb_case {
    ULONG offset, length;
    size_t mdl;
    ULONG mdl_offset;
};

static void net_buffer_on_a_chain_locates_current_mdl(void **state)
{
    (void)state;
    static UCHAR buf[1024];
    static const ULONG lengths[] = {14, 0, 20, 500, 0, 300};
    static const struct nb_case cases[] = {
        {0, 834, 0, 0},   {13, 1, 0, 13},    {14, 10, 2, 0},   {20, 10, 2, 6},  {34, 100, 3, 0},
        {533, 1, 3, 499}, {534, 300, 5, 0},  {833, 1, 5, 299}, {834, 0, 5, 300},
    };
    MDL mdls[6];
    harness_mdl_chain(mdls, 6, buf, lengths);
    NDIS_HANDLE pool = harness_nb_pool(0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        print_message("case %zu: offset %u\n", i, cases[i].offset);
        PNET_BUFFER nb = NdisAllocateNetBuffer(pool, mdls, cases[i].offset, cases[i].length);
        assert_non_null(nb);
        assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), &mdls[0]);
        assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), cases[i].offset);
        assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), cases[i].length);
        assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), &mdls[cases[i].mdl]);
        assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), cases[i].mdl_offset);
        NdisFreeNetBuffer(nb);
    }
    assert_null(NdisAllocateNetBuffer(pool, mdls, 834, 1));
    assert_true(harness_diag_contains("exceed"));
    harness_free_nb_pool(pool);
}

static void net_buffer_mdl_and_data_gives_usable_data(void **state)
{
    (void)state;
    const ULONG sizes[] = {1, 64, 1514, 4097};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        NDIS_HANDLE pool = harness_nb_pool(sizes[i]);
        PNET_BUFFER a = NdisAllocateNetBufferMdlAndData(pool);
        PNET_BUFFER b = NdisAllocateNetBufferMdlAndData(pool);
        assert_non_null(a);
        assert_non_null(b);
        PNET_BUFFER nbs[2] = {a, b};
        for (int k = 0; k < 2; k++) {
            PNET_BUFFER nb = nbs[k];
            assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), sizes[i]);
            assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 0);
            assert_null(NET_BUFFER_NEXT_NB(nb));
            PMDL mdl = NET_BUFFER_FIRST_MDL(nb);
            assert_non_null(mdl);
            assert_null(mdl->Next);
            assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), mdl);
            assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 0);
            assert_int_equal(MmGetMdlByteCount(mdl), sizes[i]);
            assert_ptr_equal(NdisGetPoolFromNetBuffer(nb), pool);
            UCHAR *data = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
            assert_non_null(data);
            memset(data, 0x30 + k, sizes[i]);
        }
        UCHAR *da = MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(a), NormalPagePriority);
        UCHAR *db = MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(b), NormalPagePriority);
        assert_int_equal(da[sizes[i] - 1], 0x30);
        assert_int_equal(db[0], 0x31);
        assert_true(da + sizes[i] <= db || db + sizes[i] <= da);
        NdisFreeNetBuffer(a);
        NdisFreeNetBuffer(b);
        assert_int_equal(ndisbuf_outstanding_total(), 0);
        harness_free_nb_pool(pool);
    }
}

static void each_nb_allocator_is_refused_on_the_other_kind_of_pool(void **state)
{
    (void)state;
    NDIS_HANDLE plain = harness_nb_pool(0);
    NDIS_HANDLE with_data = harness_nb_pool(256);

    assert_null(NdisAllocateNetBuffer(with_data, NULL, 0, 0));
    assert_true(harness_diag_contains("NdisAllocateNetBufferMdlAndData"));
    assert_null(NdisAllocateNetBufferMdlAndData(plain));
    assert_true(harness_diag_contains("DataSize"));
    assert_int_equal(ndisbuf_outstanding_total(), 0);

    harness_free_nb_pool(plain);
    harness_free_nb_pool(with_data);
}

static void nb_allocators_refuse_nbl_pools_and_null_handles(void **state)
{
    (void)state;
    NDIS_HANDLE nbl_pool = harness_nbl_pool(TRUE, 0, 0, TAG);
    assert_null(NdisAllocateNetBuffer(nbl_pool, NULL, 0, 0));
    assert_true(harness_diag_contains("NET_BUFFER_LIST pool"));
    assert_null(NdisAllocateNetBufferMdlAndData(nbl_pool));
    assert_true(harness_diag_contains("NET_BUFFER_LIST pool"));
    assert_null(NdisAllocateNetBuffer(NULL, NULL, 0, 0));
    assert_true(harness_diag_contains("PoolHandle"));
    assert_null(NdisAllocateNetBufferMdlAndData(NULL));
    assert_true(harness_diag_contains("PoolHandle"));
    harness_free_nbl_pool(nbl_pool);
}

static void free_net_buffer_leaves_the_callers_chain(void **state)
{
    (void)state;
    UCHAR buf[128];
    PMDL mdl = NdisAllocateMdl(NULL, buf, sizeof(buf));
    assert_non_null(mdl);
    NDIS_HANDLE pool = harness_nb_pool(0);
    PNET_BUFFER nb = NdisAllocateNetBuffer(pool, mdl, 0, sizeof(buf));
    assert_non_null(nb);
    NdisFreeNetBuffer(nb);
    assert_int_equal(ndisbuf_outstanding_total(), 1); /* the MDL */
    assert_int_equal(MmGetMdlByteCount(mdl), sizeof(buf));
    NdisFreeMdl(mdl);
    harness_expect_no_report();
    harness_free_nb_pool(pool);
}

static void two_call_nbl_with_separate_nbs_is_freed_nbs_first(void **state)
{
    (void)state;
    UCHAR frames[3][100];
    MDL mdls[3];
    NDIS_HANDLE nbl_pool = harness_nbl_pool(FALSE, 0, 0, TAG);
    NDIS_HANDLE nb_pool = harness_nb_pool(0);

    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(nbl_pool, 0, 0);
    assert_non_null(nbl);
    assert_null(NET_BUFFER_LIST_FIRST_NB(nbl));
    PNET_BUFFER *link = &NET_BUFFER_LIST_FIRST_NB(nbl);
    for (int i = 0; i < 3; i++) {
        const ULONG length = sizeof(frames[i]);
        harness_mdl_chain(&mdls[i], 1, frames[i], &length);
        PNET_BUFFER nb = NdisAllocateNetBuffer(nb_pool, &mdls[i], 0, length);
        assert_non_null(nb);
        *link = nb;
        link = &NET_BUFFER_NEXT_NB(nb);
    }
    assert_int_equal(ndisbuf_outstanding_total(), 4);

    /* The right order: unlink and free every NB, then the NBL. */
    while (NET_BUFFER_LIST_FIRST_NB(nbl)) {
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
        NET_BUFFER_LIST_FIRST_NB(nbl) = NET_BUFFER_NEXT_NB(nb);
        NET_BUFFER_NEXT_NB(nb) = NULL;
        NdisFreeNetBuffer(nb);
    }
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();
    harness_free_nbl_pool(nbl_pool);
    harness_free_nb_pool(nb_pool);
}

static void nb_from_mdl_and_data_pool_moves_onto_an_nbl_and_back(void **state)
{
    (void)state;
    NDIS_HANDLE nbl_pool = harness_nbl_pool(FALSE, 16, 0, TAG);
    NDIS_HANDLE nb_pool = harness_nb_pool(1514);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(nbl_pool, 16, 0);
    PNET_BUFFER nb = NdisAllocateNetBufferMdlAndData(nb_pool);
    assert_non_null(nbl);
    assert_non_null(nb);
    NET_BUFFER_LIST_FIRST_NB(nbl) = nb;

    NET_BUFFER_LIST_FIRST_NB(nbl) = NULL;
    NdisFreeNetBuffer(nb);
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();
    harness_free_nbl_pool(nbl_pool);
    harness_free_nb_pool(nb_pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(net_buffer_on_a_null_chain_has_an_empty_window),
        HARNESS_TEST(net_buffer_on_a_null_chain_with_a_window_gives_null_and_a_diagnostic),
        HARNESS_TEST(net_buffer_on_a_chain_locates_current_mdl),
        HARNESS_TEST(net_buffer_mdl_and_data_gives_usable_data),
        HARNESS_TEST(each_nb_allocator_is_refused_on_the_other_kind_of_pool),
        HARNESS_TEST(nb_allocators_refuse_nbl_pools_and_null_handles),
        HARNESS_TEST(free_net_buffer_leaves_the_callers_chain),
        HARNESS_TEST(two_call_nbl_with_separate_nbs_is_freed_nbs_first),
        HARNESS_TEST(nb_from_mdl_and_data_pool_moves_onto_an_nbl_and_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
