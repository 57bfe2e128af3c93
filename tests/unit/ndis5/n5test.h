/* SPDX-License-Identifier: MIT */
/*
 * Small builders shared by the NDIS 5.1 tests (header-only: each test is
 * its own executable). Every builder asserts success, so a test reads as
 * the rule it checks.
 */
#ifndef NDISBUF_TESTS_N5TEST_H
#define NDISBUF_TESTS_N5TEST_H

#include "harness.h"

/* A live packet pool (asserts success). */
static inline NDIS_HANDLE n5t_packet_pool(UINT descriptors, UINT overflow, UINT reserved)
{
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    NDIS_HANDLE pool = NULL;
    NdisAllocatePacketPoolEx(&status, &pool, descriptors, overflow, reserved);
    if (status != NDIS_STATUS_SUCCESS)
        print_error("NdisAllocatePacketPoolEx failed: %s\n", ndisbuf_last_diagnostic());
    assert_int_equal(status, NDIS_STATUS_SUCCESS);
    assert_non_null(pool);
    return pool;
}

/* A live buffer pool (asserts success). */
static inline NDIS_HANDLE n5t_buffer_pool(UINT descriptors)
{
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    NDIS_HANDLE pool = NULL;
    NdisAllocateBufferPool(&status, &pool, descriptors);
    assert_int_equal(status, NDIS_STATUS_SUCCESS);
    assert_non_null(pool);
    return pool;
}

/* A packet from the pool (asserts success). */
static inline PNDIS_PACKET n5t_packet(NDIS_HANDLE pool)
{
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    PNDIS_PACKET packet = NULL;
    NdisAllocatePacket(&status, &packet, pool);
    if (status != NDIS_STATUS_SUCCESS)
        print_error("NdisAllocatePacket failed: %s\n", ndisbuf_last_diagnostic());
    assert_int_equal(status, NDIS_STATUS_SUCCESS);
    assert_non_null(packet);
    return packet;
}

/* A buffer descriptor for length bytes at va (asserts success). */
static inline PNDIS_BUFFER n5t_buffer(NDIS_HANDLE pool, void *va, UINT length)
{
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    PNDIS_BUFFER buffer = NULL;
    NdisAllocateBuffer(&status, &buffer, pool, va, length);
    if (status != NDIS_STATUS_SUCCESS)
        print_error("NdisAllocateBuffer failed: %s\n", ndisbuf_last_diagnostic());
    assert_int_equal(status, NDIS_STATUS_SUCCESS);
    assert_non_null(buffer);
    return buffer;
}

/* Frees a pool with the call given and asserts it went (no report, one live pool fewer). */
static inline void n5t_free_pool(NDIS_HANDLE pool, VOID (*free_fn)(NDIS_HANDLE))
{
    ULONG before = ndisbuf_live_pool_count();
    free_fn(pool);
    harness_expect_no_report();
    assert_int_equal(ndisbuf_live_pool_count(), before - 1);
}

/* Unchains every buffer of the packet and frees them with NdisFreeBuffer. */
static inline void n5t_free_chain(PNDIS_PACKET packet)
{
    PNDIS_BUFFER buffer;
    for (NdisUnchainBufferAtFront(packet, &buffer); buffer; NdisUnchainBufferAtFront(packet, &buffer))
        NdisFreeBuffer(buffer);
}

#endif /* NDISBUF_TESTS_N5TEST_H */
