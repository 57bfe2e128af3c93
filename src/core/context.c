/* SPDX-License-Identifier: MIT */
/*
 * The NBL context stack.
 *
 * Each layer that needs per-packet state takes ContextSize bytes in front
 * of the used context (NET_BUFFER_LIST_CONTEXT_DATA_START moves back). The
 * current block's unused room is used first; when it is too small a block
 * is pushed, its used part at its end so that later layers can still take
 * room in front of it. Frees mirror allocations: each gives back bytes of
 * the current block, and a pushed block that becomes empty is popped. The
 * allocation-time block (the NBL element's own, or the one allocated with
 * the NBL) is never popped here: NdisFreeNetBufferList releases it.
 */
#include <stdlib.h>

#include "config.h"
#include "element.h"
#include "verify/fault.h"
#include "verify/verify.h"

/* The header of an NBL from an ndisbuf pool, or NULL with a diagnostic. */
static inline struct elem_header *context_nbl_header(PNET_BUFFER_LIST nbl, const char *fn)
{
    struct elem_header *h = elem_live_nbl(nbl); /* the constant-offset lookup, checked through the arena */
    if (NDISBUF_UNLIKELY(!h)) {
        vf_diagnostic(fn, "NetBufferList %p is not a live NET_BUFFER_LIST from an ndisbuf pool", (void *)nbl);
        return NULL;
    }
    return h;
}

/*
 * Whether block is the NBL's allocation-time context (nbl_context_base),
 * the element's own block tested first: a pushed block never is it.
 */
static inline bool context_is_base(struct elem_header *h, PNET_BUFFER_LIST_CONTEXT block)
{
    const struct elem_layout *l = &h->pool->layout;
    if (l->context_size && block == elem_part(h, l->context))
        return !h->derived;
    return (h->flags & ELEM_CONTEXT_ALLOCATED) && block == nbl_context_base(h);
}

static PNET_BUFFER_LIST_CONTEXT context_block_push(PNET_BUFFER_LIST nbl, USHORT size, USHORT backfill)
{
    size_t total = (size_t)size + backfill;
    size_t bytes = (sizeof(NET_BUFFER_LIST_CONTEXT) + total + MEMORY_ALLOCATION_ALIGNMENT - 1) &
                   ~(size_t)(MEMORY_ALLOCATION_ALIGNMENT - 1);
    PNET_BUFFER_LIST_CONTEXT block = aligned_alloc(MEMORY_ALLOCATION_ALIGNMENT, bytes);
    if (!block)
        return NULL;
    block->Next = nbl->Context;
    block->Size = (USHORT)total;
    block->Offset = backfill;
    nbl->Context = block;
    return block;
}

/* NdisAllocateNetBufferListContext's careful way: every check explained, and the push of a new block. */
static __attribute__((noinline)) NDIS_STATUS context_alloc_careful(PNET_BUFFER_LIST NetBufferList, USHORT ContextSize,
                                                                   USHORT ContextBackFill)
{
    const char *fn = "NdisAllocateNetBufferListContext";
    if (!context_nbl_header(NetBufferList, fn))
        return NDIS_STATUS_FAILURE;
    if (ContextSize % sizeof(PVOID) || ContextBackFill % sizeof(PVOID)) {
        vf_diagnostic(fn, "ContextSize %u and ContextBackFill %u must be multiples of sizeof(PVOID) (%zu)",
                      ContextSize, ContextBackFill, sizeof(PVOID));
        return NDIS_STATUS_FAILURE;
    }
    if ((ULONG)ContextSize + ContextBackFill > 0xFFFF) {
        vf_diagnostic(fn, "ContextSize %u + ContextBackFill %u exceed a context block's 65535 bytes", ContextSize,
                      ContextBackFill);
        return NDIS_STATUS_FAILURE;
    }
    if (vf_fault_fail(NDISBUF_FAULT_CONTEXT)) { /* every call, room or not: NDIS may fail any of them */
        vf_fault_diagnostic(fn);
        return NDIS_STATUS_RESOURCES;
    }
    PNET_BUFFER_LIST_CONTEXT current = NetBufferList->Context;
    if (current && current->Offset >= ContextSize) {
        current->Offset = (USHORT)(current->Offset - ContextSize);
        return NDIS_STATUS_SUCCESS;
    }
    if (!context_block_push(NetBufferList, ContextSize, ContextBackFill)) {
        vf_diagnostic(fn, "out of memory for a %u-byte context block", ContextSize + ContextBackFill);
        return NDIS_STATUS_RESOURCES;
    }
    return NDIS_STATUS_SUCCESS;
}

/* A new block for a request already checked (the fast path's); the careful way only when memory runs out. */
static __attribute__((noinline)) NDIS_STATUS context_push_checked(PNET_BUFFER_LIST NetBufferList, USHORT ContextSize,
                                                                  USHORT ContextBackFill)
{
    if (NDISBUF_LIKELY(context_block_push(NetBufferList, ContextSize, ContextBackFill) != NULL))
        return NDIS_STATUS_SUCCESS;
    return context_alloc_careful(NetBufferList, ContextSize, ContextBackFill);
}

NDIS_STATUS NdisAllocateNetBufferListContext(PNET_BUFFER_LIST NetBufferList, USHORT ContextSize,
                                             USHORT ContextBackFill, ULONG PoolTag)
{
    (void)PoolTag;
    /* Fast path: a live NBL, valid sizes, no fault injection armed; room in the current block, or a new one. */
    if (NDISBUF_LIKELY(((ContextSize | ContextBackFill) % sizeof(PVOID)) == 0 &&
                       (ULONG)ContextSize + ContextBackFill <= 0xFFFF &&
                       __atomic_load_n(&vf_fault_armed, __ATOMIC_RELAXED) == 0 && elem_live_nbl(NetBufferList))) {
        PNET_BUFFER_LIST_CONTEXT current = NetBufferList->Context;
        if (NDISBUF_LIKELY(current && current->Offset >= ContextSize)) {
            current->Offset = (USHORT)(current->Offset - ContextSize);
            return NDIS_STATUS_SUCCESS;
        }
        return context_push_checked(NetBufferList, ContextSize, ContextBackFill);
    }
    return context_alloc_careful(NetBufferList, ContextSize, ContextBackFill);
}

/* NdisFreeNetBufferListContext's careful way: the report of a mismatch, the pop of an emptied block. */
static __attribute__((noinline)) void context_free_careful(PNET_BUFFER_LIST NetBufferList, USHORT ContextSize)
{
    const char *fn = "NdisFreeNetBufferListContext";
    struct elem_header *h = context_nbl_header(NetBufferList, fn);
    if (!h)
        return;
    PNET_BUFFER_LIST_CONTEXT block = NetBufferList->Context;
    ULONG used = block ? (ULONG)block->Size - block->Offset : 0;
    if (!block || ContextSize > used) {
        ULONG_PTR params[4] = {(ULONG_PTR)NetBufferList, ContextSize, used, (ULONG_PTR)block};
        vf_report(NDISBUF_REPORT_CONTEXT_MISMATCH, fn, NetBufferList, params,
                  "freeing %u bytes of context but the current block %p holds %u used bytes; "
                  "frees must mirror NdisAllocateNetBufferListContext calls in reverse order",
                  ContextSize, (void *)block, used);
        return;
    }
    block->Offset = (USHORT)(block->Offset + ContextSize);
    if (block->Offset == block->Size && !context_is_base(h, block)) {
        NetBufferList->Context = block->Next;
        free(block);
    }
}

/* Pops an emptied pushed block (the fast path found it so). */
static __attribute__((noinline)) void context_block_pop(PNET_BUFFER_LIST NetBufferList, PNET_BUFFER_LIST_CONTEXT block)
{
    NetBufferList->Context = block->Next;
    free(block);
}

VOID NdisFreeNetBufferListContext(PNET_BUFFER_LIST NetBufferList, USHORT ContextSize)
{
    /* Fast path: a live NBL whose current block holds the bytes freed. */
    struct elem_header *h;
    PNET_BUFFER_LIST_CONTEXT block;
    if (NDISBUF_LIKELY((h = elem_live_nbl(NetBufferList)) != NULL && (block = NetBufferList->Context) != NULL &&
                       (ULONG)block->Offset + ContextSize <= block->Size)) {
        USHORT offset = (USHORT)(block->Offset + ContextSize);
        if (NDISBUF_LIKELY(offset != block->Size || context_is_base(h, block))) {
            block->Offset = offset; /* the allocation-time block stays, emptied or not */
            return;
        }
        context_block_pop(NetBufferList, block);
        return;
    }
    context_free_careful(NetBufferList, ContextSize);
}
