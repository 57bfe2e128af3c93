/* SPDX-License-Identifier: MIT */
/*
 * NET_BUFFER_LIST allocation and free.
 *
 * An NBL comes zeroed from its pool element, with the element's own NB (and
 * MDL and data) when the pool has them, and with its allocation-time
 * context: from the element's context block when it fits, from a separate
 * block otherwise. Free checks, in this order, that the pointer is an NBL a
 * pool gave out, that it is live, that it still names its pool, that it
 * carries no separately allocated NB and that no pushed context is left;
 * any failure is reported and the NBL is left as it was.
 */
#include <stdlib.h>

#include "config.h"
#include "element.h"
#include "nbl_fast.h"
#include "verify/fault.h"
#include "verify/track.h"
#include "verify/verify.h"

bool nbl_context_request_ok(USHORT size, USHORT backfill, const char *fn)
{
    if (size % sizeof(PVOID) != 0 || backfill % sizeof(PVOID) != 0) {
        vf_diagnostic(fn, "ContextSize %u and ContextBackFill %u must be multiples of sizeof(PVOID) (%zu)",
                      size, backfill, sizeof(PVOID));
        return false;
    }
    if ((ULONG)size + backfill > 0xFFFF) {
        vf_diagnostic(fn, "ContextSize %u + ContextBackFill %u exceed a context block's 65535 bytes",
                      size, backfill);
        return false;
    }
    return true;
}

/* A separate context block of `total` bytes, for a request larger than the element's; NULL when none. */
__attribute__((noinline)) PNET_BUFFER_LIST_CONTEXT nbl_context_block_alloc(struct elem_header *h, size_t total)
{
    if (vf_fault_fail(NDISBUF_FAULT_CONTEXT))
        return NULL;
    PNET_BUFFER_LIST_CONTEXT block = aligned_alloc(MEMORY_ALLOCATION_ALIGNMENT,
                                                   (sizeof(*block) + total + MEMORY_ALLOCATION_ALIGNMENT - 1) &
                                                       ~(size_t)(MEMORY_ALLOCATION_ALIGNMENT - 1));
    if (!block)
        return NULL;
    block->Size = (USHORT)total;
    h->flags |= ELEM_CONTEXT_ALLOCATED;
    elem_side_of(h)->context_block = block;
    return block;
}

NDISBUF_HOT_PATH PNET_BUFFER_LIST nbl_take(struct nbuf_pool *pool, USHORT context_size, USHORT context_backfill, void *site,
                          const char *fn)
{
    if (vf_fault_fail(NDISBUF_FAULT_NBL)) {
        vf_fault_diagnostic(fn);
        return NULL;
    }
    struct elem_header *h = elem_take(pool, site);
    if (NDISBUF_UNLIKELY(!h)) {
        elem_take_failed(pool, fn);
        return NULL;
    }
    PNET_BUFFER_LIST nbl = nbl_setup(pool, h, context_size, context_backfill);
    if (NDISBUF_UNLIKELY(!nbl)) {
        elem_give_back(h);
        vf_diagnostic(fn, "out of memory for a %u-byte context block%s", context_size + context_backfill,
                      vf_fault_note());
        return NULL;
    }
    if (NDISBUF_UNLIKELY(vf_level() >= 1))
        vf_nbl_allocated(h, nbl);
    return nbl;
}

/* The careful allocation: every check, fault injection, growth, tracking. */
static __attribute__((noinline)) PNET_BUFFER_LIST nbl_alloc_careful(NDIS_HANDLE handle, USHORT context_size,
                                                                     USHORT context_backfill, void *site,
                                                                     const char *fn)
{
    struct nbuf_pool *pool = pools_checked(handle, NBUF_POOL_NBL, fn);
    if (!pool || !nbl_context_request_ok(context_size, context_backfill, fn))
        return NULL;
    return nbl_take(pool, context_size, context_backfill, site, fn);
}

NDISBUF_HOT_PATH PNET_BUFFER_LIST NdisAllocateNetBufferList(NDIS_HANDLE PoolHandle, USHORT ContextSize,
                                                             USHORT ContextBackFill)
{
    struct nbuf_pool *pool = PoolHandle;
    struct elem_header *h;
    if (nbl_fast_allowed(pool, ContextSize, ContextBackFill) &&
        NDISBUF_LIKELY((h = nbl_elem_take_cached(pool)) != NULL)) {
        struct nbl_shape shape = nbl_shape_of(pool);
        return nbl_setup_fitting(&shape, h, ContextSize, ContextBackFill);
    }
    return nbl_alloc_careful(PoolHandle, ContextSize, ContextBackFill, __builtin_return_address(0),
                             "NdisAllocateNetBufferList");
}

/* NdisAllocateNetBufferAndNetBufferList's careful way: every check explained. */
/*
 * The context sizes come packed in one argument (ContextSize | ContextBackFill
 * << 16): six arguments travel in registers, so the fast path jumps here
 * without a stack frame of its own.
 */
static __attribute__((noinline)) PNET_BUFFER_LIST nbl_and_nb_alloc_careful(NDIS_HANDLE handle, ULONG context,
                                                                            PMDL chain, ULONG offset, SIZE_T length,
                                                                            void *site)
{
    const char *fn = "NdisAllocateNetBufferAndNetBufferList";
    USHORT context_size = (USHORT)context, context_backfill = (USHORT)(context >> 16);
    struct nbuf_pool *pool = pools_checked(handle, NBUF_POOL_NBL, fn);
    if (!pool || !nbl_context_request_ok(context_size, context_backfill, fn))
        return NULL;
    if (NDISBUF_UNLIKELY(!pool->allocate_nb || pool->layout.data_size)) {
        vf_diagnostic(fn, "the pool was created with %s; this call needs fAllocateNetBuffer TRUE and DataSize 0",
                      pool->allocate_nb ? "a DataSize" : "fAllocateNetBuffer FALSE");
        return NULL;
    }
    if (!nb_chain_fits(chain, offset, length, fn))
        return NULL;
    PNET_BUFFER_LIST nbl = nbl_take(pool, context_size, context_backfill, site, fn);
    if (nbl)
        nb_attach_chain(nbl->FirstNetBuffer, chain, offset, length);
    return nbl;
}

NDISBUF_HOT_PATH PNET_BUFFER_LIST NdisAllocateNetBufferAndNetBufferList(NDIS_HANDLE PoolHandle, USHORT ContextSize,
                                                                        USHORT ContextBackFill, PMDL MdlChain,
                                                                        ULONG DataOffset, SIZE_T DataLength)
{
    /* Fast path: a pool with NBs and no data, and no chain or a one-MDL chain holding the data. */
    struct nbuf_pool *pool = PoolHandle;
    struct elem_header *h;
    if (nbl_fast_allowed(pool, ContextSize, ContextBackFill) &&
        NDISBUF_LIKELY(pool->allocate_nb && !pool->layout.data_size) &&
        NDISBUF_LIKELY(MdlChain ? !MdlChain->Next && (ULONG64)DataOffset + DataLength <= MdlChain->ByteCount
                                : !DataOffset && !DataLength) &&
        NDISBUF_LIKELY((h = nbl_elem_take_cached(pool)) != NULL)) {
        struct nbl_shape shape = nbl_shape_of(pool);
        shape.data_size = 0; /* checked above: so the compiler leaves the data part of the lay-out out */
        PNET_BUFFER_LIST nbl = nbl_setup_fitting(&shape, h, ContextSize, ContextBackFill);
        PNET_BUFFER nb = nbl->FirstNetBuffer;
        nb->MdlChain = nb->CurrentMdl = MdlChain;
        nb->DataOffset = nb->CurrentMdlOffset = DataOffset;
        nb->stDataLength = DataLength;
        return nbl;
    }
    return nbl_and_nb_alloc_careful(PoolHandle, ContextSize | (ULONG)ContextBackFill << 16, MdlChain, DataOffset,
                                    DataLength, __builtin_return_address(0));
}

/*
 * Whether the library put nb on nbl: the NBL's own NB, or an NB a
 * derivation took for this NBL (clone, fragment, reassembly).
 */
static bool nbl_holds_nb(PNET_BUFFER_LIST nbl, struct elem_header *h, PNET_BUFFER own, PNET_BUFFER nb)
{
    if (nb == own)
        return true;
    struct elem_header *nh;
    return h->derived && elem_classify(nb, &nh) == OBJ_NB && nh->state == ELEM_LIVE && elem_ext(nh)->derived_nbl == nbl;
}

/*
 * Counts the NBs on the NBL that the library did not put there, and those
 * it did (bounded walk).
 */
static ULONG nbl_foreign_nbs(PNET_BUFFER_LIST nbl, struct elem_header *h, PNET_BUFFER *first_foreign, ULONG *held)
{
    PNET_BUFFER own = h->pool->layout.nb ? elem_part(h, h->pool->layout.nb) : NULL;
    ULONG foreign = 0, seen = 0;
    *first_foreign = NULL;
    *held = 0;
    for (PNET_BUFFER nb = nbl->FirstNetBuffer; nb && seen < (1u << 20); nb = nb->Next, seen++) {
        if (nbl_holds_nb(nbl, h, own, nb)) {
            (*held)++;
            continue;
        }
        if (!foreign++)
            *first_foreign = nb;
    }
    return foreign;
}

bool nbl_free_allowed(PNET_BUFFER_LIST nbl, struct elem_header *h, const char *fn)
{
    PNET_BUFFER foreign_nb;
    ULONG held;
    ULONG foreign = nbl_foreign_nbs(nbl, h, &foreign_nb, &held);
    if (NDISBUF_UNLIKELY(foreign)) {
        ULONG_PTR params[4] = {(ULONG_PTR)nbl, (ULONG_PTR)foreign_nb, foreign, 0};
        vf_report(NDISBUF_REPORT_NBL_HAS_FOREIGN_NB, fn, nbl, params,
                  "NET_BUFFER_LIST %p still carries %u NET_BUFFER(s) it was not allocated with (first: %p); "
                  "free them with NdisFreeNetBuffer (or unlink them) before freeing the NBL",
                  (void *)nbl, foreign, (void *)foreign_nb);
        return false;
    }
    if (NDISBUF_UNLIKELY(h->derived && held != h->derived_nbs)) {
        ULONG_PTR params[4] = {(ULONG_PTR)nbl, held, h->derived_nbs, 0};
        vf_report(NDISBUF_REPORT_DERIVED_NB_MISSING, fn, nbl, params,
                  "derived NET_BUFFER_LIST %p was given %lu NET_BUFFER(s) but carries %u of them; link the "
                  "others back before freeing it (they cannot be freed on their own)",
                  (void *)nbl, (unsigned long)h->derived_nbs, held);
        return false;
    }
    PNET_BUFFER_LIST_CONTEXT base = nbl_context_base(h);
    if (NDISBUF_UNLIKELY(nbl->Context != base)) {
        ULONG_PTR params[4] = {(ULONG_PTR)nbl, (ULONG_PTR)nbl->Context, (ULONG_PTR)base, 0};
        vf_report(NDISBUF_REPORT_CONTEXT_NOT_POPPED, fn, nbl, params,
                  "NET_BUFFER_LIST %p is freed with context %p on it, above its allocation-time context %p; "
                  "pop it with NdisFreeNetBufferListContext first",
                  (void *)nbl, (void *)nbl->Context, (void *)base);
        return false;
    }
    if (NDISBUF_UNLIKELY(nbl->ChildRefCount != 0)) {
        ULONG_PTR params[4] = {(ULONG_PTR)nbl, (ULONG_PTR)(LONG_PTR)nbl->ChildRefCount, 0, 0};
        vf_report(NDISBUF_REPORT_CHILDREN_OUTSTANDING, fn, nbl, params,
                  "NET_BUFFER_LIST %p is freed with ChildRefCount %d: the NBLs derived from it must be freed "
                  "(and the count brought back to 0) first",
                  (void *)nbl, (int)nbl->ChildRefCount);
        return false;
    }
    if (NDISBUF_UNLIKELY(vf_level() >= 1) && !vf_nbl_freeing(nbl, fn))
        return false;
    return true;
}

/* The call that frees an NBL derived as `kind`. */
const char *nbl_free_call_name(uint8_t kind)
{
    switch (kind) {
    case DERIVED_CLONE:
    case DERIVED_CLONE_ORIGINAL_MDLS:
        return "NdisFreeCloneNetBufferList";
    case DERIVED_FRAGMENT:
        return "NdisFreeFragmentNetBufferList";
    case DERIVED_REASSEMBLED:
        return "NdisFreeReassembledNetBufferList";
    }
    return "NdisFreeNetBufferList";
}

/*
 * The fast path: a plain NBL that nbl_fast_freeable lets through, and clean
 * (nbl_elem_release). Every other way out is a tail call, so the common
 * case runs without a stack frame.
 */
NDISBUF_HOT_PATH VOID NdisFreeNetBufferList(PNET_BUFFER_LIST NetBufferList)
{
    struct nbl_shape shape;
    struct elem_header *h = nbl_fast_freeable(NetBufferList, DERIVED_NONE, &shape);
    if (NDISBUF_UNLIKELY(!h)) {
        nbl_free_one(NetBufferList);
        return;
    }
    nbl_elem_release(&shape, h);
}

bool nbl_free_one(PNET_BUFFER_LIST NetBufferList)
{
    const char *fn = "NdisFreeNetBufferList";
    struct elem_header *h = elem_checked(NetBufferList, OBJ_NBL, "NET_BUFFER_LIST", fn);
    if (!h || !elem_pool_matches(h, NetBufferList, NetBufferList->NdisPoolHandle, "NET_BUFFER_LIST", fn))
        return false;
    if (NDISBUF_UNLIKELY(h->derived)) {
        ULONG_PTR params[4] = {(ULONG_PTR)NetBufferList, h->derived, 0, 0};
        vf_report(NDISBUF_REPORT_WRONG_FREE_CALL, fn, NetBufferList, params,
                  "NET_BUFFER_LIST %p is a derived NBL; %s frees it", (void *)NetBufferList,
                  nbl_free_call_name(h->derived));
        return false;
    }
    if (!nbl_free_allowed(NetBufferList, h, fn))
        return false;
    if (h->pool->layout.nb)
        nb_release_retreat_mdls(elem_part(h, h->pool->layout.nb), fn);
    if (h->flags & ELEM_CONTEXT_ALLOCATED) {
        struct elem_side *side = elem_side_of(h);
        free(side->context_block);
        side->context_block = NULL;
    }
    elem_give_back(h);
    return true;
}

NDIS_HANDLE NdisGetPoolFromNetBufferList(PNET_BUFFER_LIST NetBufferList)
{
    return NetBufferList->NdisPoolHandle;
}
