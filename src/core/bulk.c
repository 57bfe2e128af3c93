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
#include "nbl_fast.h"
#include "ndisbuf.h"
#include "verify/verify.h"

/* The fast way: all Count elements straight out of this thread's magazine; false when it cannot. */
static inline bool nbl_alloc_bulk_fast(struct nbuf_pool *pool, USHORT context_size, USHORT context_backfill,
                                       PNET_BUFFER_LIST *out, ULONG count, void *site)
{
    struct elem_header *taken[NDISBUF_BULK_MAX];
    if (!nbl_fast_allowed(pool, context_size, context_backfill) || count == 0 || count > NDISBUF_BULK_MAX ||
        !elem_take_cached_many(pool, taken, count, site))
        return false;
    PNET_BUFFER_LIST next = NULL;
    for (ULONG i = count; i-- > 0;) {
        PNET_BUFFER_LIST nbl = nbl_setup_fitting(pool, taken[i], context_size, context_backfill);
        nbl->Next = next;
        out[i] = next = nbl;
    }
    return true;
}

NDISBUF_HOT_PATH NDIS_STATUS ndisbuf_nbl_alloc_bulk(NDIS_HANDLE PoolHandle, USHORT ContextSize,
                                                    USHORT ContextBackFill, PNET_BUFFER_LIST *NetBufferLists,
                                                    ULONG Count)
{
    if (NDISBUF_LIKELY(NetBufferLists != NULL) &&
        nbl_alloc_bulk_fast(PoolHandle, ContextSize, ContextBackFill, NetBufferLists, Count,
                            __builtin_return_address(0)))
        return NDIS_STATUS_SUCCESS;
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

NDISBUF_HOT_PATH ULONG ndisbuf_nbl_free_bulk(PNET_BUFFER_LIST *NetBufferLists, ULONG Count)
{
    if (!NetBufferLists && Count) {
        vf_diagnostic("ndisbuf_nbl_free_bulk", "NetBufferLists is NULL with Count %u", Count);
        return 0;
    }
    ULONG freed = 0;
    for (ULONG i = 0; i < Count; i++)
        freed += nbl_free_fast(NetBufferLists[i]) || nbl_free_one(NetBufferLists[i]);
    return freed;
}

ULONG ndisbuf_nbl_free_chain(PNET_BUFFER_LIST NetBufferListChain)
{
    ULONG freed = 0;
    for (PNET_BUFFER_LIST nbl = NetBufferListChain, next; nbl; nbl = next) {
        /* Next is read only from a live NBL: a stray pointer ends the walk (after its report). */
        struct elem_header *h;
        next = elem_classify(nbl, &h) == OBJ_NBL && h->state == ELEM_LIVE ? nbl->Next : NULL;
        freed += nbl_free_fast(nbl) || nbl_free_one(nbl);
    }
    return freed;
}
