/* SPDX-License-Identifier: MIT */
/*
 * NDIS 5 packet pools: creation, free, usage and the packet layout.
 *
 * A packet is laid out once for the pool (ndis5.h): NDIS_PACKET, the
 * pool's ProtocolReservedLength bytes of ProtocolReserved, then the OOB
 * block (8-aligned, at Private.NdisPacketOobOffset) and the per-packet
 * information. The pool makes its NumberOfDescriptors packets up front:
 * each is allocated from the engine once and freed again, which commits and
 * lays them out, and the quota that bounds them discounts those
 * allocations. The overflow count is clamped so the total stays within
 * 0xFFFF, as documented.
 */
#include <stdlib.h>

#include "n5.h"
#include "verify/fault.h"
#include "verify/verify.h"

static size_t align_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

/* Offset of the OOB block for a ProtocolReservedLength (may exceed a USHORT). */
static size_t oob_offset(UINT protocol_reserved)
{
    return align_up(offsetof(NDIS_PACKET, ProtocolReserved) + (size_t)protocol_reserved, sizeof(PVOID));
}

static size_t packet_bytes(UINT protocol_reserved)
{
    return oob_offset(protocol_reserved) + sizeof(NDIS_PACKET_OOB_DATA) + sizeof(NDIS_PACKET_EXTENSION);
}

UINT NdisPacketSize(UINT ProtocolReservedSize)
{
    return (UINT)packet_bytes(ProtocolReservedSize);
}

static bool pool_arguments_ok(PNDIS_STATUS status, PNDIS_HANDLE handle, UINT descriptors, UINT reserved,
                              const char *fn)
{
    if (!status || !handle) {
        vf_diagnostic(fn, "%s is NULL", !status ? "Status" : "PoolHandle");
        return false;
    }
    *handle = NULL;
    *status = NDIS_STATUS_RESOURCES;
    if (descriptors > N5_MAX_PACKET_DESCRIPTORS) {
        vf_diagnostic(fn, "NumberOfDescriptors is %u, above the maximum of 0xFFFF", descriptors);
        return false;
    }
    if (oob_offset(reserved) > 0xFFFF) {
        vf_diagnostic(fn, "ProtocolReservedLength %u leaves the OOB block beyond "
                          "Private.NdisPacketOobOffset's reach (at most %zu bytes)",
                      reserved, 0xFFF8 - offsetof(NDIS_PACKET, ProtocolReserved));
        return false;
    }
    return true;
}

/* Lays out all preallocated descriptors now: allocated once, freed again. */
static bool pool_prefill(struct n5_pool *pool)
{
    UINT n = pool->descriptors;
    void **elements = n ? calloc(n, sizeof(*elements)) : NULL;
    if (n && !elements)
        return false;
    UINT made = 0;
    while (made < n && (elements[made] = pool_alloc(pool->core.engine)))
        made++;
    for (UINT i = made; i-- > 0;)
        pool_free(pool->core.engine, elements[i]);
    free(elements);
    pool->quota.prefill = made;
    return made == n;
}

VOID NdisAllocatePacketPoolEx(PNDIS_STATUS Status, PNDIS_HANDLE PoolHandle, UINT NumberOfDescriptors,
                              UINT NumberOfOverflowDescriptors, UINT ProtocolReservedLength)
{
    const char *fn = "NdisAllocatePacketPoolEx";
    if (!pool_arguments_ok(Status, PoolHandle, NumberOfDescriptors, ProtocolReservedLength, fn))
        return;
    if (vf_fault_fail(NDISBUF_FAULT_POOL)) {
        vf_fault_diagnostic(fn);
        return;
    }
    UINT overflow = NumberOfOverflowDescriptors;
    if (overflow > N5_MAX_PACKET_DESCRIPTORS - NumberOfDescriptors)
        overflow = N5_MAX_PACKET_DESCRIPTORS - NumberOfDescriptors; /* documented clamp */
    struct n5_pool *pool = n5_pool_create(N5_POOL_KIND_PACKET, 0x35544B50 /* "PKT5" */,
                                          packet_bytes(ProtocolReservedLength), NumberOfDescriptors);
    if (!pool) {
        vf_diagnostic(fn, "out of memory or address space for a packet pool");
        return;
    }
    pool->descriptors = NumberOfDescriptors;
    pool->overflow_limit = overflow;
    pool->protocol_reserved = ProtocolReservedLength;
    pool->oob_offset = (USHORT)oob_offset(ProtocolReservedLength);
    pool->packet_size = (UINT)packet_bytes(ProtocolReservedLength);
    if (!pool_prefill(pool)) {
        n5_pool_discard(pool);
        vf_diagnostic(fn, "out of memory for %u packet descriptors of %u bytes", NumberOfDescriptors,
                      (UINT)packet_bytes(ProtocolReservedLength));
        return;
    }
    n5_pool_publish(pool);
    *PoolHandle = pool;
    *Status = NDIS_STATUS_SUCCESS;
}

VOID NdisAllocatePacketPool(PNDIS_STATUS Status, PNDIS_HANDLE PoolHandle, UINT NumberOfDescriptors,
                            UINT ProtocolReservedLength)
{
    NdisAllocatePacketPoolEx(Status, PoolHandle, NumberOfDescriptors, 0, ProtocolReservedLength);
}

VOID NdisFreePacketPool(NDIS_HANDLE PoolHandle)
{
    n5_pool_free(PoolHandle, N5_POOL_KIND_PACKET, "NdisFreePacketPool");
}

UINT NdisPacketPoolUsage(NDIS_HANDLE PoolHandle)
{
    struct n5_pool *pool = n5_pool_checked(PoolHandle, N5_POOL_KIND_PACKET, "NdisPacketPoolUsage");
    return pool ? (UINT)n5_pool_usage(pool) : 0;
}
