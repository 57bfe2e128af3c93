/* SPDX-License-Identifier: MIT */
/*
 * NDIS 5.1 buffer pools and buffer descriptors (ndis-semantics.md §9,
 * docs/ndis5.md): a descriptor is a built MDL over the caller's memory and
 * answers the query calls; a pool gives at most NumberOfDescriptors at once
 * (the documented effective limit), also when buffers are freed on another
 * thread; a NULL pool handle uses the library's own pool; bad arguments fail
 * with NDIS_STATUS_FAILURE; NdisAdjustBufferLength shortens and restores but
 * never lengthens; the free calls report double frees, foreign pointers and
 * wrong calls; a pool freed with buffers out is reported and stays usable;
 * descriptors work under a NET_BUFFER.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "n5test.h"

static NDIS_STATUS try_buffer(NDIS_HANDLE pool, PNDIS_BUFFER *buffer, void *va, UINT length)
{
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    *buffer = (PNDIS_BUFFER)(uintptr_t)1; /* must be overwritten */
    NdisAllocateBuffer(&status, buffer, pool, va, length);
    return status;
}

static void buffer_describes_the_callers_memory(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_buffer_pool(4);
    UCHAR *base = aligned_alloc(PAGE_SIZE, 3 * PAGE_SIZE);
    assert_non_null(base);
    UCHAR *va = base + PAGE_SIZE - 10; /* crosses a page */
    memset(va, 0x3C, 100);
    PNDIS_BUFFER b = n5t_buffer(pool, va, 100);
    assert_null(b->Next);
    assert_ptr_equal(b->MappedSystemVa, va);
    assert_true(b->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
    assert_ptr_equal(b->StartVa, base);
    assert_ptr_equal(MmGetMdlVirtualAddress(b), va);
    PVOID got = NULL;
    UINT length = 0, offset = 0;
    NdisQueryBuffer(b, &got, &length);
    assert_ptr_equal(got, va);
    assert_int_equal(length, 100);
    length = 0;
    NdisQueryBuffer(b, NULL, &length); /* the address is optional */
    assert_int_equal(length, 100);
    got = NULL;
    NdisQueryBufferSafe(b, &got, &length, HighPagePriority);
    assert_ptr_equal(got, va);
    NdisQueryBufferOffset(b, &offset, &length);
    assert_int_equal(offset, PAGE_SIZE - 10);
    assert_int_equal(length, 100);
    assert_int_equal(NdisBufferLength(b), 100);
    assert_ptr_equal(NdisBufferVirtualAddress(b), va);
    assert_ptr_equal(NdisBufferVirtualAddressSafe(b, LowPagePriority), va);
    ULONG pages = 0;
    NdisGetBufferPhysicalArraySize(b, &pages);
    assert_int_equal(pages, 2);
    PNDIS_BUFFER next = b;
    NdisGetNextBuffer(b, &next);
    assert_null(next);
    NdisFreeBuffer(b);
    assert_int_equal(va[99], 0x3C); /* the memory is not touched */
    free(base);
    n5t_free_pool(pool, NdisFreeBufferPool);
}

static void a_pool_gives_at_most_its_number_of_descriptors(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_buffer_pool(3);
    UCHAR data[4];
    PNDIS_BUFFER b[3], extra;
    for (int i = 0; i < 3; i++)
        b[i] = n5t_buffer(pool, data, sizeof(data));
    assert_int_equal(try_buffer(pool, &extra, data, 4), NDIS_STATUS_FAILURE);
    assert_null(extra);
    assert_true(harness_diag_contains("descriptors in use"));
    NdisFreeBuffer(b[1]);
    b[1] = n5t_buffer(pool, data, 2);
    for (int i = 0; i < 3; i++)
        NdisFreeBuffer(b[i]);
    n5t_free_pool(pool, NdisFreeBufferPool);
}

static void a_null_pool_handle_uses_the_librarys_pool(void **state)
{
    (void)state;
    UCHAR data[16];
    PNDIS_BUFFER b[100];
    for (int i = 0; i < 100; i++)
        b[i] = n5t_buffer(NULL, data, sizeof(data)); /* no limit */
    assert_int_equal(ndisbuf_outstanding_total(), 100);
    assert_int_equal(ndisbuf_live_pool_count(), 0);
    for (int i = 0; i < 100; i++)
        NdisFreeBuffer(b[i]);
    assert_int_equal(ndisbuf_outstanding_total(), 0);
}

static void bad_arguments_give_failure_and_a_diagnostic(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_buffer_pool(2), packets = n5t_packet_pool(1, 0, 0);
    UCHAR data[4];
    PNDIS_BUFFER b;
    assert_int_equal(try_buffer(pool, &b, NULL, 4), NDIS_STATUS_FAILURE);
    assert_null(b);
    assert_true(harness_diag_contains("VirtualAddress is NULL"));
    assert_int_equal(try_buffer(packets, &b, data, 4), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("is a packet pool"));
    int junk = 0;
    assert_int_equal(try_buffer(&junk, &b, data, 4), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("names no live buffer pool"));
    assert_int_equal(try_buffer(pool, &b, data, 0xFFFFFFFFu), NDIS_STATUS_FAILURE);
    assert_true(harness_diag_contains("largest buffer"));
    /* An empty descriptor is fine, even without an address. */
    assert_int_equal(try_buffer(pool, &b, NULL, 0), NDIS_STATUS_SUCCESS);
    assert_int_equal(NdisBufferLength(b), 0);
    NdisFreeBuffer(b);
    assert_int_equal(ndisbuf_outstanding_total(), 0);
    n5t_free_pool(pool, NdisFreeBufferPool);
    n5t_free_pool(packets, NdisFreePacketPool);
}

static void adjust_buffer_length_shortens_and_restores_but_never_lengthens(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_buffer_pool(1);
    UCHAR data[64];
    PNDIS_BUFFER b = n5t_buffer(pool, data, 64);
    NdisAdjustBufferLength(b, 14);
    assert_int_equal(NdisBufferLength(b), 14);
    NdisAdjustBufferLength(b, 0);
    assert_int_equal(NdisBufferLength(b), 0);
    NdisAdjustBufferLength(b, 64); /* restored */
    assert_int_equal(NdisBufferLength(b), 64);
    NdisAdjustBufferLength(b, 65);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_MDL_LENGTHENED);
    assert_int_equal(r->parameters[2], 64);
    assert_int_equal(NdisBufferLength(b), 64); /* unchanged */
    NdisAdjustBufferLength(NULL, 1);
    harness_expect_report(NDISBUF_REPORT_NULL_OBJECT);
    NdisAdjustBufferLength(b, 10);
    NdisFreeBuffer(b); /* not restored first: harmless here, not reported */
    harness_expect_no_report();
    n5t_free_pool(pool, NdisFreeBufferPool);
}

static void adjust_buffer_length_applies_to_other_mdls_too(void **state)
{
    (void)state;
    UCHAR data[32];
    PMDL mdl = NdisAllocateMdl(NULL, data, 16);
    NdisAdjustBufferLength(mdl, 8);
    assert_int_equal(NdisBufferLength(mdl), 8);
    NdisAdjustBufferLength(mdl, 17); /* the MDL's own limit */
    harness_expect_report(NDISBUF_REPORT_MDL_LENGTHENED);
    NdisFreeMdl(mdl);
    MDL own; /* caller storage: the library knows no limit */
    MmInitializeMdl(&own, data, 16);
    NdisAdjustBufferLength(&own, 32);
    assert_int_equal(NdisBufferLength(&own), 32);
}

static void freeing_a_buffer_twice_or_a_foreign_one_is_reported(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_buffer_pool(1);
    UCHAR data[8];
    PNDIS_BUFFER b = n5t_buffer(pool, data, 8);
    NdisFreeBuffer(b);
    NdisFreeBuffer(b);
    harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
    NdisFreeBuffer(NULL);
    harness_expect_report(NDISBUF_REPORT_NULL_OBJECT);
    MDL own;
    MmInitializeMdl(&own, data, 8);
    NdisFreeBuffer(&own);
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);
    PMDL mdl = NdisAllocateMdl(NULL, data, 8);
    NdisFreeBuffer(mdl);
    assert_contains(harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL)->message, "NdisFreeMdl");
    NdisFreeMdl(mdl);
    b = n5t_buffer(pool, data, 8);
    NdisFreeMdl(b); /* the other way round: core does not free a buffer descriptor */
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);
    NdisFreeBuffer(b);
    harness_expect_no_report();
    n5t_free_pool(pool, NdisFreeBufferPool);
}

static void freeing_a_buffer_pool_with_buffers_out_is_reported_and_it_stays_usable(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_buffer_pool(2);
    UCHAR data[8];
    PNDIS_BUFFER b = n5t_buffer(pool, data, 8);
    NdisFreeBufferPool(pool);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_POOL_NOT_EMPTY);
    assert_int_equal(r->parameters[1], 1);
    assert_contains(r->message, "allocated at");
    PNDIS_BUFFER c = n5t_buffer(pool, data, 4);
    NdisFreeBuffer(b);
    NdisFreeBuffer(c);
    n5t_free_pool(pool, NdisFreeBufferPool);
    NdisFreeBufferPool(pool);
    harness_expect_report(NDISBUF_REPORT_INVALID_HANDLE);
}

static void leaked_buffers_show_in_the_process_counts(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_buffer_pool(2);
    assert_int_equal(ndisbuf_live_pool_count(), 1);
    UCHAR data[8];
    PNDIS_BUFFER b = n5t_buffer(pool, data, 8);
    assert_int_equal(ndisbuf_outstanding_total(), 1);
    NdisFreeBuffer(b);
    assert_int_equal(ndisbuf_outstanding_total(), 0);
    n5t_free_pool(pool, NdisFreeBufferPool);
}

static void buffer_descriptors_work_under_a_net_buffer(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_buffer_pool(3), nbs = harness_nb_pool(0);
    UCHAR data[30];
    for (int i = 0; i < 30; i++)
        data[i] = (UCHAR)i;
    PNDIS_BUFFER a = n5t_buffer(pool, data, 10), b = n5t_buffer(pool, data + 10, 10),
                 c = n5t_buffer(pool, data + 20, 10);
    a->Next = b;
    b->Next = c;
    PNET_BUFFER nb = NdisAllocateNetBuffer(nbs, a, 4, 22);
    assert_non_null(nb);
    UCHAR copy[22];
    PUCHAR got = NdisGetDataBuffer(nb, 22, copy, 1, 0);
    assert_non_null(got);
    for (int i = 0; i < 22; i++)
        assert_int_equal(got[i], i + 4);
    NdisFreeNetBuffer(nb); /* never frees the chain */
    harness_expect_no_report();
    NdisFreeBuffer(a);
    NdisFreeBuffer(b);
    NdisFreeBuffer(c);
    harness_expect_no_report();
    harness_free_nb_pool(nbs);
    n5t_free_pool(pool, NdisFreeBufferPool);
}

struct buffer_handoff {
    NDIS_HANDLE pool;
    PNDIS_BUFFER items[4];
    pthread_barrier_t ready;
};

static void *free_buffers_here(void *arg)
{
    struct buffer_handoff *h = arg;
    pthread_barrier_wait(&h->ready);
    for (int i = 0; i < 4; i++)
        NdisFreeBuffer(h->items[i]);
    return NULL;
}

static void buffers_freed_on_another_thread_are_available_again(void **state)
{
    (void)state;
    struct buffer_handoff h = {.pool = n5t_buffer_pool(4)};
    UCHAR data[8];
    pthread_barrier_init(&h.ready, NULL, 2);
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 4; i++)
            h.items[i] = n5t_buffer(h.pool, data, 8);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, free_buffers_here, &h), 0);
        pthread_barrier_wait(&h.ready);
        pthread_join(t, NULL);
    }
    pthread_barrier_destroy(&h.ready);
    n5t_free_pool(h.pool, NdisFreeBufferPool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(buffer_describes_the_callers_memory),
        HARNESS_TEST(a_pool_gives_at_most_its_number_of_descriptors),
        HARNESS_TEST(a_null_pool_handle_uses_the_librarys_pool),
        HARNESS_TEST(bad_arguments_give_failure_and_a_diagnostic),
        HARNESS_TEST(adjust_buffer_length_shortens_and_restores_but_never_lengthens),
        HARNESS_TEST(adjust_buffer_length_applies_to_other_mdls_too),
        HARNESS_TEST(freeing_a_buffer_twice_or_a_foreign_one_is_reported),
        HARNESS_TEST(freeing_a_buffer_pool_with_buffers_out_is_reported_and_it_stays_usable),
        HARNESS_TEST(leaked_buffers_show_in_the_process_counts),
        HARNESS_TEST(buffer_descriptors_work_under_a_net_buffer),
        HARNESS_TEST(buffers_freed_on_another_thread_are_available_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
