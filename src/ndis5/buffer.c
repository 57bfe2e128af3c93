/* SPDX-License-Identifier: MIT */
/*
 * NDIS 5 buffer pools and buffer descriptors.
 *
 * A buffer descriptor is an MDL in a pool element of its own, built like
 * NdisAllocateMdl's (MappedSystemVa is the buffer), so every MDL helper
 * and every NET_BUFFER call works on it; the length it was allocated with
 * is kept in the element header, which is what lets NdisAdjustBufferLength
 * refuse to lengthen it. A pool gives at most NumberOfDescriptors at once,
 * the documented "effective limit", kept with a quota so allocation and
 * free take no lock and no atomic. A NULL pool handle (the page marks it
 * optional) takes descriptors from the library's own pool, which has no
 * limit.
 */
#include "n5.h"
#include "verify/fault.h"
#include "verify/verify.h"

VOID NdisAllocateBufferPool(PNDIS_STATUS Status, PNDIS_HANDLE PoolHandle, UINT NumberOfDescriptors)
{
    const char *fn = "NdisAllocateBufferPool";
    if (!Status || !PoolHandle) {
        vf_diagnostic(fn, "%s is NULL", !Status ? "Status" : "PoolHandle");
        return;
    }
    if (vf_fault_fail(NDISBUF_FAULT_POOL)) {
        vf_fault_diagnostic(fn);
        *PoolHandle = NULL;
        *Status = NDIS_STATUS_RESOURCES;
        return;
    }
    struct n5_pool *pool = n5_pool_create(N5_POOL_KIND_BUFFER, 0x35465542 /* "BUF5" */, sizeof(MDL),
                                          NumberOfDescriptors);
    if (!pool) {
        vf_diagnostic(fn, "out of memory or address space for a buffer pool");
        *PoolHandle = NULL;
        *Status = NDIS_STATUS_RESOURCES;
        return;
    }
    pool->descriptors = NumberOfDescriptors;
    n5_pool_publish(pool);
    *PoolHandle = pool;
    *Status = NDIS_STATUS_SUCCESS;
}

VOID NdisFreeBufferPool(NDIS_HANDLE PoolHandle)
{
    n5_pool_free(PoolHandle, N5_POOL_KIND_BUFFER, "NdisFreeBufferPool");
}

static bool buffer_arguments_ok(PVOID va, UINT length, const char *fn)
{
    if (!va && length) {
        vf_diagnostic(fn, "VirtualAddress is NULL with Length %u", length);
        return false;
    }
    if (length > N5_MAX_BUFFER_LENGTH) {
        vf_diagnostic(fn, "Length %u is above the largest buffer a descriptor describes (%lu bytes)", length,
                      (unsigned long)N5_MAX_BUFFER_LENGTH);
        return false;
    }
    return true;
}

/* A header from the pool within its bound, or NULL. */
static struct elem_header *buffer_take(struct n5_pool *pool, void *site)
{
    bool bounded = pool->quota.limit != UINT64_MAX;
    if (bounded && !quota_take_fast(&pool->quota) && !quota_take_slow(&pool->quota))
        return NULL;
    struct elem_header *h = elem_take(&pool->core, site);
    if (NDISBUF_UNLIKELY(!h) && bounded)
        quota_give_back(&pool->quota);
    return h;
}

VOID NdisAllocateBuffer(PNDIS_STATUS Status, PNDIS_BUFFER *Buffer, NDIS_HANDLE PoolHandle, PVOID VirtualAddress,
                        UINT Length)
{
    const char *fn = "NdisAllocateBuffer";
    if (NDISBUF_UNLIKELY(!Status || !Buffer)) {
        vf_diagnostic(fn, "%s is NULL", !Status ? "Status" : "Buffer");
        return;
    }
    *Buffer = NULL;
    *Status = NDIS_STATUS_FAILURE;
    struct n5_pool *pool = PoolHandle ? n5_pool_checked(PoolHandle, N5_POOL_KIND_BUFFER, fn)
                                      : n5_internal_buffer_pool();
    if (NDISBUF_UNLIKELY(!pool || !buffer_arguments_ok(VirtualAddress, Length, fn)))
        return;
    if (vf_fault_fail(NDISBUF_FAULT_BUFFER)) { /* as when the pool has no descriptor left */
        vf_fault_diagnostic(fn);
        return;
    }
    struct elem_header *h = buffer_take(pool, __builtin_return_address(0));
    if (NDISBUF_UNLIKELY(!h)) {
        vf_diagnostic(fn, pool->quota.limit != UINT64_MAX
                              ? "buffer pool %p has all its %u descriptors in use"
                              : "out of memory for a buffer descriptor (pool %p, %u)",
                      PoolHandle, pool->descriptors);
        return;
    }
    elem_ext(h)->built_length = Length;
    PMDL mdl = elem_part(h, N5_OBJECT_OFFSET);
    MmInitializeMdl(mdl, VirtualAddress, Length);
    MmBuildMdlForNonPagedPool(mdl);
    *Buffer = mdl;
    *Status = NDIS_STATUS_SUCCESS;
}

VOID NdisFreeBuffer(PNDIS_BUFFER Buffer)
{
    struct elem_header *h = n5_checked(Buffer, N5_BUFFER, "NDIS_BUFFER", "NdisFreeBuffer");
    if (h)
        elem_give_back(h);
}

VOID NdisAdjustBufferLength(PNDIS_BUFFER Buffer, UINT Length)
{
    const char *fn = "NdisAdjustBufferLength";
    ULONG_PTR params[4] = {(ULONG_PTR)Buffer, Length, 0, 0};
    if (NDISBUF_UNLIKELY(!Buffer)) {
        vf_report(NDISBUF_REPORT_NULL_OBJECT, fn, NULL, params, "the NDIS_BUFFER is NULL");
        return;
    }
    struct n5_obj obj;
    n5_classify(Buffer, &obj);
    if (obj.kind == N5_CORE) {
        NdisAdjustMdlLength(Buffer, Length); /* an MDL from NdisAllocateMdl: its own checks */
        return;
    }
    if (obj.kind == N5_BUFFER && Length > elem_ext(obj.header)->built_length) {
        params[2] = elem_ext(obj.header)->built_length;
        vf_report(NDISBUF_REPORT_MDL_LENGTHENED, fn, Buffer, params,
                  "buffer descriptor %p was allocated for %lu bytes; it may be shortened, never lengthened to %u",
                  (void *)Buffer, (unsigned long)elem_ext(obj.header)->built_length, Length);
        return;
    }
    Buffer->ByteCount = Length;
}
