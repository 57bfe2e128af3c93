/* SPDX-License-Identifier: MIT */
/*
 * MDLs from the library (ndis-semantics.md §5): NdisAllocateMdl gives a
 * built MDL (MappedSystemVa is the buffer, mapped flags set), IoAllocateMdl
 * an unbuilt one that MmBuildMdlForNonPagedPool completes, both freed by
 * IoFreeMdl or NdisFreeMdl without touching the caller's memory; bad
 * arguments give NULL and a diagnostic; NdisAdjustMdlLength shortens.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void ndis_allocate_mdl_gives_a_built_mdl(void **state)
{
    (void)state;
    UCHAR *base = aligned_alloc(PAGE_SIZE, 3 * PAGE_SIZE);
    assert_non_null(base);
    UCHAR *va = base + PAGE_SIZE - 6; /* unaligned, crosses a page */
    int driver;
    PMDL mdl = NdisAllocateMdl(&driver, va, 1000);
    assert_non_null(mdl);
    assert_null(mdl->Next);
    assert_ptr_equal(mdl->MappedSystemVa, va);
    assert_true(mdl->MdlFlags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_MAPPED_TO_SYSTEM_VA));
    assert_ptr_equal(mdl->StartVa, base);
    assert_int_equal(mdl->ByteOffset, PAGE_SIZE - 6);
    assert_int_equal(MmGetMdlByteCount(mdl), 1000);
    assert_ptr_equal(MmGetMdlVirtualAddress(mdl), va);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), va);
    assert_int_equal(mdl->Size, (CSHORT)MmSizeOfMdl(va, 1000));
    assert_int_equal(ndisbuf_outstanding_total(), 1);

    memset(va, 0x42, 1000);
    NdisFreeMdl(mdl);
    assert_int_equal(va[999], 0x42); /* the caller's memory is untouched */
    assert_int_equal(ndisbuf_outstanding_total(), 0);
    free(base);
}

static void ndis_allocate_mdl_with_null_handle_and_zero_length_works(void **state)
{
    (void)state;
    UCHAR buf[8];
    PMDL mdl = NdisAllocateMdl(NULL, buf, 0);
    assert_non_null(mdl);
    assert_int_equal(MmGetMdlByteCount(mdl), 0);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), buf);
    NdisFreeMdl(mdl);
}

static void ndis_allocate_mdl_with_null_address_gives_null_and_a_diagnostic(void **state)
{
    (void)state;
    assert_null(NdisAllocateMdl(NULL, NULL, 64));
    assert_true(harness_diag_contains("VirtualAddress"));
    assert_int_equal(ndisbuf_outstanding_total(), 0);
}

static void io_allocate_mdl_gives_an_unbuilt_mdl_that_build_completes(void **state)
{
    (void)state;
    UCHAR *base = aligned_alloc(PAGE_SIZE, 2 * PAGE_SIZE);
    assert_non_null(base);
    UCHAR *va = base + 123;
    PMDL mdl = IoAllocateMdl(va, 4000, FALSE, FALSE, NULL);
    assert_non_null(mdl);
    assert_null(mdl->Next);
    assert_ptr_equal(mdl->StartVa, base);
    assert_int_equal(mdl->ByteOffset, 123);
    assert_int_equal(mdl->ByteCount, 4000);
    assert_int_equal(mdl->MdlFlags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_MAPPED_TO_SYSTEM_VA), 0);
    assert_null(mdl->MappedSystemVa);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), va);

    MmBuildMdlForNonPagedPool(mdl);
    assert_ptr_equal(mdl->MappedSystemVa, va);
    assert_true(mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), va);
    IoFreeMdl(mdl);
    assert_int_equal(ndisbuf_outstanding_total(), 0);
    free(base);
}

static void io_and_ndis_mdls_can_be_freed_by_either_call(void **state)
{
    (void)state;
    UCHAR buf[64];
    PMDL io = IoAllocateMdl(buf, sizeof(buf), TRUE, TRUE, NULL);
    PMDL ndis = NdisAllocateMdl(NULL, buf, sizeof(buf));
    assert_non_null(io);
    assert_non_null(ndis);
    NdisFreeMdl(io);
    IoFreeMdl(ndis);
    harness_expect_no_report();
    assert_int_equal(ndisbuf_outstanding_total(), 0);
}

static void io_allocate_mdl_with_null_address_and_length_gives_null_and_a_diagnostic(void **state)
{
    (void)state;
    assert_null(IoAllocateMdl(NULL, 100, FALSE, FALSE, NULL));
    assert_true(harness_diag_contains("VirtualAddress"));
    /* NULL with no bytes describes nothing and is allowed. */
    PMDL empty = IoAllocateMdl(NULL, 0, FALSE, FALSE, NULL);
    assert_non_null(empty);
    assert_int_equal(MmGetMdlByteCount(empty), 0);
    IoFreeMdl(empty);
}

static void io_allocate_mdl_with_an_irp_gives_null_and_a_diagnostic(void **state)
{
    (void)state;
    UCHAR buf[16];
    PIRP irp = (PIRP)(void *)buf;
    assert_null(IoAllocateMdl(buf, sizeof(buf), FALSE, FALSE, irp));
    assert_true(harness_diag_contains("Irp"));
    assert_int_equal(ndisbuf_outstanding_total(), 0);
}

static void adjust_mdl_length_shortens_and_restores(void **state)
{
    (void)state;
    UCHAR buf[1500];
    PMDL mdl = NdisAllocateMdl(NULL, buf, sizeof(buf));
    assert_non_null(mdl);
    const UINT lengths[] = {1000, 0, 1, 1499, 1500};
    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        NdisAdjustMdlLength(mdl, lengths[i]);
        assert_int_equal(MmGetMdlByteCount(mdl), lengths[i]);
        ULONG length = 0;
        PVOID va = NULL;
        NdisQueryMdl(mdl, &va, &length, NormalPagePriority);
        assert_ptr_equal(va, buf);
        assert_int_equal(length, lengths[i]);
    }
    harness_expect_no_report();
    NdisFreeMdl(mdl);
}

static void adjust_mdl_length_on_a_callers_mdl_just_sets_the_count(void **state)
{
    (void)state;
    UCHAR buf[256];
    MDL mdl;
    const ULONG length = 128;
    harness_mdl_chain(&mdl, 1, buf, &length);
    NdisAdjustMdlLength(&mdl, 64);
    assert_int_equal(mdl.ByteCount, 64);
    NdisAdjustMdlLength(&mdl, 256); /* the library cannot know its buffer */
    assert_int_equal(mdl.ByteCount, 256);
    harness_expect_no_report();
}

static void library_mdls_chain_into_a_net_buffer(void **state)
{
    (void)state;
    UCHAR header[14], payload[100];
    PMDL first = NdisAllocateMdl(NULL, header, sizeof(header));
    PMDL second = NdisAllocateMdl(NULL, payload, sizeof(payload));
    NDIS_MDL_LINKAGE(first) = second;
    PMDL next = NULL;
    NdisGetNextMdl(first, &next);
    assert_ptr_equal(next, second);

    NDIS_HANDLE pool = harness_nb_pool(0);
    PNET_BUFFER nb = NdisAllocateNetBuffer(pool, first, 0, sizeof(header) + sizeof(payload));
    assert_non_null(nb);
    NdisFreeNetBuffer(nb);
    NDIS_MDL_LINKAGE(first) = NULL;
    NdisFreeMdl(first);
    NdisFreeMdl(second);
    harness_free_nb_pool(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(ndis_allocate_mdl_gives_a_built_mdl),
        HARNESS_TEST(ndis_allocate_mdl_with_null_handle_and_zero_length_works),
        HARNESS_TEST(ndis_allocate_mdl_with_null_address_gives_null_and_a_diagnostic),
        HARNESS_TEST(io_allocate_mdl_gives_an_unbuilt_mdl_that_build_completes),
        HARNESS_TEST(io_and_ndis_mdls_can_be_freed_by_either_call),
        HARNESS_TEST(io_allocate_mdl_with_null_address_and_length_gives_null_and_a_diagnostic),
        HARNESS_TEST(io_allocate_mdl_with_an_irp_gives_null_and_a_diagnostic),
        HARNESS_TEST(adjust_mdl_length_shortens_and_restores),
        HARNESS_TEST(adjust_mdl_length_on_a_callers_mdl_just_sets_the_count),
        HARNESS_TEST(library_mdls_chain_into_a_net_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
