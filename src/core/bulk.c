/* SPDX-License-Identifier: MIT */
/*
 * Bulk allocation and free of NBLs (ndisbuf extensions).
 *
 * Each NBL is taken and freed exactly as the single calls do, so the
 * verifier, fault injection and the level-0 checks see no difference; the
 * saving is the argument checks done once per call instead of once per NBL.
 */
#include "config.h"
#include "element.h"
#include "ndisbuf.h"
#include "verify/verify.h"

NDIS_STATUS ndisbuf_nbl_alloc_bulk(NDIS_HANDLE PoolHandle, USHORT ContextSize, USHORT ContextBackFill,
                                   PNET_BUFFER_LIST *NetBufferLists, ULONG Count)
{
    const char *fn = "ndisbuf_nbl_alloc_bulk";
    struct nbuf_pool *pool = pools_checked(PoolHandle, NBUF_POOL_NBL, fn);
    if (!pool || !nbl_context_request_ok(ContextSize, ContextBackFill, fn))
        return NDIS_STATUS_INVALID_PARAMETER;
    if (!NetBufferLists || Count == 0 || Count > NDISBUF_BULK_MAX) {
        vf_diagnostic(fn, "NetBufferLists %p with Count %u: the array must be non-NULL and Count 1..%u",
                      (void *)NetBufferLists, Count, NDISBUF_BULK_MAX);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    void *site = __builtin_return_address(0);
    PNET_BUFFER_LIST taken[NDISBUF_BULK_MAX];
    for (ULONG i = 0; i < Count; i++) {
        taken[i] = nbl_take(pool, ContextSize, ContextBackFill, site, fn);
        if (NDISBUF_UNLIKELY(!taken[i])) {
            while (i-- > 0)
                NdisFreeNetBufferList(taken[i]);
            return NDIS_STATUS_RESOURCES;
        }
        if (i)
            taken[i - 1]->Next = taken[i];
    }
    for (ULONG i = 0; i < Count; i++)
        NetBufferLists[i] = taken[i];
    return NDIS_STATUS_SUCCESS;
}

ULONG ndisbuf_nbl_free_bulk(PNET_BUFFER_LIST *NetBufferLists, ULONG Count)
{
    if (!NetBufferLists && Count) {
        vf_diagnostic("ndisbuf_nbl_free_bulk", "NetBufferLists is NULL with Count %u", Count);
        return 0;
    }
    ULONG freed = 0;
    for (ULONG i = 0; i < Count; i++)
        freed += nbl_free_one(NetBufferLists[i]);
    return freed;
}

ULONG ndisbuf_nbl_free_chain(PNET_BUFFER_LIST NetBufferListChain)
{
    ULONG freed = 0;
    for (PNET_BUFFER_LIST nbl = NetBufferListChain, next; nbl; nbl = next) {
        /* Next is read only from a live NBL: a stray pointer ends the walk (after its report). */
        struct elem_header *h;
        next = elem_classify(nbl, &h) == OBJ_NBL && h->state == ELEM_LIVE ? nbl->Next : NULL;
        freed += nbl_free_one(nbl);
    }
    return freed;
}
