/* SPDX-License-Identifier: MIT */
/*
 * NET_BUFFER allocation and free, and the one place that points an NB at an
 * MDL chain (MdlChain, DataOffset, DataLength and the CurrentMdl /
 * CurrentMdlOffset pair that must agree with DataOffset).
 *
 * Convention for CurrentMdl: the MDL holding the first used byte; at an MDL
 * boundary that is the next MDL, zero-length MDLs are stepped over, and when
 * nothing follows (DataLength 0 at the very end) it is the last MDL with
 * CurrentMdlOffset equal to its ByteCount.
 */
#include "config.h"
#include "element.h"
#include "verify/fault.h"
#include "verify/verify.h"

/* Bytes in the chain, or false when it loops (Floyd's two pointers). */
static bool mdl_chain_bytes(PMDL chain, ULONG64 *bytes)
{
    ULONG64 total = 0;
    PMDL slow = chain;
    for (PMDL fast = chain; fast; fast = fast->Next) {
        total += fast->ByteCount;
        if (!(fast = fast->Next))
            break;
        total += fast->ByteCount;
        slow = slow->Next;
        if (slow == fast->Next)
            return false;
    }
    *bytes = total;
    return true;
}

bool nb_chain_fits(PMDL chain, ULONG offset, SIZE_T length, const char *fn)
{
    if (length > 0xFFFFFFFFu) {
        vf_diagnostic(fn, "DataLength %zu does not fit a NET_BUFFER's 32-bit DataLength", length);
        return false;
    }
    if (!chain) {
        if (offset || length) {
            vf_diagnostic(fn, "MdlChain is NULL, so DataOffset (%u) and DataLength (%zu) must be 0", offset,
                          length);
            return false;
        }
        return true;
    }
    ULONG64 bytes;
    if (!mdl_chain_bytes(chain, &bytes)) {
        vf_diagnostic(fn, "MdlChain %p loops back on itself", (void *)chain);
        return false;
    }
    if ((ULONG64)offset + length > bytes) {
        vf_diagnostic(fn, "DataOffset %u + DataLength %zu exceed the %llu bytes MdlChain describes", offset,
                      length, (unsigned long long)bytes);
        return false;
    }
    return true;
}

static void nb_locate(PMDL chain, ULONG offset, PMDL *mdl_out, ULONG *offset_out)
{
    PMDL mdl = chain;
    while (mdl && offset >= mdl->ByteCount && mdl->Next) {
        offset -= mdl->ByteCount;
        mdl = mdl->Next;
    }
    *mdl_out = mdl;
    *offset_out = mdl ? offset : 0;
}

void nb_attach_chain(PNET_BUFFER nb, PMDL chain, ULONG offset, SIZE_T length)
{
    nb->MdlChain = chain;
    nb->DataOffset = offset;
    nb->stDataLength = length;
    nb_locate(chain, offset, &nb->CurrentMdl, &nb->CurrentMdlOffset);
}

void nb_relocate_current(PNET_BUFFER nb)
{
    nb_locate(nb->MdlChain, nb->DataOffset, &nb->CurrentMdl, &nb->CurrentMdlOffset);
}

VOID NdisAdjustNetBufferCurrentMdl(PNET_BUFFER NetBuffer)
{
    if (!NetBuffer) {
        vf_diagnostic("NdisAdjustNetBufferCurrentMdl", "NetBuffer is NULL");
        return;
    }
    nb_relocate_current(NetBuffer);
}


PNET_BUFFER nb_take(struct nbuf_pool *pool, void *site, const char *fn)
{
    if (vf_fault_fail(NDISBUF_FAULT_NB)) {
        vf_fault_diagnostic(fn);
        return NULL;
    }
    struct elem_header *h = elem_take(pool, site);
    if (NDISBUF_UNLIKELY(!h)) {
        elem_take_failed(pool, fn);
        return NULL;
    }
    PNET_BUFFER nb = elem_part(h, pool->layout.nb);
    elem_zero(nb, sizeof(*nb));
    nb->NdisPoolHandle = pool;
    if (pool->layout.data_size)
        nb_attach_own_data(nb, h);
    return nb;
}

PNET_BUFFER NdisAllocateNetBuffer(NDIS_HANDLE PoolHandle, PMDL MdlChain, ULONG DataOffset, SIZE_T DataLength)
{
    const char *fn = "NdisAllocateNetBuffer";
    struct nbuf_pool *pool = pools_checked(PoolHandle, NBUF_POOL_NB, fn);
    if (!pool)
        return NULL;
    if (pool->layout.data_size) {
        vf_diagnostic(fn, "the pool has DataSize %u: use NdisAllocateNetBufferMdlAndData on it",
                      pool->layout.data_size);
        return NULL;
    }
    if (!nb_chain_fits(MdlChain, DataOffset, DataLength, fn))
        return NULL;
    PNET_BUFFER nb = nb_take(pool, __builtin_return_address(0), fn);
    if (nb)
        nb_attach_chain(nb, MdlChain, DataOffset, DataLength);
    return nb;
}

PNET_BUFFER NdisAllocateNetBufferMdlAndData(NDIS_HANDLE PoolHandle)
{
    const char *fn = "NdisAllocateNetBufferMdlAndData";
    struct nbuf_pool *pool = pools_checked(PoolHandle, NBUF_POOL_NB, fn);
    if (!pool)
        return NULL;
    if (!pool->layout.data_size) {
        vf_diagnostic(fn, "the pool has DataSize 0: use NdisAllocateNetBuffer on it");
        return NULL;
    }
    return nb_take(pool, __builtin_return_address(0), fn);
}

VOID NdisFreeNetBuffer(PNET_BUFFER NetBuffer)
{
    const char *fn = "NdisFreeNetBuffer";
    struct elem_header *h = elem_checked(NetBuffer, OBJ_NB, "NET_BUFFER", fn);
    if (!h || !elem_pool_matches(h, NetBuffer, NetBuffer->NdisPoolHandle, "NET_BUFFER", fn))
        return;
    PNET_BUFFER_LIST derived_nbl = elem_ext(h)->derived_nbl;
    if (NDISBUF_UNLIKELY(derived_nbl)) {
        ULONG_PTR params[4] = {(ULONG_PTR)NetBuffer, (ULONG_PTR)derived_nbl, h->derived, 0};
        vf_report(NDISBUF_REPORT_WRONG_FREE_CALL, fn, NetBuffer, params,
                  "NET_BUFFER %p belongs to the derived NET_BUFFER_LIST %p; %s frees it with that NBL",
                  (void *)NetBuffer, (void *)derived_nbl, nbl_free_call_name(h->derived));
        return;
    }
    nb_release_retreat_mdls(NetBuffer, fn);
    elem_give_back(h);
}

NDIS_HANDLE NdisGetPoolFromNetBuffer(PNET_BUFFER NetBuffer)
{
    return NetBuffer->NdisPoolHandle;
}
