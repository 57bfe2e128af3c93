/* SPDX-License-Identifier: MIT */
/*
 * The allocation fast paths and the bulk calls (docs/performance.md).
 *
 * The fast paths serve the common case only and hand everything else to
 * the careful path, so these tests check the seams: what a fast free must
 * refuse (and the careful path then report), that an NBL allocated on one
 * path frees on the other, that the data MDL a driver changed comes back
 * built, and the contract of ndisbuf_nbl_alloc_bulk / free_bulk /
 * free_chain: all or nothing, linked in array order, per-NBL checks.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define TAG HARNESS_TAG('T', 'f', 's', 't')

static NDIS_HANDLE pool_new(BOOLEAN with_nb, USHORT context, ULONG data)
{
    NET_BUFFER_LIST_POOL_PARAMETERS params;
    harness_nbl_pool_params(&params, with_nb, context, data, TAG);
    NDIS_HANDLE pool = NdisAllocateNetBufferListPool(NULL, &params);
    assert_non_null(pool);
    return pool;
}

/* ----------------------------------------------------------- the seams */

static void nbl_allocated_with_verifier_off_frees_with_it_on_and_back(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 16, 256);
    PNET_BUFFER_LIST fast = NdisAllocateNetBufferList(pool, 16, 0);
    assert_int_equal(ndisbuf_verifier_set(2), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST careful = NdisAllocateNetBufferList(pool, 16, 0);
    assert_non_null(fast);
    assert_non_null(careful);
    NdisFreeNetBufferList(fast);
    assert_int_equal(ndisbuf_verifier_set(0), NDIS_STATUS_SUCCESS);
    NdisFreeNetBufferList(careful);
    harness_expect_no_report();
    NdisFreeNetBufferListPool(pool);
}

static void fast_free_refuses_a_double_free_and_the_careful_path_reports_it(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 0, 0);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferList(nbl);
    harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
    NdisFreeNetBufferListPool(pool);
}

static void fast_free_refuses_an_nbl_with_its_nb_unlinked_and_frees_it_carefully(void **state)
{
    (void)state;
    harness_without_quarantine(); /* the freed element must come straight back */
    NDIS_HANDLE pool = pool_new(TRUE, 0, 0);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    PNET_BUFFER own = NET_BUFFER_LIST_FIRST_NB(nbl);
    NET_BUFFER_LIST_FIRST_NB(nbl) = NULL; /* legal: the NB goes with the NBL anyway */
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();
    /* Reused element: the NB is back in place. */
    nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_ptr_equal(NET_BUFFER_LIST_FIRST_NB(nbl), own);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
}

static void fast_free_refuses_a_foreign_nb_and_the_careful_path_reports_it(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 0, 0);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    PNET_BUFFER_LIST other = NdisAllocateNetBufferList(pool, 0, 0);
    PNET_BUFFER own = NET_BUFFER_LIST_FIRST_NB(nbl);
    NET_BUFFER_NEXT_NB(own) = NET_BUFFER_LIST_FIRST_NB(other);
    NdisFreeNetBufferList(nbl);
    harness_expect_report(NDISBUF_REPORT_NBL_HAS_FOREIGN_NB);
    NET_BUFFER_NEXT_NB(own) = NULL;
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferList(other);
    harness_expect_no_report();
    NdisFreeNetBufferListPool(pool);
}

static void fast_free_refuses_an_nbl_whose_pool_handle_was_overwritten(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 0, 0);
    NDIS_HANDLE other = pool_new(TRUE, 0, 0);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    nbl->NdisPoolHandle = other;
    NdisFreeNetBufferList(nbl);
    harness_expect_report(NDISBUF_REPORT_WRONG_POOL);
    nbl->NdisPoolHandle = pool;
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(other);
    NdisFreeNetBufferListPool(pool);
}

static void fast_free_refuses_an_interior_pointer(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 0, 64);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    NdisFreeNetBufferList((PNET_BUFFER_LIST)((char *)nbl + 16));
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);
    NdisFreeNetBufferList((PNET_BUFFER_LIST)NET_BUFFER_LIST_FIRST_NB(nbl));
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
}

/* Regression: the data MDL is no longer rebuilt per allocation, so a changed one must come back built. */
static void data_mdl_a_driver_changed_is_rebuilt_before_reuse(void **state)
{
    (void)state;
    harness_without_quarantine(); /* the freed element must come straight back */
    NDIS_HANDLE pool = pool_new(TRUE, 0, 512);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    PMDL mdl = NET_BUFFER_FIRST_MDL(nb);
    MDL pristine = *mdl;
    MDL spare;
    NdisAdjustMdlLength(mdl, 100);
    mdl->Next = &spare;
    mdl->MdlFlags |= 0x0100;
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();
    nbl = NdisAllocateNetBufferList(pool, 0, 0);
    nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), mdl);
    assert_memory_equal(mdl, &pristine, offsetof(MDL, Size) + sizeof(CSHORT) * 2);
    assert_ptr_equal(mdl->MappedSystemVa, pristine.MappedSystemVa);
    assert_int_equal(mdl->ByteCount, 512);
    assert_null(mdl->Next);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 512);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
}

/* Frees the NBLs one of three ways: 0 singly, 1 with free_bulk, 2 with free_chain (they are linked). */
static void free_nbls_one_way(PNET_BUFFER_LIST *nbls, ULONG count, int way)
{
    if (way == 0) {
        for (ULONG i = 0; i < count; i++)
            NdisFreeNetBufferList(nbls[i]);
    } else if (way == 1) {
        assert_int_equal(ndisbuf_nbl_free_bulk(nbls, count), count);
    } else {
        assert_int_equal(ndisbuf_nbl_free_chain(nbls[0]), count);
    }
}

/* The same, for the bulk and chain frees, which restore a dirty NBL in their own loop. */
static void data_mdl_and_tails_a_driver_changed_are_restored_by_every_free(void **state)
{
    (void)state;
    harness_without_quarantine(); /* the freed elements must come straight back */
    NDIS_HANDLE pool = pool_new(TRUE, 0, 512);
    for (int way = 0; way < 3; way++) {
        PNET_BUFFER_LIST nbls[8];
        MDL pristine[8], spare;
        assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, nbls, 8), NDIS_STATUS_SUCCESS);
        for (ULONG i = 0; i < 8; i++) {
            PMDL mdl = NET_BUFFER_FIRST_MDL(NET_BUFFER_LIST_FIRST_NB(nbls[i]));
            pristine[i] = *mdl;
            if (i % 2) { /* every other one: its MDL changed; the others: their tails */
                NdisAdjustMdlLength(mdl, 100);
                mdl->Next = &spare;
            } else {
                nbls[i]->MiniportReserved[1] = nbls[i];
                NET_BUFFER_LIST_FIRST_NB(nbls[i])->ProtocolReserved[3] = nbls[i];
            }
        }
        free_nbls_one_way(nbls, 8, way);
        harness_expect_no_report();
        PNET_BUFFER_LIST again[8];
        assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, again, 8), NDIS_STATUS_SUCCESS);
        for (ULONG i = 0; i < 8; i++) {
            ULONG k = 0;
            while (k < 8 && nbls[k] != again[i])
                k++;
            assert_true(k < 8); /* the same elements come back (LIFO) */
            PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(again[i]);
            PMDL mdl = NET_BUFFER_FIRST_MDL(nb);
            assert_int_equal(mdl->ByteCount, pristine[k].ByteCount);
            assert_null(mdl->Next);
            assert_ptr_equal(mdl->MappedSystemVa, pristine[k].MappedSystemVa);
            assert_null(again[i]->MiniportReserved[1]);
            assert_null(nb->ProtocolReserved[3]);
            assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 512);
        }
        assert_int_equal(ndisbuf_nbl_free_bulk(again, 8), 8);
    }
    harness_expect_no_report();
    NdisFreeNetBufferListPool(pool);
}

/* A pool without NBs: its NBLs' tails are checked and restored alone (no NB to read). */
static void nbls_of_a_pool_without_nbs_come_back_clean_from_every_free(void **state)
{
    (void)state;
    harness_without_quarantine();
    NDIS_HANDLE pool = pool_new(FALSE, 0, 0);
    for (int way = 0; way < 3; way++) {
        PNET_BUFFER_LIST nbls[4];
        assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, nbls, 4), NDIS_STATUS_SUCCESS);
        for (ULONG i = 0; i < 4; i++) {
            assert_null(NET_BUFFER_LIST_FIRST_NB(nbls[i]));
            if (i % 2)
                NET_BUFFER_LIST_INFO(nbls[i], TcpIpChecksumNetBufferListInfo) = (PVOID)(ULONG_PTR)7;
        }
        free_nbls_one_way(nbls, 4, way);
        harness_expect_no_report();
        assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, nbls, 4), NDIS_STATUS_SUCCESS);
        for (ULONG i = 0; i < 4; i++)
            assert_null(NET_BUFFER_LIST_INFO(nbls[i], TcpIpChecksumNetBufferListInfo));
        assert_int_equal(ndisbuf_nbl_free_bulk(nbls, 4), 4);
    }
    harness_expect_no_report();
    NdisFreeNetBufferListPool(pool);
}

static void nbl_and_nb_on_a_two_mdl_chain_takes_the_careful_path_and_locates_current_mdl(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 0, 0);
    UCHAR a[100], b[100];
    PMDL second = NdisAllocateMdl(NULL, b, sizeof b);
    PMDL first = NdisAllocateMdl(NULL, a, sizeof a);
    first->Next = second;
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, first, 120, 50);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    assert_ptr_equal(NET_BUFFER_CURRENT_MDL(nb), second);
    assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 20);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 120);
    NdisFreeNetBufferList(nbl);
    first->Next = NULL;
    NdisFreeMdl(first);
    NdisFreeMdl(second);
    NdisFreeNetBufferListPool(pool);
}

/* Regression: a pool used to stop at 65536 elements ("could not grow"), far short of a million packets held. */
static void one_pool_holds_far_more_than_65536_nbls(void **state)
{
    (void)state;
    enum { HELD = 200000 };
    NDIS_HANDLE pool = pool_new(TRUE, 0, 0);
    PNET_BUFFER_LIST *held = malloc(HELD * sizeof(*held));
    assert_non_null(held);
    for (ULONG i = 0; i < HELD; i++) {
        held[i] = NdisAllocateNetBufferList(pool, 0, 0);
        assert_non_null(held[i]);
    }
    NDISBUF_POOL_STATS stats;
    assert_int_equal(ndisbuf_pool_get_stats(pool, &stats), NDIS_STATUS_SUCCESS);
    assert_int_equal(stats.Outstanding, HELD);
    for (ULONG i = 0; i < HELD; i++)
        NdisFreeNetBufferList(held[i]);
    free(held);
    NdisFreeNetBufferListPool(pool);
}

/* ---------------------------------------------------- data back-fill */

static void pool_data_backfill_gives_fresh_nbls_header_room_a_retreat_uses_in_place(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 0, 2048);
    assert_int_equal(ndisbuf_nbl_pool_set_data_backfill(pool, 128), NDIS_STATUS_SUCCESS);
    for (int round = 0; round < 2; round++) { /* a fresh element, then a reused one */
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
        PMDL mdl = NET_BUFFER_FIRST_MDL(nb);
        assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 128);
        assert_int_equal(NET_BUFFER_CURRENT_MDL_OFFSET(nb), 128);
        assert_int_equal(NET_BUFFER_DATA_LENGTH(nb), 2048 - 128);
        assert_int_equal(NdisRetreatNetBufferDataStart(nb, 14, 0, NULL), NDIS_STATUS_SUCCESS);
        assert_ptr_equal(NET_BUFFER_FIRST_MDL(nb), mdl); /* no MDL added */
        assert_int_equal(NET_BUFFER_DATA_OFFSET(nb), 114);
        PUCHAR header = NdisGetDataBuffer(nb, 14, NULL, 1, 0);
        assert_ptr_equal(header, (PUCHAR)MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority) + 114);
        NdisFreeNetBufferList(nbl);
    }
    assert_int_equal(ndisbuf_nbl_pool_set_data_backfill(pool, 0), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(NET_BUFFER_LIST_FIRST_NB(nbl)), 0);
    assert_int_equal(NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(nbl)), 2048);
    NdisFreeNetBufferList(nbl);
    harness_expect_no_report();
    NdisFreeNetBufferListPool(pool);
}

static void pool_data_backfill_refuses_pools_without_data_and_too_much(void **state)
{
    (void)state;
    NDIS_HANDLE no_data = pool_new(TRUE, 0, 0);
    NDIS_HANDLE data = pool_new(TRUE, 0, 256);
    assert_int_equal(ndisbuf_nbl_pool_set_data_backfill(no_data, 64), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("DataSize"));
    assert_int_equal(ndisbuf_nbl_pool_set_data_backfill(data, 257), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("DataBackFill 257"));
    assert_int_equal(ndisbuf_nbl_pool_set_data_backfill(NULL, 64), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("PoolHandle"));
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(data, 0, 0);
    assert_int_equal(NET_BUFFER_DATA_OFFSET(NET_BUFFER_LIST_FIRST_NB(nbl)), 0); /* unchanged */
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(data);
    NdisFreeNetBufferListPool(no_data);
}

/* ------------------------------------------------------------ layout */

static void nbl_and_nb_element_takes_the_544_bytes_windows_does(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 0, 0);
    PNET_BUFFER_LIST nbls[3];
    for (ULONG i = 0; i < 3; i++)
        nbls[i] = NdisAllocateNetBufferList(pool, 0, 0);
    NDISBUF_POOL_STATS stats;
    assert_int_equal(ndisbuf_pool_get_stats(pool, &stats), NDIS_STATUS_SUCCESS);
    assert_int_equal(stats.ElementSize, sizeof(NET_BUFFER_LIST) + sizeof(NET_BUFFER));
    assert_int_equal(stats.ElementSize, 544);
    /* The library's header is in the NBL's NDIS-private room: nothing a driver may use moves. */
    for (ULONG i = 0; i < 3; i++) {
        PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbls[i]);
        assert_ptr_equal((char *)nb, (char *)nbls[i] + sizeof(NET_BUFFER_LIST));
        assert_int_equal((ULONG_PTR)nbls[i] % MEMORY_ALLOCATION_ALIGNMENT, 0);
        memset(nbls[i]->ProtocolReserved, 0x5A, sizeof(nbls[i]->ProtocolReserved));
        memset(nbls[i]->MiniportReserved, 0x5A, sizeof(nbls[i]->MiniportReserved));
        nbls[i]->Scratch = nbls[i];
        nbls[i]->Status = NDIS_STATUS_FAILURE;
    }
    for (ULONG i = 0; i < 3; i++)
        NdisFreeNetBufferList(nbls[i]);
    harness_expect_no_report();
    NdisFreeNetBufferListPool(pool);
}

static void a_derived_nbl_of_more_than_65535_nbs_is_refused_and_nothing_leaks(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 0, 70000);
    PNET_BUFFER_LIST original = NdisAllocateNetBufferList(pool, 0, 0);
    assert_non_null(original);
    PNET_BUFFER_LIST fragments = NdisAllocateFragmentNetBufferList(original, NULL, NULL, 0, 1, 0, 0, 0);
    assert_null(fragments);
    assert_true(harness_diag_contains("at most 65535"));
    /* One fewer byte than the limit is fine. */
    fragments = NdisAllocateFragmentNetBufferList(original, NULL, NULL, 70000 - 65535, 1, 0, 0, 0);
    assert_non_null(fragments);
    ULONG n = 0;
    for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(fragments); nb; nb = NET_BUFFER_NEXT_NB(nb))
        n++;
    assert_int_equal(n, 65535);
    NdisFreeFragmentNetBufferList(fragments, 0, 0);
    NdisFreeNetBufferList(original);
    harness_expect_no_report();
    NdisFreeNetBufferListPool(pool);
}

static void a_freed_nbl_with_only_its_source_handle_set_comes_back_without_it(void **state)
{
    (void)state;
    harness_without_quarantine(); /* the freed element must come straight back */
    /* The free passes over SourceHandle in its clean check and clears it itself: single, bulk and chain frees. */
    NDIS_HANDLE pool = pool_new(TRUE, 0, 128);
    for (int way = 0; way < 3; way++) {
        PNET_BUFFER_LIST nbls[4];
        assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, nbls, 4), NDIS_STATUS_SUCCESS);
        for (ULONG i = 0; i < 4; i++)
            nbls[i]->SourceHandle = (NDIS_HANDLE)(ULONG_PTR)(0x1000 + i);
        if (way == 0)
            for (ULONG i = 0; i < 4; i++)
                NdisFreeNetBufferList(nbls[i]);
        else if (way == 1)
            assert_int_equal(ndisbuf_nbl_free_bulk(nbls, 4), 4);
        else
            assert_int_equal(ndisbuf_nbl_free_chain(nbls[0]), 4);
        PNET_BUFFER_LIST again[4];
        assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, again, 4), NDIS_STATUS_SUCCESS);
        for (ULONG i = 0; i < 4; i++) {
            bool reused = false;
            for (ULONG j = 0; j < 4; j++)
                reused |= again[i] == nbls[j];
            assert_true(reused); /* the same elements come back (LIFO) */
            assert_null(again[i]->SourceHandle);
        }
        assert_int_equal(ndisbuf_nbl_free_bulk(again, 4), 4);
    }
    harness_expect_no_report();
    NdisFreeNetBufferListPool(pool);
}

/* --------------------------------------------------------------- bulk */

static void alloc_bulk_links_the_nbls_in_array_order_each_fresh(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 32, 128);
    PNET_BUFFER_LIST nbls[300];
    assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 16, 8, nbls, 300), NDIS_STATUS_SUCCESS);
    for (ULONG i = 0; i < 300; i++) {
        assert_ptr_equal(NET_BUFFER_LIST_NEXT_NBL(nbls[i]), i + 1 < 300 ? nbls[i + 1] : NULL);
        assert_ptr_equal(NdisGetPoolFromNetBufferList(nbls[i]), pool);
        assert_int_equal(NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(nbls[i])), 128);
        assert_non_null(NET_BUFFER_LIST_CONTEXT_DATA_START(nbls[i]));
        assert_int_equal(nbls[i]->Context->Size - nbls[i]->Context->Offset, 16); /* the used part */
        for (ULONG j = 0; j < i; j++)
            assert_ptr_not_equal(nbls[i], nbls[j]);
    }
    /* Dirty them, free them, take them again: fresh again. */
    for (ULONG i = 0; i < 300; i++) {
        NET_BUFFER_LIST_INFO(nbls[i], Ieee8021QNetBufferListInfo) = (PVOID)(ULONG_PTR)0x5A5A;
        nbls[i]->ProtocolReserved[0] = nbls[i];
    }
    assert_int_equal(ndisbuf_nbl_free_bulk(nbls, 300), 300);
    assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, nbls, 32), NDIS_STATUS_SUCCESS);
    for (ULONG i = 0; i < 32; i++) {
        assert_null(NET_BUFFER_LIST_INFO(nbls[i], Ieee8021QNetBufferListInfo));
        assert_null(nbls[i]->ProtocolReserved[0]);
    }
    assert_int_equal(ndisbuf_nbl_free_chain(nbls[0]), 32);
    harness_expect_no_report();
    NdisFreeNetBufferListPool(pool);
}

static void alloc_bulk_is_all_or_nothing_when_an_allocation_fails(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 0, 0);
    PNET_BUFFER_LIST nbls[8] = {0};
    NDISBUF_FAULT_PLAN plan = {.Kinds = NDISBUF_FAULT_NBL, .FailNth = 5};
    assert_int_equal(ndisbuf_fault_set(&plan), NDIS_STATUS_SUCCESS);
    assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, nbls, 8), NDIS_STATUS_RESOURCES);
    assert_int_equal(ndisbuf_fault_set(NULL), NDIS_STATUS_SUCCESS);
    harness_diag_clear();
    for (ULONG i = 0; i < 8; i++)
        assert_null(nbls[i]);
    NDISBUF_POOL_STATS stats;
    assert_int_equal(ndisbuf_pool_get_stats(pool, &stats), NDIS_STATUS_SUCCESS);
    assert_int_equal(stats.Outstanding, 0);
    NdisFreeNetBufferListPool(pool);
}

static void alloc_bulk_refuses_bad_arguments_and_touches_nothing(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 0, 0);
    PNET_BUFFER_LIST nbls[2] = {(PNET_BUFFER_LIST)1, (PNET_BUFFER_LIST)2};
    assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, nbls, 0), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("Count"));
    assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, nbls, NDISBUF_BULK_MAX + 1), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("Count"));
    assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, NULL, 2), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("NetBufferLists"));
    assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 3, 0, nbls, 2), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("ContextSize"));
    assert_int_equal(ndisbuf_nbl_alloc_bulk(NULL, 0, 0, nbls, 2), NDIS_STATUS_INVALID_PARAMETER);
    assert_true(harness_diag_contains("PoolHandle"));
    assert_ptr_equal(nbls[0], (PNET_BUFFER_LIST)1);
    assert_ptr_equal(nbls[1], (PNET_BUFFER_LIST)2);
    NdisFreeNetBufferListPool(pool);
}

static void free_bulk_reports_a_bad_entry_and_frees_the_others(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 0, 0);
    PNET_BUFFER_LIST nbls[4];
    assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, nbls, 4), NDIS_STATUS_SUCCESS);
    NdisFreeNetBufferList(nbls[1]);
    assert_int_equal(ndisbuf_nbl_free_bulk(nbls, 4), 3);
    harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
    NdisFreeNetBufferListPool(pool);
}

static void free_chain_stops_at_a_pointer_that_is_no_live_nbl(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 0, 0);
    PNET_BUFFER_LIST nbls[3];
    static UCHAR not_an_nbl[sizeof(NET_BUFFER_LIST)];
    assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, nbls, 3), NDIS_STATUS_SUCCESS);
    nbls[1]->Next = (PNET_BUFFER_LIST)not_an_nbl;
    assert_int_equal(ndisbuf_nbl_free_chain(nbls[0]), 2);
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);
    NdisFreeNetBufferList(nbls[2]);
    NdisFreeNetBufferListPool(pool);
}

static void free_bulk_given_the_same_nbl_twice_frees_it_once_and_reports_the_second(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 0, 64);
    PNET_BUFFER_LIST nbls[3];
    assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, nbls, 2), NDIS_STATUS_SUCCESS);
    nbls[2] = nbls[0];
    assert_int_equal(ndisbuf_nbl_free_bulk(nbls, 3), 2);
    harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
    NDISBUF_POOL_STATS stats;
    assert_int_equal(ndisbuf_pool_get_stats(pool, &stats), NDIS_STATUS_SUCCESS);
    assert_int_equal(stats.Outstanding, 0);
    /* Each comes back once: two allocations give two different NBLs. */
    PNET_BUFFER_LIST again[2];
    assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, again, 2), NDIS_STATUS_SUCCESS);
    assert_ptr_not_equal(again[0], again[1]);
    assert_int_equal(ndisbuf_nbl_free_bulk(again, 2), 2);
    NdisFreeNetBufferListPool(pool);
}

static void free_bulk_of_nbls_from_several_pools_returns_each_to_its_own(void **state)
{
    (void)state;
    NDIS_HANDLE pools[3] = {pool_new(TRUE, 0, 0), pool_new(TRUE, 16, 128), pool_new(FALSE, 0, 0)};
    PNET_BUFFER_LIST nbls[60];
    for (ULONG i = 0; i < 60; i++) {
        nbls[i] = NdisAllocateNetBufferList(pools[i % 3], 0, 0);
        assert_non_null(nbls[i]);
    }
    assert_int_equal(ndisbuf_nbl_free_bulk(nbls, 60), 60);
    harness_expect_no_report();
    for (ULONG p = 0; p < 3; p++) {
        NDISBUF_POOL_STATS stats;
        assert_int_equal(ndisbuf_pool_get_stats(pools[p], &stats), NDIS_STATUS_SUCCESS);
        assert_int_equal(stats.Outstanding, 0);
        NdisFreeNetBufferListPool(pools[p]);
    }
    harness_expect_no_report();
}

/*
 * free_bulk recognises the NBLs of the pool it is returning a run to
 * without the arena: a pointer into that pool that is no NBL's start (an
 * NBL's NB, an interior pointer) must still be refused and reported, and
 * the NBLs around it freed.
 */
static void free_bulk_refuses_pointers_into_its_runs_pool_that_are_no_nbl(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 0, 64);
    PNET_BUFFER_LIST nbls[4];
    assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, nbls, 4), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST interior[3] = {nbls[0], (PNET_BUFFER_LIST)((char *)nbls[1] + 16), nbls[1]};
    assert_int_equal(ndisbuf_nbl_free_bulk(interior, 3), 2);
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);
    PNET_BUFFER_LIST nb_of_next[3] = {nbls[2], (PNET_BUFFER_LIST)NET_BUFFER_LIST_FIRST_NB(nbls[3]), nbls[3]};
    assert_int_equal(ndisbuf_nbl_free_bulk(nb_of_next, 3), 2);
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
    NDISBUF_POOL_STATS stats;
    assert_int_equal(ndisbuf_pool_get_stats(pool, &stats), NDIS_STATUS_SUCCESS);
    assert_int_equal(stats.Outstanding, 0);
    NdisFreeNetBufferListPool(pool);
}

static void free_chain_that_loops_back_frees_each_nbl_once_and_reports(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 0, 0);
    PNET_BUFFER_LIST nbls[3];
    assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, nbls, 3), NDIS_STATUS_SUCCESS);
    nbls[2]->Next = nbls[0];
    assert_int_equal(ndisbuf_nbl_free_chain(nbls[0]), 3);
    harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
    NDISBUF_POOL_STATS stats;
    assert_int_equal(ndisbuf_pool_get_stats(pool, &stats), NDIS_STATUS_SUCCESS);
    assert_int_equal(stats.Outstanding, 0);
    NdisFreeNetBufferListPool(pool);
}

static void alloc_bulk_larger_than_what_the_thread_holds_fills_up_from_the_pool(void **state)
{
    (void)state;
    NDIS_HANDLE pool = pool_new(TRUE, 0, 256);
    /* A few singles first, so this thread holds a partly used set. */
    PNET_BUFFER_LIST singles[5];
    for (ULONG i = 0; i < 5; i++)
        singles[i] = NdisAllocateNetBufferList(pool, 0, 0);
    for (ULONG round = 0; round < 3; round++) {
        PNET_BUFFER_LIST nbls[128];
        assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, nbls, 128), NDIS_STATUS_SUCCESS);
        for (ULONG i = 0; i < 128; i++) {
            assert_int_equal(NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(nbls[i])), 256);
            for (ULONG j = 0; j < 5; j++)
                assert_ptr_not_equal(nbls[i], singles[j]);
        }
        assert_int_equal(ndisbuf_nbl_free_chain(nbls[0]), 128);
    }
    assert_int_equal(ndisbuf_nbl_free_bulk(singles, 5), 5);
    harness_expect_no_report();
    NdisFreeNetBufferListPool(pool);
}

static void clone_freed_leaves_its_nb_as_fresh_as_a_new_one(void **state)
{
    (void)state;
    harness_without_quarantine(); /* the freed element must come straight back */
    NDIS_HANDLE pool = pool_new(TRUE, 0, 0);
    static UCHAR frame[256];
    PMDL mdl = NdisAllocateMdl(NULL, frame, sizeof frame);
    PNET_BUFFER_LIST parent = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdl, 0, sizeof frame);
    PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(parent, pool, NULL, 0);
    assert_non_null(clone);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(clone);
    NdisFreeCloneNetBufferList(clone, 0);
    PNET_BUFFER_LIST fresh = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, NULL, 0, 0);
    assert_ptr_equal(NET_BUFFER_LIST_FIRST_NB(fresh), nb); /* the same element, reused */
    static const UCHAR zero[sizeof(NET_BUFFER)];
    assert_memory_equal((const UCHAR *)nb + 64, zero, sizeof(NET_BUFFER) - 64);
    NdisFreeNetBufferList(fresh);
    NdisFreeNetBufferList(parent);
    NdisFreeMdl(mdl);
    harness_expect_no_report();
    NdisFreeNetBufferListPool(pool);
}

static void a_thread_using_more_pools_than_it_remembers_keeps_each_apart(void **state)
{
    (void)state;
    enum { POOLS = 11 };
    NDIS_HANDLE pools[POOLS];
    PNET_BUFFER_LIST nbls[POOLS][4];
    for (ULONG p = 0; p < POOLS; p++)
        pools[p] = pool_new(TRUE, 0, p % 2 ? 64 : 0);
    for (ULONG round = 0; round < 50; round++) {
        for (ULONG p = 0; p < POOLS; p++)
            for (ULONG i = 0; i < 4; i++) {
                nbls[p][i] = NdisAllocateNetBufferList(pools[p], 0, 0);
                assert_ptr_equal(NdisGetPoolFromNetBufferList(nbls[p][i]), pools[p]);
            }
        for (ULONG p = POOLS; p-- > 0;)
            for (ULONG i = 0; i < 4; i++)
                NdisFreeNetBufferList(nbls[p][i]);
    }
    harness_expect_no_report();
    for (ULONG p = 0; p < POOLS; p++) {
        NDISBUF_POOL_STATS stats;
        assert_int_equal(ndisbuf_pool_get_stats(pools[p], &stats), NDIS_STATUS_SUCCESS);
        assert_int_equal(stats.Outstanding, 0);
        NdisFreeNetBufferListPool(pools[p]);
    }
}

static void bulk_nbls_are_tracked_by_the_verifier(void **state)
{
    (void)state;
    assert_int_equal(ndisbuf_verifier_set(1), NDIS_STATUS_SUCCESS);
    NDIS_HANDLE pool = pool_new(TRUE, 0, 0);
    PNET_BUFFER_LIST nbls[16];
    assert_int_equal(ndisbuf_nbl_alloc_bulk(pool, 0, 0, nbls, 16), NDIS_STATUS_SUCCESS);
    NdisFreeNetBufferList(nbls[3]);
    assert_int_equal(ndisbuf_nbl_free_bulk(nbls, 16), 15);
    harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
    NdisFreeNetBufferListPool(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, harness_setup, harness_teardown)
        T(nbl_allocated_with_verifier_off_frees_with_it_on_and_back),
        T(fast_free_refuses_a_double_free_and_the_careful_path_reports_it),
        T(fast_free_refuses_an_nbl_with_its_nb_unlinked_and_frees_it_carefully),
        T(fast_free_refuses_a_foreign_nb_and_the_careful_path_reports_it),
        T(fast_free_refuses_an_nbl_whose_pool_handle_was_overwritten),
        T(fast_free_refuses_an_interior_pointer),
        T(data_mdl_a_driver_changed_is_rebuilt_before_reuse),
        T(data_mdl_and_tails_a_driver_changed_are_restored_by_every_free),
        T(nbls_of_a_pool_without_nbs_come_back_clean_from_every_free),
        T(nbl_and_nb_on_a_two_mdl_chain_takes_the_careful_path_and_locates_current_mdl),
        T(one_pool_holds_far_more_than_65536_nbls),
        T(pool_data_backfill_gives_fresh_nbls_header_room_a_retreat_uses_in_place),
        T(pool_data_backfill_refuses_pools_without_data_and_too_much),
        T(nbl_and_nb_element_takes_the_544_bytes_windows_does),
        T(a_derived_nbl_of_more_than_65535_nbs_is_refused_and_nothing_leaks),
        T(a_freed_nbl_with_only_its_source_handle_set_comes_back_without_it),
        T(alloc_bulk_links_the_nbls_in_array_order_each_fresh),
        T(alloc_bulk_is_all_or_nothing_when_an_allocation_fails),
        T(alloc_bulk_refuses_bad_arguments_and_touches_nothing),
        T(free_bulk_reports_a_bad_entry_and_frees_the_others),
        T(free_chain_stops_at_a_pointer_that_is_no_live_nbl),
        T(free_bulk_given_the_same_nbl_twice_frees_it_once_and_reports_the_second),
        T(free_bulk_of_nbls_from_several_pools_returns_each_to_its_own),
        T(free_bulk_refuses_pointers_into_its_runs_pool_that_are_no_nbl),
        T(free_chain_that_loops_back_frees_each_nbl_once_and_reports),
        T(alloc_bulk_larger_than_what_the_thread_holds_fills_up_from_the_pool),
        T(clone_freed_leaves_its_nb_as_fresh_as_a_new_one),
        T(a_thread_using_more_pools_than_it_remembers_keeps_each_apart),
        T(bulk_nbls_are_tracked_by_the_verifier),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
