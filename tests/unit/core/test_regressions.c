/* SPDX-License-Identifier: MIT */
/*
 * Library bugs found while writing the suite, each pinned by the test that
 * catches it (style.md: a bug fix comes with the test that would have
 * caught it). Each test names the bug, the file and the contract it breaks.
 * The tests clean up before they assert, so a test that still fails does
 * not make the ones after it fail their teardown.
 *
 * Tests that can only fail under a sanitizer (a read of freed memory)
 * come last: AddressSanitizer stops the whole executable at the first one.
 */
#include <string.h>

#include "harness.h"

/*
 * Bug: NdisAdjustMdlLength (src/core/mdl.c) treated a built length of 0 as
 * "not a library MDL" (`if (built && Length > built)`), so an MDL that
 * NdisAllocateMdl / IoAllocateMdl built for 0 bytes can be lengthened
 * without a report, against ndis/mdl.h ("lengthening an MDL the library
 * gave out is reported and the MDL is left unchanged"). Fixed: MDLs the
 * library did not give out now have no limit, library ones their own.
 */
static void lengthening_a_zero_length_library_mdl_is_reported(void **state)
{
    (void)state;
    UCHAR buf[64];
    PMDL mdl = NdisAllocateMdl(NULL, buf, 0);
    assert_non_null(mdl);
    NdisAdjustMdlLength(mdl, sizeof(buf));
    ULONG count_after = MmGetMdlByteCount(mdl);
    size_t reports = harness_report_count();
    NdisAdjustMdlLength(mdl, 0);
    NdisFreeMdl(mdl);

    assert_int_equal(reports, 1);
    harness_expect_report(NDISBUF_REPORT_MDL_LENGTHENED);
    assert_int_equal(count_after, 0);
}

/*
 * Bug: IoAllocateMdl (src/core/mdl.c) did not refuse a Length above
 * 4 GiB - PAGE_SIZE, which ndis/mdl.h promises ("Returns NULL with a
 * diagnostic for ... a length over 4 GiB - PAGE_SIZE"); the MDL's CSHORT
 * Size then overflows. Fixed: the length is checked.
 */
static void io_allocate_mdl_refuses_lengths_over_4gib_minus_a_page(void **state)
{
    (void)state;
    UCHAR buf[16];
    PMDL mdl = IoAllocateMdl(buf, 0xFFFFF001u, FALSE, FALSE, NULL);
    bool diagnosed = harness_diag_new() != 0;
    if (mdl)
        IoFreeMdl(mdl);
    assert_null(mdl);
    assert_true(diagnosed);
    /* The largest allowed length is accepted (nothing is touched). */
    mdl = IoAllocateMdl(buf, 0xFFFFF000u, FALSE, FALSE, NULL);
    assert_non_null(mdl);
    IoFreeMdl(mdl);
}

/*
 * Bug: pools_checked (src/core/pools.c) recognises a stale pool handle by
 * reading pool->magic, but NdisFreeNetBufferListPool has already free()d
 * that struct: the check itself reads freed memory (AddressSanitizer:
 * heap-use-after-free), and without a sanitizer it only works while the
 * allocator has not reused the block. ndis/pool.h: "Returns NULL (with a
 * diagnostic) on bad arguments". Fixed: freed pool objects now wait,
 * magic cleared, on a reuse queue (pools.c) instead of being free()d.
 */
static void allocating_from_a_freed_pool_gives_null_and_a_diagnostic(void **state)
{
    (void)state;
    NDIS_HANDLE pool = harness_nbl_pool(TRUE, 0, 0, HARNESS_TAG('S', 't', 'a', 'l'));
    harness_free_nbl_pool(pool);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert_null(nbl);
    assert_true(harness_diag_contains("PoolHandle"));
}

/*
 * Bug: nb_release_retreat_mdls (src/core/retreat.c) freed the library's
 * retreat MDLs only while they were first in the chain, so an NB freed
 * after the driver linked an MDL of its own in front of one leaked it and
 * blamed an AllocateMdlHandler. Found by the fragment tests. Fixed: the
 * library's retreat MDLs are known by their private header (owner = the NB)
 * wherever they sit; the driver's MDL is left alone.
 */
static void retreat_mdl_behind_a_driver_mdl_is_freed_with_its_nb(void **state)
{
    (void)state;
    NET_BUFFER_POOL_PARAMETERS params;
    harness_nb_pool_params(&params, 0, HARNESS_TAG('R', 'g', 'N', 'b'));
    NDIS_HANDLE pool = NdisAllocateNetBufferPool(NULL, &params);
    assert_non_null(pool);
    UCHAR data[64], pad[8];
    MDL mdl, front;
    MmInitializeMdl(&mdl, data, sizeof(data));
    MmBuildMdlForNonPagedPool(&mdl);
    MmInitializeMdl(&front, pad, sizeof(pad));
    MmBuildMdlForNonPagedPool(&front);
    PNET_BUFFER nb = NdisAllocateNetBuffer(pool, &mdl, 0, sizeof(data));
    assert_non_null(nb);
    assert_int_equal(NdisRetreatNetBufferDataStart(nb, 14, 0, NULL), NDIS_STATUS_SUCCESS);
    front.Next = NET_BUFFER_FIRST_MDL(nb); /* the driver puts an MDL of its own in front */
    NET_BUFFER_FIRST_MDL(nb) = &front;
    NET_BUFFER_DATA_OFFSET(nb) += sizeof(pad);
    NdisAdjustNetBufferCurrentMdl(nb);
    NdisFreeNetBuffer(nb);
    ULONG64 left = ndisbuf_outstanding_total();
    assert_ptr_equal(front.Next, &mdl); /* the retreat MDL was unlinked, the driver's kept */
    NdisFreeNetBufferPool(pool);
    assert_int_equal(left, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(lengthening_a_zero_length_library_mdl_is_reported),
        HARNESS_TEST(io_allocate_mdl_refuses_lengths_over_4gib_minus_a_page),
        HARNESS_TEST(allocating_from_a_freed_pool_gives_null_and_a_diagnostic),
        HARNESS_TEST(retreat_mdl_behind_a_driver_mdl_is_freed_with_its_nb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
