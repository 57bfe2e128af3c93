/* SPDX-License-Identifier: MIT */
/*
 * NDIS 5.1 packet pools and packets (ndis-semantics.md §9, docs/ndis5.md):
 * zeroed descriptors with the pool's ProtocolReserved, the preallocated
 * descriptors and the overflow ones (made on demand, released when freed),
 * NDIS_STATUS_RESOURCES beyond the total and above 0xFFFF, usage, the OOB
 * and per-packet information macros, flags, reinitialisation, the pool
 * freed with packets out, and every report of the free calls. Two tests
 * run threads: packets freed on another thread are available again, and
 * several allocating threads never exceed the bound.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "n5test.h"

static NDIS_STATUS try_packet(NDIS_HANDLE pool, PNDIS_PACKET *packet)
{
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    *packet = (PNDIS_PACKET)(uintptr_t)1; /* must be overwritten */
    NdisAllocatePacket(&status, packet, pool);
    return status;
}

static bool all_zero(const void *p, size_t n)
{
    const UCHAR *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* ------------------------------------------------------------ allocation */

static void allocated_packet_is_zeroed_with_an_empty_chain(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(2, 0, 24);
    PNDIS_PACKET p = n5t_packet(pool);
    /* Dirty everything a driver may write, free, and take it again (LIFO: the same descriptor). */
    memset(p->MiniportReserved, 0xA5, sizeof(p->MacReserved));
    memset(p->ProtocolReserved, 0xA5, 24);
    memset(NDIS_OOB_DATA_FROM_PACKET(p), 0xA5, sizeof(NDIS_PACKET_OOB_DATA));
    NDIS_PER_PACKET_INFO_FROM_PACKET(p, TcpLargeSendPacketInfo) = (PVOID)(ULONG_PTR)1460;
    NdisSetPacketFlags(p, NDIS_FLAGS_DONT_LOOPBACK);
    NdisFreePacket(p);
    PNDIS_PACKET q = n5t_packet(pool);
    assert_ptr_equal(q, p);
    assert_null(q->Private.Head);
    assert_null(q->Private.Tail);
    assert_ptr_equal(q->Private.Pool, pool);
    assert_ptr_equal(NdisGetPoolFromPacket(q), pool);
    assert_int_equal(NdisGetPacketFlags(q), 0);
    assert_true(all_zero(q->MacReserved, sizeof(q->MacReserved)));
    assert_true(all_zero(q->ProtocolReserved, 24));
    assert_true(all_zero(NDIS_OOB_DATA_FROM_PACKET(q), sizeof(NDIS_PACKET_OOB_DATA)));
    assert_true(all_zero(NDIS_PACKET_EXTENSION_FROM_PACKET(q), sizeof(NDIS_PACKET_EXTENSION)));
    UINT count = 99, length = 99;
    NdisQueryPacket(q, NULL, &count, NULL, &length);
    assert_int_equal(count, 0);
    assert_int_equal(length, 0);
    NdisFreePacket(q);
    n5t_free_pool(pool, NdisFreePacketPool);
}

static void protocol_reserved_has_the_length_the_pool_was_made_with(void **state)
{
    (void)state;
    const UINT lengths[] = {0, 1, 16, PROTOCOL_RESERVED_SIZE_IN_PACKET, 100, 4096};
    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        NDIS_HANDLE pool = n5t_packet_pool(1, 0, lengths[i]);
        PNDIS_PACKET p = n5t_packet(pool);
        /* The OOB block and the per-packet information lie beyond ProtocolReserved. */
        assert_true(p->Private.NdisPacketOobOffset >= offsetof(NDIS_PACKET, ProtocolReserved) + lengths[i]);
        memset(p->ProtocolReserved, 0x5A, lengths[i]);
        assert_true(all_zero(NDIS_OOB_DATA_FROM_PACKET(p), sizeof(NDIS_PACKET_OOB_DATA)));
        assert_true(all_zero(NDIS_PACKET_EXTENSION_FROM_PACKET(p), sizeof(NDIS_PACKET_EXTENSION)));
        assert_true(NdisPacketSize(lengths[i]) >= p->Private.NdisPacketOobOffset + sizeof(NDIS_PACKET_OOB_DATA) +
                                                       sizeof(NDIS_PACKET_EXTENSION));
        NdisFreePacket(p);
        n5t_free_pool(pool, NdisFreePacketPool);
    }
    assert_int_equal(PROTOCOL_RESERVED_SIZE_IN_PACKET, 32);
    assert_true(NdisPacketSize(64) == NdisPacketSize(0) + 64);
}

static void preallocated_descriptors_run_out_with_resources(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(4, 0, 0);
    PNDIS_PACKET p[4], extra;
    for (int i = 0; i < 4; i++)
        p[i] = n5t_packet(pool);
    assert_int_equal(try_packet(pool, &extra), NDIS_STATUS_RESOURCES);
    assert_null(extra);
    assert_true(harness_diag_contains("no free descriptor"));
    assert_int_equal(NdisPacketPoolUsage(pool), 4);
    NdisFreePacket(p[2]);
    assert_int_equal(NdisPacketPoolUsage(pool), 3);
    p[2] = n5t_packet(pool);
    for (int i = 0; i < 4; i++)
        NdisFreePacket(p[i]);
    assert_int_equal(NdisPacketPoolUsage(pool), 0);
    n5t_free_pool(pool, NdisFreePacketPool);
}

static void overflow_descriptors_are_made_when_the_others_are_in_use(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(2, 3, 8);
    PNDIS_PACKET p[5], extra;
    for (int i = 0; i < 5; i++) {
        p[i] = n5t_packet(pool);
        assert_int_equal(NdisPacketPoolUsage(pool), i + 1);
        assert_ptr_equal(p[i]->Private.Pool, pool);
        memset(p[i]->ProtocolReserved, i, 8); /* overflow ones have the same layout */
        NDIS_SET_PACKET_STATUS(p[i], NDIS_STATUS_PENDING);
    }
    assert_int_equal(try_packet(pool, &extra), NDIS_STATUS_RESOURCES);
    assert_null(extra);
    assert_int_equal(ndisbuf_outstanding_total(), 5);
    for (int i = 0; i < 5; i++)
        NdisFreePacket(p[i]);
    n5t_free_pool(pool, NdisFreePacketPool);
}

static void overflow_descriptors_are_released_when_freed(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(2, 2, 0);
    PNDIS_PACKET p[4], extra;
    for (int i = 0; i < 4; i++)
        p[i] = n5t_packet(pool);
    /* The last two are the overflow ones: freeing them brings usage down and lets new ones be made. */
    NdisFreePacket(p[3]);
    NdisFreePacket(p[2]);
    assert_int_equal(NdisPacketPoolUsage(pool), 2);
    assert_int_equal(ndisbuf_outstanding_total(), 2);
    p[2] = n5t_packet(pool);
    p[3] = n5t_packet(pool);
    assert_int_equal(try_packet(pool, &extra), NDIS_STATUS_RESOURCES);
    /* A preallocated one freed is used before any overflow one. */
    NdisFreePacket(p[0]);
    assert_int_equal(NdisPacketPoolUsage(pool), 3);
    p[0] = n5t_packet(pool);
    assert_int_equal(NdisPacketPoolUsage(pool), 4);
    for (int i = 0; i < 4; i++)
        NdisFreePacket(p[i]);
    assert_int_equal(NdisPacketPoolUsage(pool), 0);
    n5t_free_pool(pool, NdisFreePacketPool);
}

static void more_than_0xffff_descriptors_give_resources(void **state)
{
    (void)state;
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    NDIS_HANDLE pool = (NDIS_HANDLE)(uintptr_t)1;
    NdisAllocatePacketPool(&status, &pool, 0x10000, 0);
    assert_int_equal(status, NDIS_STATUS_RESOURCES);
    assert_null(pool);
    assert_true(harness_diag_contains("NumberOfDescriptors"));
    NdisAllocatePacketPoolEx(&status, &pool, 0x10000, 5, 16);
    assert_int_equal(status, NDIS_STATUS_RESOURCES);
    assert_int_equal(ndisbuf_live_pool_count(), 0);
}

static void overflow_is_reduced_to_a_total_of_0xffff(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(0xFFF0, 0x100, 0);
    PNDIS_PACKET *p = calloc(0xFFFF, sizeof(*p)), extra;
    assert_non_null(p);
    for (UINT i = 0; i < 0xFFFF; i++) {
        assert_int_equal(try_packet(pool, &p[i]), NDIS_STATUS_SUCCESS);
    }
    assert_int_equal(NdisPacketPoolUsage(pool), 0xFFFF);
    assert_int_equal(try_packet(pool, &extra), NDIS_STATUS_RESOURCES);
    for (UINT i = 0; i < 0xFFFF; i++)
        NdisFreePacket(p[i]);
    free(p);
    n5t_free_pool(pool, NdisFreePacketPool);
}

static void a_pool_of_0xffff_descriptors_is_accepted(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(0xFFFF, 0, 0);
    assert_int_equal(NdisPacketPoolUsage(pool), 0);
    n5t_free_pool(pool, NdisFreePacketPool);
}

static void protocol_reserved_beyond_the_oob_offset_gives_resources(void **state)
{
    (void)state;
    NDIS_STATUS status;
    NDIS_HANDLE pool;
    NdisAllocatePacketPool(&status, &pool, 1, 65433);
    assert_int_equal(status, NDIS_STATUS_RESOURCES);
    assert_null(pool);
    assert_true(harness_diag_contains("ProtocolReservedLength"));
    pool = n5t_packet_pool(1, 0, 65432); /* the largest that fits */
    PNDIS_PACKET p = n5t_packet(pool);
    p->ProtocolReserved[65431] = 1;
    assert_int_equal(p->Private.NdisPacketOobOffset, 96 + 65432);
    NdisFreePacket(p);
    n5t_free_pool(pool, NdisFreePacketPool);
}

static void a_pool_may_have_only_overflow_descriptors(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(0, 1, 0);
    PNDIS_PACKET a = n5t_packet(pool), extra;
    assert_int_equal(try_packet(pool, &extra), NDIS_STATUS_RESOURCES);
    NdisFreePacket(a);
    assert_int_equal(NdisPacketPoolUsage(pool), 0);
    n5t_free_pool(pool, NdisFreePacketPool);
    pool = n5t_packet_pool(0, 0, 0); /* and none at all */
    assert_int_equal(try_packet(pool, &extra), NDIS_STATUS_RESOURCES);
    n5t_free_pool(pool, NdisFreePacketPool);
}

static void packet_layout_is_as_documented(void **state)
{
    (void)state;
    assert_int_equal(sizeof(NDIS_PACKET_PRIVATE), 48);
    assert_int_equal(offsetof(NDIS_PACKET, MiniportReserved), 48);
    assert_int_equal(offsetof(NDIS_PACKET, MiniportReservedEx), 48);
    assert_int_equal(offsetof(NDIS_PACKET, MacReserved), 48);
    assert_int_equal(offsetof(NDIS_PACKET, WrapperReserved), 64);
    assert_int_equal(offsetof(NDIS_PACKET, WrapperReservedEx), 72);
    assert_int_equal(offsetof(NDIS_PACKET, ProtocolReserved), 96);
    assert_int_equal(sizeof(NDIS_PACKET_OOB_DATA), 40);
    assert_int_equal(offsetof(NDIS_PACKET_OOB_DATA, TimeToSend), offsetof(NDIS_PACKET_OOB_DATA, TimeSent));
    assert_int_equal(MaxPerPacketInfo, 9);
    assert_int_equal(sizeof(NDIS_PACKET_EXTENSION), MaxPerPacketInfo * sizeof(PVOID));
    assert_int_equal(NdisPacketSize(0), 96 + 40 + MaxPerPacketInfo * sizeof(PVOID));
    assert_int_equal(NdisPacketSize(3), 104 + 40 + MaxPerPacketInfo * sizeof(PVOID)); /* OOB 8-aligned */
}

static void dpr_variants_allocate_and_free_like_the_others(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(2, 0, 0);
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    PNDIS_PACKET a = NULL, b = NULL;
    NdisDprAllocatePacket(&status, &a, pool);
    assert_int_equal(status, NDIS_STATUS_SUCCESS);
    NdisDprAllocatePacketNonInterlocked(&status, &b, pool);
    assert_int_equal(status, NDIS_STATUS_SUCCESS);
    assert_int_equal(NdisPacketPoolUsage(pool), 2);
    NdisDprFreePacket(a);
    NdisDprFreePacketNonInterlocked(b);
    assert_int_equal(NdisPacketPoolUsage(pool), 0);
    n5t_free_pool(pool, NdisFreePacketPool);
}

static void allocation_with_a_bad_handle_gives_resources_and_a_diagnostic(void **state)
{
    (void)state;
    PNDIS_PACKET p;
    assert_int_equal(try_packet(NULL, &p), NDIS_STATUS_RESOURCES);
    assert_null(p);
    assert_true(harness_diag_contains("PoolHandle is NULL"));
    NDIS_HANDLE buffers = n5t_buffer_pool(1);
    assert_int_equal(try_packet(buffers, &p), NDIS_STATUS_RESOURCES);
    assert_true(harness_diag_contains("is a buffer pool"));
    NDIS_HANDLE pool = n5t_packet_pool(1, 0, 0);
    n5t_free_pool(pool, NdisFreePacketPool);
    assert_int_equal(try_packet(pool, &p), NDIS_STATUS_RESOURCES); /* the pool is gone */
    assert_true(harness_diag_contains("names no live packet pool"));
    assert_int_equal(NdisPacketPoolUsage(pool), 0);
    n5t_free_pool(buffers, NdisFreeBufferPool);
}

/* ----------------------------------------------------- packet contents */

static void oob_data_and_per_packet_info_are_reachable_through_the_macros(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(1, 0, 16);
    PNDIS_PACKET p = n5t_packet(pool);
    UCHAR media[4] = {1, 2, 3, 4};
    assert_int_equal(NDIS_SET_PACKET_HEADER_SIZE(p, 14), 14);
    assert_int_equal(NDIS_GET_PACKET_HEADER_SIZE(p), 14);
    NDIS_SET_PACKET_STATUS(p, NDIS_STATUS_RESOURCES);
    assert_int_equal(NDIS_GET_PACKET_STATUS(p), NDIS_STATUS_RESOURCES);
    assert_int_equal(NDIS_OOB_DATA_FROM_PACKET(p)->Status, NDIS_STATUS_RESOURCES);
    NDIS_SET_PACKET_TIME_TO_SEND(p, 1234);
    assert_int_equal(NDIS_GET_PACKET_TIME_SENT(p), 1234); /* the same union member */
    NDIS_SET_PACKET_TIME_RECEIVED(p, 99);
    assert_int_equal(NDIS_GET_PACKET_TIME_RECEIVED(p), 99);
    NDIS_SET_PACKET_MEDIA_SPECIFIC_INFO(p, media, sizeof(media));
    PVOID info = NULL;
    UINT size = 0;
    NDIS_GET_PACKET_MEDIA_SPECIFIC_INFO(p, &info, &size);
    assert_ptr_equal(info, media);
    assert_int_equal(size, 4);
    NDIS_PER_PACKET_INFO_FROM_PACKET(p, TcpLargeSendPacketInfo) = (PVOID)(ULONG_PTR)1460;
    assert_int_equal((ULONG_PTR)NDIS_PACKET_EXTENSION_FROM_PACKET(p)->NdisPacketInfo[TcpLargeSendPacketInfo], 1460);
    NDIS_SET_ORIGINAL_PACKET(p, p);
    assert_ptr_equal(NDIS_GET_ORIGINAL_PACKET(p), p);
    NDIS_SET_PACKET_CANCEL_ID(p, 7);
    assert_int_equal((ULONG_PTR)NDIS_GET_PACKET_CANCEL_ID(p), 7);
    assert_int_equal(Ieee8021pPriority, Ieee8021QInfo);
    assert_int_equal(HeaderIndexInfo, NdisReserved);
    /* None of it touches ProtocolReserved. */
    assert_true(all_zero(p->ProtocolReserved, 16));
    NdisFreePacket(p);
    n5t_free_pool(pool, NdisFreePacketPool);
}

static void packet_flags_are_set_read_and_cleared(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(1, 0, 0);
    PNDIS_PACKET p = n5t_packet(pool);
    assert_int_equal(NdisGetPacketFlags(p), 0);
    NdisSetPacketFlags(p, NDIS_FLAGS_DONT_LOOPBACK);
    NdisSetPacketFlags(p, NDIS_FLAGS_MULTICAST_PACKET);
    assert_int_equal(NdisGetPacketFlags(p), NDIS_FLAGS_DONT_LOOPBACK | NDIS_FLAGS_MULTICAST_PACKET);
    NdisClearPacketFlags(p, NDIS_FLAGS_DONT_LOOPBACK);
    assert_int_equal(NdisGetPacketFlags(p), NDIS_FLAGS_MULTICAST_PACKET);
    assert_int_equal(NDIS_FLAGS_DONT_LOOPBACK, 0x80);
    assert_int_equal(NDIS_FLAGS_IS_LOOPBACK_PACKET, 0x100);
    NdisFreePacket(p);
    n5t_free_pool(pool, NdisFreePacketPool);
}

static void reinitialize_empties_the_chain_and_keeps_the_rest(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(1, 0, 8), buffers = n5t_buffer_pool(2);
    PNDIS_PACKET p = n5t_packet(pool);
    UCHAR data[32];
    PNDIS_BUFFER a = n5t_buffer(buffers, data, 16), b = n5t_buffer(buffers, data + 16, 16);
    NdisChainBufferAtBack(p, a);
    NdisChainBufferAtBack(p, b);
    memset(p->ProtocolReserved, 0x77, 8);
    NdisSetPacketFlags(p, NDIS_FLAGS_DONT_LOOPBACK);
    NDIS_SET_PACKET_HEADER_SIZE(p, 14);
    NdisReinitializePacket(p);
    PNDIS_BUFFER first = a;
    UINT count = 9, length = 9;
    NdisQueryPacket(p, NULL, &count, &first, &length);
    assert_null(first);
    assert_int_equal(count, 0);
    assert_int_equal(length, 0);
    assert_null(p->Private.Tail);
    assert_int_equal(p->ProtocolReserved[7], 0x77);
    assert_int_equal(NdisGetPacketFlags(p), NDIS_FLAGS_DONT_LOOPBACK);
    assert_int_equal(NDIS_GET_PACKET_HEADER_SIZE(p), 14);
    /* The saved buffers are the driver's; the packet is free to go. */
    NdisFreeBuffer(a);
    NdisFreeBuffer(b);
    NdisFreePacket(p);
    n5t_free_pool(pool, NdisFreePacketPool);
    n5t_free_pool(buffers, NdisFreeBufferPool);
}

/* -------------------------------------------------------- pool free */

static void freeing_a_pool_with_packets_out_is_reported_and_the_pool_stays_usable(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(2, 1, 0);
    PNDIS_PACKET a = n5t_packet(pool), b = n5t_packet(pool), c = n5t_packet(pool); /* c: overflow */
    NdisFreePacketPool(pool);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_POOL_NOT_EMPTY);
    assert_int_equal(r->parameters[1], 3);
    int listed = 0; /* every packet out is listed, the overflow one too */
    for (const char *at = strstr(r->message, "allocated at"); at; at = strstr(at + 1, "allocated at"))
        listed++;
    assert_int_equal(listed, 3);
    assert_int_equal(ndisbuf_live_pool_count(), 1);
    NdisFreePacket(b);
    PNDIS_PACKET d = n5t_packet(pool); /* still usable */
    NdisFreePacket(a);
    NdisFreePacket(c);
    NdisFreePacket(d);
    n5t_free_pool(pool, NdisFreePacketPool);
}

static void freeing_a_bad_packet_pool_handle_is_reported(void **state)
{
    (void)state;
    int junk;
    NdisFreePacketPool(&junk);
    harness_expect_report(NDISBUF_REPORT_INVALID_HANDLE);
    NDIS_HANDLE pool = n5t_packet_pool(1, 0, 0);
    n5t_free_pool(pool, NdisFreePacketPool);
    NdisFreePacketPool(pool); /* twice */
    harness_expect_report(NDISBUF_REPORT_INVALID_HANDLE);
    NDIS_HANDLE buffers = n5t_buffer_pool(1);
    NdisFreePacketPool(buffers); /* the other kind */
    assert_contains(harness_expect_report(NDISBUF_REPORT_INVALID_HANDLE)->message, "another kind");
    n5t_free_pool(buffers, NdisFreeBufferPool);
}

/* ------------------------------------------------------ packet free */

static void freeing_a_packet_twice_is_reported(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(1, 1, 0);
    PNDIS_PACKET a = n5t_packet(pool), overflow = n5t_packet(pool);
    NdisFreePacket(overflow);
    NdisFreePacket(overflow); /* released memory: recognised, not followed */
    harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
    NdisFreePacket(a);
    NdisFreePacket(a);
    harness_expect_report(NDISBUF_REPORT_DOUBLE_FREE);
    assert_int_equal(NdisPacketPoolUsage(pool), 0);
    n5t_free_pool(pool, NdisFreePacketPool);
}

static void freeing_what_is_no_packet_is_reported(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(1, 0, 0), buffers = n5t_buffer_pool(1);
    UCHAR data[8];
    NDIS_PACKET on_stack;
    NdisFreePacket(NULL);
    harness_expect_report(NDISBUF_REPORT_NULL_OBJECT);
    NdisFreePacket(&on_stack);
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);
    PNDIS_PACKET p = n5t_packet(pool);
    NdisFreePacket((PNDIS_PACKET)p->ProtocolReserved); /* inside a packet */
    harness_expect_report(NDISBUF_REPORT_FOREIGN_POINTER);
    NDIS_HANDLE nbls = harness_nbl_pool(TRUE, 0, 0, HARNESS_TAG('t', 'N', 'B', 'L'));
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(nbls, 0, 0);
    NdisFreePacket((PNDIS_PACKET)nbl); /* an NDIS 6 object */
    harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL);
    NdisFreeNetBufferList(nbl);
    harness_free_nbl_pool(nbls);
    PNDIS_BUFFER b = n5t_buffer(buffers, data, 8);
    NdisFreePacket((PNDIS_PACKET)b);
    assert_contains(harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL)->message, "NdisFreeBuffer frees it");
    NdisFreeBuffer((PNDIS_BUFFER)p);
    assert_contains(harness_expect_report(NDISBUF_REPORT_WRONG_FREE_CALL)->message, "NdisFreePacket frees it");
    NdisFreeBuffer(b);
    NdisFreePacket(p);
    harness_expect_no_report();
    n5t_free_pool(pool, NdisFreePacketPool);
    n5t_free_pool(buffers, NdisFreeBufferPool);
}

static void freeing_a_packet_whose_pool_changed_is_reported(void **state)
{
    (void)state;
    NDIS_HANDLE one = n5t_packet_pool(1, 0, 0), two = n5t_packet_pool(1, 0, 0);
    PNDIS_PACKET p = n5t_packet(one);
    p->Private.Pool = two;
    NdisFreePacket(p);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_WRONG_POOL);
    assert_int_equal(r->parameters[2], (ULONG_PTR)one);
    assert_int_equal(NdisPacketPoolUsage(one), 1); /* left as it was */
    p->Private.Pool = one;
    NdisFreePacket(p);
    n5t_free_pool(one, NdisFreePacketPool);
    n5t_free_pool(two, NdisFreePacketPool);
}

static void freeing_a_packet_with_live_buffers_chained_is_reported(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(1, 0, 0), buffers = n5t_buffer_pool(2);
    UCHAR data[64];
    PNDIS_PACKET p = n5t_packet(pool);
    PNDIS_BUFFER a = n5t_buffer(buffers, data, 32), b = n5t_buffer(buffers, data + 32, 32);
    NdisChainBufferAtBack(p, a);
    NdisChainBufferAtBack(p, b);
    NdisFreePacket(p);
    const struct harness_report *r = harness_expect_report(NDISBUF_REPORT_PACKET_HAS_BUFFERS);
    assert_int_equal(r->parameters[1], (ULONG_PTR)a);
    assert_int_equal(NdisPacketPoolUsage(pool), 1);
    /* An MDL from NdisAllocateMdl counts as well. */
    PMDL mdl = NdisAllocateMdl(NULL, data, 8);
    NdisReinitializePacket(p);
    NdisChainBufferAtFront(p, mdl);
    NdisFreePacket(p);
    harness_expect_report(NDISBUF_REPORT_PACKET_HAS_BUFFERS);
    NdisReinitializePacket(p);
    NdisFreeMdl(mdl);
    /* The documented way out: free the chained buffers first, then the packet. */
    NdisChainBufferAtBack(p, a);
    NdisChainBufferAtBack(p, b);
    NdisFreeBuffer(a);
    NdisFreeBuffer(b);
    NdisFreePacket(p);
    harness_expect_no_report();
    n5t_free_pool(pool, NdisFreePacketPool);
    n5t_free_pool(buffers, NdisFreeBufferPool);
}

static void a_packet_may_be_freed_with_caller_owned_mdls_chained(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(1, 0, 0);
    UCHAR data[16];
    MDL mdl;
    MmInitializeMdl(&mdl, data, sizeof(data));
    PNDIS_PACKET p = n5t_packet(pool);
    NdisChainBufferAtBack(p, &mdl);
    NdisFreePacket(p); /* the library cannot know whether the driver kept a pointer: allowed */
    harness_expect_no_report();
    n5t_free_pool(pool, NdisFreePacketPool);
}

/* --------------------------------------------------------- leaks */

static void leaked_packets_show_in_the_process_counts(void **state)
{
    (void)state;
    NDIS_HANDLE pool = n5t_packet_pool(1, 1, 0);
    assert_int_equal(ndisbuf_live_pool_count(), 1);
    PNDIS_PACKET a = n5t_packet(pool), b = n5t_packet(pool);
    assert_int_equal(ndisbuf_outstanding_total(), 2); /* what the harness teardown checks */
    NdisFreePacket(a);
    assert_int_equal(ndisbuf_outstanding_total(), 1);
    NdisFreePacket(b);
    assert_int_equal(ndisbuf_outstanding_total(), 0);
    n5t_free_pool(pool, NdisFreePacketPool);
    assert_int_equal(ndisbuf_live_pool_count(), 0);
}

/* ------------------------------------------------------- threads */

#define RING 64

struct handoff {
    NDIS_HANDLE pool;
    PNDIS_PACKET ring[RING];
    unsigned head, tail; /* under lock */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
};

static void *free_on_this_thread(void *arg)
{
    struct handoff *h = arg;
    pthread_mutex_lock(&h->lock);
    for (;;) {
        while (h->head == h->tail && !h->done)
            pthread_cond_wait(&h->cond, &h->lock);
        if (h->head == h->tail)
            break;
        PNDIS_PACKET p = h->ring[h->tail++ % RING];
        pthread_mutex_unlock(&h->lock);
        NdisFreePacket(p);
        pthread_mutex_lock(&h->lock);
        pthread_cond_broadcast(&h->cond);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

/* Send on one thread, completion on another: the descriptors come back to the sender. */
static void packets_freed_on_another_thread_are_available_again(void **state)
{
    (void)state;
    struct handoff h = {.pool = n5t_packet_pool(8, 0, 0)};
    pthread_mutex_init(&h.lock, NULL);
    pthread_cond_init(&h.cond, NULL);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, free_on_this_thread, &h), 0);
    unsigned failures = 0;
    for (int i = 0; i < 20000; i++) {
        PNDIS_PACKET p;
        while (try_packet(h.pool, &p) != NDIS_STATUS_SUCCESS) {
            failures++;
            pthread_mutex_lock(&h.lock); /* wait for a completion */
            while (h.head - h.tail == 8)
                pthread_cond_wait(&h.cond, &h.lock);
            pthread_mutex_unlock(&h.lock);
        }
        pthread_mutex_lock(&h.lock);
        h.ring[h.head++ % RING] = p;
        assert_true(h.head - h.tail <= 8); /* never more than the pool's total */
        pthread_cond_broadcast(&h.cond);
        pthread_mutex_unlock(&h.lock);
    }
    pthread_mutex_lock(&h.lock);
    h.done = true;
    pthread_cond_broadcast(&h.cond);
    pthread_mutex_unlock(&h.lock);
    pthread_join(t, NULL);
    /* The allocating thread alone: the whole pool is available again. */
    PNDIS_PACKET all[8];
    for (int i = 0; i < 8; i++)
        all[i] = n5t_packet(h.pool);
    for (int i = 0; i < 8; i++)
        NdisFreePacket(all[i]);
    n5t_free_pool(h.pool, NdisFreePacketPool);
    pthread_cond_destroy(&h.cond);
    pthread_mutex_destroy(&h.lock);
    (void)failures;
}

struct bound_check {
    NDIS_HANDLE pool;
    int in_use;   /* atomic */
    int peak;     /* atomic */
    int got;      /* atomic */
};

static void *allocate_and_free(void *arg)
{
    struct bound_check *c = arg;
    PNDIS_PACKET held[6];
    for (int round = 0; round < 3000; round++) {
        int n = 0;
        for (; n < 6; n++) {
            if (try_packet(c->pool, &held[n]) != NDIS_STATUS_SUCCESS)
                break;
            int now = __atomic_add_fetch(&c->in_use, 1, __ATOMIC_SEQ_CST);
            int peak = __atomic_load_n(&c->peak, __ATOMIC_SEQ_CST);
            while (now > peak && !__atomic_compare_exchange_n(&c->peak, &peak, now, false, __ATOMIC_SEQ_CST,
                                                              __ATOMIC_SEQ_CST))
                ;
        }
        __atomic_add_fetch(&c->got, n, __ATOMIC_SEQ_CST);
        while (n-- > 0) {
            __atomic_sub_fetch(&c->in_use, 1, __ATOMIC_SEQ_CST);
            NdisFreePacket(held[n]);
        }
    }
    return NULL;
}

static void several_allocating_threads_never_exceed_the_total(void **state)
{
    (void)state;
    struct bound_check c = {.pool = n5t_packet_pool(10, 4, 0)};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, allocate_and_free, &c), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_true(c.peak <= 14);
    assert_true(c.got > 0);
    assert_int_equal(NdisPacketPoolUsage(c.pool), 0);
    /* The threads are gone and gave their shares back: the whole total is available to one thread. */
    PNDIS_PACKET all[14], extra;
    for (int i = 0; i < 14; i++)
        all[i] = n5t_packet(c.pool);
    assert_int_equal(try_packet(c.pool, &extra), NDIS_STATUS_RESOURCES);
    for (int i = 0; i < 14; i++)
        NdisFreePacket(all[i]);
    n5t_free_pool(c.pool, NdisFreePacketPool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HARNESS_TEST(allocated_packet_is_zeroed_with_an_empty_chain),
        HARNESS_TEST(protocol_reserved_has_the_length_the_pool_was_made_with),
        HARNESS_TEST(preallocated_descriptors_run_out_with_resources),
        HARNESS_TEST(overflow_descriptors_are_made_when_the_others_are_in_use),
        HARNESS_TEST(overflow_descriptors_are_released_when_freed),
        HARNESS_TEST(more_than_0xffff_descriptors_give_resources),
        HARNESS_TEST(overflow_is_reduced_to_a_total_of_0xffff),
        HARNESS_TEST(a_pool_of_0xffff_descriptors_is_accepted),
        HARNESS_TEST(protocol_reserved_beyond_the_oob_offset_gives_resources),
        HARNESS_TEST(a_pool_may_have_only_overflow_descriptors),
        HARNESS_TEST(packet_layout_is_as_documented),
        HARNESS_TEST(dpr_variants_allocate_and_free_like_the_others),
        HARNESS_TEST(allocation_with_a_bad_handle_gives_resources_and_a_diagnostic),
        HARNESS_TEST(oob_data_and_per_packet_info_are_reachable_through_the_macros),
        HARNESS_TEST(packet_flags_are_set_read_and_cleared),
        HARNESS_TEST(reinitialize_empties_the_chain_and_keeps_the_rest),
        HARNESS_TEST(freeing_a_pool_with_packets_out_is_reported_and_the_pool_stays_usable),
        HARNESS_TEST(freeing_a_bad_packet_pool_handle_is_reported),
        HARNESS_TEST(freeing_a_packet_twice_is_reported),
        HARNESS_TEST(freeing_what_is_no_packet_is_reported),
        HARNESS_TEST(freeing_a_packet_whose_pool_changed_is_reported),
        HARNESS_TEST(freeing_a_packet_with_live_buffers_chained_is_reported),
        HARNESS_TEST(a_packet_may_be_freed_with_caller_owned_mdls_chained),
        HARNESS_TEST(leaked_packets_show_in_the_process_counts),
        HARNESS_TEST(packets_freed_on_another_thread_are_available_again),
        HARNESS_TEST(several_allocating_threads_never_exceed_the_total),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
